package mv

import (
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/holiman/uint256"
	"github.com/velarium/velarium/chain"
	"github.com/velarium/velarium/state"
)

// AccountKeys returns the elements of an account read by Source.Account.
func AccountKeys(addr common.Address) (Key, Key) {
	return Key{Kind: Account, Addr: addr}, Key{Kind: Balance, Addr: addr}
}

// ReadAccount reads an account's elements for incarnation inc of tx.
// blocker >= 0: a pending writer must finish first. An account with a
// balance exists even when only credits made it (crediting creates
// accounts, as in serial execution).
func (s *Store) ReadAccount(tx, inc int, addr common.Address) (state.Account, bool, int, error) {
	sh := s.shard(addr)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	return s.readAccountLocked(sh, tx, inc, addr)
}

func (s *Store) readAccountLocked(sh *shard, tx, inc int, addr common.Address) (state.Account, bool, int, error) {
	ea := sh.accountElem(addr)
	a, blk, err := s.readElem(sh, nil, ea, tx, inc)
	if err != nil || blk >= 0 {
		return state.Account{}, false, blk, err
	}
	b, blk, err := s.readElem(sh, nil, ea.linked(sh, Balance), tx, inc)
	if err != nil || blk >= 0 {
		return state.Account{}, false, blk, err
	}
	exists := a.Exists || b.Word != (common.Hash{})
	return state.Account{Nonce: a.Nonce, Balance: b.Balance(), CodeHash: a.Word}, exists, -1, nil
}

// ReadAccountLazy reads an account's nonce, code and existence for tx,
// leaving its balance unread (balanceKnown false) when the account exists;
// ObserveBalance reads it if the transaction needs it. Credits to a
// balance nobody observes then never conflict. With nonceClass the read
// registers only the nonce's class (state.NonceSource): a change of a
// non-zero nonce to another non-zero one does not invalidate it, and
// ObserveNonce must read the nonce before its value is used.
func (s *Store) ReadAccountLazy(tx, inc int, addr common.Address, nonceClass bool) (state.Account, bool, bool, int, error) {
	sh := s.shard(addr)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	kind := readExact
	if nonceClass {
		kind = readNonceClass
	}
	a, blk, err := s.readElemAs(sh, nil, sh.accountElem(addr), tx, inc, kind)
	if err != nil || blk >= 0 {
		return state.Account{}, false, false, blk, err
	}
	if !a.Exists {
		// Existence may come from credits alone: read the balance too.
		acct, ok, blk, err := s.readAccountLocked(sh, tx, inc, addr)
		return acct, ok, true, blk, err
	}
	return state.Account{Nonce: a.Nonce, CodeHash: a.Word}, true, false, -1, nil
}

// ObserveNonce reads the nonce of addr exactly for tx (after a
// ReadAccountLazy that kept only its class).
func (s *Store) ObserveNonce(tx, inc int, addr common.Address) (uint64, int, error) {
	ka, _ := AccountKeys(addr)
	a, blk, err := s.Read(tx, inc, ka)
	return a.Nonce, blk, err
}

// ObserveBalance reads the balance of addr for tx.
func (s *Store) ObserveBalance(tx, inc int, addr common.Address) (uint256.Int, int, error) {
	_, kb := AccountKeys(addr)
	b, blk, err := s.Read(tx, inc, kb)
	return b.Balance(), blk, err
}

// ReadSlot reads a storage slot for tx, registering on the slot (a
// storage reset of the account re-checks it: see lockKey).
func (s *Store) ReadSlot(tx, inc int, addr common.Address, slot common.Hash) (common.Hash, int, error) {
	k := Key{Kind: Slot, Addr: addr, Slot: slot}
	sh, ash := s.lockKey(k)
	defer s.unlockKey(sh, ash)
	v, blk, err := s.readLocked(sh, ash, tx, inc, k)
	return v.Word, blk, err
}

// BlockHash answers from the base.
func (s *Store) BlockHash(n uint64) (common.Hash, error) { return s.base.BlockHash(n) }

// Writes converts one transaction's result into element writes and the
// codes it deployed. A deferred coinbase fee becomes a credit.
func Writes(tx int, res *chain.Result, coinbase common.Address) ([]KeyWrite, map[common.Hash][]byte) {
	c := writeCollector{tx: tx}
	for addr, ad := range res.Diff {
		c.account(addr, ad)
	}
	return c.finish(res, coinbase)
}

// Changes is what a finished transaction changed, account by account, as
// chain.Exec reports it (EachChange) before it is released.
type Changes interface {
	EachChange(fn func(common.Address, *state.AccountDiff))
}

// Writer is Writes reading the changes from the finished transaction
// itself (its result run with chain.Config.NoDiff): no diff is built in
// between. A driver keeps one per worker; its buffers are reused run after
// run (the writes returned are valid until the next call).
type Writer struct {
	c  writeCollector
	fn func(common.Address, *state.AccountDiff)
}

// Changes returns the element writes and deployed codes of transaction tx.
func (w *Writer) Changes(tx int, ch Changes, res *chain.Result, coinbase common.Address) ([]KeyWrite, map[common.Hash][]byte) {
	if w.fn == nil {
		w.fn = w.c.account // one method value for all calls
	}
	w.c.w, w.c.tx, w.c.codes = w.c.w[:0], tx, nil
	ch.EachChange(w.fn)
	return w.c.finish(res, coinbase)
}

type writeCollector struct {
	w     []KeyWrite
	tx    int
	codes map[common.Hash][]byte
}

func (c *writeCollector) put(k Key, x Write) { c.w = append(c.w, KeyWrite{k, x}) }

func (c *writeCollector) account(addr common.Address, ad *state.AccountDiff) {
	ka, kb := AccountKeys(addr)
	kc := Key{Kind: Cleared, Addr: addr}
	if ad.Deleted {
		c.put(ka, Write{Val: Value{Word: state.EmptyCodeHash}})
		c.put(kb, Write{})
		c.put(kc, Write{Val: Value{Nonce: uint64(c.tx) + 1}})
		return
	}
	ch := ad.CodeHash
	if ch == (common.Hash{}) {
		ch = state.EmptyCodeHash
	}
	// An unchanged nonce/code element is no write: the transaction read it
	// (and is invalidated if it changes below), and Finish would drop the
	// write as equal to the value below after looking it up.
	if !ad.AccountSame {
		c.put(ka, Write{Val: Value{Exists: true, Nonce: ad.Nonce, Word: ch}})
	}
	switch {
	case !ad.BalanceDelta:
		c.put(kb, Write{Val: BalanceValue(&ad.Balance)})
	case !ad.Balance.IsZero():
		c.put(kb, Write{Val: BalanceValue(&ad.Balance), Credit: true})
	}
	if ad.StorageCleared {
		c.put(kc, Write{Val: Value{Nonce: uint64(c.tx) + 1}})
	}
	if ad.CodeChanged {
		if c.codes == nil {
			c.codes = make(map[common.Hash][]byte)
		}
		c.codes[ch] = ad.Code
	}
	for k, v := range ad.Storage {
		c.put(Key{Kind: Slot, Addr: addr, Slot: k}, Write{Val: Value{Word: v}})
	}
}

func (c *writeCollector) finish(res *chain.Result, coinbase common.Address) ([]KeyWrite, map[common.Hash][]byte) {
	if res.CoinbaseFee != nil {
		c.put(Key{Kind: Balance, Addr: coinbase}, Write{Val: BalanceValue(res.CoinbaseFee), Credit: true})
	}
	return c.w, c.codes
}

// Diff returns the batch's final state diff: for every element written,
// its value after the last transaction.
func (s *Store) Diff() (state.Diff, error) { return s.DiffAt(int(^uint(0) >> 1)) }

// DiffAt returns the state diff of transactions 0..k-1 (which must all be
// final): what a transaction at index k sees.
func (s *Store) DiffAt(k int) (state.Diff, error) {
	return s.MergeDiff(k, []*DiffPart{s.DiffPart(k, 0, 1)})
}

// DiffPart is one part of a batch diff: the accounts whose own elements
// live in a range of shards, and the slots held there.
type DiffPart struct {
	accts []acctDiff
	slots []slotValue
	err   error
}

type acctDiff struct {
	addr common.Address
	ad   state.AccountDiff
}

type slotValue struct {
	addr       common.Address
	slot, word common.Hash
}

// DiffPart computes part part (of parts) of DiffAt(k): shards
// [part*nShards/parts, (part+1)*nShards/parts). The parts of one diff may
// be computed concurrently (each writes only its own shards' elements);
// nothing else may use the store meanwhile. MergeDiff assembles them.
// A part lives in the store: it is valid until the next DiffPart for the
// same part, or Release.
func (s *Store) DiffPart(k, part, parts int) *DiffPart {
	// The parts' arrays stay with the store (MergeDiff copies out what
	// the diff keeps); a part beyond the shards is empty anyway.
	out := &DiffPart{}
	if part < nShards {
		out = &s.parts[part]
		out.accts, out.slots, out.err = out.accts[:0], out.slots[:0], nil
	}
	if c := int(s.committed.Load()); min(k, s.n) > c {
		// The values above the final prefix are not settled (and the fee
		// sums not filled).
		out.err = fmt.Errorf("mv: diff at %d beyond the final prefix (%d)", k, c)
		return out
	}
	lo, hi := part*nShards/parts, (part+1)*nShards/parts
	// Size the outputs once: at most one entry per Account or Slot element.
	var na, ns int
	for i := lo; i < hi; i++ {
		sh := &s.shards[i]
		for j := 0; j < sh.used; j++ {
			switch sh.slabs[j/slabSize][j%slabSize].key.Kind {
			case Account:
				na++
			case Slot:
				ns++
			}
		}
	}
	if cap(out.accts) < na {
		out.accts = make([]acctDiff, 0, na)
	}
	if cap(out.slots) < ns {
		out.slots = make([]slotValue, 0, ns)
	}
	// The shards' elements are walked in their slabs (no map iteration);
	// an account's own elements are reached from its Account element.
	for i := lo; i < hi; i++ {
		sh := &s.shards[i]
		for j := 0; j < sh.used; j++ {
			e := &sh.slabs[j/slabSize][j%slabSize]
			switch e.key.Kind {
			case Slot:
				if e.below(k) < 0 {
					continue
				}
				var ash *shard // no reset in the batch: no reset element to consult
				if s.nCleared.Load() > 0 {
					ash = s.shard(e.key.Addr)
				}
				v, _, err := s.valueAt(ash, e, k)
				if err != nil {
					out.err = err
					return out
				}
				// Canonical: only slots that end different from where
				// they began (zero, after a reset of the account).
				var was common.Hash
				if ash == nil || !written(ash.clearedElem(e.key.Addr), k) {
					if err := s.loadBase(e); err != nil {
						out.err = err
						return out
					}
					was = e.base.Word
				}
				if v.Word == was {
					continue
				}
				out.slots = append(out.slots, slotValue{e.key.Addr, e.key.Slot, v.Word})
			case Account:
				if !written(e, k) && !written(e.bal, k) && !written(e.cleared, k) && !s.sinkCredited(e.bal, k) {
					continue
				}
				out.accts = append(out.accts, acctDiff{addr: e.key.Addr})
				ad := &out.accts[len(out.accts)-1].ad
				changed, err := s.accountDiff(e.key.Addr, e, e.bal, e.cleared, k, ad)
				if err != nil {
					out.err = err
					return out
				}
				if !changed {
					out.accts = out.accts[:len(out.accts)-1]
				}
			}
		}
	}
	return out
}

// sinkCredited reports whether e is the fee sink's balance and some
// transaction below k paid it a fee (k within the final prefix).
func (s *Store) sinkCredited(e *element, k int) bool {
	return e != nil && e == s.sinkBal && s.feeN[min(k, s.n)] > 0
}

// written reports whether e (nil: never touched) has a version below k.
func written(e *element, k int) bool { return e != nil && e.below(k) >= 0 }

// MergeDiff assembles DiffAt(k) from all of its parts (run alone).
func (s *Store) MergeDiff(k int, parts []*DiffPart) (state.Diff, error) {
	d, err := s.MergeAccounts(parts)
	if err != nil {
		return nil, err
	}
	return s.AttachSlots(k, d, s.MergeSlots(parts))
}

// ApplyParts layers DiffAt(k), given as its parts, onto ov, the overlay
// the batch ran over (the store's base): what ov.Apply(MergeDiff(k,
// parts)) does, without building the diff (run alone; ov changes under
// the store, so nothing may read the store's base afterwards). The
// accounts whose own fields changed come first; then the slots, of
// accounts that exist after the batch (AttachSlots drops the slots of an
// account that is gone, and an account without changed fields of its
// own ends as it began in ov).
func (s *Store) ApplyParts(parts []*DiffPart, ov *state.Overlay) error {
	for _, p := range parts {
		if p.err != nil {
			return p.err
		}
	}
	for _, p := range parts {
		for i := range p.accts {
			ov.ApplyAccount(p.accts[i].addr, &p.accts[i].ad)
		}
	}
	var (
		last    common.Address
		storage map[common.Hash]common.Hash
		keep    bool
		started bool
	)
	for _, p := range parts {
		for _, sv := range p.slots {
			if !started || sv.addr != last {
				// Slots come in runs of one account within a part.
				st, ok, err := ov.StorageOf(sv.addr)
				if err != nil {
					return err
				}
				last, storage, keep, started = sv.addr, st, ok, true
			}
			if keep {
				storage[sv.slot] = sv.word
			}
		}
	}
	return nil
}

// The merge in three steps, so that two goroutines can share it:
// MergeAccounts and MergeSlots may run at once (both only read the parts),
// then AttachSlots joins their outputs. Nothing else may use the store
// meanwhile.

// MergeAccounts returns the accounts of the parts whose own fields
// changed, without their storage.
func (s *Store) MergeAccounts(parts []*DiffPart) (state.Diff, error) {
	n := 0
	for _, p := range parts {
		if p.err != nil {
			return nil, p.err
		}
		n += len(p.accts)
	}
	d := make(state.Diff, n)
	ads := make([]state.AccountDiff, 0, n) // the parts' arrays stay with s
	for _, p := range parts {
		for i := range p.accts {
			ads = append(ads, p.accts[i].ad)
			d[p.accts[i].addr] = &ads[len(ads)-1]
		}
	}
	return d, nil
}

// SlotMaps are the parts' slots as one storage map per account.
type SlotMaps struct {
	addrs []common.Address
	maps  []map[common.Hash]common.Hash
}

// MergeSlots gathers the parts' slots into one map per account. The slots
// of one account are spread over the parts (slots are sharded by slot)
// but come in runs within each (one hot contract: the common case), and a
// run costs one look-up.
func (s *Store) MergeSlots(parts []*DiffPart) *SlotMaps {
	sm := &SlotMaps{}
	idx := make(map[common.Address]int)
	var counts []int
	var last common.Address
	at := -1
	for _, p := range parts {
		for _, sv := range p.slots {
			if at < 0 || sv.addr != last {
				i, ok := idx[sv.addr]
				if !ok {
					i = len(sm.addrs)
					idx[sv.addr] = i
					sm.addrs = append(sm.addrs, sv.addr)
					counts = append(counts, 0)
				}
				last, at = sv.addr, i
			}
			counts[at]++
		}
	}
	sm.maps = make([]map[common.Hash]common.Hash, len(sm.addrs))
	for i, n := range counts {
		sm.maps[i] = make(map[common.Hash]common.Hash, n)
	}
	at = -1
	for _, p := range parts {
		for _, sv := range p.slots {
			if at < 0 || sv.addr != last {
				last, at = sv.addr, idx[sv.addr]
			}
			sm.maps[at][sv.slot] = sv.word
		}
	}
	return sm
}

// AttachSlots gives the accounts of d (MergeAccounts) their storage maps
// (MergeSlots) and returns d: an account with slots but no change of its
// own fields gets an entry, and the slots of an account that is gone
// after the batch are dropped (with the account too, when it was gone
// before it).
func (s *Store) AttachSlots(k int, d state.Diff, sm *SlotMaps) (state.Diff, error) {
	for i, addr := range sm.addrs {
		ad := d[addr]
		if ad == nil {
			// The account's own fields did not change (or it is gone and
			// was gone before: its slots are then dropped).
			ad = &state.AccountDiff{}
			changed, err := s.finalAccountDiff(s.shard(addr), addr, k, ad)
			if err != nil {
				return nil, err
			}
			if ad.Deleted && !changed {
				continue
			}
			d[addr] = ad
		}
		if !ad.Deleted {
			ad.Storage = sm.maps[i]
		}
	}
	return d, nil
}

// finalAccountDiff fills ad with addr's account as transaction k sees it
// (the caller holds, or alone uses, addr's shard sh), and reports whether
// it differs from the base (see accountDiff).
func (s *Store) finalAccountDiff(sh *shard, addr common.Address, k int, ad *state.AccountDiff) (bool, error) {
	ka, _ := AccountKeys(addr)
	a := sh.elems[ka]
	if a == nil {
		return s.accountDiff(addr, nil, nil, nil, k, ad)
	}
	return s.accountDiff(addr, a, a.bal, a.cleared, k, ad)
}

// accountDiff fills ad from addr's own elements (nil: never touched) as
// transaction k sees them, and reports whether the account's own fields
// end different from the base (the canonical diff's rule, state.Diff):
// created, removed or reset in the batch, or its nonce, balance or code
// hash changed. CodeChanged is set only when the code hash changed to
// that of non-empty code (state.Diff).
func (s *Store) accountDiff(addr common.Address, acct, bal, cleared *element, k int, ad *state.AccountDiff) (bool, error) {
	ka, kb := AccountKeys(addr)
	if acct == nil {
		acct = &element{key: ka}
	}
	if bal == nil {
		bal = &element{key: kb}
	}
	a, _, err := s.valueAt(nil, acct, k)
	if err != nil {
		return false, err
	}
	b, _, err := s.valueAt(nil, bal, k)
	if err != nil {
		return false, err
	}
	if err := s.loadBase(acct); err != nil {
		return false, err
	}
	if err := s.loadBase(bal); err != nil {
		return false, err
	}
	if !a.Exists && b.Word == (common.Hash{}) {
		*ad = state.AccountDiff{Deleted: true}
		return acct.base.Exists, nil
	}
	ad.Nonce, ad.Balance, ad.CodeHash = a.Nonce, b.Balance(), a.Word
	ad.StorageCleared = written(cleared, k)
	if len(s.codes) > 0 && a.Word != acct.base.Word && a.Word != state.EmptyCodeHash {
		if c, ok := s.codes[a.Word]; ok {
			ad.Code, ad.CodeChanged = c, true
		}
	}
	return !acct.base.Exists || ad.StorageCleared || a.Nonce != acct.base.Nonce || a.Word != acct.base.Word || b.Word != bal.base.Word, nil
}

// PredictMessage declares a write a transaction certainly makes: its
// sender's balance (known structure, before execution): a reader of it
// waits for this transaction instead of speculating on a stale value.
// The sender's nonce is not declared: its next transaction starts after
// this one anyway (sched.Depend), and the others that read the account
// (a payment, a call) keep its nonce as a class (state.NonceSource),
// which the rise does not change; a declared write would only make them
// wait. (A value transfer's recipient is not predicted: its credit
// commutes.)
func (s *Store) PredictMessage(tx int, m *chain.Message) {
	_, kb := AccountKeys(m.From)
	s.Predict(tx, kb)
}
