package mv

import (
	"github.com/ethereum/go-ethereum/common"
	"github.com/holiman/uint256"
	"github.com/velarium/velarium/chain"
	"github.com/velarium/velarium/state"
)

// AccountKeys returns the elements of an account read by Source.Account.
func AccountKeys(addr common.Address) (Key, Key) {
	return Key{Kind: Account, Addr: addr}, Key{Kind: Balance, Addr: addr}
}

// ReadAccount reads an account's elements for tx. blocker >= 0: a pending
// writer must finish first. An account with a balance exists even when only
// credits made it (crediting creates accounts, as in serial execution).
func (s *Store) ReadAccount(tx int, addr common.Address) (state.Account, bool, int, error) {
	sh := s.shard(addr)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	return s.readAccountLocked(sh, tx, addr)
}

func (s *Store) readAccountLocked(sh *shard, tx int, addr common.Address) (state.Account, bool, int, error) {
	ka, kb := AccountKeys(addr)
	a, blk, err := s.readLocked(sh, nil, tx, ka)
	if err != nil || blk >= 0 {
		return state.Account{}, false, blk, err
	}
	b, blk, err := s.readLocked(sh, nil, tx, kb)
	if err != nil || blk >= 0 {
		return state.Account{}, false, blk, err
	}
	exists := a.Exists || b.Word != (common.Hash{})
	return state.Account{Nonce: a.Nonce, Balance: b.Balance(), CodeHash: a.Word}, exists, -1, nil
}

// ReadAccountLazy reads an account's nonce, code and existence for tx,
// leaving its balance unread (balanceKnown false) when the account exists;
// ObserveBalance reads it if the transaction needs it. Credits to a
// balance nobody observes then never conflict.
func (s *Store) ReadAccountLazy(tx int, addr common.Address) (state.Account, bool, bool, int, error) {
	sh := s.shard(addr)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	ka, _ := AccountKeys(addr)
	a, blk, err := s.readLocked(sh, nil, tx, ka)
	if err != nil || blk >= 0 {
		return state.Account{}, false, false, blk, err
	}
	if !a.Exists {
		// Existence may come from credits alone: read the balance too.
		acct, ok, blk, err := s.readAccountLocked(sh, tx, addr)
		return acct, ok, true, blk, err
	}
	return state.Account{Nonce: a.Nonce, CodeHash: a.Word}, true, false, -1, nil
}

// ObserveBalance reads the balance of addr for tx.
func (s *Store) ObserveBalance(tx int, addr common.Address) (uint256.Int, int, error) {
	_, kb := AccountKeys(addr)
	b, blk, err := s.Read(tx, kb)
	return b.Balance(), blk, err
}

// ReadSlot reads a storage slot for tx, registering on the slot (a
// storage reset of the account re-checks it: see lockKey).
func (s *Store) ReadSlot(tx int, addr common.Address, slot common.Hash) (common.Hash, int, error) {
	k := Key{Kind: Slot, Addr: addr, Slot: slot}
	sh, ash := s.lockKey(k)
	defer s.unlockKey(sh, ash)
	v, blk, err := s.readLocked(sh, ash, tx, k)
	return v.Word, blk, err
}

// BlockHash answers from the base.
func (s *Store) BlockHash(n uint64) (common.Hash, error) { return s.base.BlockHash(n) }

// Writes converts one transaction's result into element writes and the
// codes it deployed. A deferred coinbase fee becomes a credit.
func Writes(tx int, res *chain.Result, coinbase common.Address) ([]KeyWrite, map[common.Hash][]byte) {
	return AppendWrites(nil, tx, res, coinbase)
}

// AppendWrites is Writes appending to buf (which Finish does not keep, so
// a driver can reuse it run after run).
func AppendWrites(buf []KeyWrite, tx int, res *chain.Result, coinbase common.Address) ([]KeyWrite, map[common.Hash][]byte) {
	c := writeCollector{w: buf[:0], tx: tx}
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

// AppendChanges is AppendWrites reading the changes from the finished
// transaction itself (its result run with chain.Config.NoDiff): no diff
// is built in between.
func AppendChanges(buf []KeyWrite, tx int, ch Changes, res *chain.Result, coinbase common.Address) ([]KeyWrite, map[common.Hash][]byte) {
	c := writeCollector{w: buf[:0], tx: tx}
	ch.EachChange(c.account)
	return c.finish(res, coinbase)
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
	c.put(ka, Write{Val: Value{Exists: true, Nonce: ad.Nonce, Word: ch}})
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
	end := k
	// One pass over the elements: the addresses whose account elements
	// were written, and the written slots.
	var addrs []common.Address
	var slots []*element
	seen := make(map[common.Address]struct{})
	for i := range s.shards {
		for key, e := range s.shards[i].elems {
			if e.below(end) < 0 {
				continue
			}
			if key.Kind == Slot {
				slots = append(slots, e)
				continue
			}
			if _, ok := seen[key.Addr]; !ok {
				seen[key.Addr] = struct{}{}
				addrs = append(addrs, key.Addr)
			}
		}
	}
	for _, e := range slots { // slots of accounts whose account elements were not written
		if _, ok := seen[e.key.Addr]; !ok {
			seen[e.key.Addr] = struct{}{}
			addrs = append(addrs, e.key.Addr)
		}
	}
	d := make(state.Diff, len(addrs))
	ads := make([]state.AccountDiff, len(addrs)) // one allocation for all
	nslots := make(map[common.Address]int)
	for _, e := range slots {
		nslots[e.key.Addr]++
	}
	for i, addr := range addrs {
		sh := s.shard(addr)
		a, ok, _, err := s.finalAccount(sh, addr, end)
		if err != nil {
			return nil, err
		}
		ad := &ads[i]
		d[addr] = ad
		if !ok {
			ad.Deleted = true
			continue
		}
		ad.Nonce, ad.Balance, ad.CodeHash = a.Nonce, a.Balance, a.CodeHash
		if ce := sh.elems[Key{Kind: Cleared, Addr: addr}]; ce != nil && ce.below(end) >= 0 {
			ad.StorageCleared = true
		}
		if c, ok := s.codes[a.CodeHash]; ok {
			ad.Code, ad.CodeChanged = c, true
		}
		if n := nslots[addr]; n > 0 {
			ad.Storage = make(map[common.Hash]common.Hash, n)
		}
	}
	for _, e := range slots {
		ad := d[e.key.Addr]
		if ad.Deleted {
			continue
		}
		v, _, err := s.valueAt(s.shard(e.key.Addr), e, end)
		if err != nil {
			return nil, err
		}
		ad.Storage[e.key.Slot] = v.Word
	}
	return d, nil
}

func (s *Store) finalAccount(sh *shard, addr common.Address, at int) (state.Account, bool, int, error) {
	ka, kb := AccountKeys(addr)
	a, blk, err := s.valueAt(nil, sh.elem(ka), at)
	if err != nil || blk >= 0 {
		return state.Account{}, false, blk, err
	}
	b, blk, err := s.valueAt(nil, sh.elem(kb), at)
	if err != nil || blk >= 0 {
		return state.Account{}, false, blk, err
	}
	return state.Account{Nonce: a.Nonce, Balance: b.Balance(), CodeHash: a.Word}, a.Exists || b.Word != (common.Hash{}), -1, nil
}

// PredictMessage declares the writes a transaction certainly makes: its
// sender's nonce and balance. This is the first layer of concurrency
// control, structure known before execution: a later transaction of the
// same sender waits for this one instead of speculating on a stale nonce.
// (A value transfer's recipient is not predicted: its credit commutes.)
func (s *Store) PredictMessage(tx int, m *chain.Message) {
	ka, kb := AccountKeys(m.From)
	s.Predict(tx, ka, kb)
}
