package evm

import "github.com/holiman/uint256"

const stackLimit = 1024

// stack is a fixed-size EVM operand stack. Bounds are checked once per op
// against the op table, so push and pop do no checks of their own.
type stack struct {
	data [stackLimit]uint256.Int
	sp   int
}

func (s *stack) push(v *uint256.Int)     { s.data[s.sp] = *v; s.sp++ }
func (s *stack) pushU64(v uint64)        { s.data[s.sp].SetUint64(v); s.sp++ }
func (s *stack) pop() *uint256.Int       { s.sp--; return &s.data[s.sp] }
func (s *stack) peek() *uint256.Int      { return &s.data[s.sp-1] }
func (s *stack) back(n int) *uint256.Int { return &s.data[s.sp-1-n] }

// memory is a frame's byte-addressed memory, grown in 32-byte words.
type memory struct {
	store   []byte
	lastGas uint64 // total expansion gas paid so far
}

// memoryGas returns the total cost of a memory of words words (Yellow Paper: 3w + w²/512).
func memoryGas(words uint64) uint64 { return words*3 + words*words/512 }

// maxMemWords bounds memory far beyond anything gas can pay for, so the
// quadratic formula cannot overflow.
const maxMemWords = 0x1FFFFFFFE0 / 32

// expandCost returns the gas to grow memory to cover [off, off+size) and
// whether that is possible at all (false: an offset past 2^64 or a size no
// gas limit can pay, which is an out-of-gas failure).
func (m *memory) expandCost(off, size uint64) (uint64, bool) {
	if size == 0 {
		return 0, true
	}
	end := off + size
	if end < off || end > maxMemWords*32 {
		return 0, false
	}
	words := (end + 31) / 32
	if words*32 <= uint64(len(m.store)) {
		return 0, true
	}
	return memoryGas(words) - m.lastGas, true
}

// resize grows memory to cover [off, off+size); the caller has paid for it.
func (m *memory) resize(off, size uint64) {
	if size == 0 {
		return
	}
	words := (off + size + 31) / 32
	n := words * 32
	if n <= uint64(len(m.store)) {
		return
	}
	m.lastGas = memoryGas(words)
	if n <= uint64(cap(m.store)) {
		old := len(m.store)
		m.store = m.store[:n]
		clear(m.store[old:])
		return
	}
	ns := make([]byte, n, n*2)
	copy(ns, m.store)
	m.store = ns
}

// set32 writes v as a 32-byte big-endian word at off (already expanded).
func (m *memory) set32(off uint64, v *uint256.Int) {
	v.PutUint256(m.store[off : off+32])
}

// setPadded copies src[srcOff:srcOff+size] to memory at off, zero-filling
// past the end of src. Memory must already cover [off, off+size).
func (m *memory) setPadded(off, size uint64, src []byte, srcOff uint64) {
	if size == 0 {
		return
	}
	dst := m.store[off : off+size]
	if srcOff >= uint64(len(src)) {
		clear(dst)
		return
	}
	n := copy(dst, src[srcOff:])
	clear(dst[n:])
}

func (m *memory) reset() {
	m.store = m.store[:0]
	m.lastGas = 0
}
