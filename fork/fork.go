// Package fork holds the rules of every mainnet fork from Frontier to Osaka as
// data: one Rules value per fork, built by applying each fork's changes to the
// previous one. Code reads these tables instead of comparing fork numbers.
package fork

import (
	"fmt"
	"sort"
	"strings"
)

// ID names a fork. Later forks compare greater.
type ID int

const (
	Frontier ID = iota
	Homestead
	TangerineWhistle // EIP-150
	SpuriousDragon   // EIP-155, EIP-158/161, EIP-170
	Byzantium
	Constantinople
	Petersburg
	Istanbul
	Berlin
	London
	Paris // the merge
	Shanghai
	Cancun
	Prague
	Osaka
	numForks
)

var names = [numForks]string{
	"Frontier", "Homestead", "TangerineWhistle", "SpuriousDragon", "Byzantium",
	"Constantinople", "Petersburg", "Istanbul", "Berlin", "London", "Paris",
	"Shanghai", "Cancun", "Prague", "Osaka",
}

func (f ID) String() string {
	if f < 0 || f >= numForks {
		return fmt.Sprintf("fork(%d)", int(f))
	}
	return names[f]
}

// aliases maps the names used by test fixtures and clients to forks.
var aliases = map[string]ID{
	"eip150": TangerineWhistle, "eip158": SpuriousDragon,
	"constantinoplefix": Petersburg, "merge": Paris, "parismerge": Paris,
}

// ByName looks a fork up by its name (case-insensitive), including the
// fixture aliases EIP150, EIP158, ConstantinopleFix and Merge.
func ByName(name string) (ID, bool) {
	l := strings.ToLower(name)
	for i, n := range names {
		if strings.ToLower(n) == l {
			return ID(i), true
		}
	}
	id, ok := aliases[l]
	return id, ok
}

// Names lists the canonical fork names, oldest first.
func Names() []string { return append([]string(nil), names[:]...) }

// AllNames lists every accepted name (canonical and aliases), sorted.
func AllNames() []string {
	out := Names()
	for a := range aliases {
		out = append(out, a)
	}
	sort.Strings(out)
	return out
}

// BlobParams are the EIP-4844 / EIP-7691 blob schedule of a fork.
type BlobParams struct {
	Target         uint64 // blobs per block
	Max            uint64 // blobs per block
	UpdateFraction uint64
	MaxPerTx       uint64 // EIP-7594 per-transaction cap (0: only the block max)
}

// Rules is everything about a fork that execution needs. Built once per fork;
// treat as read-only.
type Rules struct {
	ID   ID
	Name string

	// Homestead: EIP-2 (contract creation OOG fails, higher create tx gas),
	// EIP-7 (DELEGATECALL).
	Homestead bool
	// EIP-150 gas repricing and the 63/64 rule.
	EIP150 bool
	// EIP-155 replay protection, EIP-161 state clearing, EIP-170 code size limit.
	EIP155, EIP158, EIP170 bool
	// Byzantium: REVERT, RETURNDATASIZE/COPY, STATICCALL, status receipts, EIP-198.. precompiles.
	Byzantium bool
	// Constantinople: shifts, CREATE2, EXTCODEHASH. NetSstore1283 only in Constantinople.
	Constantinople bool
	NetSstore1283  bool
	// Istanbul: EIP-1884, EIP-2200 net gas metering, EIP-1344 CHAINID, EIP-2028.
	Istanbul bool
	// Berlin: EIP-2929 cold/warm access, EIP-2930 access lists, EIP-2718 typed txs.
	Berlin bool
	// London: EIP-1559, EIP-3198 BASEFEE, EIP-3529 reduced refunds, EIP-3541.
	London bool
	// Paris: PREVRANDAO replaces DIFFICULTY.
	Paris bool
	// Shanghai: EIP-3651 warm coinbase, EIP-3855 PUSH0, EIP-3860 init code limit.
	Shanghai bool
	// Cancun: EIP-1153 transient storage, EIP-4844 blobs, EIP-5656 MCOPY,
	// EIP-6780 SELFDESTRUCT only in the same tx, EIP-7516 BLOBBASEFEE.
	Cancun bool
	// Prague: EIP-7702 set code, EIP-7623 calldata floor, EIP-2537 BLS, EIP-7691 blobs.
	Prague bool
	// Osaka: EIP-7825 tx gas cap, EIP-7939 CLZ, EIP-7823/7883 MODEXP, EIP-7951 P256VERIFY, EIP-7594.
	Osaka bool

	// Gas schedule.
	SloadGas           uint64 // pre-Berlin SLOAD
	BalanceGas         uint64 // pre-Berlin BALANCE
	ExtcodeSizeGas     uint64 // pre-Berlin EXTCODESIZE/EXTCODECOPY base
	ExtcodeHashGas     uint64 // pre-Berlin EXTCODEHASH
	CallGas            uint64 // pre-Berlin CALL family base
	SelfdestructGas    uint64 // base cost of SELFDESTRUCT
	ExpByteGas         uint64 // EXP per byte of exponent
	TxDataNonZeroGas   uint64
	TxCreateGas        uint64 // intrinsic gas of a creation tx
	RefundQuotient     uint64 // max refund = gasUsed / RefundQuotient
	SstoreClearsRefund uint64 // EIP-2200/3529 clear refund
	SelfdestructRefund uint64

	MaxCodeSize     int    // 0 means no limit
	MaxInitCodeSize int    // 0 means no limit
	MaxTxGas        uint64 // EIP-7825 transaction gas cap; 0 means none

	Blob BlobParams
}

// At reports whether these rules include fork f.
func (r *Rules) At(f ID) bool { return r.ID >= f }

var table [numForks]Rules

func init() {
	r := Rules{
		SloadGas: 50, BalanceGas: 20, ExtcodeSizeGas: 20, ExtcodeHashGas: 0, CallGas: 40,
		SelfdestructGas: 0, ExpByteGas: 10, TxDataNonZeroGas: 68, TxCreateGas: 21000,
		RefundQuotient: 2, SstoreClearsRefund: 15000, SelfdestructRefund: 24000,
	}
	// Each step applies one fork's changes on top of the previous fork.
	steps := [numForks]func(r *Rules){
		Frontier: func(r *Rules) {},
		Homestead: func(r *Rules) {
			r.Homestead = true
			r.TxCreateGas = 53000
		},
		TangerineWhistle: func(r *Rules) {
			r.EIP150 = true
			r.SloadGas, r.BalanceGas, r.ExtcodeSizeGas, r.CallGas, r.SelfdestructGas = 200, 400, 700, 700, 5000
		},
		SpuriousDragon: func(r *Rules) {
			r.EIP155, r.EIP158, r.EIP170 = true, true, true
			r.ExpByteGas = 50
			r.MaxCodeSize = 24576
		},
		Byzantium: func(r *Rules) { r.Byzantium = true },
		Constantinople: func(r *Rules) {
			r.Constantinople, r.NetSstore1283 = true, true
			r.ExtcodeHashGas = 400
		},
		Petersburg: func(r *Rules) { r.NetSstore1283 = false },
		Istanbul: func(r *Rules) {
			r.Istanbul = true
			r.SloadGas, r.BalanceGas, r.ExtcodeHashGas = 800, 700, 700
			r.TxDataNonZeroGas = 16
		},
		Berlin: func(r *Rules) { r.Berlin = true },
		London: func(r *Rules) {
			r.London = true
			r.RefundQuotient = 5
			r.SstoreClearsRefund = 4800 // SSTORE_RESET_GAS(5000) - COLD_SLOAD(2100) + ACCESS_LIST_STORAGE_KEY(1900)
			r.SelfdestructRefund = 0
		},
		Paris:    func(r *Rules) { r.Paris = true },
		Shanghai: func(r *Rules) { r.Shanghai = true; r.MaxInitCodeSize = 2 * 24576 },
		Cancun: func(r *Rules) {
			r.Cancun = true
			r.Blob = BlobParams{Target: 3, Max: 6, UpdateFraction: 3338477}
		},
		Prague: func(r *Rules) {
			r.Prague = true
			r.Blob = BlobParams{Target: 6, Max: 9, UpdateFraction: 5007716}
		},
		Osaka: func(r *Rules) {
			r.Osaka = true
			r.MaxTxGas = 1 << 24
			r.Blob.MaxPerTx = 6
		},
	}
	for id := Frontier; id < numForks; id++ {
		steps[id](&r)
		r.ID, r.Name = id, names[id]
		table[id] = r
	}
}

// Get returns the rules of fork id. It panics on an ID outside the known
// range, which is a programming error: parse names with ByName.
func Get(id ID) *Rules {
	if id < 0 || id >= numForks {
		panic(fmt.Sprintf("fork: unknown fork id %d", int(id)))
	}
	return &table[id]
}
