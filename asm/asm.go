// Package asm is a small EVM assembler: a builder that appends opcodes and
// pushes, with named labels resolved when the program is assembled, and a
// few helpers for the patterns contracts need (function dispatch, Solidity
// mapping slots, returning a word, deployment init code).
//
//	p := asm.New()
//	p.Push(0).Label("loop") // sum
//	...
//	p.JumpI("loop")
//	code, err := p.Bytes()
//
// Errors (an unknown or duplicate label, a program too long for 2-byte jump
// targets, a push wider than 32 bytes) are collected while building and
// returned by Bytes; the builder never panics, except MustBytes.
package asm

import (
	"errors"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/holiman/uint256"
	"github.com/velarium/velarium/evm"
)

// Program is an EVM program being assembled. The zero value is not ready:
// use New.
type Program struct {
	code   []byte
	labels map[string]int
	refs   []ref
	errs   []error
}

// ref is a PUSH2 placeholder at pos waiting for a label's offset.
type ref struct {
	pos   int
	label string
}

// New returns an empty program.
func New() *Program { return &Program{labels: map[string]int{}} }

func (p *Program) errorf(format string, args ...any) {
	p.errs = append(p.errs, fmt.Errorf("asm: "+format, args...))
}

// Len returns the number of bytes emitted so far (the offset of the next
// instruction).
func (p *Program) Len() int { return len(p.code) }

// Op appends opcodes. Push opcodes given here take no immediate; use Push,
// PushBytes or Raw for those.
func (p *Program) Op(ops ...byte) *Program {
	for _, op := range ops {
		if op >= evm.PUSH1 && op <= evm.PUSH32 {
			p.errorf("Op(%s) at offset %d: push immediates need Push/PushBytes/Raw", evm.OpName(op), len(p.code))
		}
	}
	p.code = append(p.code, ops...)
	return p
}

// Raw appends bytes as they are.
func (p *Program) Raw(b ...byte) *Program {
	p.code = append(p.code, b...)
	return p
}

// Push pushes v with the smallest push: PUSH0 for 0, else PUSHn.
func (p *Program) Push(v uint64) *Program {
	return p.PushU256(new(uint256.Int).SetUint64(v))
}

// PushU256 pushes v with the smallest push.
func (p *Program) PushU256(v *uint256.Int) *Program {
	if v.IsZero() {
		p.code = append(p.code, evm.PUSH0)
		return p
	}
	b := v.Bytes()
	p.code = append(p.code, evm.PUSH1+byte(len(b)-1))
	p.code = append(p.code, b...)
	return p
}

// PushBig pushes a non-negative big integer below 2^256 with the smallest
// push.
func (p *Program) PushBig(v *big.Int) *Program {
	u, overflow := uint256.FromBig(v)
	if overflow || v.Sign() < 0 {
		p.errorf("PushBig(%v): not a 256-bit unsigned value", v)
		return p
	}
	return p.PushU256(u)
}

// PushBytes pushes the big-endian value b (at most 32 bytes) with the
// smallest push; leading zero bytes are dropped.
func (p *Program) PushBytes(b []byte) *Program {
	if len(b) > 32 {
		p.errorf("PushBytes: %d bytes, at most 32", len(b))
		return p
	}
	return p.PushU256(new(uint256.Int).SetBytes(b))
}

// PushHash pushes a 32-byte word (a topic hash, a slot).
func (p *Program) PushHash(h common.Hash) *Program { return p.PushBytes(h[:]) }

// PushAddr pushes an address.
func (p *Program) PushAddr(a common.Address) *Program { return p.PushBytes(a[:]) }

// Label defines name at the current offset and emits the JUMPDEST there.
func (p *Program) Label(name string) *Program {
	if name == "" {
		p.errorf("empty label name at offset %d", len(p.code))
	} else if _, dup := p.labels[name]; dup {
		p.errorf("label %q defined twice", name)
	} else {
		p.labels[name] = len(p.code)
	}
	p.code = append(p.code, evm.JUMPDEST)
	return p
}

// PushLabel pushes the offset of label name (always a PUSH2, resolved by
// Bytes; the label may be defined later).
func (p *Program) PushLabel(name string) *Program {
	p.refs = append(p.refs, ref{pos: len(p.code) + 1, label: name})
	p.code = append(p.code, evm.PUSH1+1, 0, 0)
	return p
}

// Jump jumps to label name.
func (p *Program) Jump(name string) *Program { return p.PushLabel(name).Op(evm.JUMP) }

// JumpI jumps to label name when the top of the stack is not zero (popping
// it).
func (p *Program) JumpI(name string) *Program { return p.PushLabel(name).Op(evm.JUMPI) }

// Bytes resolves the labels and returns the code, or every error met while
// building.
func (p *Program) Bytes() ([]byte, error) {
	errs := append([]error(nil), p.errs...)
	out := append([]byte(nil), p.code...)
	for _, r := range p.refs {
		off, ok := p.labels[r.label]
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("asm: undefined label %q (referenced at offset %d)", r.label, r.pos-1))
		case off > 0xffff:
			errs = append(errs, fmt.Errorf("asm: label %q at offset %d does not fit in PUSH2", r.label, off))
		default:
			out[r.pos], out[r.pos+1] = byte(off>>8), byte(off)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

// MustBytes is Bytes for programs known to be correct (package-level
// contract code); it panics on an error.
func (p *Program) MustBytes() []byte {
	b, err := p.Bytes()
	if err != nil {
		panic(err)
	}
	return b
}

// ---- helpers ----

// Selector returns the 4-byte function selector of a Solidity signature
// such as "transfer(address,uint256)", as a number.
func Selector(sig string) uint32 {
	h := crypto.Keccak256([]byte(sig))
	return uint32(h[0])<<24 | uint32(h[1])<<16 | uint32(h[2])<<8 | uint32(h[3])
}

// Calldata returns the calldata of a call to sig with 32-byte words as
// arguments.
func Calldata(sig string, words ...[]byte) []byte {
	s := Selector(sig)
	out := []byte{byte(s >> 24), byte(s >> 16), byte(s >> 8), byte(s)}
	for _, w := range words {
		out = append(out, common.LeftPadBytes(w, 32)...)
	}
	return out
}

// EventTopic returns the topic hash of an event signature such as
// "Transfer(address,address,uint256)".
func EventTopic(sig string) common.Hash { return crypto.Keccak256Hash([]byte(sig)) }

// MapSlot returns the storage slot of key in a Solidity mapping declared at
// slot index: keccak256(pad32(key) . pad32(index)).
func MapSlot(key common.Hash, index uint64) common.Hash {
	var buf [64]byte
	copy(buf[:32], key[:])
	new(uint256.Int).SetUint64(index).WriteToSlice(buf[32:])
	return crypto.Keccak256Hash(buf[:])
}

// AddrMapSlot is MapSlot for an address key (left-padded to 32 bytes).
func AddrMapSlot(a common.Address, index uint64) common.Hash {
	return MapSlot(common.BytesToHash(a[:]), index)
}

// Selector pushes the calldata's 4-byte function selector:
// calldata[0:32] >> 224.
func (p *Program) Selector() *Program {
	return p.Op(evm.PUSH0, evm.CALLDATALOAD).Push(0xe0).Op(evm.SHR)
}

// Dispatch jumps to label when the selector on top of the stack equals sel
// (the selector stays on the stack).
func (p *Program) Dispatch(sel uint32, label string) *Program {
	return p.Op(evm.DUP1).Push(uint64(sel)).Op(evm.EQ).JumpI(label)
}

// Arg pushes the i-th 32-byte argument of the call (calldata[4+32i:]).
func (p *Program) Arg(i int) *Program {
	return p.Push(uint64(4 + 32*i)).Op(evm.CALLDATALOAD)
}

// MappingSlot replaces the key on top of the stack with its slot in the
// mapping declared at slot index, keccak256(key . index), using memory
// 0..64 as scratch.
func (p *Program) MappingSlot(index uint64) *Program {
	p.Op(evm.PUSH0, evm.MSTORE) // mem[0:32] = key
	p.Push(index).Push(32).Op(evm.MSTORE)
	return p.Push(64).Op(evm.PUSH0, evm.KECCAK256)
}

// Revert reverts with no data.
func (p *Program) Revert() *Program { return p.Op(evm.PUSH0, evm.PUSH0, evm.REVERT) }

// ReturnWord returns the word on top of the stack (via memory 0..32).
func (p *Program) ReturnWord() *Program {
	return p.Op(evm.PUSH0, evm.MSTORE).Push(32).Op(evm.PUSH0, evm.RETURN)
}

// Deploy returns init code that returns runtime as the contract's code:
// PUSH4 len, DUP1, PUSH1 12, PUSH0, CODECOPY, PUSH0, RETURN, runtime.
func Deploy(runtime []byte) []byte {
	const header = 12
	n := len(runtime)
	out := make([]byte, 0, header+n)
	out = append(out, evm.PUSH1+3, byte(n>>24), byte(n>>16), byte(n>>8), byte(n),
		evm.DUP1, evm.PUSH1, header, evm.PUSH0, evm.CODECOPY, evm.PUSH0, evm.RETURN)
	return append(out, runtime...)
}

// DUP returns the opcode DUPn (1 <= n <= 16).
func DUP(n int) byte { return evm.DUP1 + byte(n-1) }

// SWAP returns the opcode SWAPn (1 <= n <= 16).
func SWAP(n int) byte { return evm.SWAP1 + byte(n-1) }

// LOG returns the opcode LOGn (0 <= n <= 4).
func LOG(n int) byte { return evm.LOG0 + byte(n) }

// Dup appends DUPn (1 <= n <= 16).
func (p *Program) Dup(n int) *Program {
	if n < 1 || n > 16 {
		p.errorf("DUP%d at offset %d: n must be 1..16", n, len(p.code))
		return p
	}
	return p.Op(DUP(n))
}

// Swap appends SWAPn (1 <= n <= 16).
func (p *Program) Swap(n int) *Program {
	if n < 1 || n > 16 {
		p.errorf("SWAP%d at offset %d: n must be 1..16", n, len(p.code))
		return p
	}
	return p.Op(SWAP(n))
}

// Log appends LOGn (0 <= n <= 4).
func (p *Program) Log(n int) *Program {
	if n < 0 || n > 4 {
		p.errorf("LOG%d at offset %d: n must be 0..4", n, len(p.code))
		return p
	}
	return p.Op(LOG(n))
}
