// Package fuzz holds the differential fuzzer that runs generated transactions
// on Velarium's EVM and on go-ethereum's, and compares the outcomes.
//
// This file is the generator: Generate turns arbitrary bytes into a Case (a
// fork, a pre-state, a block environment and one transaction) by reading
// them as a stream of decisions. It is deterministic, and mostly produces
// well-formed programs: pushes of interesting values, memory, storage,
// transient storage, calls between the generated contracts and to
// precompiles, creations with generated init code, logs, jumps, bounded
// loops, and now and then an arbitrary opcode. go-ethereum's interpreter is
// only used by the _test.go files of this package.
package fuzz

import (
	"crypto/ecdsa"
	"fmt"
	"math"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/holiman/uint256"
	"github.com/velarium/velarium/evm"
	"github.com/velarium/velarium/fork"
)

// Account is one pre-state account.
type Account struct {
	Address common.Address
	Nonce   uint64
	Balance uint256.Int
	Code    []byte
	Storage map[common.Hash]common.Hash
}

// Env is the block environment. Random is used from Paris on, BaseFee from
// London on and ExcessBlobGas from Cancun on.
type Env struct {
	Coinbase      common.Address
	GasLimit      uint64
	Number        uint64
	Time          uint64
	Difficulty    uint256.Int
	Random        common.Hash
	BaseFee       uint256.Int
	ExcessBlobGas uint64
}

// Tx is the transaction. For types 0 and 1 GasPrice is the price; for
// types 2 to 4 GasFeeCap and GasTipCap are.
type Tx struct {
	Type       uint8
	From       common.Address
	To         *common.Address
	Nonce      uint64
	Value      uint256.Int
	Gas        uint64
	GasPrice   uint256.Int
	GasFeeCap  uint256.Int
	GasTipCap  uint256.Int
	Data       []byte
	AccessList types.AccessList
	BlobFeeCap uint256.Int
	BlobHashes []common.Hash
	Auths      []types.SetCodeAuthorization
}

// Case is one generated test case.
type Case struct {
	Fork fork.ID
	Env  Env
	Pre  []Account
	Tx   Tx
}

// Fixed participants.
var (
	// Keys: the sender's, and two EIP-7702 authorities'.
	senderKey = mustKey("velarium fuzz sender")
	authKeys  = []*ecdsa.PrivateKey{mustKey("velarium fuzz authority 1"), mustKey("velarium fuzz authority 2")}

	SenderAddr = crypto.PubkeyToAddress(senderKey.PublicKey)
	AuthAddrs  = []common.Address{crypto.PubkeyToAddress(authKeys[0].PublicKey), crypto.PubkeyToAddress(authKeys[1].PublicKey)}

	// ContractAddrs get generated code.
	ContractAddrs = []common.Address{
		common.HexToAddress("0x00000000000000000000000000000000000c0de0"),
		common.HexToAddress("0x00000000000000000000000000000000000c0de1"),
		common.HexToAddress("0x00000000000000000000000000000000000c0de2"),
		common.HexToAddress("0x00000000000000000000000000000000000c0de3"),
	}
	// EmptyAddrs may be present as empty accounts (EIP-161 touch targets).
	EmptyAddrs = []common.Address{
		common.HexToAddress("0x00000000000000000000000000000000000e0000"),
		common.HexToAddress("0x00000000000000000000000000000000000e0001"),
	}
	// DelegatedAddr may hold an EIP-7702 delegation designator.
	DelegatedAddr = common.HexToAddress("0x00000000000000000000000000000000000de1e9")
	// NobodyAddr never exists in the pre-state.
	NobodyAddr   = common.HexToAddress("0x000000000000000000000000000000000000dead")
	CoinbaseAddr = common.HexToAddress("0x00000000000000000000000000000000c014ba5e")

	precompileAddrs = func() []common.Address {
		var out []common.Address
		for i := 1; i <= 0x11; i++ {
			out = append(out, common.BytesToAddress([]byte{byte(i)}))
		}
		return append(out, common.BytesToAddress([]byte{0x01, 0x00}))
	}()
)

func mustKey(seed string) *ecdsa.PrivateKey {
	k, err := crypto.ToECDSA(crypto.Keccak256([]byte(seed)))
	if err != nil {
		panic(err)
	}
	return k
}

// reader hands out decisions from the input; past its end every decision
// reads zero bytes.
type reader struct {
	b []byte
	i int
}

func (r *reader) done() bool { return r.i >= len(r.b) }

func (r *reader) byte() byte {
	if r.i >= len(r.b) {
		r.i++
		return 0
	}
	c := r.b[r.i]
	r.i++
	return c
}

// intn returns a number in [0, n).
func (r *reader) intn(n int) int {
	if n <= 1 {
		r.byte()
		return 0
	}
	if n <= 256 {
		return int(r.byte()) % n
	}
	return (int(r.byte())<<8 | int(r.byte())) % n
}

// chance is true with probability about k/n (n <= 256).
func (r *reader) chance(k, n int) bool { return r.intn(n) < k }

func (r *reader) bytes(n int) []byte {
	out := make([]byte, n)
	for i := range out {
		out[i] = r.byte()
	}
	return out
}

func (r *reader) u64() uint64 {
	var v uint64
	for range 8 {
		v = v<<8 | uint64(r.byte())
	}
	return v
}

// Opcodes used by the generator.
const (
	opSTOP         = 0x00
	opADD          = 0x01
	opISZERO       = 0x15
	opGT           = 0x11
	opKECCAK256    = 0x20
	opADDRESS      = 0x30
	opBALANCE      = 0x31
	opCALLER       = 0x33
	opCALLVALUE    = 0x34
	opCALLDATALOAD = 0x35
	opCALLDATASIZE = 0x36
	opCALLDATACOPY = 0x37
	opCODECOPY     = 0x39
	opEXTCODESIZE  = 0x3b
	opEXTCODECOPY  = 0x3c
	opRETDATASIZE  = 0x3d
	opRETDATACOPY  = 0x3e
	opEXTCODEHASH  = 0x3f
	opBLOCKHASH    = 0x40
	opBLOBHASH     = 0x49
	opPOP          = 0x50
	opMLOAD        = 0x51
	opMSTORE       = 0x52
	opMSTORE8      = 0x53
	opSLOAD        = 0x54
	opSSTORE       = 0x55
	opJUMP         = 0x56
	opJUMPI        = 0x57
	opGAS          = 0x5a
	opJUMPDEST     = 0x5b
	opTLOAD        = 0x5c
	opTSTORE       = 0x5d
	opMCOPY        = 0x5e
	opPUSH0        = 0x5f
	opPUSH1        = 0x60
	opPUSH2        = 0x61
	opDUP1         = 0x80
	opDUP6         = 0x85
	opLOG0         = 0xa0
	opCREATE       = 0xf0
	opCALL         = 0xf1
	opCALLCODE     = 0xf2
	opRETURN       = 0xf3
	opDELEGATECALL = 0xf4
	opCREATE2      = 0xf5
	opSTATICCALL   = 0xfa
	opREVERT       = 0xfd
	opINVALID      = 0xfe
	opSELFDESTRUCT = 0xff
)

// asm assembles code with forward and backward labels and a data section
// appended after the code.
type asm struct {
	code   []byte
	labels []int
	fixups []fixup
	data   []dataBlob
}

type fixup struct{ pos, label int }
type dataBlob struct {
	label int
	b     []byte
}

func (a *asm) op(ops ...byte) { a.code = append(a.code, ops...) }

func (a *asm) newLabel() int {
	a.labels = append(a.labels, -1)
	return len(a.labels) - 1
}

// mark places label l here, as a JUMPDEST.
func (a *asm) mark(l int) {
	a.labels[l] = len(a.code)
	a.code = append(a.code, opJUMPDEST)
}

func (a *asm) pushLabel(l int) {
	a.fixups = append(a.fixups, fixup{len(a.code) + 1, l})
	a.code = append(a.code, opPUSH2, 0, 0)
}

func (a *asm) pushU(v *uint256.Int) {
	if v.IsZero() {
		a.op(opPUSH1, 0)
		return
	}
	b := v.Bytes()
	a.op(opPUSH1 + byte(len(b)-1))
	a.op(b...)
}

func (a *asm) push(v uint64) { a.pushU(uint256.NewInt(v)) }

// addData appends b to the data section and returns the label of its offset.
func (a *asm) addData(b []byte) int {
	l := a.newLabel()
	a.data = append(a.data, dataBlob{l, b})
	return l
}

func (a *asm) bytes() []byte {
	out := append([]byte(nil), a.code...)
	if len(a.data) > 0 {
		out = append(out, opSTOP)
	}
	for _, d := range a.data {
		a.labels[d.label] = len(out)
		out = append(out, d.b...)
	}
	for _, f := range a.fixups {
		p := a.labels[f.label]
		if p < 0 || p > 0xffff {
			p = 0xffff
		}
		out[f.pos] = byte(p >> 8)
		out[f.pos+1] = byte(p)
	}
	return out
}

// gen carries the generation state.
type gen struct {
	r      *reader
	f      fork.ID
	pool   []common.Address // addresses programs refer to
	number uint64
	nest   int // nesting of jumps and loops in the current program
}

var (
	u256Max    = new(uint256.Int).SetAllOne()
	u256Half   = new(uint256.Int).Lsh(uint256.NewInt(1), 255)
	u256HalfM1 = new(uint256.Int).Sub(u256Half, uint256.NewInt(1))
)

// since is the first fork of each opcode newer than Frontier.
var since = map[byte]fork.ID{
	0xf4: fork.Homestead,
	0xfa: fork.Byzantium, 0xfd: fork.Byzantium, 0x3d: fork.Byzantium, 0x3e: fork.Byzantium,
	0x1b: fork.Constantinople, 0x1c: fork.Constantinople, 0x1d: fork.Constantinople, 0xf5: fork.Constantinople, 0x3f: fork.Constantinople,
	0x46: fork.Istanbul, 0x47: fork.Istanbul,
	0x48: fork.London,
	0x5f: fork.Shanghai,
	0x5c: fork.Cancun, 0x5d: fork.Cancun, 0x5e: fork.Cancun, 0x49: fork.Cancun, 0x4a: fork.Cancun,
	0x1e: fork.Osaka,
}

// stand-ins with the same stack effect for opcodes a fork lacks.
var standIn = map[byte][]byte{
	0x1b: {0x01}, 0x1c: {0x01}, 0x1d: {0x01}, // shifts: ADD
	0x1e: {0x19},                                           // CLZ: NOT
	0x3d: {0x58},                                           // RETURNDATASIZE: PC
	0x3e: {0x37},                                           // RETURNDATACOPY: CALLDATACOPY
	0x3f: {0x3b},                                           // EXTCODEHASH: EXTCODESIZE
	0x46: {0x58}, 0x47: {0x58}, 0x48: {0x58}, 0x4a: {0x58}, // CHAINID SELFBALANCE BASEFEE BLOBBASEFEE: PC
	0x49: {0x15},       // BLOBHASH: ISZERO
	0x5c: {0x54},       // TLOAD: SLOAD
	0x5d: {0x55},       // TSTORE: SSTORE
	0x5e: {0x37},       // MCOPY: CALLDATACOPY
	0x5f: {0x60, 0x00}, // PUSH0: PUSH1 0
	0xfd: {0xf3},       // REVERT: RETURN
}

// avail reports whether the fork has op.
func (g *gen) avail(op byte) bool {
	f, ok := since[op]
	return !ok || g.f >= f
}

// op emits opcodes, mostly replacing those the fork lacks by stand-ins
// (about one in ten is kept, to exercise the fork's opcode table).
func (g *gen) op(a *asm, ops ...byte) {
	for _, op := range ops {
		if g.avail(op) {
			a.op(op)
			continue
		}
		if s, ok := standIn[op]; ok && !g.r.chance(1, 10) {
			a.op(s...)
			continue
		}
		a.op(op)
	}
}

// value pushes an interesting value.
func (g *gen) value(a *asm) {
	r := g.r
	switch r.intn(20) {
	case 0, 1:
		if r.chance(1, 4) {
			g.op(a, opPUSH0)
		} else {
			a.push(0)
		}
	case 2, 3:
		a.push(1)
	case 4:
		a.push(uint64(r.byte()))
	case 5:
		a.push([]uint64{2, 3, 31, 32, 33, 64, 0xff, 0x100, 0x7f, 0x80}[r.intn(10)])
	case 6, 7:
		g.address(a)
	case 8:
		a.pushU(u256Half)
	case 9:
		a.pushU(u256Max)
	case 10:
		a.pushU(u256HalfM1)
	case 11:
		a.pushU(new(uint256.Int).SetBytes(r.bytes(32)))
	case 12:
		a.pushU(new(uint256.Int).Sub(u256Max, uint256.NewInt(uint64(r.byte()))))
	case 13:
		a.pushU(new(uint256.Int).Lsh(uint256.NewInt(1), uint(r.intn(256))))
	case 14:
		a.push([]uint64{math.MaxUint64, 1 << 63, 1 << 32, math.MaxUint32, 1<<63 - 1}[r.intn(5)])
	case 15:
		a.push(uint64(g.slot()))
	case 16:
		a.push(g.blockNum())
	case 17:
		a.push(uint64(r.byte())<<8 | uint64(r.byte()))
	case 18:
		g.envOp(a)
	case 19:
		// An address with dirty high bits.
		v := new(uint256.Int).SetBytes(g.addr().Bytes())
		v.Or(v, new(uint256.Int).Lsh(uint256.NewInt(uint64(r.byte())|1), 160+uint(r.intn(90))))
		a.pushU(v)
	}
}

func (g *gen) blockNum() uint64 {
	n := g.number
	switch g.r.intn(8) {
	case 0:
		return n
	case 1:
		return n + 1
	case 2:
		return n - 256
	case 3:
		return n - 257
	case 4:
		return 0
	case 5:
		return n - 2
	}
	return n - 1
}

func (g *gen) slot() int { return []int{0, 0, 1, 1, 2, 3, 0xff, 0x100}[g.r.intn(8)] }

func (g *gen) addr() common.Address { return g.pool[g.r.intn(len(g.pool))] }

// address pushes an address, sometimes through ADDRESS or CALLER.
func (g *gen) address(a *asm) {
	switch g.r.intn(12) {
	case 0:
		g.op(a, opADDRESS)
	case 1:
		g.op(a, opCALLER)
	case 2:
		g.op(a, 0x41) // COINBASE
	case 3:
		a.pushU(new(uint256.Int).SetBytes(precompileAddrs[g.r.intn(len(precompileAddrs))].Bytes()))
	default:
		a.pushU(new(uint256.Int).SetBytes(g.addr().Bytes()))
	}
}

// memOff pushes a memory offset: mostly small, rarely huge.
func (g *gen) memOff(a *asm) {
	r := g.r
	switch r.intn(64) {
	case 0:
		a.pushU([]*uint256.Int{uint256.NewInt(1 << 32), uint256.NewInt(math.MaxUint64), u256Max, uint256.NewInt(0xffffffff)}[r.intn(4)])
	case 1:
		a.push(uint64(r.byte()))
	case 2:
		a.push(0x1000 + uint64(r.byte()))
	default:
		a.push([]uint64{0, 0, 0, 1, 31, 32, 32, 33, 63, 64, 96, 128, 200, 256, 0x3e0, 0x400}[r.intn(16)])
	}
}

// length pushes a memory length.
func (g *gen) length(a *asm) {
	r := g.r
	switch r.intn(64) {
	case 0:
		a.pushU([]*uint256.Int{uint256.NewInt(1 << 32), uint256.NewInt(math.MaxUint64), u256Max, uint256.NewInt(0x10000)}[r.intn(4)])
	case 1:
		a.push(uint64(r.byte()))
	default:
		a.push([]uint64{0, 0, 1, 2, 20, 31, 32, 32, 33, 64, 64, 100, 128, 255, 256, 0x300}[r.intn(16)])
	}
}

// gasArg pushes a gas amount for a call.
func (g *gen) gasArg(a *asm) {
	r := g.r
	switch r.intn(18) {
	case 0, 1, 2:
		g.op(a, opGAS)
	case 16, 17:
		// a little less than all: the EIP-150 cap, stipends and call costs
		a.push(uint64(r.byte()) << uint(r.intn(8)))
		g.op(a, opGAS, 0x03) // GAS SUB
	case 3:
		a.pushU(u256Max)
	case 4:
		a.push(math.MaxUint64)
	case 5:
		a.push(uint64(r.byte()) << uint(r.intn(16)))
	default:
		a.push([]uint64{0, 1, 100, 2300, 2301, 5000, 10000, 25000, 30000, 50000, 100000, 300000}[r.intn(12)])
	}
}

// callValue pushes a value for CALL, CALLCODE, CREATE.
func (g *gen) callValue(a *asm) {
	r := g.r
	switch r.intn(12) {
	case 0, 1, 2, 3, 4, 5:
		a.push(0)
	case 6, 7:
		a.push(1)
	case 8:
		a.push(uint64(r.byte()))
	case 9:
		g.op(a, 0x47) // SELFBALANCE (invalid before Istanbul)
	case 10:
		g.op(a, opCALLVALUE)
	default:
		a.pushU(u256Max)
	}
}

// envOp emits one opcode that pushes one value and pops nothing.
func (g *gen) envOp(a *asm) {
	ops := []byte{
		0x30, 0x32, 0x33, 0x34, 0x36, 0x38, 0x3a, 0x3d, 0x41, 0x42, 0x43, 0x44, 0x45,
		0x46, 0x47, 0x48, 0x4a, 0x58, 0x59, 0x5a,
	}
	g.op(a, ops[g.r.intn(len(ops))])
}

// sink consumes the value on top of the stack (or leaves it there).
func (g *gen) sink(a *asm) {
	r := g.r
	switch r.intn(12) {
	case 0, 1, 2, 3:
		g.op(a, opPOP)
	case 4, 5, 6, 7:
		a.push(uint64(g.slot()))
		g.op(a, opSSTORE)
	case 8, 9:
		g.memOff(a)
		g.op(a, opMSTORE)
	case 10:
		// LOG1 with the value as topic.
		g.length(a)
		g.memOff(a)
		g.op(a, opLOG0+1)
	case 11:
		// leave it on the stack for later arbitrary opcodes
	}
}

// snippet emits one self-contained piece of code.
// snippetWeights weighs the kinds of snippet, in the order of the cases
// of snippet's switch.
var snippetWeights = []int{6, 2, 3, 3, 2, 2, 3, 5, 2, 1, 3, 5, 2, 3, 2, 1, 1, 1, 1, 1, 1, 1}

var snippetTotal = func() int {
	n := 0
	for _, w := range snippetWeights {
		n += w
	}
	return n
}()

func (g *gen) snippet(a *asm, depth int) {
	r := g.r
	kind, k := 0, r.intn(snippetTotal)
	for k >= snippetWeights[kind] {
		k -= snippetWeights[kind]
		kind++
	}
	switch kind {
	case 0: // binary arithmetic
		ops := []byte{0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x0a, 0x0b, 0x10, 0x11, 0x12, 0x13, 0x14, 0x16, 0x17, 0x18, 0x1a, 0x1b, 0x1c, 0x1d}
		g.value(a)
		g.value(a)
		g.op(a, ops[r.intn(len(ops))])
		g.sink(a)
	case 1: // ternary and unary
		g.value(a)
		if r.chance(1, 2) {
			g.value(a)
			g.value(a)
			g.op(a, []byte{0x08, 0x09}[r.intn(2)])
		} else {
			g.op(a, []byte{0x15, 0x19, 0x1e}[r.intn(3)]) // ISZERO NOT CLZ
		}
		g.sink(a)
	case 2: // environment
		g.envOp(a)
		g.sink(a)
	case 3: // account queries
		g.address(a)
		g.op(a, []byte{opBALANCE, opEXTCODESIZE, opEXTCODEHASH}[r.intn(3)])
		g.sink(a)
	case 4: // copies
		switch r.intn(5) {
		case 0:
			g.length(a)
			g.value(a)
			g.memOff(a)
			g.address(a)
			g.op(a, opEXTCODECOPY)
		case 1:
			g.length(a)
			g.value(a)
			g.memOff(a)
			g.op(a, opCODECOPY)
		case 2:
			g.length(a)
			g.value(a)
			g.memOff(a)
			g.op(a, opCALLDATACOPY)
		case 3:
			if r.chance(1, 2) {
				g.op(a, opRETDATASIZE)
			} else {
				g.length(a)
			}
			a.push(uint64(r.intn(3)))
			g.memOff(a)
			g.op(a, opRETDATACOPY)
		case 4:
			g.length(a)
			g.memOff(a)
			g.memOff(a)
			g.op(a, opMCOPY)
		}
	case 5: // loads
		switch r.intn(4) {
		case 0:
			g.value(a)
			g.op(a, opCALLDATALOAD)
		case 1:
			g.memOff(a)
			g.op(a, opMLOAD)
		case 2:
			a.push(g.blockNum())
			g.op(a, opBLOCKHASH)
		case 3:
			a.push(uint64(r.intn(4)))
			g.op(a, opBLOBHASH)
		}
		g.sink(a)
	case 6: // memory stores
		g.value(a)
		g.memOff(a)
		g.op(a, []byte{opMSTORE, opMSTORE, opMSTORE8}[r.intn(3)])
	case 7: // storage
		if r.chance(1, 3) {
			a.push(uint64(g.slot()))
			g.op(a, opSLOAD)
			g.sink(a)
		} else {
			if r.chance(1, 2) {
				a.push([]uint64{0, 0, 1, 2, 0xffff}[r.intn(5)]) // zero, original or not: net metering
			} else {
				g.value(a)
			}
			a.push(uint64(g.slot()))
			g.op(a, opSSTORE)
		}
	case 8: // transient storage
		if r.chance(1, 2) {
			a.push(uint64(g.slot()))
			g.op(a, opTLOAD)
			g.sink(a)
		} else {
			g.value(a)
			a.push(uint64(g.slot()))
			g.op(a, opTSTORE)
		}
	case 9: // hashing
		g.length(a)
		g.memOff(a)
		g.op(a, opKECCAK256)
		g.sink(a)
	case 10: // logs
		n := r.intn(5)
		for range n {
			g.value(a)
		}
		g.length(a)
		g.memOff(a)
		g.op(a, opLOG0+byte(n))
	case 11:
		g.call(a, depth)
	case 12:
		g.precompileCall(a)
	case 13:
		if depth < 2 {
			g.create(a, depth)
		} else {
			g.call(a, depth)
		}
	case 14: // forward jump over some code
		if g.nest > 2 {
			return
		}
		g.nest++
		l := a.newLabel()
		if r.chance(1, 2) {
			a.pushLabel(l)
			g.op(a, opJUMP)
		} else {
			g.cond(a)
			a.pushLabel(l)
			g.op(a, opJUMPI)
		}
		for range 1 + r.intn(3) {
			g.snippet(a, depth)
		}
		a.mark(l)
		g.nest--
	case 15: // a loop: counted, or until little gas is left
		if g.nest > 1 {
			return
		}
		g.nest++
		l := a.newLabel()
		if r.chance(1, 8) {
			a.mark(l)
			for range 1 + r.intn(2) {
				g.snippet(a, depth)
			}
			a.push([]uint64{1000, 5000, 20000, 50000, 100000, uint64(r.byte()) << 10}[r.intn(6)])
			g.op(a, opGAS, opGT)
			a.pushLabel(l)
			g.op(a, opJUMPI)
		} else {
			// counter on the stack: n; L: body; 1 SWAP1 SUB DUP1 L JUMPI POP
			a.push(1 + uint64(r.intn(20)))
			a.mark(l)
			for range 1 + r.intn(2) {
				g.snippet(a, depth)
			}
			a.push(1)
			g.op(a, 0x90, 0x03, opDUP1) // SWAP1 SUB DUP1
			a.pushLabel(l)
			g.op(a, opJUMPI, opPOP)
		}
		g.nest--
	case 16: // conditional exit
		l := a.newLabel()
		g.cond(a)
		a.pushLabel(l)
		g.op(a, opJUMPI)
		g.terminator(a, depth)
		a.mark(l)
	case 17: // bad jump
		if r.chance(1, 2) {
			a.push(uint64(r.intn(len(a.code) + 8)))
			g.op(a, opJUMP)
		} else {
			g.value(a)
			a.push(uint64(r.intn(len(a.code) + 8)))
			g.op(a, opJUMPI)
		}
	case 18: // an arbitrary opcode
		for range r.intn(5) {
			g.value(a)
		}
		a.op(r.byte()) // raw: not gated
	case 19: // stack shuffling of what is there
		g.op(a, []byte{0x80, 0x81, 0x82, 0x90, 0x91, 0x50}[r.intn(6)]+byte(r.intn(3)))
	case 20: // return data
		g.op(a, opRETDATASIZE)
		g.sink(a)
	case 21: // selfdestruct in a branch or straight
		g.address(a)
		g.op(a, opSELFDESTRUCT)
	}
}

// cond pushes a jump condition.
func (g *gen) cond(a *asm) {
	r := g.r
	switch r.intn(8) {
	case 0:
		g.op(a, opCALLVALUE)
	case 1:
		g.op(a, opCALLDATASIZE)
	case 2:
		a.push(0)
		g.op(a, opCALLDATALOAD)
	case 3:
		a.push(uint64(g.slot()))
		g.op(a, opSLOAD)
	case 4:
		a.push(uint64(g.slot()))
		g.op(a, opTLOAD)
	case 5:
		g.address(a)
		g.op(a, opCALLER, 0x14) // CALLER == addr
	default:
		g.value(a)
	}
	if r.chance(1, 4) {
		g.op(a, opISZERO)
	}
}

// call emits a CALL-family call with its result sunk.
func (g *gen) call(a *asm, depth int) {
	r := g.r
	op := []byte{opCALL, opCALL, opCALL, opCALLCODE, opDELEGATECALL, opSTATICCALL}[r.intn(6)]
	if !g.avail(op) && !r.chance(1, 10) {
		op = opCALL
	}
	if r.chance(1, 3) {
		// Calldata for the callee.
		g.value(a)
		a.push(0)
		g.op(a, opMSTORE)
	}
	g.length(a) // ret size
	g.memOff(a) // ret offset
	g.length(a) // args size
	g.memOff(a) // args offset
	if op == opCALL || op == opCALLCODE {
		g.callValue(a)
	}
	g.address(a)
	g.gasArg(a)
	g.op(a, op)
	g.sink(a)
	if r.chance(1, 4) {
		g.op(a, opRETDATASIZE)
		a.push(0)
		g.memOff(a)
		g.op(a, opRETDATACOPY)
	}
}

// precompileCall calls a precompile with input of a length it expects,
// taken from memory (zeros beyond what was written, which BLS and pairing
// accept) or from generated words.
func (g *gen) precompileCall(a *asm) {
	r := g.r
	p := precompileAddrs[r.intn(len(precompileAddrs))]
	lens := map[byte][]uint64{
		1: {128}, 2: {0, 5, 64}, 3: {0, 5, 64}, 4: {0, 5, 64}, 5: {96, 99, 130}, 6: {128}, 7: {96},
		8: {0, 192, 384}, 9: {213}, 0x0a: {0, 191}, 0x0b: {256}, 0x0c: {160, 320}, 0x0d: {512},
		0x0e: {288}, 0x0f: {384, 0}, 0x10: {64}, 0x11: {128},
	}
	var n uint64 = 160 // P256VERIFY
	if l, ok := lens[p[19]]; ok && p[18] == 0 {
		n = l[r.intn(len(l))]
	}
	off := uint64(0x800)
	// Write a few words of input.
	for i := range r.intn(4) {
		switch {
		case p[19] == 5 && i < 3 && p[18] == 0:
			a.push(uint64(r.intn(40))) // modexp lengths
		case p[19] == 9 && i == 0 && p[18] == 0:
			a.pushU(new(uint256.Int).Lsh(uint256.NewInt(uint64(r.intn(16))), 224)) // blake2f rounds
		default:
			g.value(a)
		}
		a.push(off + 32*uint64(i))
		g.op(a, opMSTORE)
	}
	a.push(64)    // ret size
	a.push(0x400) // ret offset
	a.push(n)     // args size
	a.push(off)   // args offset
	op := []byte{opSTATICCALL, opCALL}[r.intn(2)]
	if !g.avail(op) {
		op = opCALL
	}
	if op == opCALL {
		g.callValue(a)
	}
	a.pushU(new(uint256.Int).SetBytes(p.Bytes()))
	g.gasArg(a)
	g.op(a, op)
	g.sink(a)
	if r.chance(1, 2) {
		a.push(0x400)
		g.op(a, opMLOAD)
		g.sink(a)
	}
}

// create emits CREATE or CREATE2 of generated init code, and maybe calls
// the new contract.
func (g *gen) create(a *asm, depth int) {
	r := g.r
	init := g.initCode(depth + 1)
	l := a.addData(init)
	n := uint64(len(init))
	mem := uint64([]int{0, 0, 32, 0x200}[r.intn(4)])
	a.push(n)
	a.pushLabel(l)
	a.push(mem)
	g.op(a, opCODECOPY)
	size := n
	if r.chance(1, 8) {
		size = uint64(r.intn(int(n) + 40)) // truncated or padded init code
	}
	is2 := r.chance(1, 2)
	if is2 && !g.avail(opCREATE2) && !r.chance(1, 10) {
		is2 = false
	}
	if is2 {
		switch r.intn(3) {
		case 0:
			a.push(0)
		case 1:
			a.push(uint64(r.byte()))
		default:
			g.value(a)
		}
	}
	if r.chance(1, 16) {
		a.pushU([]*uint256.Int{uint256.NewInt(49153), uint256.NewInt(49152), u256Max}[r.intn(3)]) // EIP-3860 limits
	} else {
		a.push(size)
	}
	a.push(mem)
	g.callValue(a)
	if is2 {
		g.op(a, opCREATE2)
	} else {
		g.op(a, opCREATE)
	}
	if r.chance(1, 2) {
		// CALL(gas, addr, 0, 0, 0, 0, 0) the new contract, keeping its address.
		for range 5 {
			a.push(0)
		}
		g.op(a, opDUP6)
		g.gasArg(a)
		g.op(a, opCALL)
		g.sink(a)
	}
	g.sink(a)
}

// initCode generates init code at the given depth (1 or 2).
func (g *gen) initCode(depth int) []byte {
	r := g.r
	a := &asm{}
	saved := g.nest
	g.nest = 0
	for range r.intn(4) {
		g.snippet(a, depth)
	}
	switch k := r.intn(14); {
	case k < 7: // return runtime code
		var rt []byte
		if depth < 2 && r.chance(1, 2) {
			rt = g.program(depth+1, 4)
		} else {
			rt = r.bytes(r.intn(12))
		}
		if k == 6 && len(rt) > 0 {
			rt[0] = 0xef // EIP-3541
		}
		l := a.addData(rt)
		a.push(uint64(len(rt)))
		a.pushLabel(l)
		a.push(0)
		g.op(a, opCODECOPY)
		a.push(uint64(len(rt)))
		a.push(0)
		g.op(a, opRETURN)
	case k == 7: // oversized code (EIP-170) or just big
		a.push([]uint64{24576, 24577, 0x6001, 0x3000}[r.intn(4)])
		a.push(0)
		g.op(a, opRETURN)
	case k == 8:
		g.length(a)
		g.memOff(a)
		g.op(a, opREVERT)
	case k == 9:
		g.address(a)
		g.op(a, opSELFDESTRUCT)
	case k == 10:
		g.op(a, opSTOP)
	case k == 11:
		g.op(a, opINVALID)
	case k == 12: // return memory, which may start with 0xef
		a.push(0xef)
		a.push(0)
		g.op(a, opMSTORE8)
		g.length(a)
		a.push(0)
		g.op(a, opRETURN)
	default:
		g.terminator(a, depth)
	}
	g.nest = saved
	return a.bytes()
}

// terminator ends a program.
func (g *gen) terminator(a *asm, depth int) {
	r := g.r
	switch r.intn(10) {
	case 0, 1:
		g.op(a, opSTOP)
	case 2, 3:
		g.length(a)
		g.memOff(a)
		g.op(a, opRETURN)
	case 4, 5:
		g.length(a)
		g.memOff(a)
		g.op(a, opREVERT)
	case 6:
		g.op(a, opINVALID)
	case 7:
		g.address(a)
		g.op(a, opSELFDESTRUCT)
	default:
		// run off the end
	}
}

// program generates a program of up to n snippets.
func (g *gen) program(depth, n int) []byte {
	a := &asm{}
	saved := g.nest
	g.nest = 0
	for range 1 + g.r.intn(n) {
		if g.r.done() {
			break
		}
		g.snippet(a, depth)
	}
	g.terminator(a, depth)
	g.nest = saved
	return a.bytes()
}

// driver generates a program that calls other code a few times and records
// what each call did (success, return data size and first word, gas left)
// in its own storage, so that a failure in a callee does not end the
// transaction and differences in gas accounting show in the state root.
func (g *gen) driver() []byte {
	r := g.r
	a := &asm{}
	for i := range uint64(2 + r.intn(6)) {
		if r.done() {
			break
		}
		if r.chance(1, 4) {
			g.snippet(a, 0)
		}
		op := []byte{opCALL, opCALL, opCALL, opCALLCODE, opDELEGATECALL, opSTATICCALL}[r.intn(6)]
		if !g.avail(op) {
			op = opCALL
		}
		if r.chance(1, 2) {
			g.value(a)
			a.push(0)
			g.op(a, opMSTORE)
		}
		a.push(32) // ret size
		a.push(0)  // ret offset
		g.length(a)
		a.push(0) // args offset
		if op == opCALL || op == opCALLCODE {
			a.push([]uint64{0, 0, 0, 1, 1000}[r.intn(5)])
		}
		switch r.intn(8) {
		case 0:
			g.address(a)
		case 1:
			a.pushU(new(uint256.Int).SetBytes(precompileAddrs[r.intn(len(precompileAddrs))].Bytes()))
		default:
			a.pushU(new(uint256.Int).SetBytes(ContractAddrs[1+r.intn(len(ContractAddrs)-1)].Bytes()))
		}
		g.gasArg(a)
		g.op(a, op)
		a.push(0x10 + i)
		g.op(a, opSSTORE)
		if r.chance(1, 2) {
			g.op(a, opRETDATASIZE)
			a.push(0x20 + i)
			g.op(a, opSSTORE)
		}
		if r.chance(2, 3) {
			g.op(a, opGAS)
			a.push(0x30 + i)
			g.op(a, opSSTORE)
		}
		if r.chance(1, 3) {
			a.push(0)
			g.op(a, opMLOAD)
			a.push(0x40 + i)
			g.op(a, opSSTORE)
		}
	}
	if r.chance(1, 2) {
		a.push(32)
		a.push(0)
		g.op(a, opRETURN)
	} else {
		g.terminator(a, 0)
	}
	return a.bytes()
}

// Forks is the forks cases are generated for, oldest first.
var Forks = []fork.ID{
	fork.Frontier, fork.Homestead, fork.TangerineWhistle, fork.SpuriousDragon, fork.Byzantium,
	fork.Constantinople, fork.Petersburg, fork.Istanbul, fork.Berlin, fork.London, fork.Paris,
	fork.Shanghai, fork.Cancun, fork.Prague, fork.Osaka,
}

// Generate derives a case from data.
func Generate(data []byte) *Case {
	r := &reader{b: data}
	c := &Case{}
	// Recent forks are favoured.
	if k := r.intn(32); k < 15 {
		c.Fork = Forks[k]
	} else {
		c.Fork = Forks[8+k%7]
	}
	g := &gen{r: r, f: c.Fork}
	rules := fork.Get(c.Fork)

	// Environment.
	e := &c.Env
	e.Coinbase = CoinbaseAddr
	if r.chance(1, 8) {
		// The coinbase is a contract (which may self-destruct), the sender,
		// an empty account or a precompile.
		e.Coinbase = []common.Address{ContractAddrs[0], ContractAddrs[1], SenderAddr, EmptyAddrs[0], precompileAddrs[2], DelegatedAddr}[r.intn(6)]
	}
	g.number = []uint64{1, 2, 256, 257, 1000, 1 << 20}[r.intn(6)]
	e.Number = g.number
	e.Time = 1000 + uint64(r.byte())
	e.GasLimit = 30_000_000
	e.Difficulty.SetUint64(0x20000)
	if rules.Paris {
		e.Difficulty.Clear()
		e.Random = common.BytesToHash(r.bytes(8))
	}
	if rules.London {
		e.BaseFee.SetUint64([]uint64{10, 10, 7, 0, 1000}[r.intn(5)])
	}
	if rules.Cancun {
		e.ExcessBlobGas = []uint64{0, 0, 1 << 20, 10_000_000, 400_000_000}[r.intn(5)]
	}

	// The sender's and the contracts' nonces decide CREATE addresses, which
	// programs may call.
	senderNonce := []uint64{0, 0, 1, 5}[r.intn(4)]
	contractNonce := make([]uint64, len(ContractAddrs))
	for i := range contractNonce {
		contractNonce[i] = []uint64{1, 1, 0, 3}[r.intn(4)]
	}
	g.pool = append(g.pool, ContractAddrs...)
	g.pool = append(g.pool, ContractAddrs...)
	g.pool = append(g.pool, SenderAddr, NobodyAddr, CoinbaseAddr, DelegatedAddr)
	g.pool = append(g.pool, EmptyAddrs...)
	g.pool = append(g.pool, AuthAddrs...)
	g.pool = append(g.pool, precompileAddrs[0], precompileAddrs[3], precompileAddrs[r.intn(len(precompileAddrs))])
	g.pool = append(g.pool, crypto.CreateAddress(SenderAddr, senderNonce))
	for i, a := range ContractAddrs {
		g.pool = append(g.pool, crypto.CreateAddress(a, contractNonce[i]))
	}

	// Pre-state.
	big := new(uint256.Int).Mul(uint256.NewInt(1e18), uint256.NewInt(1_000_000))
	sender := Account{Address: SenderAddr, Nonce: senderNonce}
	sender.Balance = *big
	switch r.intn(32) {
	case 0:
		sender.Balance.SetUint64(uint64(r.byte()) << uint(r.intn(50)))
	case 1:
		if rules.Prague {
			sender.Code = append([]byte{0xef, 0x01, 0x00}, g.addr().Bytes()...) // delegated EOA
		} else {
			sender.Code = []byte{opSTOP}
		}
	}
	c.Pre = append(c.Pre, sender)
	ncontracts := 1 + r.intn(len(ContractAddrs))
	for i := range ncontracts {
		acc := Account{Address: ContractAddrs[i], Nonce: contractNonce[i]}
		acc.Balance.SetUint64([]uint64{0, 1, 1e18, uint64(r.byte())}[r.intn(4)])
		if (i == 0 && r.chance(1, 2)) || r.chance(1, 8) {
			acc.Code = g.driver()
		} else {
			acc.Code = g.program(0, 24)
		}
		if n := r.intn(4); n > 0 {
			acc.Storage = make(map[common.Hash]common.Hash)
			for range n {
				v := []uint64{1, 2, 0xffff}[r.intn(3)]
				acc.Storage[common.BigToHash(uint256.NewInt(uint64(g.slot())).ToBig())] = common.BigToHash(uint256.NewInt(v).ToBig())
			}
		}
		c.Pre = append(c.Pre, acc)
	}
	for _, a := range EmptyAddrs {
		if r.chance(1, 2) {
			acc := Account{Address: a}
			if r.chance(1, 4) {
				acc.Balance.SetUint64(1)
			}
			c.Pre = append(c.Pre, acc)
		}
	}
	if r.chance(1, 3) {
		// A delegation designator (plain code starting with 0xef before Prague).
		acc := Account{Address: DelegatedAddr, Nonce: 1}
		acc.Code = append([]byte{0xef, 0x01, 0x00}, g.addr().Bytes()...)
		c.Pre = append(c.Pre, acc)
	}
	for i, a := range AuthAddrs {
		if r.chance(1, 2) {
			acc := Account{Address: a, Nonce: uint64(r.intn(3))}
			acc.Balance.SetUint64(uint64(r.byte()) * 1e15)
			if r.chance(1, 3) {
				acc.Code = append([]byte{0xef, 0x01, 0x00}, ContractAddrs[i].Bytes()...)
			}
			c.Pre = append(c.Pre, acc)
		}
	}
	if r.chance(1, 4) {
		// A precompile or the coinbase present as an account.
		acc := Account{Address: precompileAddrs[r.intn(len(precompileAddrs))]}
		if r.chance(1, 2) {
			acc.Address = CoinbaseAddr
		}
		acc.Balance.SetUint64(uint64(r.intn(2)))
		c.Pre = append(c.Pre, acc)
	}
	if r.chance(1, 8) {
		// Funds (no code, no storage) at an address a CREATE will use.
		acc := Account{Address: g.pool[len(g.pool)-1-r.intn(len(ContractAddrs)+1)]}
		acc.Balance.SetUint64(7)
		if r.chance(1, 4) {
			acc.Nonce = 1 // collision
		}
		c.Pre = append(c.Pre, acc)
	}
	c.Pre = dedupe(c.Pre)

	// Transaction.
	tx := &c.Tx
	tx.From = SenderAddr
	tx.Nonce = senderNonce
	if r.chance(1, 24) {
		tx.Nonce = senderNonce + 1 - uint64(r.intn(2))*2 // too high or (when >0) too low
	}
	switch k := r.intn(16); {
	case k < 8:
		to := ContractAddrs[0]
		tx.To = &to
	case k < 11:
		to := ContractAddrs[r.intn(len(ContractAddrs))]
		tx.To = &to
	case k < 14:
		tx.Data = g.initCode(1)
	case k == 14:
		to := g.addr()
		tx.To = &to
	default:
		to := precompileAddrs[r.intn(len(precompileAddrs))]
		tx.To = &to
	}
	if tx.To != nil {
		switch r.intn(6) {
		case 0:
		case 1:
			tx.Data = r.bytes(32)
		case 2:
			tx.Data = r.bytes(r.intn(200))
		default:
			tx.Data = r.bytes(r.intn(8))
		}
	}
	switch r.intn(20) {
	case 0, 1, 2, 3, 4, 5, 6, 7, 8, 9:
	case 10, 11, 12, 13:
		tx.Value.SetUint64(1)
	case 14, 15, 16, 17, 18:
		tx.Value.SetUint64(uint64(r.byte()) * 1e15)
	default:
		tx.Value.Set(big) // all of it: not enough left for gas
	}
	tx.Gas = []uint64{100_000, 300_000, 500_000, 1_000_000, 1_000_000, 2_000_000, 200_000, 150_000}[r.intn(8)]
	if r.chance(1, 10) {
		tx.Gas = []uint64{21_000, 53_000, 30_000_001, 1<<24 + 1, 1 << 24, 21000 + uint64(r.intn(65536))}[r.intn(6)]
	}

	// Type and fees.
	var types_ []uint8
	types_ = append(types_, 0)
	if rules.Berlin {
		types_ = append(types_, 1)
	}
	if rules.London {
		types_ = append(types_, 2, 2)
	}
	if rules.Cancun {
		types_ = append(types_, 3)
	}
	if rules.Prague {
		types_ = append(types_, 4)
	}
	tx.Type = types_[r.intn(len(types_))]
	if r.chance(1, 64) {
		tx.Type = uint8(r.intn(5)) // maybe unsupported
	}
	price := e.BaseFee.Uint64() + []uint64{0, 1, 2, 10, 1000}[r.intn(5)]
	if r.chance(1, 20) {
		price = uint64(r.intn(12)) // maybe below the base fee
	}
	if tx.Type < 2 {
		tx.GasPrice.SetUint64(price)
	} else {
		tx.GasFeeCap.SetUint64(price)
		tx.GasTipCap.SetUint64([]uint64{0, 1, 2, price}[r.intn(4)])
		if r.chance(1, 20) {
			tx.GasTipCap.SetUint64(price + 1 + uint64(r.intn(4))) // above the fee cap
		}
	}
	if tx.Type >= 1 && r.chance(2, 3) {
		for range r.intn(3) {
			t := types.AccessTuple{Address: g.addr()}
			for range r.intn(3) {
				t.StorageKeys = append(t.StorageKeys, common.BigToHash(uint256.NewInt(uint64(g.slot())).ToBig()))
			}
			tx.AccessList = append(tx.AccessList, t)
		}
	}
	if tx.Type == 3 {
		if tx.To == nil {
			to := ContractAddrs[0]
			tx.To = &to
		}
		n := 1 + r.intn(3)
		if r.chance(1, 16) {
			n = r.intn(11)
		}
		for range n {
			h := common.BytesToHash(r.bytes(4))
			h[0] = 1
			if r.chance(1, 32) {
				h[0] = 2
			}
			tx.BlobHashes = append(tx.BlobHashes, h)
		}
		tx.BlobFeeCap.SetUint64([]uint64{1e9, 100, 1e9, 1, 0}[r.intn(5)])
	}
	if tx.Type == 4 {
		if tx.To == nil {
			to := ContractAddrs[0]
			tx.To = &to
		}
		n := 1 + r.intn(3)
		if r.chance(1, 32) {
			n = 0
		}
		for range n {
			tx.Auths = append(tx.Auths, g.auth(c))
		}
	}
	return c
}

// nonceOf returns the pre-state nonce at addr.
func (c *Case) nonceOf(addr common.Address) uint64 {
	for _, a := range c.Pre {
		if a.Address == addr {
			return a.Nonce
		}
	}
	return 0
}

// auth generates a signed EIP-7702 authorization.
func (g *gen) auth(c *Case) types.SetCodeAuthorization {
	r := g.r
	key := senderKey
	if k := r.intn(4); k < 2 {
		key = authKeys[k]
	}
	authority := crypto.PubkeyToAddress(key.PublicKey)
	a := types.SetCodeAuthorization{}
	a.ChainID.SetUint64([]uint64{1, 1, 0, 2}[r.intn(4)])
	switch r.intn(6) {
	case 0:
		// clear the delegation
	case 1:
		a.Address = precompileAddrs[r.intn(len(precompileAddrs))]
	case 2:
		a.Address = g.addr()
	default:
		a.Address = ContractAddrs[r.intn(len(ContractAddrs))]
	}
	a.Nonce = c.nonceOf(authority)
	if authority == SenderAddr {
		a.Nonce++ // the sender's nonce is bumped first
	}
	switch r.intn(10) {
	case 0:
		a.Nonce++
	case 1:
		a.Nonce = math.MaxUint64
	case 2:
		if a.Nonce > 0 {
			a.Nonce--
		}
	}
	signed, err := types.SignSetCode(key, a)
	if err != nil {
		panic(err)
	}
	switch r.intn(16) {
	case 0:
		signed.V = 2 + uint8(r.intn(30)) // invalid y-parity
	case 1:
		signed.S.Sub(new(uint256.Int).SetAllOne(), uint256.NewInt(uint64(r.byte()))) // s out of range
	case 2:
		signed.R.Clear()
	}
	return signed
}

// dedupe keeps the first account for each address.
func dedupe(accts []Account) []Account {
	seen := map[common.Address]bool{}
	out := accts[:0]
	for _, a := range accts {
		if !seen[a.Address] {
			seen[a.Address] = true
			out = append(out, a)
		}
	}
	return out
}

// Disasm renders code one instruction a line.
func Disasm(code []byte) string {
	var sb strings.Builder
	for pc := 0; pc < len(code); pc++ {
		op := code[pc]
		fmt.Fprintf(&sb, "%04x %s", pc, evm.OpName(op))
		if op >= opPUSH1 && op <= opPUSH1+31 {
			n := int(op-opPUSH1) + 1
			end := min(pc+1+n, len(code))
			fmt.Fprintf(&sb, " 0x%x", code[pc+1:end])
			pc += n
		}
		sb.WriteByte('\n')
	}
	return sb.String()
}

// String describes the case for failure reports.
func (c *Case) String() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "fork %s\n", c.Fork)
	e := &c.Env
	fmt.Fprintf(&sb, "env number=%d time=%d gasLimit=%d coinbase=%s difficulty=%s random=%s baseFee=%s excessBlobGas=%d\n",
		e.Number, e.Time, e.GasLimit, e.Coinbase, &e.Difficulty, e.Random, &e.BaseFee, e.ExcessBlobGas)
	for _, a := range c.Pre {
		fmt.Fprintf(&sb, "account %s nonce=%d balance=%s code=%x\n", a.Address, a.Nonce, &a.Balance, a.Code)
		for k, v := range a.Storage {
			fmt.Fprintf(&sb, "  storage %x = %x\n", k, v)
		}
	}
	t := &c.Tx
	to := "create"
	if t.To != nil {
		to = t.To.Hex()
	}
	fmt.Fprintf(&sb, "tx type=%d from=%s to=%s nonce=%d value=%s gas=%d gasPrice=%s feeCap=%s tipCap=%s data=%x\n",
		t.Type, t.From, to, t.Nonce, &t.Value, t.Gas, &t.GasPrice, &t.GasFeeCap, &t.GasTipCap, t.Data)
	for _, al := range t.AccessList {
		fmt.Fprintf(&sb, "  access %s %x\n", al.Address, al.StorageKeys)
	}
	if t.Type == 3 {
		fmt.Fprintf(&sb, "  blobFeeCap=%s blobHashes=%x\n", &t.BlobFeeCap, t.BlobHashes)
	}
	for _, a := range t.Auths {
		auth, err := a.Authority()
		fmt.Fprintf(&sb, "  auth chain=%s addr=%s nonce=%d authority=%s (%v)\n", &a.ChainID, a.Address, a.Nonce, auth, err)
	}
	return sb.String()
}
