package precompile

import (
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/crypto/kzg4844"
)

const (
	// kzgPointEvaluationGas is the EIP-4844 POINT_EVALUATION_PRECOMPILE_GAS.
	kzgPointEvaluationGas = 50000
	// kzgInputLength is the only input length the precompile accepts.
	kzgInputLength = 192
	// kzgVersion is VERSIONED_HASH_VERSION_KZG.
	kzgVersion = 0x01
)

// kzgReturnValue is the successful output: FIELD_ELEMENTS_PER_BLOB (4096)
// and BLS_MODULUS, each as a 32-byte big-endian word.
var kzgReturnValue = [64]byte{
	30: 0x10,
	32: 0x73, 0xed, 0xa7, 0x53, 0x29, 0x9d, 0x7d, 0x48, 0x33, 0x39, 0xd8, 0x08, 0x09, 0xa1, 0xd8, 0x05,
	0x53, 0xbd, 0xa4, 0x02, 0xff, 0xfe, 0x5b, 0xfe, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x01,
}

var (
	errKZGLength  = errors.New("kzg point evaluation: input length not 192")
	errKZGVersion = errors.New("kzg point evaluation: commitment does not match versioned hash")
	errKZGProof   = errors.New("kzg point evaluation: invalid proof")
)

// kzgPointEvaluation (0x0a) verifies a KZG proof that a blob polynomial
// evaluates to y at z (EIP-4844).
//
// Input is exactly 192 bytes: versioned_hash (32) | z (32) | y (32) |
// commitment (48) | proof (48). The versioned hash must be
// 0x01 | sha256(commitment)[1:]; z and y must be canonical field elements.
// Any failure makes the call fail; on success the output is
// FIELD_ELEMENTS_PER_BLOB | BLS_MODULUS.
type kzgPointEvaluation struct{}

// RequiredGas implements Contract.
func (kzgPointEvaluation) RequiredGas([]byte) uint64 { return kzgPointEvaluationGas }

// Run implements Contract.
func (kzgPointEvaluation) Run(input []byte) ([]byte, error) {
	if len(input) != kzgInputLength {
		return nil, errKZGLength
	}
	var (
		point      kzg4844.Point
		claim      kzg4844.Claim
		commitment kzg4844.Commitment
		proof      kzg4844.Proof
	)
	copy(point[:], input[32:64])
	copy(claim[:], input[64:96])
	copy(commitment[:], input[96:144])
	copy(proof[:], input[144:192])

	vh := sha256.Sum256(commitment[:])
	vh[0] = kzgVersion
	if [32]byte(input[:32]) != vh {
		return nil, errKZGVersion
	}
	if err := kzg4844.VerifyProof(commitment, point, claim, proof); err != nil {
		return nil, fmt.Errorf("%w: %v", errKZGProof, err)
	}
	out := kzgReturnValue
	return out[:], nil
}
