// Package precompile implements the Ethereum precompiled contracts of every
// mainnet fork from Frontier to Osaka:
//
//	0x01 ECRECOVER             Frontier
//	0x02 SHA256                Frontier
//	0x03 RIPEMD160             Frontier
//	0x04 IDENTITY              Frontier
//	0x05 MODEXP                Byzantium (EIP-198), repriced in Berlin (EIP-2565)
//	                           and Osaka (EIP-7883), bounded in Osaka (EIP-7823)
//	0x06 BN254 ADD             Byzantium (EIP-196), repriced in Istanbul (EIP-1108)
//	0x07 BN254 SCALAR MUL      Byzantium (EIP-196), repriced in Istanbul (EIP-1108)
//	0x08 BN254 PAIRING         Byzantium (EIP-197), repriced in Istanbul (EIP-1108)
//	0x09 BLAKE2F               Istanbul (EIP-152)
//	0x0a KZG POINT EVALUATION  Cancun (EIP-4844)
//	0x0b..0x11 BLS12-381       Prague (EIP-2537)
//	0x0100 P256VERIFY          Osaka (EIP-7951)
//
// The contracts are stateless values shared by all callers; the per-fork sets
// are built once at package initialisation, so Get costs a few comparisons and
// an array index.
package precompile

import (
	"encoding/binary"

	"github.com/ethereum/go-ethereum/common"

	"github.com/velarium/velarium/fork"
)

// Contract is one precompiled contract.
type Contract interface {
	// RequiredGas returns the gas the call costs for input. It is charged
	// before Run; if the caller cannot pay, Run is not called.
	RequiredGas(input []byte) uint64
	// Run executes the contract. A non-nil error means the call fails,
	// consuming all gas given to it. Run never modifies input, and the
	// returned slice is never shared with input or with another call.
	Run(input []byte) ([]byte, error)
}

// numLow is one past the highest precompile address in the 0x00.. range
// (0x11, the last EIP-2537 contract).
const numLow = 0x12

// set is the precompiles active in one group of forks.
type set struct {
	low    [numLow]Contract // indexed by the last address byte, for 0x00..0x11
	p256   Contract         // 0x0100, or nil
	active []common.Address // ascending
}

// The contracts. They are stateless, so one value serves every fork that
// uses the same rules.
var (
	cEcrecover = ecrecover{}
	cSha256    = sha256hash{}
	cRipemd160 = ripemd160hash{}
	cIdentity  = identity{}

	cModexpByzantium = &modexp{pricing: modexpByzantium}
	cModexpBerlin    = &modexp{pricing: modexpBerlin}
	cModexpOsaka     = &modexp{pricing: modexpOsaka, eip7823: true}

	cBn256AddByzantium       = bn256Add{gas: bn256AddGasByzantium}
	cBn256AddIstanbul        = bn256Add{gas: bn256AddGasIstanbul}
	cBn256ScalarMulByzantium = bn256ScalarMul{gas: bn256ScalarMulGasByzantium}
	cBn256ScalarMulIstanbul  = bn256ScalarMul{gas: bn256ScalarMulGasIstanbul}
	cBn256PairingByzantium   = bn256Pairing{base: bn256PairingBaseGasByzantium, perPair: bn256PairingPerPairGasByzantium}
	cBn256PairingIstanbul    = bn256Pairing{base: bn256PairingBaseGasIstanbul, perPair: bn256PairingPerPairGasIstanbul}

	cBlake2F = blake2F{}
	cKZG     = kzgPointEvaluation{}

	cBLSG1Add    = blsG1Add{}
	cBLSG1MSM    = blsG1MSM{}
	cBLSG2Add    = blsG2Add{}
	cBLSG2MSM    = blsG2MSM{}
	cBLSPairing  = blsPairing{}
	cBLSMapFpG1  = blsMapFpToG1{}
	cBLSMapFp2G2 = blsMapFp2ToG2{}

	cP256Verify = p256Verify{}
)

// The sets, one per group of forks with identical precompiles.
var (
	setFrontier  = newSet(nil, cEcrecover, cSha256, cRipemd160, cIdentity)
	setByzantium = newSet(setFrontier, nil, nil, nil, nil,
		cModexpByzantium, cBn256AddByzantium, cBn256ScalarMulByzantium, cBn256PairingByzantium)
	setIstanbul = newSet(setByzantium, nil, nil, nil, nil,
		nil, cBn256AddIstanbul, cBn256ScalarMulIstanbul, cBn256PairingIstanbul, cBlake2F)
	setBerlin = newSet(setIstanbul, nil, nil, nil, nil, cModexpBerlin)
	setCancun = newSet(setBerlin, nil, nil, nil, nil, nil, nil, nil, nil, nil, cKZG)
	setPrague = newSet(setCancun, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil,
		cBLSG1Add, cBLSG1MSM, cBLSG2Add, cBLSG2MSM, cBLSPairing, cBLSMapFpG1, cBLSMapFp2G2)
	setOsaka = withP256(newSet(setPrague, nil, nil, nil, nil, cModexpOsaka), cP256Verify)
)

// newSet returns a copy of parent (nil: empty) with the contract at address
// i+1 replaced by low[i] wherever low[i] is not nil.
func newSet(parent *set, low ...Contract) *set {
	s := new(set)
	if parent != nil {
		s.low, s.p256 = parent.low, parent.p256
	}
	for i, c := range low {
		if c != nil {
			s.low[i+1] = c
		}
	}
	s.fillActive()
	return s
}

// withP256 adds P256VERIFY at 0x0100 to s.
func withP256(s *set, c Contract) *set {
	s.p256 = c
	s.fillActive()
	return s
}

// fillActive recomputes s.active from the contracts present.
func (s *set) fillActive() {
	s.active = s.active[:0]
	for i, c := range s.low {
		if c != nil {
			s.active = append(s.active, common.BytesToAddress([]byte{byte(i)}))
		}
	}
	if s.p256 != nil {
		s.active = append(s.active, common.BytesToAddress([]byte{0x01, 0x00}))
	}
	// Cap the slice so that a caller appending to it cannot write into
	// the shared backing array.
	s.active = s.active[:len(s.active):len(s.active)]
}

// setFor selects the precompile set for the given rules.
func setFor(r *fork.Rules) *set {
	switch {
	case r.Osaka:
		return setOsaka
	case r.Prague:
		return setPrague
	case r.Cancun:
		return setCancun
	case r.Berlin:
		return setBerlin
	case r.Istanbul:
		return setIstanbul
	case r.Byzantium:
		return setByzantium
	default:
		return setFrontier
	}
}

// Get returns the precompile at addr active under rules r.
func Get(r *fork.Rules, addr common.Address) (Contract, bool) {
	// Every precompile address has its first 18 bytes zero: reject
	// everything else with three loads (bytes [0,4), [4,12) and [12,18))
	// before looking at the fork.
	if uint64(binary.LittleEndian.Uint32(addr[0:4]))|binary.LittleEndian.Uint64(addr[4:12])|
		binary.LittleEndian.Uint64(addr[12:20])&0x0000_ffff_ffff_ffff != 0 {
		return nil, false
	}
	hi, lo := addr[18], addr[19]
	switch {
	case hi == 0 && lo < numLow:
		c := setFor(r).low[lo]
		return c, c != nil
	case hi == 1 && lo == 0:
		c := setFor(r).p256
		return c, c != nil
	}
	return nil, false
}

// Active returns the addresses of all precompiles active under r (for the
// EIP-2929 warm set), ascending. The slice is shared: callers must not
// modify its elements (appending is safe, it reallocates).
func Active(r *fork.Rules) []common.Address {
	return setFor(r).active
}

// wordCount returns the number of 32-byte words needed to hold n bytes.
func wordCount(n int) uint64 {
	return (uint64(n) + 31) / 32
}

// getData returns size bytes of data starting at start, zero-padded on the
// right past the end of data. It returns a subslice of data when no padding
// is needed; callers must not modify the result.
func getData(data []byte, start, size uint64) []byte {
	length := uint64(len(data))
	if start > length {
		start = length
	}
	end := start + size
	if end < start || end > length { // overflow or past the end: pad
		out := make([]byte, size)
		copy(out, data[start:])
		return out
	}
	return data[start:end]
}
