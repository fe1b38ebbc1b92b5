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
// randomness. Concurrency contract: reads (Read, ReadAccount, ReadSlot,
// ObserveBalance, Code) may run from many goroutines at once and with the
// writing calls; FinishWith calls for different transactions may run
// concurrently (each with its own FinishBuf), as may Predict for a
// transaction that has not started, while the calls for one transaction
// are serialised by the caller (Finish, on the store's own buffers, one
// at a time); the flags (MarkPending, Begin, Current) are atomic and may
// be called at any time, SetCommitted too, its calls serialised by the
// caller (with a k that only grows), and after the Finish of every
// transaction below k; the reporting calls (Diff, DiffAt,
// Sources, Conflicts) must run alone. Elements are guarded per shard (an
// account's own elements share one; its slots are spread by slot), which
// is all the one rule needs: its check is local to the element.
package mv

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"slices"
	"sort"
	"sync"
	"sync/atomic"

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

// Value is an element's value; which fields count depends on the kind. It
// is kept small (48 bytes): every version and every registered reader holds
// one.
type Value struct {
	Exists bool        // Account
	Nonce  uint64      // Account: the nonce; Cleared: number of resets so far
	Word   common.Hash // Account: the code hash; Balance: the balance, big-endian; Slot: the word
}

// BalanceValue returns the value of a Balance element holding b.
func BalanceValue(b *uint256.Int) Value { return Value{Word: b.Bytes32()} }

// Balance returns the balance a Balance element's value holds.
func (v *Value) Balance() uint256.Int {
	var b uint256.Int
	b.SetBytes32(v.Word[:])
	return b
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
	Credit bool // Val holds an amount to add to the balance, not a value
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
	// On an Account element: the account's Balance and Cleared elements,
	// once they exist (each is created with its Account element, so
	// reading an account's elements takes one look-up, and the diff
	// reaches every account from its Account element).
	bal, cleared *element
	// On a Balance element with many versions: those of final
	// transactions folded into the value they lead to (see fold). Kept
	// when the element is reused; nil until needed.
	fold *folded
	// Most elements have one version and a reader or two: their first
	// ones live here, without allocations of their own.
	vbuf [1]version
	rbuf [2]reader
}

type reader struct {
	tx, inc int
	v       Value
	kind    readKind
}

// readKind is what a reader depends on: the exact value, or a predicate
// on it, invalidated only when the predicate stops holding.
type readKind uint8

const (
	readExact readKind = iota
	// readAtLeast: a reader of a Balance element (BalanceAtLeast) that saw
	// "v <= balance < 2^255" hold.
	readAtLeast
	// readNonceClass: a reader of an Account element (ReadAccountLazy for
	// a state.NonceSource) that depends on its existence and code hash and
	// on whether its nonce is zero, not on the nonce's value.
	readNonceClass
)

// holds reports whether a reader that saw rd.v would see the same in now.
func (rd *reader) holds(now *Value) bool {
	switch rd.kind {
	case readAtLeast:
		return atLeast(now, rd.v)
	case readNonceClass:
		return sameNonceClass(now, &rd.v)
	}
	return *now == rd.v
}

// sameNonceClass reports whether two Account values agree on existence
// and code hash, and on whether the nonce is zero.
func sameNonceClass(a, b *Value) bool {
	return a.Exists == b.Exists && a.Word == b.Word && (a.Nonce == 0) == (b.Nonce == 0)
}

const nShards = 64

// Shards is the number of shards of a store: DiffPart walks at most this
// many parts in parallel.
const Shards = nShards

type shard struct {
	mu        sync.Mutex
	slabs     [][]element // element storage, reused across batches
	used      int         // elements handed out from slabs
	elems     map[Key]*element
	conflicts map[Key]*ConflictCount
	// Two workers locking neighbouring shards must not write one cache
	// line (two lines: the adjacent-line prefetcher pairs them).
	_ [128 - 56]byte
}

// Store is the multi-version state of one batch over a base source.
//
// Its fields are grouped by who writes them: what is set up per batch and
// then only read (by every worker, on every access), the scratch of the
// serialised writing calls, and the atomics written while workers run, in
// cache lines of their own so that a write of one group does not evict
// the other groups from the other cores.
type Store struct {
	// Set up by New; read by every access.
	base   state.Source
	shards [nShards]shard
	n      int
	// inc[tx] is tx's current incarnation: readers registered by older
	// ones are stale and ignored (and pruned when met).
	inc []atomic.Int32
	// pending[tx]: tx's writes are estimates (it runs again).
	pending []atomic.Bool
	// sinkBal is the fee sink's balance element (SetFeeSink), or nil.
	sinkBal *element
	// fees[tx] is tx's credit to the fee sink (written by tx's Finish);
	// feeSum[k] is the sum of fees[0..k-1] and feeN[k] the number of
	// them that are not zero, both filled up to the final prefix
	// (committed) by SetCommitted.
	fees   []uint256.Int
	feeSum []uint256.Int
	feeN   []int32

	_ [64]byte

	// Written by the writing calls (Finish, Predict).

	// written[tx] lists the elements tx wrote in its last finished run (or
	// predicted); only calls for tx touch it.
	written [][]*element
	// Hot lists the elements whose change invalidated readers in the last
	// call of Finish (for the learned layer of scheduling).
	Hot     []Key
	fb      FinishBuf         // Finish's buffers
	parts   [nShards]DiffPart // DiffPart's outputs, reused batch after batch
	elemBuf []*element        // backs the first keysPerTx entries of each written list

	codesMu sync.RWMutex
	codes   map[common.Hash][]byte

	_ [64]byte

	// Written while workers run, read by their accesses.

	// committed is the length of the final prefix (see SetCommitted).
	committed atomic.Int64
	// nCleared counts the storage-reset versions in the batch (see lockKey).
	nCleared atomic.Int64
	// nCodes counts the codes deployed in the batch: while it is 0 (nearly
	// always) Code goes to the base without taking codesMu, whose read
	// lock would be a write to a shared line on every code read.
	nCodes atomic.Int64

	_ [64]byte
}

// maxKeptElems bounds the elements of one shard a released store keeps.
const maxKeptElems = 1 << 14

// ConflictCount is how often one element caused a conflict.
type ConflictCount struct{ Invalidations, Waits int }

// New returns an empty store over base for a batch of n transactions.
func New(base state.Source, n int) *Store {
	s := getStore()
	s.base, s.n = base, n
	s.inc = resize(s.inc, n)
	s.pending = resize(s.pending, n)
	s.sinkBal = nil
	s.written = resize(s.written, n)
	// Each transaction's list of written elements starts in one shared
	// array (not cleared: the lists start empty).
	if cap(s.elemBuf) < keysPerTx*n {
		s.elemBuf = make([]*element, keysPerTx*n)
	}
	for i := range s.written {
		s.written[i] = s.elemBuf[i*keysPerTx : i*keysPerTx : (i+1)*keysPerTx]
	}
	// A transaction touches a handful of elements; sizing the maps for
	// that up front spares their growth.
	hint := (elemsPerTx*n + nShards - 1) / nShards
	for i := range s.shards {
		if s.shards[i].elems == nil {
			s.shards[i].elems = make(map[Key]*element, hint)
			s.shards[i].conflicts = make(map[Key]*ConflictCount)
		}
	}
	return s
}

// keysPerTx is the room for written keys each transaction starts with.
const keysPerTx = 8

// Released stores are kept in a short free list rather than a sync.Pool:
// a pool empties at every second GC, and with a small heap the GC runs
// every block or two, so the next batch would rebuild the maps and
// element slabs from scratch (about 100 KiB for 500 ERC-20 transfers)
// and bring the following GC closer. A parallel run's GC work lands on
// the workers' own cores, while serial execution leaves it a spare one.
var spare struct {
	mu     sync.Mutex
	stores []*Store
}

// maxSpareStores bounds the released stores kept (one per batch running
// at once; a process runs one or two).
const maxSpareStores = 2

func getStore() *Store {
	spare.mu.Lock()
	defer spare.mu.Unlock()
	if n := len(spare.stores); n > 0 {
		s := spare.stores[n-1]
		spare.stores[n-1] = nil
		spare.stores = spare.stores[:n-1]
		return s
	}
	return &Store{codes: make(map[common.Hash][]byte)}
}

func putStore(s *Store) {
	spare.mu.Lock()
	defer spare.mu.Unlock()
	if len(spare.stores) < maxSpareStores {
		spare.stores = append(spare.stores, s)
	}
}

// resize returns a zeroed slice of length n, reusing buf's array when it
// is large enough.
func resize[T any](buf []T, n int) []T {
	if cap(buf) < n {
		return make([]T, n)
	}
	buf = buf[:n]
	clear(buf)
	return buf
}

// Release empties s and keeps it (its maps, elements and arrays) for a
// later New. Nothing obtained from s may be used afterwards; what Diff,
// DiffAt and Conflicts returned are copies and stay valid.
func (s *Store) Release() {
	for i := range s.shards {
		sh := &s.shards[i]
		if len(sh.elems) > maxKeptElems {
			sh.elems = nil
			sh.conflicts = nil
			sh.slabs, sh.used = nil, 0
			continue
		}
		clear(sh.elems)
		clear(sh.conflicts)
		sh.used = 0 // elem resets elements as it hands them out again
	}
	clear(s.codes)
	clear(s.written)
	s.base, s.sinkBal = nil, nil
	s.Hot = s.Hot[:0]
	s.fb.reset()
	s.committed.Store(0)
	s.nCleared.Store(0)
	s.nCodes.Store(0)
	putStore(s)
}

func shardOf(a common.Address) int { return int(a[19]^a[0]) % nShards }

// shard returns the shard of an account's non-slot elements (account,
// balance, storage reset).
func (s *Store) shard(a common.Address) *shard { return &s.shards[shardOf(a)] }

// shardIndex returns the index of the shard holding k: slots are spread
// by slot, so that a hot contract's storage is not one lock; everything
// else by address.
func shardIndex(k Key) int {
	if k.Kind == Slot {
		return int(k.Addr[19]^k.Slot[31]^k.Slot[0]) % nShards
	}
	return shardOf(k.Addr)
}

// shardFor returns the shard holding k.
func (s *Store) shardFor(k Key) *shard { return &s.shards[shardIndex(k)] }

// lockKey locks what reading or writing k needs: its shard and, for a
// slot while some storage reset is recorded in the batch, its account's
// shard too (to consult the storage-reset element), in index order so that
// two lockers never wait on each other. ash is nil when the account's shard
// is not locked: the slot's value cannot depend on a reset then. While no
// reset exists (nearly always), a contract's slots share no lock with its
// account, so reads of a hot contract's storage do not queue on one lock.
//
// Why reading without the reset element is safe: nCleared is read under
// the slot's lock, and a Finish that records a reset raises nCleared first
// and then re-checks every slot of that account under each slot's lock
// (rescanSlots). A read either sees the raised count, or is registered
// before that re-check and is invalidated by it if its value changed.
func (s *Store) lockKey(k Key) (sh, ash *shard) {
	i := shardIndex(k)
	sh = &s.shards[i]
	sh.mu.Lock()
	if k.Kind != Slot || s.nCleared.Load() == 0 {
		return sh, nil
	}
	sh.mu.Unlock()
	return s.lockPair(i, shardOf(k.Addr))
}

// lockPair locks shards i and j (in index order).
func (s *Store) lockPair(i, j int) (sh, ash *shard) {
	sh, ash = &s.shards[i], &s.shards[j]
	switch {
	case i == j:
		sh.mu.Lock()
	case i < j:
		sh.mu.Lock()
		ash.mu.Lock()
	default:
		ash.mu.Lock()
		sh.mu.Lock()
	}
	return sh, ash
}

func (s *Store) unlockKey(sh, ash *shard) {
	sh.mu.Unlock()
	if ash != nil && ash != sh {
		ash.mu.Unlock()
	}
}

// elemsPerTx is the number of elements a typical transaction touches (a
// sender's account and balance, a recipient, a few slots, the coinbase).
const elemsPerTx = 6

// slabSize is how many elements a shard allocates at once.
const slabSize = 32

// elem returns the element for k; the caller holds k's shard lock.
func (sh *shard) elem(k Key) *element {
	if e := sh.elems[k]; e != nil {
		return e
	}
	if k.Kind == Balance || k.Kind == Cleared {
		return sh.accountElem(k.Addr).linked(sh, k.Kind)
	}
	return sh.newElem(k)
}

// accountElem returns addr's Account element (in its shard, locked).
func (sh *shard) accountElem(addr common.Address) *element {
	k := Key{Kind: Account, Addr: addr}
	if e := sh.elems[k]; e != nil {
		return e
	}
	return sh.newElem(k)
}

// linked returns the Balance or Cleared element of the account whose
// Account element is a, creating it if needed (the caller holds sh, the
// account's shard).
func (a *element) linked(sh *shard, kind Kind) *element {
	p := &a.bal
	if kind == Cleared {
		p = &a.cleared
	}
	if *p == nil {
		*p = sh.newElem(Key{Kind: kind, Addr: a.key.Addr})
	}
	return *p
}

// newElem adds an element for k (not in the shard yet).
func (sh *shard) newElem(k Key) *element {
	j := sh.used / slabSize
	if j == len(sh.slabs) {
		sh.slabs = append(sh.slabs, make([]element, slabSize))
	}
	e := &sh.slabs[j][sh.used%slabSize]
	sh.used++
	// A reused element keeps its old inline buffers' contents: only
	// what the fields' lengths expose counts.
	e.key, e.base, e.haveBase = k, Value{}, false
	// A reused element keeps the arrays its versions and readers grew
	// into (a contract that every transaction calls has a reader per
	// transaction): the next batch's hot elements reuse them.
	e.versions = e.versions[:0]
	if e.versions == nil {
		e.versions = e.vbuf[:0]
	}
	e.readers = e.readers[:0]
	if e.readers == nil {
		e.readers = e.rbuf[:0]
	}
	e.bal, e.cleared = nil, nil
	if e.fold != nil {
		e.fold.n = 0
	}
	sh.elems[k] = e
	return e
}

// clearedElem returns addr's Cleared element, or nil (addr's shard is
// locked or used alone).
func (sh *shard) clearedElem(addr common.Address) *element {
	if a := sh.elems[Key{Kind: Account, Addr: addr}]; a != nil {
		return a.cleared
	}
	return nil
}

func (sh *shard) conflict(k Key) *ConflictCount {
	c := sh.conflicts[k]
	if c == nil {
		c = &ConflictCount{}
		sh.conflicts[k] = c
	}
	return c
}

// Conflicts merges the conflict counts of every element (run alone).
func (s *Store) Conflicts() map[Key]*ConflictCount {
	out := make(map[Key]*ConflictCount)
	for i := range s.shards {
		for k, c := range s.shards[i].conflicts {
			out[k] = c
		}
	}
	return out
}

func (s *Store) isPending(tx int) bool { return tx >= 0 && tx < s.n && s.pending[tx].Load() }

// Begin declares that tx starts incarnation inc: the reads of its older
// incarnations no longer count.
func (s *Store) Begin(tx, inc int) { s.inc[tx].Store(int32(inc)) }

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
			v = BalanceValue(&a.Balance)
			break
		}
		v = Value{Exists: ok, Nonce: a.Nonce, Word: a.CodeHash}
		if !ok || v.Word == (common.Hash{}) {
			v.Word = state.EmptyCodeHash
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
	n := len(e.versions)
	if n == 0 || e.versions[n-1].tx < tx {
		return n - 1 // the common case: tx is above every version
	}
	// Next most common: tx is among the last few versions (a hot
	// element such as the coinbase, whose writers finish nearly in
	// order). The tail is in cache; a binary search over a long list
	// is not.
	lo := max(0, n-1-belowScan)
	for i := n - 2; i >= lo; i-- {
		if e.versions[i].tx < tx {
			return i
		}
	}
	if lo == 0 {
		return -1
	}
	i := sort.Search(lo, func(i int) bool { return e.versions[i].tx >= tx })
	return i - 1
}

// belowScan is how many versions below the last one below scans before
// it searches.
const belowScan = 8

// valueAt computes what tx should see of e (the caller holds e's shard
// lock). blocker >= 0 names a pending writer the value depends on. A slot's
// value is zero when its account's storage was cleared above the slot's
// last write; ash, when not nil, is the account's shard (locked too), whose
// storage-reset element is consulted (see lockKey).
func (s *Store) valueAt(ash *shard, e *element, tx int) (Value, int, error) {
	return s.valueAtOr(ash, e, tx, false)
}

// valueAtOr is valueAt; with lower set, the fee sink's balance (see
// sinkValue) is answered before the final prefix reaches tx, with a
// lower bound of it rather than AwaitPrefix.
func (s *Store) valueAtOr(ash *shard, e *element, tx int, lower bool) (Value, int, error) {
	if e.key.Kind == Slot && ash != nil {
		if ce := ash.clearedElem(e.key.Addr); ce != nil {
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
	lo := 0 // the walk's end: the versions below it are folded
	var f *folded
	if e.key.Kind == Balance && len(e.versions) >= foldMin {
		if f = s.fold(e); f != nil && f.n > 0 && i >= f.n-1 {
			lo = f.n
		}
	}
	var sum uint256.Int
	credits := false
	for ; i >= lo; i-- {
		v := &e.versions[i]
		if s.isPending(v.tx) {
			return Value{}, v.tx, nil
		}
		if !v.w.Credit {
			return s.withCredits(e, v.w.Val, v.tx, tx, credits, &sum, lower)
		}
		c := v.w.Val.Balance()
		sum.Add(&sum, &c)
		credits = true
	}
	if lo > 0 {
		sum.Add(&sum, &f.sum)
		return s.withCredits(e, f.val, f.from, tx, credits || f.credits, &sum, lower)
	}
	if err := s.loadBase(e); err != nil {
		return Value{}, -1, err
	}
	return s.withCredits(e, e.base, -1, tx, credits, &sum, lower)
}

// withCredits is valueAt's end: v, written by transaction from (-1: the
// base), plus the credits above it (sum, when credits), plus, for the fee
// sink, the fees between from and tx (sinkValue; lower as for valueAtOr).
func (s *Store) withCredits(e *element, v Value, from, tx int, credits bool, sum *uint256.Int, lower bool) (Value, int, error) {
	if e == s.sinkBal {
		return s.sinkValue(v, from, tx, credits, sum, lower)
	}
	return addCredits(v, credits, sum), -1, nil
}

// folded is a Balance element's versions [0, n) folded into the value
// they lead to: the last full write among them (or the base; from is its
// transaction, -1 for the base) and the credits above it (sum, credits).
// They are versions of final transactions, which never change again. A
// read then walks only the versions above: a sender's next transaction
// reads its balance past every credit and debit below (quadratic in the
// sender's transactions otherwise).
type folded struct {
	n       int
	val     Value
	from    int
	sum     uint256.Int
	credits bool
}

// foldMin is the number of versions from which a Balance element folds:
// a short walk costs less than the fold's upkeep.
const foldMin = 8

// fold advances e's fold over its versions of transactions below the
// final prefix and returns it (nil when there is nothing to fold): they
// are final, so neither they nor what lies below them changes again (a
// version is only ever added, changed or removed for a transaction that
// is not final). Each version is folded once. The caller holds e's lock,
// or uses the store alone.
func (s *Store) fold(e *element) *folded {
	c := int(s.committed.Load())
	f := e.fold
	n := 0
	if f != nil {
		n = f.n
	}
	if n >= len(e.versions) || e.versions[n].tx >= c {
		return f
	}
	if n == 0 {
		if s.loadBase(e) != nil {
			return f // valueAt reports the error
		}
		if f == nil {
			f = new(folded)
			e.fold = f
		}
		f.val, f.from, f.credits = e.base, -1, false
		f.sum.Clear()
	}
	for ; n < len(e.versions) && e.versions[n].tx < c; n++ {
		v := &e.versions[n]
		if !v.w.Credit {
			f.val, f.from, f.credits = v.w.Val, v.tx, false
			f.sum.Clear()
			continue
		}
		b := v.w.Val.Balance()
		f.sum.Add(&f.sum, &b)
		f.credits = true
	}
	f.n = n
	return f
}

// unfold drops e's fold when its versions change at index i inside it.
// That cannot happen (only versions of transactions that are not final
// change); should it, reads walk every version again rather than use a
// stale fold.
func unfold(e *element, i int) {
	if e.fold != nil && i < e.fold.n {
		e.fold.n = 0
	}
}

// sinkValue is valueAt's end for the fee sink's balance: v, written by
// transaction from (-1: the base), plus the credits above it, plus the
// fees of the transactions between from and tx, once all of those are
// final (AwaitPrefix until then).
//
// With lower set, a read above the final prefix gets a lower bound of the
// balance instead: the value without any fees. Every fee is a credit in
// [0, 2^128) (isSinkCredit; the sink's own debits are versions), so the
// fees can only raise the balance, and when the bound is below 2^254 the
// balance stays below 2^255 whatever they come to: a funds check that
// holds on the bound ("bound >= need", atLeast) holds on the balance, now
// and after any change of the fees. Such a reader depends on the versions
// alone, which the one rule guards as for any element. (AwaitPrefix when
// the bound is 2^254 or more.)
func (s *Store) sinkValue(v Value, from, tx int, credits bool, sum *uint256.Int, lower bool) (Value, int, error) {
	hi := min(tx, s.n)
	if hi > int(s.committed.Load()) {
		if lower {
			if b := addCredits(v, credits, sum); b.Word[0] < 0x40 {
				return b, -1, nil
			}
		}
		return Value{}, AwaitPrefix, nil
	}
	if s.sinkFees(from, hi, sum) {
		credits = true
	}
	return addCredits(v, credits, sum), -1, nil
}

// addCredits adds sum to a balance value when there were credits.
func addCredits(v Value, credits bool, sum *uint256.Int) Value {
	if !credits {
		return v
	}
	b := v.Balance()
	b.Add(&b, sum)
	return BalanceValue(&b)
}

// ErrStale is returned by a read for an incarnation of a transaction
// that is no longer its current one (see Begin): the run is abandoned.
var ErrStale = errors.New("mv: stale incarnation")

// Read returns the value of k that incarnation inc of tx should see and
// registers it as k's reader. When the value depends on a pending write,
// it returns the writer's index (>= 0) and registers nothing: the caller
// parks tx. Every read names its incarnation: a run that turned stale
// while it read must not register its value as the next run's, which
// would invalidate that run for a value it never saw.
func (s *Store) Read(tx, inc int, k Key) (Value, int, error) {
	sh, ash := s.lockKey(k)
	defer s.unlockKey(sh, ash)
	return s.readLocked(sh, ash, tx, inc, k)
}

func (s *Store) readLocked(sh, ash *shard, tx, inc int, k Key) (Value, int, error) {
	return s.readElem(sh, ash, sh.elem(k), tx, inc)
}

// readElem is readLocked for element e (of shard sh).
func (s *Store) readElem(sh, ash *shard, e *element, tx, inc int) (Value, int, error) {
	return s.readElemAs(sh, ash, e, tx, inc, readExact)
}

// readElemAs is readElem registering a reader of the given kind.
func (s *Store) readElemAs(sh, ash *shard, e *element, tx, inc int, kind readKind) (Value, int, error) {
	v, blk, err := s.valueFor(sh, ash, e, tx, inc)
	if err == nil && blk < 0 {
		s.register(e, reader{tx: tx, inc: inc, v: v, kind: kind})
	}
	return v, blk, err
}

// valueFor is valueAt for a read by incarnation inc of tx (ErrStale when
// it is no longer current), counting a wait on e when the value depends
// on a pending write.
func (s *Store) valueFor(sh, ash *shard, e *element, tx, inc int) (Value, int, error) {
	if int(s.inc[tx].Load()) != inc {
		return Value{}, -1, ErrStale
	}
	v, blk, err := s.valueAt(ash, e, tx)
	if blk >= 0 {
		sh.conflict(e.key).Waits++
	}
	return v, blk, err
}

// register records r as a reader of e (the caller holds e's lock). A
// read again in the same run updates the run's last reader: an exact
// read replaces it, a predicate adds nothing to an exact read, two
// balance bounds keep the larger, and a nonce class the later read.
func (s *Store) register(e *element, r reader) {
	if r.tx <= int(s.committed.Load()) {
		// Every transaction below is final: no write below it can change
		// this value any more, so there is nothing to register for (the
		// one rule only guards against writes below).
		return
	}
	// Begin may have moved the transaction on since its read began: the
	// reader then carries the old incarnation and is ignored (the one
	// rule only concerns current incarnations).
	if n := len(e.readers); n > 0 && e.readers[n-1].tx == r.tx && e.readers[n-1].inc == r.inc {
		last := &e.readers[n-1]
		switch {
		case r.kind == readExact:
			*last = r
		case last.kind == readExact:
		case r.kind == readAtLeast:
			if bytes.Compare(r.v.Word[:], last.v.Word[:]) > 0 {
				last.v = r.v
			}
		default:
			*last = r
		}
		return
	}
	e.readers = append(e.readers, r)
}

// BalanceAtLeast reports whether the balance of addr that incarnation inc
// of tx should see is at least x and below 2^255 (state.FundsSource), and
// when it is, registers that as a predicate reader: a change below
// invalidates tx only if the balance it should see leaves that range
// (credits under 2^255 in all never do). When it is not, nothing is
// registered (the caller reads the exact balance next). blocker >= 0 as
// for Read.
func (s *Store) BalanceAtLeast(tx, inc int, addr common.Address, x *uint256.Int) (bool, int, error) {
	_, kb := AccountKeys(addr)
	sh := s.shard(addr)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e := sh.elem(kb)
	if int(s.inc[tx].Load()) != inc {
		return false, -1, ErrStale
	}
	// On the fee sink, a lower bound of the balance (sinkValue) is
	// enough when it covers x; if it does not, the read waits for the
	// final prefix, which gives the exact balance.
	v, blk, err := s.valueAtOr(nil, e, tx, true)
	bound := BalanceValue(x)
	if err == nil && blk < 0 && e == s.sinkBal && tx > int(s.committed.Load()) && !atLeast(&v, bound) {
		blk = AwaitPrefix
	}
	if blk >= 0 {
		sh.conflict(e.key).Waits++
	}
	if err != nil || blk >= 0 {
		return false, blk, err
	}
	if !atLeast(&v, bound) {
		return false, -1, nil
	}
	s.register(e, reader{tx: tx, inc: inc, v: bound, kind: readAtLeast})
	return true, -1, nil
}

// Code returns code by hash: written in this batch or from the base.
func (s *Store) Code(addr common.Address, hash common.Hash) ([]byte, error) {
	if s.nCodes.Load() > 0 {
		s.codesMu.RLock()
		c, ok := s.codes[hash]
		s.codesMu.RUnlock()
		if ok {
			return c, nil
		}
	}
	return s.base.Code(addr, hash)
}

// MarkPending turns tx's writes into estimates: readers above will park
// until Finish replaces them. (Only a transaction's versions consult the
// flag, so it may be set for one that wrote nothing.) Safe to call
// concurrently with Finish.
func (s *Store) MarkPending(tx int) { s.pending[tx].Store(true) }

// IsPending reports whether tx's writes are estimates.
func (s *Store) IsPending(tx int) bool { return s.isPending(tx) }

// Finish records the writes of tx's finished run (replacing those of its
// previous run) and returns, ascending, the transactions above tx whose
// registered reads no longer hold (the one rule); Hot then lists the
// elements that invalidated them. It is FinishWith on the store's own
// buffers, for drivers that make one writing call at a time: the returned
// slice is valid until the next Finish.
func (s *Store) Finish(tx int, writes []KeyWrite, codes map[common.Hash][]byte) []int {
	out := s.FinishWith(&s.fb, tx, writes, codes)
	s.Hot = s.fb.Hot
	return out
}

// FinishBuf holds the buffers of one caller of FinishWith, reused call
// after call: each worker of a driver keeps its own.
type FinishBuf struct {
	out    []int            // the result
	Hot    []Key            // elements whose change invalidated readers
	wrote  []*element       // elements this call wrote
	rescan []common.Address // accounts whose storage reset this call changed
	resets []common.Address // accounts whose storage this transaction resets
}

func (b *FinishBuf) reset() {
	b.out, b.Hot, b.wrote, b.rescan, b.resets = b.out[:0], b.Hot[:0], b.wrote[:0], b.rescan[:0], b.resets[:0]
}

// FinishWith is Finish on the caller's buffers b: the returned slice and
// b.Hot are valid until b's next use. Calls for different transactions
// may run concurrently with each other, with reads and with Predict for
// transactions that have not started; calls for one transaction must be
// serialised by the caller. Each element is changed and its readers
// checked under the element's lock, which is all the one rule needs; a
// reader may then be reported by two concurrent calls (invalidating it
// twice only costs a run). FinishWith keeps nothing of writes.
func (s *Store) FinishWith(b *FinishBuf, tx int, writes []KeyWrite, codes map[common.Hash][]byte) []int {
	if len(codes) > 0 {
		s.codesMu.Lock()
		for h, c := range codes {
			s.codes[h] = c
		}
		// Raised before any version of tx names a code (below): a reader
		// that sees such a version sees the count too.
		s.nCodes.Store(int64(len(s.codes)))
		s.codesMu.Unlock()
	}
	s.pending[tx].Store(false)
	b.reset()
	committed := int(s.committed.Load())
	// Elements in a fixed order, so that conflict attribution (a reader
	// invalidated by two elements counts for the first) is deterministic
	// for deterministic drivers. Storage resets sort last: a slot checked
	// before its account's reset changes sees the old reset, and
	// rescanSlots re-checks every slot of the account afterwards.
	sortWrites(writes)
	for i := len(writes) - 1; i >= 0 && writes[i].Key.Kind == Cleared; i-- {
		b.resets = append(b.resets, writes[i].Key.Addr)
	}
	if s.sinkBal != nil {
		s.fees[tx].Clear()
	}
	for i := range writes {
		if s.isSinkCredit(&writes[i]) {
			// Only tx's Finish writes fees[tx], and only reads of a final
			// prefix (SetCommitted) read it.
			s.fees[tx] = writes[i].Write.Val.Balance()
			continue
		}
		s.finishWrite(b, tx, &writes[i].Key, &writes[i].Write, committed)
	}
	// Elements of tx's previous run that this one did not write.
	old := s.written[tx]
	for _, e := range old {
		if slices.Contains(b.wrote, e) {
			continue
		}
		sh, ash := s.lockKey(e.key)
		if i := e.below(tx + 1); i >= 0 && e.versions[i].tx == tx {
			s.removeVersion(e, i)
			s.check(b, sh, ash, e, tx, committed)
		}
		s.unlockKey(sh, ash)
	}
	s.written[tx] = append(old[:0], b.wrote...)
	// A storage reset recorded, changed or removed changes what readers of
	// the account's slots above tx should see.
	for _, a := range b.rescan {
		s.rescanSlots(b, a, tx, committed)
	}
	slices.Sort(b.out)
	return b.out
}

// sortWrites sorts a transaction's writes (a handful) by key: insertion
// sort with a word-wise comparison, cheaper at this size than the
// generic sort with byte-wise comparisons.
func sortWrites(w []KeyWrite) {
	for i := 1; i < len(w); i++ {
		for j := i; j > 0 && keyLess(&w[j].Key, &w[j-1].Key); j-- {
			w[j], w[j-1] = w[j-1], w[j]
		}
	}
}

// keyLess orders keys by kind, then address, then slot (big-endian, so
// as bytes compare).
func keyLess(a, b *Key) bool {
	if a.Kind != b.Kind {
		return a.Kind < b.Kind
	}
	be := binary.BigEndian
	for i := 0; i < 16; i += 8 {
		if x, y := be.Uint64(a.Addr[i:]), be.Uint64(b.Addr[i:]); x != y {
			return x < y
		}
	}
	if x, y := be.Uint32(a.Addr[16:]), be.Uint32(b.Addr[16:]); x != y {
		return x < y
	}
	for i := 0; i < 32; i += 8 {
		if x, y := be.Uint64(a.Slot[i:]), be.Uint64(b.Slot[i:]); x != y {
			return x < y
		}
	}
	return false
}

// finishWrite records tx's write w of element k (for Finish).
func (s *Store) finishWrite(b *FinishBuf, tx int, k *Key, w *Write, committed int) {
	sh, ash := s.lockKey(*k)
	defer s.unlockKey(sh, ash)
	e := sh.elem(*k)
	i := e.below(tx + 1)
	mine := i >= 0 && e.versions[i].tx == tx
	// A write of the value already below tx is no write at all: tx read
	// this element before writing it (every write follows a read of the
	// same element in the EVM), so if a lower transaction changes it, tx
	// itself is invalidated. Dropping it keeps readers above tx from
	// depending on tx, and spares a scan of its readers. Not so for a slot
	// of an account whose storage tx resets: above tx the reset would hide
	// the value below, so the write must stand.
	if !w.Credit && !(k.Kind == Slot && slices.Contains(b.resets, k.Addr)) {
		if below, blk, err := s.valueAt(ash, e, tx); err == nil && blk < 0 && below == w.Val {
			if mine {
				s.removeVersion(e, i)
				s.check(b, sh, ash, e, tx, committed)
			}
			return
		}
	}
	b.wrote = append(b.wrote, e)
	if mine {
		unfold(e, i)
		e.versions[i].w = *w
	} else {
		s.insertVersion(e, i+1, version{tx: tx, w: *w})
	}
	// Checked even when tx's previous run wrote the same value: that
	// run's Finish reported the readers it invalidated, but that run may
	// have been stale, and a driver that handed its findings over late
	// would let a reader become final on a wrong value. Each Finish
	// reports every reader its writes invalidate (the driver in package
	// run also hands every finding over before it accepts the next
	// result of the transaction).
	s.check(b, sh, ash, e, tx, committed)
}

// insertVersion puts v at index i of e's versions.
func (s *Store) insertVersion(e *element, i int, v version) {
	unfold(e, i)
	e.versions = append(e.versions, version{})
	copy(e.versions[i+1:], e.versions[i:])
	e.versions[i] = v
	if e.key.Kind == Cleared {
		s.nCleared.Add(1) // before rescanSlots: see lockKey
	}
}

// removeVersion drops index i of e's versions.
func (s *Store) removeVersion(e *element, i int) {
	unfold(e, i)
	e.versions = append(e.versions[:i], e.versions[i+1:]...)
	if e.key.Kind == Cleared {
		s.nCleared.Add(-1)
	}
}

// rescanSlots re-checks the readers of every slot of addr after tx changed
// its storage reset. Slot readers do not register on the reset element
// (see lockKey), so its change is checked as a change of each slot: every
// shard is visited under its lock and the account's.
func (s *Store) rescanSlots(b *FinishBuf, addr common.Address, tx, committed int) {
	j := shardOf(addr)
	for i := range s.shards {
		sh, ash := s.lockPair(i, j)
		// The slabs, not the map: a walk of contiguous elements costs a
		// fraction of a map iteration.
		for n := 0; n < sh.used; n++ {
			e := &sh.slabs[n/slabSize][n%slabSize]
			if e.key.Kind == Slot && e.key.Addr == addr {
				s.check(b, sh, ash, e, tx, committed)
			}
		}
		s.unlockKey(sh, ash)
	}
}

// check re-verifies e's readers above tx after tx changed its write to e
// (the caller holds e's lock). Only readers between tx and the next full
// write above it can have changed; readers already final can never be
// invalidated again and are dropped, as are reads of stale incarnations.
func (s *Store) check(b *FinishBuf, sh, ash *shard, e *element, tx, committed int) {
	if e.key.Kind == Cleared {
		// Nobody registers here: the account's slots are re-checked
		// (rescanSlots) once Finish has released this lock.
		if !slices.Contains(b.rescan, e.key.Addr) {
			b.rescan = append(b.rescan, e.key.Addr)
		}
		return
	}
	limit := int(^uint(0) >> 1)
	for i := e.below(tx+1) + 1; i < len(e.versions); i++ {
		if v := &e.versions[i]; v.tx > tx && !v.w.Credit {
			limit = v.tx
			break
		}
	}
	rs := e.readers[:0]
	for _, rd := range e.readers {
		if rd.tx < committed || int(s.inc[rd.tx].Load()) != rd.inc {
			continue
		}
		rs = append(rs, rd)
		r := rd.tx
		if r <= tx || r > limit || slices.Contains(b.out, r) {
			continue
		}
		// A predicate reader of the fee sink is checked on the lower
		// bound it was answered on (sinkValue).
		now, blk, err := s.valueAtOr(ash, e, r, rd.kind == readAtLeast)
		if rd.kind != readExact && err == nil && blk >= 0 && blk != AwaitPrefix {
			// A writer between is running again: the value the reader
			// should see is not known yet. An exact reader is given up
			// at once (it would most likely differ); a predicate rarely
			// flips, so it is checked again when that writer finishes
			// (its Finish checks the readers above it, as this one does).
			continue
		}
		if err != nil || blk >= 0 || !rd.holds(&now) {
			b.out = append(b.out, r)
			sh.conflict(e.key).Invalidations++
			if n := len(b.Hot); n == 0 || b.Hot[n-1] != e.key {
				b.Hot = append(b.Hot, e.key)
			}
		}
	}
	clear(e.readers[len(rs):])
	e.readers = rs
}

// Sources returns the transactions whose writes make the value of k that
// tx sees: the last full write below tx and every credit above it (and, for
// a slot, the storage reset that hides older writes). For critical paths
// (run alone).
func (s *Store) Sources(tx int, k Key) []int {
	var out []int
	if e := s.shardFor(k).elems[k]; e != nil {
		from := -1
		for i := e.below(tx); i >= 0; i-- {
			v := &e.versions[i]
			out = append(out, v.tx)
			if !v.w.Credit {
				from = v.tx
				break
			}
		}
		if e == s.sinkBal {
			// The fees between the last full write and tx.
			for t := from + 1; t < min(tx, s.n); t++ {
				if !s.fees[t].IsZero() {
					out = append(out, t)
				}
			}
		}
	}
	if k.Kind == Slot {
		if ce := s.shard(k.Addr).clearedElem(k.Addr); ce != nil {
			if j := ce.below(tx); j >= 0 {
				out = append(out, ce.versions[j].tx)
			}
		}
	}
	return out
}

// atLeast is a predicate reader's condition: balance value v is at least
// x and below 2^255.
func atLeast(v *Value, x Value) bool {
	return v.Word[0] < 0x80 && bytes.Compare(v.Word[:], x.Word[:]) >= 0
}

// WriterBelow returns the transaction whose full write (not a credit) of
// k is the last below tx, or -1 (for critical paths; run alone).
func (s *Store) WriterBelow(tx int, k Key) int {
	if e := s.shardFor(k).elems[k]; e != nil {
		for i := e.below(tx); i >= 0; i-- {
			if !e.versions[i].w.Credit {
				return e.versions[i].tx
			}
		}
	}
	return -1
}

// ClassWriterBelow returns the transaction whose write of Account element
// k last changed what a nonce-class reader at tx depends on (existence,
// code hash, the nonce's zero-ness), or -1 when that is as in the base
// (for critical paths; run alone).
func (s *Store) ClassWriterBelow(tx int, k Key) int {
	e := s.shardFor(k).elems[k]
	if e == nil {
		return -1
	}
	i := e.below(tx)
	if i < 0 {
		return -1
	}
	cur := e.versions[i].w.Val
	for ; i > 0; i-- {
		if !sameNonceClass(&e.versions[i-1].w.Val, &cur) {
			return e.versions[i].tx
		}
	}
	if s.loadBase(e) != nil || !sameNonceClass(&e.base, &cur) {
		return e.versions[0].tx
	}
	return -1
}

// IsFeeSink reports whether k is the fee sink's balance (SetFeeSink).
func (s *Store) IsFeeSink(k Key) bool {
	return s.sinkBal != nil && k == s.sinkBal.key
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

// Predict declares that tx will write keys (known structure: a sender's
// nonce and balance; learned: a contract's hot slots). Until tx finishes,
// readers above it wait instead of speculating on older values. (A
// predicted storage reset re-checks no slot readers at once: tx's Finish
// replaces the prediction and re-checks them then.)
func (s *Store) Predict(tx int, keys ...Key) {
	for _, k := range keys {
		sh := s.shardFor(k)
		sh.mu.Lock()
		e := sh.elem(k)
		i := e.below(tx + 1)
		if i < 0 || e.versions[i].tx != tx {
			s.insertVersion(e, i+1, version{tx: tx})
			s.written[tx] = append(s.written[tx], e)
		}
		sh.mu.Unlock()
	}
	if len(keys) > 0 {
		s.pending[tx].Store(true)
	}
}

// ExpectPayment declares what tx, a plain payment and the pos-th (from 0)
// transaction of its sender from in the batch, is expected to write to
// the sender: the nonce pos+1 above the base, and a debit (a credit of
// -debit). Unlike Predict, tx is not pending: readers take these values
// at once and go on. When tx finishes, its real writes replace them (or
// remove them, if it writes none), and the one rule re-checks the readers
// as for any changed write: a reader that saw what tx really writes
// stays (an exact nonce reader, a funds check "balance >= need" still
// held), any other runs again. Call before the workers start.
func (s *Store) ExpectPayment(tx, pos int, from common.Address, debit *uint256.Int) error {
	sh := s.shard(from)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	a := sh.accountElem(from)
	if err := s.loadBase(a); err != nil {
		return err
	}
	s.expect(a, tx, Write{Val: Value{Exists: true, Nonce: a.base.Nonce + uint64(pos) + 1, Word: a.base.Word}})
	var credit uint256.Int
	credit.Neg(debit)
	s.expect(a.linked(sh, Balance), tx, Write{Val: BalanceValue(&credit), Credit: true})
	return nil
}

// expect puts w as tx's version of e (the caller holds e's shard).
func (s *Store) expect(e *element, tx int, w Write) {
	i := e.below(tx + 1)
	if i >= 0 && e.versions[i].tx == tx {
		e.versions[i].w = w
		return
	}
	s.insertVersion(e, i+1, version{tx: tx, w: w})
	s.written[tx] = append(s.written[tx], e)
}

// Committed returns the length of the final prefix (SetCommitted).
func (s *Store) Committed() int { return int(s.committed.Load()) }

// Current reports whether inc is tx's current incarnation (see Begin).
func (s *Store) Current(tx, inc int) bool { return int(s.inc[tx].Load()) == inc }

// SetCommitted tells the store that transactions below k are final: their
// reads can never be invalidated again, so they are forgotten; their fees
// to the sink (SetFeeSink) are summed.
func (s *Store) SetCommitted(k int) {
	if s.sinkBal != nil {
		// Before committed moves: a reader that sees the new prefix sees
		// its fee sums too. (Only this call writes committed.)
		for j := int(s.committed.Load()); j < k; j++ {
			s.feeSum[j+1].Add(&s.feeSum[j], &s.fees[j])
			s.feeN[j+1] = s.feeN[j]
			if !s.fees[j].IsZero() {
				s.feeN[j+1]++
			}
		}
	}
	s.committed.Store(int64(k))
}

// AwaitPrefix is the blocker a read returns when the value it needs
// depends on every transaction below the reader being final (the fee
// sink's balance): the driver parks the reader until they are
// (sched.WaitFinal), then it reads again.
const AwaitPrefix = math.MaxInt32

// SetFeeSink makes addr's balance the batch's fee sink (call it with the
// block's coinbase after New, before anything else). Every transaction
// credits the coinbase with its fee, so as an element with a credit
// version per transaction it was written by every Finish: one lock and a
// few cache lines that every core wrote in turn. The sink takes credits
// into a per-transaction array instead (Finish writes fees[tx], no lock),
// and a read of its balance waits until every transaction below the
// reader is final (AwaitPrefix): its value is then the element's plus a
// prefix sum of final fees, and no change below can invalidate it. Full
// writes of the balance (by transactions that observed it) stay versions.
// Reading the coinbase's balance is rare (its own transactions, payments
// that check it); a reader that does gives up speculation at that read,
// where before it was invalidated by each fee below that changed. The
// exception is a funds check, which a lower bound answers before the
// final prefix (sinkValue): the coinbase's own debits stay versions
// (isSinkCredit), so that a pool paying out from its coinbase runs in
// parallel.
func (s *Store) SetFeeSink(addr common.Address) {
	n := s.n
	s.fees = resize(s.fees, n)
	s.feeSum = resize(s.feeSum, n+1)
	s.feeN = resize(s.feeN, n+1)
	sh := s.shard(addr)
	sh.mu.Lock()
	s.sinkBal = sh.accountElem(addr).linked(sh, Balance)
	sh.mu.Unlock()
}

// isSinkCredit reports whether w is a fee to the fee sink: a credit below
// 2^128. A transaction's fee is one (a value sent to the coinbase with it
// too); what a transaction of the coinbase itself writes is not: its net
// credit is negative (it pays its gas at the base fee and its value), a
// word at or above 2^255. Such debits, and any credit of 2^128 or more,
// stay versions of the element, which the one rule guards, so that the
// fees can only raise the balance (the lower bound of sinkValue).
func (s *Store) isSinkCredit(kw *KeyWrite) bool {
	return s.sinkBal != nil && kw.Write.Credit && kw.Key.Kind == Balance && kw.Key.Addr == s.sinkBal.key.Addr &&
		[16]byte(kw.Write.Val.Word[:16]) == [16]byte{}
}

// sinkFees adds to sum the fees of the transactions in (from, hi) (all
// final) and reports whether there were any.
func (s *Store) sinkFees(from, hi int, sum *uint256.Int) bool {
	lo := from + 1
	if lo >= hi || s.feeN[hi] == s.feeN[lo] {
		return false
	}
	var d uint256.Int
	d.Sub(&s.feeSum[hi], &s.feeSum[lo])
	sum.Add(sum, &d)
	return true
}
