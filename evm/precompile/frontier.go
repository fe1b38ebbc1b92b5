package precompile

import (
	"crypto/sha256"
	"math/big"

	"github.com/ethereum/go-ethereum/crypto"
	"golang.org/x/crypto/ripemd160"
)

// Gas of the Frontier precompiles (Yellow Paper, appendix E).
const (
	ecrecoverGas        = 3000
	sha256BaseGas       = 60
	sha256PerWordGas    = 12
	ripemd160BaseGas    = 600
	ripemd160PerWordGas = 120
	identityBaseGas     = 15
	identityPerWordGas  = 3
)

// ecrecover (0x01) recovers the address that signed a hash.
//
// Input is hash(32) | v(32) | r(32) | s(32), zero-padded on the right to 128
// bytes and truncated past them. v must be 27 or 28 and r, s within
// [1, secp256k1n). On any invalid input the call succeeds with empty output;
// otherwise the output is the signer's address left-padded to 32 bytes.
type ecrecover struct{}

// ecrecoverInputLength is how many input bytes ecrecover reads.
const ecrecoverInputLength = 128

// RequiredGas implements Contract.
func (ecrecover) RequiredGas([]byte) uint64 { return ecrecoverGas }

// Run implements Contract.
func (ecrecover) Run(input []byte) ([]byte, error) {
	var buf [ecrecoverInputLength]byte
	copy(buf[:], input)

	// v is a 32-byte big-endian word whose value must be 27 or 28.
	for _, b := range buf[32:63] {
		if b != 0 {
			return nil, nil
		}
	}
	v := buf[63] - 27
	r := new(big.Int).SetBytes(buf[64:96])
	s := new(big.Int).SetBytes(buf[96:128])
	// The EIP-2 low-s rule applies to transaction signatures only.
	if !crypto.ValidateSignatureValues(v, r, s, false) {
		return nil, nil
	}
	var sig [65]byte // r | s | v, the layout crypto.Ecrecover wants
	copy(sig[:64], buf[64:128])
	sig[64] = v
	pub, err := crypto.Ecrecover(buf[:32], sig[:])
	if err != nil {
		return nil, nil
	}
	// pub is 0x04 | X | Y; the address is the last 20 bytes of keccak(X | Y).
	out := make([]byte, 32)
	copy(out[12:], crypto.Keccak256(pub[1:])[12:])
	return out, nil
}

// sha256hash (0x02) returns the SHA-256 digest of its input.
type sha256hash struct{}

// RequiredGas implements Contract.
func (sha256hash) RequiredGas(input []byte) uint64 {
	return sha256BaseGas + wordCount(len(input))*sha256PerWordGas
}

// Run implements Contract.
func (sha256hash) Run(input []byte) ([]byte, error) {
	h := sha256.Sum256(input)
	return h[:], nil
}

// ripemd160hash (0x03) returns the RIPEMD-160 digest of its input,
// left-padded with zeros to 32 bytes.
type ripemd160hash struct{}

// RequiredGas implements Contract.
func (ripemd160hash) RequiredGas(input []byte) uint64 {
	return ripemd160BaseGas + wordCount(len(input))*ripemd160PerWordGas
}

// Run implements Contract.
func (ripemd160hash) Run(input []byte) ([]byte, error) {
	h := ripemd160.New()
	h.Write(input)
	out := make([]byte, 12, 32)
	return h.Sum(out), nil
}

// identity (0x04) returns a copy of its input.
type identity struct{}

// RequiredGas implements Contract.
func (identity) RequiredGas(input []byte) uint64 {
	return identityBaseGas + wordCount(len(input))*identityPerWordGas
}

// Run implements Contract.
func (identity) Run(input []byte) ([]byte, error) {
	return append([]byte{}, input...), nil
}
