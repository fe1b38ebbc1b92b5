// Package mv is Velarium's multi-version state: the state of one batch of
// ordered transactions, split into elements (an account's balance; its
// nonce, code and existence; each storage slot; whether its storage was
// cleared). Each element keeps the versions written by transaction index and
// the transactions that read it, with the value each one saw.
//
// The one rule: a read by transaction i is valid while it equals what the
// highest write below i (plus any commutative credits in between) gives.
// The element checks this itself whenever a write is added, changed or
// removed, and reports the readers whose value changed: no pass over read
// sets. Equal values invalidate nothing.
//
// The package is a deterministic data structure: no goroutines, clocks or
// randomness. Callers serialise access.
package mv

import (
	"sort"

	"github.com/ethereum/go-ethereum/common"
	"github.com/holiman/uint256"
	"github.com/velarium/velarium/state"
)

// Kind is the kind of a state element.
type Kind uint8

const (
	// Account: nonce, code hash and existence of an account.
	Account Kind = iota
	// Balance of an account; may receive commutative credits.
	Balance
	// Slot: one storage slot.
	Slot
	// Cleared: the account's storage was reset (created or destroyed); a
	// write here hides every slot written below it.
	Cleared
)

// Key names one element.
type Key struct {
	Kind Kind
	Addr common.Address
	Slot common.Hash
}

// Value is an element's value; which fields count depends on the kind.
type Value struct {
	Exists   bool        // Account
	Nonce    uint64      // Account
	CodeHash common.Hash // Account
	Balance  uint256.Int // Balance
	Word     common.Hash // Slot
	Gen      uint64      // Cleared: number of resets so far
}

// KeyWrite is a write to one element.
type KeyWrite struct {
	Key   Key
	Write Write
}

// Write is one transaction's effect on one element: a new value, or (for
// balances) a credit added to whatever is below.
type Write struct {
	Val    Value
	Credit bool // Val.Balance is an amount to add, not a value
}

type version struct {
	tx int
	w  Write
}

type element struct {
	key      Key
	base     Value
	haveBase bool
	versions []version // ascending by tx
	readers  []reader
}

type reader struct {
	tx int
	v  Value
}

// Store is the multi-version state of one batch over a base source.
type Store struct {
	base  state.Source
	elems map[Key]*element
	codes map[common.Hash][]byte
	// reads[tx] lists the elements tx read in its current run.
	reads [][]*element
	// written[tx] lists the keys tx wrote in its last finished run.
	written [][]Key
	// pending[tx] marks writers whose writes are estimates: the
	// transaction is running again and may change them.
	pending []bool
	// Conflicts counts, per element, the readers it invalidated and the
	// reads that had to wait for one of its pending writers.
	Conflicts map[Key]*ConflictCount
	// Hot lists the elements whose change invalidated readers in the last
	// call of Finish (for the learned layer of scheduling).
	Hot []Key
}

// ConflictCount is how often one element caused a conflict.
type ConflictCount struct{ Invalidations, Waits int }

func (s *Store) conflict(k Key) *ConflictCount {
	c := s.Conflicts[k]
	if c == nil {
		c = &ConflictCount{}
		s.Conflicts[k] = c
	}
	return c
}

// New returns an empty store over base.
func New(base state.Source) *Store {
	return &Store{base: base, elems: make(map[Key]*element), codes: make(map[common.Hash][]byte),
		Conflicts: make(map[Key]*ConflictCount)}
}

// grow makes the per-transaction tables cover tx.
func (s *Store) grow(tx int) {
	for len(s.pending) <= tx {
		s.pending = append(s.pending, false)
		s.reads = append(s.reads, nil)
		s.written = append(s.written, nil)
	}
}

func (s *Store) isPending(tx int) bool { return tx < len(s.pending) && s.pending[tx] }

func (s *Store) elem(k Key) *element {
	e := s.elems[k]
	if e == nil {
		e = &element{key: k}
		s.elems[k] = e
	}
	return e
}

func (s *Store) loadBase(e *element) error {
	if e.haveBase {
		return nil
	}
	var v Value
	switch e.key.Kind {
	case Account, Balance:
		a, ok, err := s.base.Account(e.key.Addr)
		if err != nil {
			return err
		}
		if e.key.Kind == Balance {
			v = Value{Balance: a.Balance}
			break
		}
		v = Value{Exists: ok, Nonce: a.Nonce, CodeHash: a.CodeHash}
		if !ok || v.CodeHash == (common.Hash{}) {
			v.CodeHash = state.EmptyCodeHash
		}
	case Slot:
		h, err := s.base.Storage(e.key.Addr, e.key.Slot)
		if err != nil {
			return err
		}
		v.Word = h
	case Cleared:
	}
	e.base, e.haveBase = v, true
	return nil
}

// below returns the index in e.versions of the highest version below tx, or -1.
func (e *element) below(tx int) int {
	i := sort.Search(len(e.versions), func(i int) bool { return e.versions[i].tx >= tx })
	return i - 1
}

// Blocker is a transaction whose pending write a reader would depend on.
type Blocker struct {
	Tx int
}

// valueAt computes what tx should see of e. blocker >= 0 names a pending
// writer the value depends on. A slot's value is zero when its account's
// storage was cleared above the slot's last write.
func (s *Store) valueAt(e *element, tx int) (Value, int, error) {
	if e.key.Kind == Slot {
		if ce := s.elems[Key{Kind: Cleared, Addr: e.key.Addr}]; ce != nil {
			if j := ce.below(tx); j >= 0 {
				cw := ce.versions[j].tx
				if s.isPending(cw) {
					return Value{}, cw, nil
				}
				if i := e.below(tx); i < 0 || e.versions[i].tx < cw {
					return Value{}, -1, nil
				}
			}
		}
	}
	i := e.below(tx)
	var sum uint256.Int
	credits := false
	for ; i >= 0; i-- {
		v := &e.versions[i]
		if s.isPending(v.tx) {
			return Value{}, v.tx, nil
		}
		if !v.w.Credit {
			out := v.w.Val
			if credits {
				out.Balance.Add(&out.Balance, &sum)
			}
			return out, -1, nil
		}
		sum.Add(&sum, &v.w.Val.Balance)
		credits = true
	}
	if err := s.loadBase(e); err != nil {
		return Value{}, -1, err
	}
	out := e.base
	if credits {
		out.Balance.Add(&out.Balance, &sum)
	}
	return out, -1, nil
}

// Read returns the value of k that tx should see and registers tx as its
// reader. When the value depends on a pending write, it returns the
// writer's index (>= 0) and registers nothing: the caller parks tx.
func (s *Store) Read(tx int, k Key) (Value, int, error) {
	e := s.elem(k)
	v, blk, err := s.valueAt(e, tx)
	if blk >= 0 {
		s.conflict(k).Waits++
	}
	if err != nil || blk >= 0 {
		return v, blk, err
	}
	if n := len(e.readers); n > 0 && e.readers[n-1].tx == tx {
		e.readers[n-1].v = v // read again in the same run
		return v, -1, nil
	}
	s.grow(tx)
	e.readers = append(e.readers, reader{tx: tx, v: v})
	s.reads[tx] = append(s.reads[tx], e)
	return v, -1, nil
}

// Code returns code by hash: written in this batch or from the base.
func (s *Store) Code(addr common.Address, hash common.Hash) ([]byte, error) {
	if c, ok := s.codes[hash]; ok {
		return c, nil
	}
	return s.base.Code(addr, hash)
}

// ClearReads forgets every read of tx (before it runs again).
func (s *Store) ClearReads(tx int) {
	if tx >= len(s.reads) {
		return
	}
	for _, e := range s.reads[tx] {
		rs := e.readers[:0]
		for _, r := range e.readers {
			if r.tx != tx {
				rs = append(rs, r)
			}
		}
		clear(e.readers[len(rs):])
		e.readers = rs
	}
	s.reads[tx] = s.reads[tx][:0]
}

// MarkPending turns tx's writes into estimates: readers above will park
// until Finish replaces them.
func (s *Store) MarkPending(tx int) {
	if tx < len(s.written) && len(s.written[tx]) > 0 {
		s.pending[tx] = true
	}
}

// IsPending reports whether tx's writes are estimates.
func (s *Store) IsPending(tx int) bool { return s.isPending(tx) }

// Finish records the writes of tx's finished run (replacing those of its
// previous run) and returns, ascending, the transactions above tx whose
// registered reads no longer hold (the one rule). Their reads are cleared.
func (s *Store) Finish(tx int, writes []KeyWrite, codes map[common.Hash][]byte) []int {
	for h, c := range codes {
		s.codes[h] = c
	}
	s.grow(tx)
	s.pending[tx] = false
	changed := make(map[*element]bool)
	var set map[Key]bool
	if len(writes) > 16 {
		set = make(map[Key]bool, len(writes))
		for _, kw := range writes {
			set[kw.Key] = true
		}
	}
	has := func(k Key) bool {
		if set != nil {
			return set[k]
		}
		for _, kw := range writes {
			if kw.Key == k {
				return true
			}
		}
		return false
	}
	for _, k := range s.written[tx] {
		if !has(k) {
			e := s.elems[k]
			i := e.below(tx + 1)
			if i >= 0 && e.versions[i].tx == tx {
				e.versions = append(e.versions[:i], e.versions[i+1:]...)
				changed[e] = true
			}
		}
	}
	keys := s.written[tx][:0]
	for _, kw := range writes {
		k, w := kw.Key, kw.Write
		e := s.elem(k)
		i := e.below(tx + 1)
		// A write of the value already below tx is no write at all: tx read
		// this element before writing it (every write follows a read of the
		// same element in the EVM), so if a lower transaction changes it, tx
		// itself is invalidated. Dropping it keeps readers above tx from
		// depending on tx, and spares a scan of its readers.
		if !w.Credit {
			if below, blk, err := s.valueAt(e, tx); err == nil && blk < 0 && below == w.Val {
				if i >= 0 && e.versions[i].tx == tx {
					e.versions = append(e.versions[:i], e.versions[i+1:]...)
					changed[e] = true
				}
				continue
			}
		}
		keys = append(keys, k)
		if i >= 0 && e.versions[i].tx == tx {
			if e.versions[i].w != w {
				e.versions[i].w = w
				changed[e] = true
			}
			continue
		}
		e.versions = append(e.versions, version{})
		copy(e.versions[i+2:], e.versions[i+1:])
		e.versions[i+1] = version{tx: tx, w: w}
		changed[e] = true
	}
	s.written[tx] = keys
	var out []int
	s.Hot = s.Hot[:0]
	seen := make(map[int]bool)
	elems := make([]*element, 0, len(changed))
	for e := range changed {
		elems = append(elems, e)
	}
	sort.Slice(elems, func(i, j int) bool { return keyLess(elems[i].key, elems[j].key) })
	for _, e := range elems {
		for _, rd := range e.readers {
			r := rd.tx
			if r <= tx || seen[r] {
				continue
			}
			now, blk, err := s.valueAt(e, r)
			if err != nil || blk >= 0 || now != rd.v {
				seen[r] = true
				out = append(out, r)
				s.conflict(e.key).Invalidations++
				if n := len(s.Hot); n == 0 || s.Hot[n-1] != e.key {
					s.Hot = append(s.Hot, e.key)
				}
			}
		}
	}
	sort.Ints(out)
	for _, r := range out {
		s.ClearReads(r)
	}
	return out
}

// Writers returns the transactions that wrote k, ascending (for reports).
func (s *Store) Writers(k Key) []int {
	e := s.elems[k]
	if e == nil {
		return nil
	}
	out := make([]int, len(e.versions))
	for i, v := range e.versions {
		out[i] = v.tx
	}
	return out
}

// Sources returns the transactions whose writes make the value of k that
// tx sees: the last full write below tx and every credit above it (and, for
// a slot, the storage reset that hides older writes). For critical paths.
func (s *Store) Sources(tx int, k Key) []int {
	var out []int
	if e := s.elems[k]; e != nil {
		for i := e.below(tx); i >= 0; i-- {
			v := &e.versions[i]
			out = append(out, v.tx)
			if !v.w.Credit {
				break
			}
		}
	}
	if k.Kind == Slot {
		if ce := s.elems[Key{Kind: Cleared, Addr: k.Addr}]; ce != nil {
			if j := ce.below(tx); j >= 0 {
				out = append(out, ce.versions[j].tx)
			}
		}
	}
	return out
}

// String names an element for reports.
func (k Key) String() string {
	switch k.Kind {
	case Account:
		return k.Addr.Hex() + " account"
	case Balance:
		return k.Addr.Hex() + " balance"
	case Slot:
		return k.Addr.Hex() + " slot " + k.Slot.Hex()
	default:
		return k.Addr.Hex() + " storage-reset"
	}
}

func keyLess(a, b Key) bool {
	if a.Kind != b.Kind {
		return a.Kind < b.Kind
	}
	if c := bytesCompare(a.Addr[:], b.Addr[:]); c != 0 {
		return c < 0
	}
	return bytesCompare(a.Slot[:], b.Slot[:]) < 0
}

func bytesCompare(a, b []byte) int {
	for i := range a {
		if a[i] != b[i] {
			if a[i] < b[i] {
				return -1
			}
			return 1
		}
	}
	return 0
}

// Predict declares that tx will write keys (known structure: a sender's
// nonce and balance, a value transfer's recipient). Until tx finishes,
// readers above it wait instead of speculating on older values.
func (s *Store) Predict(tx int, keys ...Key) {
	for _, k := range keys {
		e := s.elem(k)
		i := e.below(tx + 1)
		if i >= 0 && e.versions[i].tx == tx {
			continue
		}
		e.versions = append(e.versions, version{})
		copy(e.versions[i+2:], e.versions[i+1:])
		e.versions[i+1] = version{tx: tx}
		s.grow(tx)
		s.written[tx] = append(s.written[tx], k)
	}
	if len(keys) > 0 {
		s.grow(tx)
		s.pending[tx] = true
	}
}
