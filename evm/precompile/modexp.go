package precompile

import (
	"errors"
	"math"
	"math/big"
	"math/bits"
)

// modexpPricing selects the MODEXP gas formula.
type modexpPricing uint8

const (
	modexpByzantium modexpPricing = iota // EIP-198
	modexpBerlin                         // EIP-2565
	modexpOsaka                          // EIP-7883
)

const (
	// modexpHeaderLength is the size of the header holding the base,
	// exponent and modulus lengths, one 32-byte word each.
	modexpHeaderLength = 96
	// modexpMaxLength is the EIP-7823 bound on each operand length (bytes).
	modexpMaxLength = 1024
	// modexpSaneLength bounds the operand lengths Run is willing to
	// allocate when EIP-7823 does not apply. Any call with an operand
	// longer than this costs over 10^9 gas under every pricing (the
	// exponent length alone adds 8*len/20 gas in EIP-198), so it can never
	// run; rejecting it only keeps Run from exhausting memory if called
	// without charging RequiredGas first.
	modexpSaneLength = 1 << 32
)

var (
	errModexpEIP7823  = errors.New("modexp: base, exponent or modulus longer than 1024 bytes")
	errModexpTooLarge = errors.New("modexp: operand length too large to execute")
)

// modexp (0x05) computes base**exp % mod for arbitrary-length operands
// (EIP-198).
//
// Input is baseLen(32) | expLen(32) | modLen(32) | base | exp | mod, every
// part zero-padded on the right past the end of the input. The output is the
// result left-padded to modLen bytes; a zero modulus yields modLen zero bytes.
// Under EIP-7823 (Osaka) a length over 1024 bytes makes the call fail.
type modexp struct {
	pricing modexpPricing
	eip7823 bool
}

// modexpLengths reads the three operand lengths from the header,
// saturating each at math.MaxUint64. overflow reports whether any length
// did not fit in 64 bits.
func modexpLengths(input []byte) (baseLen, expLen, modLen uint64, overflow bool) {
	var hdr [modexpHeaderLength]byte
	copy(hdr[:], input)
	word := func(w []byte) uint64 {
		for _, b := range w[:24] {
			if b != 0 {
				overflow = true
				return math.MaxUint64
			}
		}
		return uint64(w[24])<<56 | uint64(w[25])<<48 | uint64(w[26])<<40 | uint64(w[27])<<32 |
			uint64(w[28])<<24 | uint64(w[29])<<16 | uint64(w[30])<<8 | uint64(w[31])
	}
	baseLen = word(hdr[0:32])
	expLen = word(hdr[32:64])
	modLen = word(hdr[64:96])
	return
}

// RequiredGas implements Contract. Results that overflow 64 bits saturate
// at math.MaxUint64.
func (c *modexp) RequiredGas(input []byte) uint64 {
	baseLen, expLen, modLen, _ := modexpLengths(input)
	var data []byte
	if len(input) > modexpHeaderLength {
		data = input[modexpHeaderLength:]
	}

	// The bit length of the first (up to) 32 bytes of the exponent, which
	// starts at data[baseLen]. Bytes past the input are zero.
	headBits := 0
	if baseLen < uint64(len(data)) {
		head := data[baseLen:]
		n := min(expLen, 32)
		if uint64(len(head)) > n {
			head = head[:n]
		}
		for i, b := range head {
			if b != 0 {
				headBits = (int(n)-i)*8 - bits.LeadingZeros8(b)
				break
			}
		}
	}

	maxLen := max(baseLen, modLen)
	words := (maxLen >> 3) + min(maxLen&7, 1) // ceil(maxLen/8), without overflow
	switch c.pricing {
	case modexpByzantium:
		// EIP-198: floor(mult_complexity(maxLen) * max(adjExpLen, 1) / 20).
		return modexpPrice(multComplexityEIP198(maxLen), iterationCount(expLen, headBits, 8), 20, 0)
	case modexpBerlin:
		// EIP-2565: max(200, floor(ceil(maxLen/8)^2 * max(adjExpLen, 1) / 3)).
		return modexpPrice(mulSat(words, words), iterationCount(expLen, headBits, 8), 3, 200)
	default:
		// EIP-7883: max(500, mult_complexity * max(adjExpLen, 1)) where
		// mult_complexity is 16 up to 32 bytes, else 2*ceil(maxLen/8)^2,
		// and the exponent's length beyond 32 bytes counts 16 per byte.
		mc := uint64(16)
		if maxLen > 32 {
			mc = mulSat(mulSat(words, words), 2)
		}
		return modexpPrice(mc, iterationCount(expLen, headBits, 16), 1, 500)
	}
}

// modexpPrice returns max(minGas, floor(mc * iterations / divisor)). A
// saturated complexity or an overflowing product prices at math.MaxUint64
// (far beyond what any call can pay), whatever the divisor.
func modexpPrice(mc, iterations, divisor, minGas uint64) uint64 {
	if mc == math.MaxUint64 {
		return math.MaxUint64
	}
	hi, lo := bits.Mul64(mc, iterations)
	if hi != 0 {
		return math.MaxUint64
	}
	return max(lo/divisor, minGas)
}

// multComplexityEIP198 is the EIP-198 mult_complexity(x):
// x^2 for x <= 64, x^2/4 + 96x - 3072 for x <= 1024, else x^2/16 + 480x - 199680.
func multComplexityEIP198(x uint64) uint64 {
	switch {
	case x <= 64:
		return x * x
	case x <= 1024:
		return x*x/4 + 96*x - 3072
	default:
		hi, sq := bits.Mul64(x, x)
		if hi != 0 {
			return math.MaxUint64
		}
		// x < 2^32 here, so 480x cannot overflow.
		sum, carry := bits.Add64(sq/16, 480*x-199680, 0)
		if carry != 0 {
			return math.MaxUint64
		}
		return sum
	}
}

// iterationCount is the adjusted exponent length of EIP-198 with the given
// per-byte multiplier for exponent bytes beyond the first 32 (8 before
// EIP-7883, 16 after), at least 1. headBits is the bit length of the first
// 32 bytes of the exponent.
func iterationCount(expLen uint64, headBits int, perByte uint64) uint64 {
	var n uint64
	if expLen > 32 {
		n = mulSat(expLen-32, perByte)
	}
	if headBits > 0 {
		n = addSat(n, uint64(headBits-1))
	}
	return max(n, 1)
}

// mulSat returns a*b, saturating at math.MaxUint64.
func mulSat(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	if hi != 0 {
		return math.MaxUint64
	}
	return lo
}

// addSat returns a+b, saturating at math.MaxUint64.
func addSat(a, b uint64) uint64 {
	s, carry := bits.Add64(a, b, 0)
	if carry != 0 {
		return math.MaxUint64
	}
	return s
}

// Run implements Contract.
func (c *modexp) Run(input []byte) ([]byte, error) {
	baseLen, expLen, modLen, overflow := modexpLengths(input)
	if c.eip7823 && (overflow || max(baseLen, expLen, modLen) > modexpMaxLength) {
		return nil, errModexpEIP7823
	}
	if baseLen == 0 && modLen == 0 {
		return []byte{}, nil
	}
	if max(baseLen, expLen, modLen) > modexpSaneLength {
		return nil, errModexpTooLarge
	}
	var data []byte
	if len(input) > modexpHeaderLength {
		data = input[modexpHeaderLength:]
	}
	base := new(big.Int).SetBytes(getData(data, 0, baseLen))
	mod := new(big.Int).SetBytes(getData(data, baseLen+expLen, modLen))
	out := make([]byte, modLen)
	switch {
	case mod.Sign() == 0:
		// x mod 0 is defined as 0.
		return out, nil
	case base.BitLen() <= 1:
		// 0 or 1: the result does not depend on the exponent except for
		// 0**0 == 1, so only look at whether the exponent is zero.
		if base.Sign() == 0 && !allZero(getData(data, baseLen, min(expLen, uint64(len(data))))) {
			return out, nil
		}
		base.SetUint64(1)
		base.Mod(base, mod)
	default:
		exp := new(big.Int).SetBytes(getData(data, baseLen, expLen))
		base.Exp(base, exp, mod)
	}
	return base.FillBytes(out), nil
}

// allZero reports whether every byte of b is zero.
func allZero(b []byte) bool {
	for _, x := range b {
		if x != 0 {
			return false
		}
	}
	return true
}
