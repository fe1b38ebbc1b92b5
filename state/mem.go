package state

import (
	"bytes"
	"errors"
	"fmt"
	"slices"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/ethereum/go-ethereum/trie"
)

// EmptyRoot is the root of an empty Merkle-Patricia trie (an account without
// storage, or a state without accounts).
var EmptyRoot = types.EmptyRootHash

// ErrCodeNotFound is returned by Mem.Code when no code with the asked hash is
// stored.
var ErrCodeNotFound = errors.New("state: code not found")

// Mem is a complete in-memory state: accounts with their storage, code by
// hash, and block hashes by number. It implements Source and never returns
// ErrNotReady.
//
// Copy is cheap: accounts are shared copy-on-write between a Mem and its
// copies, so a pre-state can be built once and copied per transaction.
// A Mem is not safe for concurrent use, and that includes calling Copy on
// the same Mem from several goroutines; distinct copies may be used
// concurrently.
type Mem struct {
	accounts map[common.Address]*memAccount
	code     map[common.Hash][]byte
	hashes   map[uint64]common.Hash
	// BlockHashFn, when set, answers BlockHash for numbers without an
	// explicit SetBlockHash entry. Copies share it.
	BlockHashFn func(n uint64) common.Hash
	// tok identifies the accounts this Mem owns (may mutate in place).
	tok *token
}

type token struct{ _ byte }

type memAccount struct {
	acct    Account
	storage map[common.Hash]common.Hash
	owner   *token
	// root caches the storage root while rootOK.
	root   common.Hash
	rootOK bool
}

// NewMem returns an empty state.
func NewMem() *Mem {
	return &Mem{
		accounts: make(map[common.Address]*memAccount),
		code:     make(map[common.Hash][]byte),
		hashes:   make(map[uint64]common.Hash),
		tok:      new(token),
	}
}

// Copy returns an independent copy of m. Later changes to either are not
// seen by the other.
func (m *Mem) Copy() *Mem {
	c := &Mem{
		accounts:    make(map[common.Address]*memAccount, len(m.accounts)),
		code:        make(map[common.Hash][]byte, len(m.code)),
		hashes:      make(map[uint64]common.Hash, len(m.hashes)),
		BlockHashFn: m.BlockHashFn,
		tok:         new(token),
	}
	for a, acc := range m.accounts {
		c.accounts[a] = acc
	}
	for h, code := range m.code {
		c.code[h] = code // code slices are never mutated
	}
	for n, h := range m.hashes {
		c.hashes[n] = h
	}
	// Every account is now shared: neither side may write it in place.
	m.tok = new(token)
	return c
}

// writable returns the account at addr for modification, cloning it first
// when it is shared with a copy, or creating it when create is set.
func (m *Mem) writable(addr common.Address, create bool) *memAccount {
	a := m.accounts[addr]
	switch {
	case a == nil:
		if !create {
			return nil
		}
		a = &memAccount{
			acct:    Account{CodeHash: EmptyCodeHash},
			storage: make(map[common.Hash]common.Hash),
			owner:   m.tok,
			root:    EmptyRoot,
			rootOK:  true,
		}
		m.accounts[addr] = a
	case a.owner != m.tok:
		c := &memAccount{
			acct:    a.acct,
			storage: make(map[common.Hash]common.Hash, len(a.storage)),
			owner:   m.tok,
			root:    a.root,
			rootOK:  a.rootOK,
		}
		for k, v := range a.storage {
			c.storage[k] = v
		}
		a = c
		m.accounts[addr] = a
	}
	return a
}

func normCodeHash(h common.Hash) common.Hash {
	if h == (common.Hash{}) {
		return EmptyCodeHash
	}
	return h
}

// Account implements Source.
func (m *Mem) Account(addr common.Address) (Account, bool, error) {
	a := m.accounts[addr]
	if a == nil {
		return Account{}, false, nil
	}
	return a.acct, true, nil
}

// Code implements Source. It looks the code up by codeHash; the empty code
// hash always yields nil.
func (m *Mem) Code(addr common.Address, codeHash common.Hash) ([]byte, error) {
	if codeHash == EmptyCodeHash || codeHash == (common.Hash{}) {
		return nil, nil
	}
	code, ok := m.code[codeHash]
	if !ok {
		return nil, fmt.Errorf("%w: %x (account %x)", ErrCodeNotFound, codeHash, addr)
	}
	return code, nil
}

// Storage implements Source.
func (m *Mem) Storage(addr common.Address, slot common.Hash) (common.Hash, error) {
	a := m.accounts[addr]
	if a == nil {
		return common.Hash{}, nil
	}
	return a.storage[slot], nil
}

// BlockHash implements Source: an entry set with SetBlockHash, else
// BlockHashFn(n) when set, else the zero hash.
func (m *Mem) BlockHash(n uint64) (common.Hash, error) {
	if h, ok := m.hashes[n]; ok {
		return h, nil
	}
	if m.BlockHashFn != nil {
		return m.BlockHashFn(n), nil
	}
	return common.Hash{}, nil
}

// Exists reports whether an account exists at addr.
func (m *Mem) Exists(addr common.Address) bool { return m.accounts[addr] != nil }

// SetAccount creates or overwrites the non-storage part of the account at
// addr, keeping its storage. A zero CodeHash is taken as EmptyCodeHash. The
// code itself must be stored with SetCode (or AddCode) for Code to find it.
func (m *Mem) SetAccount(addr common.Address, acct Account) {
	a := m.writable(addr, true)
	acct.CodeHash = normCodeHash(acct.CodeHash)
	a.acct = acct
}

// SetCode stores code and points the account at addr (created if missing)
// at it.
func (m *Mem) SetCode(addr common.Address, code []byte) {
	a := m.writable(addr, true)
	a.acct.CodeHash = m.AddCode(code)
}

// AddCode stores code by its hash without attaching it to an account and
// returns the hash.
func (m *Mem) AddCode(code []byte) common.Hash {
	if len(code) == 0 {
		return EmptyCodeHash
	}
	h := crypto.Keccak256Hash(code)
	if _, ok := m.code[h]; !ok {
		m.code[h] = bytes.Clone(code)
	}
	return h
}

// SetStorage writes one storage slot of the account at addr (created if
// missing). A zero value deletes the slot.
func (m *Mem) SetStorage(addr common.Address, slot, value common.Hash) {
	a := m.writable(addr, true)
	a.rootOK = false
	if value == (common.Hash{}) {
		delete(a.storage, slot)
	} else {
		a.storage[slot] = value
	}
}

// SetBlockHash sets the hash BlockHash returns for block number n.
func (m *Mem) SetBlockHash(n uint64, h common.Hash) { m.hashes[n] = h }

// Delete removes the account at addr and its storage.
func (m *Mem) Delete(addr common.Address) { delete(m.accounts, addr) }

// Apply applies a transaction's (or block's) diff: Deleted removes the
// account and its storage; otherwise nonce, balance and code hash are set,
// StorageCleared wipes the old storage before Storage is written, zero
// storage values delete their slot, and CodeChanged stores Code (its hash
// then comes from the code itself).
func (m *Mem) Apply(d Diff) {
	for addr, ad := range d {
		if ad == nil {
			continue
		}
		if ad.Deleted {
			delete(m.accounts, addr)
			continue
		}
		a := m.writable(addr, true)
		a.acct.Nonce = ad.Nonce
		if ad.BalanceDelta {
			a.acct.Balance.Add(&a.acct.Balance, &ad.Balance)
		} else {
			a.acct.Balance = ad.Balance
		}
		a.acct.CodeHash = normCodeHash(ad.CodeHash)
		if ad.CodeChanged {
			a.acct.CodeHash = m.AddCode(ad.Code)
		}
		if ad.StorageCleared && len(a.storage) > 0 {
			a.storage = make(map[common.Hash]common.Hash, len(ad.Storage))
			a.rootOK = false
		}
		for k, v := range ad.Storage {
			a.rootOK = false
			if v == (common.Hash{}) {
				delete(a.storage, k)
			} else {
				a.storage[k] = v
			}
		}
	}
}

// Len returns the number of accounts.
func (m *Mem) Len() int { return len(m.accounts) }

// Addresses returns the addresses of all accounts, sorted.
func (m *Mem) Addresses() []common.Address {
	out := make([]common.Address, 0, len(m.accounts))
	for a := range m.accounts {
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b common.Address) int { return bytes.Compare(a[:], b[:]) })
	return out
}

// ForEachAccount calls fn for every account in address order until fn
// returns false.
func (m *Mem) ForEachAccount(fn func(addr common.Address, acct Account) bool) {
	for _, addr := range m.Addresses() {
		if !fn(addr, m.accounts[addr].acct) {
			return
		}
	}
}

// ForEachStorage calls fn for every non-zero storage slot of addr in slot
// order until fn returns false.
func (m *Mem) ForEachStorage(addr common.Address, fn func(slot, value common.Hash) bool) {
	a := m.accounts[addr]
	if a == nil {
		return
	}
	keys := make([]common.Hash, 0, len(a.storage))
	for k := range a.storage {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(x, y common.Hash) int { return bytes.Compare(x[:], y[:]) })
	for _, k := range keys {
		if !fn(k, a.storage[k]) {
			return
		}
	}
}

// StorageLen returns the number of non-zero storage slots of addr.
func (m *Mem) StorageLen(addr common.Address) int {
	if a := m.accounts[addr]; a != nil {
		return len(a.storage)
	}
	return 0
}

// CodeAt returns the code of the account at addr (nil when it has none or
// does not exist).
func (m *Mem) CodeAt(addr common.Address) []byte {
	a := m.accounts[addr]
	if a == nil {
		return nil
	}
	return m.code[a.acct.CodeHash]
}

type kv struct {
	k common.Hash
	v []byte
}

// stackRoot hashes sorted key/value pairs into a trie root.
func stackRoot(entries []kv) common.Hash {
	if len(entries) == 0 {
		return EmptyRoot
	}
	slices.SortFunc(entries, func(a, b kv) int { return bytes.Compare(a.k[:], b.k[:]) })
	st := trie.NewStackTrie(nil)
	for _, e := range entries {
		if err := st.Update(e.k[:], e.v); err != nil {
			panic(fmt.Sprintf("state: stack trie update: %v", err)) // keys are sorted and unique
		}
	}
	return st.Hash()
}

// storageRoot returns the root of a's storage trie, caching it when m owns a.
func (m *Mem) storageRoot(a *memAccount) common.Hash {
	if a.rootOK {
		return a.root
	}
	entries := make([]kv, 0, len(a.storage))
	for k, v := range a.storage {
		if v == (common.Hash{}) {
			continue
		}
		enc, _ := rlp.EncodeToBytes(common.TrimLeftZeroes(v[:]))
		entries = append(entries, kv{crypto.Keccak256Hash(k[:]), enc})
	}
	root := stackRoot(entries)
	if a.owner == m.tok {
		a.root, a.rootOK = root, true
	}
	return root
}

// StorageRoot returns the storage trie root of the account at addr
// (EmptyRoot when it has no storage or does not exist).
func (m *Mem) StorageRoot(addr common.Address) common.Hash {
	a := m.accounts[addr]
	if a == nil {
		return EmptyRoot
	}
	return m.storageRoot(a)
}

// Root returns the Ethereum state root: the root of the secure
// Merkle-Patricia trie mapping keccak256(address) to
// RLP([nonce, balance, storageRoot, codeHash]), where each storage trie maps
// keccak256(slot) to RLP(value without leading zero bytes).
func (m *Mem) Root() common.Hash {
	entries := make([]kv, 0, len(m.accounts))
	for addr, a := range m.accounts {
		sa := types.StateAccount{
			Nonce:    a.acct.Nonce,
			Balance:  &a.acct.Balance,
			Root:     m.storageRoot(a),
			CodeHash: a.acct.CodeHash[:],
		}
		enc, err := rlp.EncodeToBytes(&sa)
		if err != nil {
			panic(fmt.Sprintf("state: encoding account %x: %v", addr, err))
		}
		entries = append(entries, kv{crypto.Keccak256Hash(addr[:]), enc})
	}
	return stackRoot(entries)
}
