package precompile

import (
	"encoding/binary"
	"errors"

	"github.com/ethereum/go-ethereum/crypto/blake2b"
)

// blake2FInputLength is the only input length BLAKE2F accepts.
const blake2FInputLength = 213

var (
	errBlake2FLength = errors.New("blake2f: input length not 213")
	errBlake2FFinal  = errors.New("blake2f: final flag not 0 or 1")
)

// blake2F (0x09) runs the BLAKE2b compression function F (EIP-152).
//
// Input is exactly 213 bytes: rounds (4, big-endian) | h (64) | m (128) |
// t (16) | f (1), where h, m and t are little-endian 64-bit words and the
// final-block flag f is 0 or 1; anything else makes the call fail. Gas is one
// per round (0 for a malformed input, which fails anyway). Output is the new
// state h (64 bytes).
type blake2F struct{}

// RequiredGas implements Contract.
func (blake2F) RequiredGas(input []byte) uint64 {
	if len(input) != blake2FInputLength {
		return 0
	}
	return uint64(binary.BigEndian.Uint32(input[0:4]))
}

// Run implements Contract.
func (blake2F) Run(input []byte) ([]byte, error) {
	if len(input) != blake2FInputLength {
		return nil, errBlake2FLength
	}
	if input[212] > 1 {
		return nil, errBlake2FFinal
	}
	var (
		h [8]uint64
		m [16]uint64
		t [2]uint64
	)
	for i := range h {
		h[i] = binary.LittleEndian.Uint64(input[4+8*i:])
	}
	for i := range m {
		m[i] = binary.LittleEndian.Uint64(input[68+8*i:])
	}
	t[0] = binary.LittleEndian.Uint64(input[196:])
	t[1] = binary.LittleEndian.Uint64(input[204:])

	blake2b.F(&h, m, t, input[212] == 1, binary.BigEndian.Uint32(input[0:4]))

	out := make([]byte, 64)
	for i, w := range h {
		binary.LittleEndian.PutUint64(out[8*i:], w)
	}
	return out, nil
}
