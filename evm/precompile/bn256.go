package precompile

import (
	"errors"
	"math/big"

	"github.com/ethereum/go-ethereum/crypto/bn256"
)

// Gas of the alt_bn128 (BN254) precompiles: EIP-196/197 in Byzantium,
// reduced by EIP-1108 in Istanbul.
const (
	bn256AddGasByzantium            = 500
	bn256AddGasIstanbul             = 150
	bn256ScalarMulGasByzantium      = 40000
	bn256ScalarMulGasIstanbul       = 6000
	bn256PairingBaseGasByzantium    = 100000
	bn256PairingPerPairGasByzantium = 80000
	bn256PairingBaseGasIstanbul     = 45000
	bn256PairingPerPairGasIstanbul  = 34000
)

// bn256PairLength is the size of one (G1, G2) pair of the pairing input.
const bn256PairLength = 192

var errBn256PairingLength = errors.New("bn256 pairing: input length not a multiple of 192")

// bn256Add (0x06) adds two BN254 G1 points (EIP-196).
//
// Input is x1 | y1 | x2 | y2, 32 bytes each, zero-padded on the right to 128
// bytes and truncated past them; (0, 0) encodes the point at infinity. A
// coordinate not below the field modulus or a point off the curve makes the
// call fail. Output is the 64-byte sum.
type bn256Add struct{ gas uint64 }

// RequiredGas implements Contract.
func (c bn256Add) RequiredGas([]byte) uint64 { return c.gas }

// Run implements Contract.
func (bn256Add) Run(input []byte) ([]byte, error) {
	var buf [128]byte
	copy(buf[:], input)
	a, err := bn256G1(buf[:64])
	if err != nil {
		return nil, err
	}
	b, err := bn256G1(buf[64:])
	if err != nil {
		return nil, err
	}
	r := new(bn256.G1)
	r.Add(a, b)
	return r.Marshal(), nil
}

// bn256ScalarMul (0x07) multiplies a BN254 G1 point by a scalar (EIP-196).
//
// Input is x | y | s, 32 bytes each, zero-padded on the right to 96 bytes and
// truncated past them. Point validity is as for bn256Add; any 256-bit scalar
// is allowed. Output is the 64-byte product.
type bn256ScalarMul struct{ gas uint64 }

// RequiredGas implements Contract.
func (c bn256ScalarMul) RequiredGas([]byte) uint64 { return c.gas }

// Run implements Contract.
func (bn256ScalarMul) Run(input []byte) ([]byte, error) {
	var buf [96]byte
	copy(buf[:], input)
	p, err := bn256G1(buf[:64])
	if err != nil {
		return nil, err
	}
	r := new(bn256.G1)
	r.ScalarMult(p, new(big.Int).SetBytes(buf[64:]))
	return r.Marshal(), nil
}

// bn256Pairing (0x08) checks that the product of the optimal ate pairings
// of k (G1, G2) pairs is one (EIP-197).
//
// Input is k 192-byte pairs: a G1 point (64 bytes) then a G2 point
// (128 bytes, each Fp2 coordinate encoded imaginary part first). A length not
// a multiple of 192, or a point that is invalid or (for G2) outside the
// prime-order subgroup, makes the call fail. Output is 32 bytes: 1 if the
// check holds (including k == 0), else 0.
type bn256Pairing struct{ base, perPair uint64 }

// RequiredGas implements Contract.
func (c bn256Pairing) RequiredGas(input []byte) uint64 {
	return c.base + uint64(len(input)/bn256PairLength)*c.perPair
}

// Run implements Contract.
func (bn256Pairing) Run(input []byte) ([]byte, error) {
	if len(input)%bn256PairLength != 0 {
		return nil, errBn256PairingLength
	}
	k := len(input) / bn256PairLength
	g1s := make([]*bn256.G1, 0, k)
	g2s := make([]*bn256.G2, 0, k)
	for off := 0; off < len(input); off += bn256PairLength {
		p, err := bn256G1(input[off : off+64])
		if err != nil {
			return nil, err
		}
		q := new(bn256.G2)
		if _, err := q.Unmarshal(input[off+64 : off+bn256PairLength]); err != nil {
			return nil, err
		}
		g1s = append(g1s, p)
		g2s = append(g2s, q)
	}
	out := make([]byte, 32)
	if bn256.PairingCheck(g1s, g2s) {
		out[31] = 1
	}
	return out, nil
}

// bn256G1 decodes a 64-byte G1 point, checking that it is on the curve.
func bn256G1(b []byte) (*bn256.G1, error) {
	p := new(bn256.G1)
	if _, err := p.Unmarshal(b); err != nil {
		return nil, err
	}
	return p, nil
}
