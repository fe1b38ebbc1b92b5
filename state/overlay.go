package state

import "github.com/ethereum/go-ethereum/common"

// Overlay layers the diffs of executed transactions over a read-only base
// Source: reads see the latest applied values, and Diff returns the merged
// change of everything applied (a block's state diff). Not safe for
// concurrent use.
type Overlay struct {
	base  Source
	accts map[common.Address]*ovAccount
	codes map[common.Hash][]byte
}

type ovAccount struct {
	deleted bool // no longer exists (may be re-created later: deleted=false, cleared=true)
	cleared bool // storage reset during the block: missing slots read as zero
	acct    Account
	codeSet bool
	code    []byte
	storage map[common.Hash]common.Hash
}

// NewOverlay returns an empty overlay over base.
func NewOverlay(base Source) *Overlay {
	return &Overlay{base: base, accts: make(map[common.Address]*ovAccount), codes: make(map[common.Hash][]byte)}
}

// Account implements Source.
func (o *Overlay) Account(addr common.Address) (Account, bool, error) {
	if a, ok := o.accts[addr]; ok {
		if a.deleted {
			return Account{}, false, nil
		}
		return a.acct, true, nil
	}
	return o.base.Account(addr)
}

// Code implements Source.
func (o *Overlay) Code(addr common.Address, codeHash common.Hash) ([]byte, error) {
	if c, ok := o.codes[codeHash]; ok {
		return c, nil
	}
	return o.base.Code(addr, codeHash)
}

// Storage implements Source.
func (o *Overlay) Storage(addr common.Address, slot common.Hash) (common.Hash, error) {
	if a, ok := o.accts[addr]; ok {
		if v, ok := a.storage[slot]; ok {
			return v, nil
		}
		if a.deleted || a.cleared {
			return common.Hash{}, nil
		}
	}
	return o.base.Storage(addr, slot)
}

// BlockHash implements Source.
func (o *Overlay) BlockHash(n uint64) (common.Hash, error) { return o.base.BlockHash(n) }

// Apply layers one transaction's diff on top.
func (o *Overlay) Apply(d Diff) {
	for addr, ad := range d {
		o.ApplyAccount(addr, ad)
	}
}

// ApplyAccount layers one account's change of a transaction on top (what
// Apply does for each account of a diff). It copies what it keeps of ad
// except the code slice, so ad (and its Storage map) may be reused after.
func (o *Overlay) ApplyAccount(addr common.Address, ad *AccountDiff) {
	a := o.accts[addr]
	inOverlay := a != nil
	if a == nil {
		a = &ovAccount{}
		o.accts[addr] = a
	}
	if ad.Deleted {
		a.deleted, a.cleared = true, true
		a.storage = nil
		a.acct = Account{}
		a.codeSet, a.code = false, nil
		return
	}
	bal := ad.Balance
	if ad.BalanceDelta {
		// Only parallel executors' per-transaction diffs carry deltas;
		// the current balance is the overlay's or the base's.
		var cur Account
		switch {
		case inOverlay:
			cur = a.acct // zero when deleted
		default:
			if b, ok, err := o.base.Account(addr); err == nil && ok {
				cur = b
			}
		}
		bal.Add(&cur.Balance, &ad.Balance)
	}
	if a.deleted {
		a.deleted = false
	}
	a.acct = Account{Nonce: ad.Nonce, Balance: bal, CodeHash: ad.CodeHash}
	if ad.CodeChanged {
		a.codeSet, a.code = true, ad.Code
		o.codes[ad.CodeHash] = ad.Code
	}
	if ad.StorageCleared {
		a.cleared = true
		a.storage = nil
	}
	if len(ad.Storage) > 0 && a.storage == nil {
		a.storage = make(map[common.Hash]common.Hash, len(ad.Storage))
	}
	for k, v := range ad.Storage {
		a.storage[k] = v
	}
}

// StorageOf returns addr's storage in o, to write slots into, creating
// addr's entry from the base when o has none. ok is false when addr does
// not exist (deleted, or in neither o nor the base): it has no storage
// to write. For executors layering a block's diff onto o slot by slot
// after ApplyAccount of its accounts; the map stays o's.
func (o *Overlay) StorageOf(addr common.Address) (storage map[common.Hash]common.Hash, ok bool, err error) {
	a := o.accts[addr]
	if a == nil {
		acct, exists, err := o.base.Account(addr)
		if err != nil || !exists {
			return nil, false, err
		}
		a = &ovAccount{acct: acct}
		o.accts[addr] = a
	}
	if a.deleted {
		return nil, false, nil
	}
	if a.storage == nil {
		a.storage = make(map[common.Hash]common.Hash)
	}
	return a.storage, true, nil
}

// Diff returns the merged diff of everything applied, in canonical form
// (see Diff): each account and slot is compared with the base, and what
// ends where it began is left out (an account touched and left as it
// was, a slot written back to its old value, an account created and
// removed again). An account or slot whose base cannot be read is kept as
// applied. The maps are fresh; code slices are shared and must not be
// modified.
func (o *Overlay) Diff() Diff {
	d := make(Diff, len(o.accts))
	for addr, a := range o.accts {
		pre, existed, err := o.base.Account(addr)
		known := err == nil
		if !existed {
			pre = Account{}
		}
		if a.deleted {
			if !known || existed {
				d[addr] = &AccountDiff{Deleted: true}
			}
			continue
		}
		ad := &AccountDiff{Nonce: a.acct.Nonce, Balance: a.acct.Balance, CodeHash: a.acct.CodeHash, StorageCleared: a.cleared}
		if a.codeSet && normCodeHash(a.acct.CodeHash) != EmptyCodeHash && (!known || normCodeHash(pre.CodeHash) != normCodeHash(a.acct.CodeHash)) {
			ad.Code, ad.CodeChanged = a.code, true
		}
		for k, v := range a.storage {
			if !a.cleared {
				if old, err := o.base.Storage(addr, k); err == nil && old == v {
					continue
				}
			} else if v == (common.Hash{}) {
				continue // reset storage reads as zero
			}
			if ad.Storage == nil {
				ad.Storage = make(map[common.Hash]common.Hash, len(a.storage))
			}
			ad.Storage[k] = v
		}
		if known && existed && !a.cleared && ad.Storage == nil && pre.Nonce == ad.Nonce &&
			pre.Balance.Eq(&ad.Balance) && normCodeHash(pre.CodeHash) == normCodeHash(ad.CodeHash) {
			continue
		}
		d[addr] = ad
	}
	return d
}
