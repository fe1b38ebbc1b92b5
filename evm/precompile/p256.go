package precompile

import (
	"math/big"

	"github.com/ethereum/go-ethereum/crypto/secp256r1"
)

const (
	// p256VerifyGas is the EIP-7951 price of P256VERIFY.
	p256VerifyGas = 6900
	// p256VerifyInputLength is the only input length P256VERIFY accepts.
	p256VerifyInputLength = 160
)

// p256Verify (0x0100) verifies an ECDSA signature over secp256r1 (P-256),
// EIP-7951.
//
// Input is exactly 160 bytes: hash (32) | r (32) | s (32) | qx (32) | qy (32).
// The call never fails: on a valid signature the output is 1 as a 32-byte
// word; on anything else (wrong length, r or s outside [1, n), a public key
// off the curve or at infinity, a bad signature) the output is empty.
type p256Verify struct{}

// RequiredGas implements Contract.
func (p256Verify) RequiredGas([]byte) uint64 { return p256VerifyGas }

// Run implements Contract.
func (p256Verify) Run(input []byte) ([]byte, error) {
	if len(input) != p256VerifyInputLength {
		return nil, nil
	}
	r := new(big.Int).SetBytes(input[32:64])
	s := new(big.Int).SetBytes(input[64:96])
	x := new(big.Int).SetBytes(input[96:128])
	y := new(big.Int).SetBytes(input[128:160])
	if !secp256r1.Verify(input[:32], r, s, x, y) {
		return nil, nil
	}
	out := make([]byte, 32)
	out[31] = 1
	return out, nil
}
