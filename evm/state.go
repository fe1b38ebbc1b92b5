package evm

import (
	"bytes"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/holiman/uint256"
	"github.com/velarium/velarium/state"
	"slices"
	"sync"
)

// Log is an EVM log record.
type Log struct {
	Address common.Address
	Topics  []common.Hash
	Data    []byte
}

type slotKey struct {
	addr common.Address
	slot common.Hash
}

// account is the transaction-local view of one account.
type account struct {
	exists bool
	nonce  uint64
	// nonceClass: the source registered only that nonce is not zero
	// (state.NonceSource); ObserveNonce must read it before its value is
	// used (exactNonce) or changed.
	nonceClass bool
	// As loaded: what the source said of existence, nonce and code.
	wasExists bool
	wasNonce  uint64
	wasCode   common.Hash
	balance   uint256.Int // with balLazy: the credits made so far
	balLazy   bool        // balance not observed (LazySource): only credits known
	// With balLazy: the debits made so far (value sent out after a funds
	// check that only asked "is the balance at least X", PrepareFunds),
	// and, once funded is set, the largest X the source confirmed for the
	// balance the transaction started with (start >= atLeast, and start <
	// 2^255: see state.FundsSource).
	debit, atLeast uint256.Int
	funded         bool
	codeHash       common.Hash
	code           []byte
	codeOK         bool                        // code loaded (or known empty)
	orig           map[common.Hash]common.Hash // values read from the source: the "original" values of EIP-2200
	dirty          map[common.Hash]common.Hash // values written in this transaction
	fresh          bool                        // storage starts empty: created in this transaction
	created        bool                        // created in this transaction (EIP-6780)
	destruct       bool                        // self-destructed; deleted at the end of the transaction
	touched        bool                        // touched (EIP-161)
	modified       bool                        // some field changed
	codeSet        bool                        // code changed
}

// same reports whether the account existed, keeps its nonce and code, and
// has a nonce or code (so that its existence never rested on its balance
// alone: see state.AccountDiff.AccountSame).
func (a *account) same() bool {
	return a.wasExists && !a.fresh && !a.codeSet && a.nonce == a.wasNonce && a.codeHash == a.wasCode &&
		(a.nonce > 0 || !a.noCode())
}

func (a *account) noCode() bool {
	return a.codeHash == state.EmptyCodeHash || a.codeHash == (common.Hash{})
}

// needsBalanceForEmpty reports whether empty() needs an observed balance.
// An unobserved balance is start + credits - debits mod 2^256: it is not
// zero when the credits exceed the debits and the sum cannot wrap (the
// source confirmed start < 2^255, funded, and the credits are below
// 2^255); otherwise it may be.
func (a *account) needsBalanceForEmpty() bool {
	return a.balLazy && a.nonce == 0 && a.noCode() && !(a.funded && a.creditsAhead())
}

// creditsAhead reports whether an unobserved balance's credits exceed
// its debits, and stay below 2^255.
func (a *account) creditsAhead() bool {
	return a.balance.BitLen() <= 255 && a.balance.Gt(&a.debit)
}

// settleEmpty makes sure empty() can decide a: when credits exceed the
// debits it asks the source for the bound start < 2^255 (a predicate
// nothing real flips), and otherwise, or when the source says no, reads
// the balance. It may suspend like Load.
func (s *State) settleEmpty(addr common.Address, a *account) error {
	if !a.needsBalanceForEmpty() {
		return nil
	}
	if a.creditsAhead() {
		return s.confirmFunds(addr, a, new(uint256.Int))
	}
	return s.observe(addr, a)
}

func (a *account) empty() bool {
	if a.needsBalanceForEmpty() {
		panic("evm: emptiness of an account whose balance was not observed")
	}
	return a.nonce == 0 && a.balance.IsZero() && a.noCode()
}

type jkind uint8

const (
	jBalance jkind = iota
	jNonce
	jCode
	jStorage
	jAccount // whole-account replacement (creation, self-destruct)
	jDebit   // a debit of an unobserved balance (prevBal: the debits before)
	jTouch
	jWarmAddr
	jWarmSlot
	jTransient
	jRefund
	jLog
)

type jentry struct {
	kind     jkind
	prevLazy bool
	addr     common.Address
	key      common.Hash
	prev     common.Hash
	had      bool
	prevU64  uint64
	prevBal  uint256.Int
	prevAcc  *account
}

// State is the journaled state of one transaction over a state.Source.
// Reads that miss its caches go to the source; when the source answers
// state.ErrNotReady the error is returned unchanged and nothing is modified,
// so the caller can retry the same operation later. Not safe for concurrent use.
type State struct {
	src       state.Source
	lazy      state.LazySource  // src, when it can defer balance reads
	nonces    state.NonceSource // src, when it keeps nonces as classes
	accounts  map[common.Address]*account
	journal   []jentry
	warmAddrs map[common.Address]struct{}
	// warmLow marks warm addresses 0..len*64-1 (the precompiles), warmed
	// at the start of every transaction: a bit instead of a map entry and
	// a journal entry each.
	warmLow   [5]uint64
	warmSlots map[slotKey]struct{}
	transient map[slotKey]common.Hash
	hashes    map[uint64]common.Hash
	logs      []Log
	refund    uint64
	free      []*account        // emptied accounts kept by Release for reuse
	change    state.AccountDiff // EachChange's scratch
}

// statePool recycles States (their maps, journal and account objects)
// between transactions: a small transaction otherwise allocates several
// KiB of bookkeeping, which parallel workers pay for in GC time.
var statePool = sync.Pool{New: func() any {
	return &State{
		accounts:  make(map[common.Address]*account, 8),
		journal:   make([]jentry, 0, 32),
		warmAddrs: make(map[common.Address]struct{}, 8),
		warmSlots: make(map[slotKey]struct{}, 8),
	}
}}

// NewState returns an empty transaction state reading from src, reusing
// one given back by Release when there is one.
func NewState(src state.Source) *State {
	s := statePool.Get().(*State)
	s.src = src
	s.lazy, _ = src.(state.LazySource)
	s.nonces, _ = src.(state.NonceSource)
	return s
}

// Bounds on what a released State keeps for reuse.
const (
	maxKeptAccounts = 64
	maxKeptSlots    = 64
	maxKeptJournal  = 1024
)

// Release empties s and keeps it for a later NewState. Nothing obtained
// from s may be used afterwards except what its methods documented as
// copies (Diff's result); Logs must have been copied.
func (s *State) Release() {
	for _, a := range s.accounts {
		if len(s.free) >= maxKeptAccounts {
			break
		}
		orig, dirty := a.orig, a.dirty
		if len(orig) > maxKeptSlots {
			orig = nil
		}
		if len(dirty) > maxKeptSlots {
			dirty = nil
		}
		clear(orig)
		clear(dirty)
		*a = account{orig: orig, dirty: dirty}
		s.free = append(s.free, a)
	}
	// A map that grew large stays large (and slow to clear): drop it.
	if len(s.accounts) > maxKeptAccounts {
		s.accounts = make(map[common.Address]*account, 8)
	} else {
		clear(s.accounts)
	}
	if len(s.warmAddrs) > maxKeptAccounts {
		s.warmAddrs = make(map[common.Address]struct{}, 8)
	} else {
		clear(s.warmAddrs)
	}
	if len(s.warmSlots) > maxKeptSlots {
		s.warmSlots = make(map[slotKey]struct{}, 8)
	} else {
		clear(s.warmSlots)
	}
	s.warmLow = [5]uint64{}
	s.transient, s.hashes = nil, nil
	if cap(s.journal) > maxKeptJournal {
		s.journal = make([]jentry, 0, 32)
	} else {
		clear(s.journal)
		s.journal = s.journal[:0]
	}
	clear(s.logs)
	s.logs = s.logs[:0]
	s.refund = 0
	s.src, s.lazy, s.nonces = nil, nil, nil
	statePool.Put(s)
}

// newAccount returns a zero account, reusing a released one (with its
// emptied storage maps) when there is one.
func (s *State) newAccount() *account {
	if n := len(s.free); n > 0 {
		a := s.free[n-1]
		s.free[n-1] = nil
		s.free = s.free[:n-1]
		return a
	}
	return new(account)
}

func (s *State) acct(addr common.Address) (*account, error) {
	if a, ok := s.accounts[addr]; ok {
		return a, nil
	}
	return s.load(addr, false)
}

// load reads addr from the source; with exactNonce its nonce is read
// exactly even from a state.NonceSource.
func (s *State) load(addr common.Address, exactNonce bool) (*account, error) {
	var info state.Account
	var exists bool
	known := true
	var err error
	classed := s.nonces != nil && !exactNonce
	if classed {
		info, exists, known, err = s.nonces.AccountClass(addr)
	} else if s.lazy != nil {
		info, exists, known, err = s.lazy.AccountLazy(addr)
	} else {
		info, exists, err = s.src.Account(addr)
	}
	if err != nil {
		return nil, err
	}
	a := s.newAccount()
	a.exists, a.nonce, a.balance, a.codeHash, a.balLazy = exists, info.Nonce, info.Balance, info.CodeHash, !known
	if !known {
		a.balance.Clear()
	}
	if !exists || a.codeHash == (common.Hash{}) {
		a.codeHash = state.EmptyCodeHash
	}
	if a.codeHash == state.EmptyCodeHash {
		a.codeOK = true
	}
	a.wasExists, a.wasNonce, a.wasCode = a.exists, a.nonce, a.codeHash
	// A zero nonce is its own class: only a non-zero one is kept as such.
	a.nonceClass = classed && a.nonce != 0
	s.accounts[addr] = a
	return a, nil
}

// Load makes sure addr is cached; it is the only step of an access that can
// suspend, so operations call it before changing anything.
func (s *State) Load(addr common.Address) error { _, err := s.acct(addr); return err }

// LoadCode makes sure the code of addr is cached.
func (s *State) LoadCode(addr common.Address) error { _, err := s.Code(addr); return err }

// loaded returns an account that Load has already brought in.
func (s *State) loaded(addr common.Address) *account {
	a, ok := s.accounts[addr]
	if !ok {
		panic("evm: account used before Load: " + addr.Hex())
	}
	return a
}

// observe reads the balance of a lazily loaded account, keeping the
// credits made so far. Like a load, it may return state.ErrNotReady, so
// callers observe before they change anything.
func (s *State) observe(addr common.Address, a *account) error {
	if !a.balLazy {
		return nil
	}
	v, err := s.lazy.ObserveBalance(addr)
	if err != nil {
		return err
	}
	s.saveDebits(addr, a)
	a.balance.Add(&a.balance, &v)
	a.balance.Sub(&a.balance, &a.debit)
	a.debit.Clear()
	a.balLazy = false
	return nil
}

// saveDebits journals a lazy account with debits before its balance
// becomes known (observed or set): a revert past this point must bring
// the debits back with the unobserved balance. (Credits alone need no
// entry: jBalance entries restore them and the laziness.)
func (s *State) saveDebits(addr common.Address, a *account) {
	if a.balLazy && !a.debit.IsZero() {
		cp := *a
		s.journal = append(s.journal, jentry{kind: jAccount, addr: addr, prevAcc: &cp})
	}
}

// PrepareFunds makes sure HasFunds(addr, v) can be answered: the balance
// of addr is known, or the source confirmed that the balance the
// transaction started with is at least what v and the debits so far need
// beyond the credits, and below 2^255, without reading it: a predicate
// read, which a change below invalidates only when its answer flips
// (credits only by lifting the start to 2^255, which no real balance
// nears). The bound keeps start + credits from wrapping mod 2^256, where
// serial execution would see a small balance. It may
// suspend like Load, so callers prepare before they change anything.
func (s *State) PrepareFunds(addr common.Address, v *uint256.Int) error {
	a, err := s.acct(addr)
	if err != nil || !a.balLazy {
		return err
	}
	need, ok := a.fundsNeed(v)
	if !ok {
		return s.observe(addr, a)
	}
	return s.confirmFunds(addr, a, &need)
}

// confirmFunds makes sure the source confirmed need <= start < 2^255 for
// a's unobserved start balance (funded, atLeast), asking it unless an
// earlier answer covers need. Where the source keeps no predicates, or
// answers no, the balance is read instead: the exact value decides.
func (s *State) confirmFunds(addr common.Address, a *account, need *uint256.Int) error {
	if a.funded && !need.Gt(&a.atLeast) {
		return nil
	}
	pred, ok := s.lazy.(state.FundsSource)
	if !ok {
		return s.observe(addr, a)
	}
	yes, err := pred.BalanceAtLeast(addr, need)
	if err != nil {
		return err
	}
	if !yes {
		return s.observe(addr, a)
	}
	if !a.funded || need.Gt(&a.atLeast) {
		a.atLeast = *need
	}
	a.funded = true
	return nil
}

// fundsNeed returns the least start balance for which an unobserved
// balance covers v: debits + v - credits (0 when the credits cover it),
// valid when start < 2^255; ok is false when the credits reach 2^255 or
// debits + v overflows (the balance must then be read).
func (a *account) fundsNeed(v *uint256.Int) (uint256.Int, bool) {
	var need uint256.Int
	if _, overflow := need.AddOverflow(&a.debit, v); overflow || a.balance.BitLen() > 255 {
		return need, false
	}
	if need.Gt(&a.balance) {
		need.Sub(&need, &a.balance)
	} else {
		need.Clear()
	}
	return need, true
}

// HasFunds reports whether the balance of addr (loaded, and prepared with
// PrepareFunds for v) is at least v.
func (s *State) HasFunds(addr common.Address, v *uint256.Int) bool {
	a := s.loaded(addr)
	if !a.balLazy {
		return !a.balance.Lt(v)
	}
	if v.IsZero() {
		return true
	}
	// Still unobserved after PrepareFunds: atLeast <= start < 2^255, and
	// the credits are below 2^255, so start + credits does not wrap.
	need, ok := a.fundsNeed(v)
	return ok && a.funded && !need.Gt(&a.atLeast)
}

// ObserveBalance makes sure the balance of addr is known (not only its
// credits); it may suspend like Load.
func (s *State) ObserveBalance(addr common.Address) error {
	a, err := s.acct(addr)
	if err != nil {
		return err
	}
	return s.observe(addr, a)
}

// PrepareEmptyCheck makes sure deciding whether addr is empty (EIP-161)
// can be done (settleEmpty).
func (s *State) PrepareEmptyCheck(addr common.Address) error {
	a, err := s.acct(addr)
	if err != nil {
		return err
	}
	return s.settleEmpty(addr, a)
}

// PrepareDiff settles every emptiness Diff's EIP-161 checks need, in
// address order: where a suspension falls must not depend on map order,
// so that runs (and the simulated-cores driver) are deterministic.
func (s *State) PrepareDiff() error {
	var need []common.Address
	for addr, a := range s.accounts {
		if a.needsBalanceForEmpty() {
			need = append(need, addr)
		}
	}
	slices.SortFunc(need, func(a, b common.Address) int { return bytes.Compare(a[:], b[:]) })
	for _, addr := range need {
		if err := s.settleEmpty(addr, s.accounts[addr]); err != nil {
			return err
		}
	}
	return nil
}

// Exist reports whether addr exists.
func (s *State) Exist(addr common.Address) (bool, error) {
	a, err := s.acct(addr)
	if err != nil {
		return false, err
	}
	return a.exists, nil
}

// Empty reports whether addr is empty in the EIP-161 sense (also true when it does not exist).
func (s *State) Empty(addr common.Address) (bool, error) {
	a, err := s.acct(addr)
	if err != nil {
		return false, err
	}
	if err := s.settleEmpty(addr, a); err != nil {
		return false, err
	}
	return !a.exists || a.empty(), nil
}

// Balance returns the balance of addr.
func (s *State) Balance(addr common.Address) (*uint256.Int, error) {
	a, err := s.acct(addr)
	if err != nil {
		return nil, err
	}
	if err := s.observe(addr, a); err != nil {
		return nil, err
	}
	return &a.balance, nil
}

// Nonce returns the nonce of addr, which ObserveNonce must have read when
// the source keeps nonces as classes (state.NonceSource).
func (s *State) Nonce(addr common.Address) (uint64, error) {
	a, err := s.acct(addr)
	if err != nil {
		return 0, err
	}
	return a.exactNonce(addr), nil
}

// ObserveNonce makes sure addr is loaded with its exact nonce: from a
// state.NonceSource a load keeps only whether the nonce is zero, which is
// all that calling, paying or checking the emptiness of an account needs.
// It may suspend like Load.
func (s *State) ObserveNonce(addr common.Address) error {
	a, ok := s.accounts[addr]
	if !ok {
		_, err := s.load(addr, true) // one read
		return err
	}
	if !a.nonceClass {
		return nil
	}
	n, err := s.nonces.ObserveNonce(addr)
	if err != nil {
		return err
	}
	// Nothing has changed the nonce yet (SetNonce needs the exact one).
	// Should n differ from the loaded value, a transaction below changed
	// it since, and the exact read is the one that counts.
	a.nonce, a.wasNonce, a.nonceClass = n, n, false
	return nil
}

// exactNonce returns a's nonce, which must not be kept as a class only.
func (a *account) exactNonce(addr common.Address) uint64 {
	if a.nonceClass {
		panic("evm: exact nonce of " + addr.Hex() + " used before ObserveNonce")
	}
	return a.nonce
}

// CodeHash returns the code hash of addr (EmptyCodeHash for none).
func (s *State) CodeHash(addr common.Address) (common.Hash, error) {
	a, err := s.acct(addr)
	if err != nil {
		return common.Hash{}, err
	}
	return a.codeHash, nil
}

// Code returns the code of addr. The slice must not be modified.
func (s *State) Code(addr common.Address) ([]byte, error) {
	a, err := s.acct(addr)
	if err != nil {
		return nil, err
	}
	if !a.codeOK {
		code, err := s.src.Code(addr, a.codeHash)
		if err != nil {
			return nil, err
		}
		a.code, a.codeOK = code, true
	}
	return a.code, nil
}

func (s *State) storageMaps(a *account) {
	if a.dirty == nil {
		a.dirty = make(map[common.Hash]common.Hash)
	}
	if a.orig == nil {
		a.orig = make(map[common.Hash]common.Hash)
	}
}

// Committed returns the value of a slot at the start of the transaction (the
// "original value" of EIP-2200).
func (s *State) Committed(addr common.Address, slot common.Hash) (common.Hash, error) {
	a, err := s.acct(addr)
	if err != nil {
		return common.Hash{}, err
	}
	if a.fresh {
		return common.Hash{}, nil
	}
	if v, ok := a.orig[slot]; ok {
		return v, nil
	}
	if !a.exists {
		return common.Hash{}, nil
	}
	v, err := s.src.Storage(addr, slot)
	if err != nil {
		return common.Hash{}, err
	}
	s.storageMaps(a)
	a.orig[slot] = v
	return v, nil
}

// Storage returns the current value of a slot.
func (s *State) Storage(addr common.Address, slot common.Hash) (common.Hash, error) {
	a, err := s.acct(addr)
	if err != nil {
		return common.Hash{}, err
	}
	if v, ok := a.dirty[slot]; ok {
		return v, nil
	}
	return s.Committed(addr, slot)
}

// SetStorage writes a slot; the account must be loaded.
func (s *State) SetStorage(addr common.Address, slot, val common.Hash) {
	a := s.loaded(addr)
	s.storageMaps(a)
	prev, had := a.dirty[slot]
	s.journal = append(s.journal, jentry{kind: jStorage, addr: addr, key: slot, prev: prev, had: had})
	a.dirty[slot] = val
	a.modified = true
}

func (s *State) touch(addr common.Address, a *account) {
	if !a.touched {
		s.journal = append(s.journal, jentry{kind: jTouch, addr: addr})
		a.touched = true
	}
}

// ensureExists makes an absent account exist (state objects come into being
// when first credited, as in every client).
func (s *State) ensureExists(addr common.Address, a *account) {
	if !a.exists {
		cp := *a
		s.journal = append(s.journal, jentry{kind: jAccount, addr: addr, prevAcc: &cp})
		a.exists = true
		a.modified = true
	}
}

// AddBalance credits addr (which must be loaded), creating and touching it.
func (s *State) AddBalance(addr common.Address, v *uint256.Int) {
	a := s.loaded(addr)
	s.ensureExists(addr, a)
	s.touch(addr, a)
	if v.IsZero() {
		return
	}
	s.journal = append(s.journal, jentry{kind: jBalance, addr: addr, prevBal: a.balance, prevLazy: a.balLazy})
	a.balance.Add(&a.balance, v) // with balLazy, a credit
	a.modified = true
}

// SubBalance debits addr (which must be loaded); the caller checked funds.
func (s *State) SubBalance(addr common.Address, v *uint256.Int) {
	a := s.loaded(addr)
	s.ensureExists(addr, a)
	s.touch(addr, a)
	if v.IsZero() {
		return
	}
	if a.balLazy {
		// Funds checked by predicate (PrepareFunds): a debit commutes
		// with credits like a negative credit.
		s.journal = append(s.journal, jentry{kind: jDebit, addr: addr, prevBal: a.debit})
		a.debit.Add(&a.debit, v)
		a.modified = true
		return
	}
	s.journal = append(s.journal, jentry{kind: jBalance, addr: addr, prevBal: a.balance})
	a.balance.Sub(&a.balance, v)
	a.modified = true
}

// SetBalance sets the balance of a loaded account.
func (s *State) SetBalance(addr common.Address, v *uint256.Int) {
	a := s.loaded(addr)
	s.ensureExists(addr, a)
	s.touch(addr, a)
	s.saveDebits(addr, a)
	s.journal = append(s.journal, jentry{kind: jBalance, addr: addr, prevBal: a.balance, prevLazy: a.balLazy})
	a.balance = *v
	a.balLazy = false
	a.debit.Clear()
	a.modified = true
}

// SetNonce sets the nonce of a loaded account.
func (s *State) SetNonce(addr common.Address, n uint64) {
	a := s.loaded(addr)
	a.exactNonce(addr) // a new nonce derives from the exact old one
	s.ensureExists(addr, a)
	s.touch(addr, a)
	s.journal = append(s.journal, jentry{kind: jNonce, addr: addr, prevU64: a.nonce})
	a.nonce = n
	a.modified = true
}

// SetCode sets the code of a loaded account.
func (s *State) SetCode(addr common.Address, code []byte) {
	a := s.loaded(addr)
	s.ensureExists(addr, a)
	s.touch(addr, a)
	cp := *a
	s.journal = append(s.journal, jentry{kind: jCode, addr: addr, prevAcc: &cp})
	a.code, a.codeOK = code, true
	if len(code) == 0 {
		a.codeHash = state.EmptyCodeHash
	} else {
		a.codeHash = crypto.Keccak256Hash(code)
	}
	a.codeSet, a.modified = true, true
}

// CreateContract turns a loaded address into a new contract account: its
// storage starts empty, its balance is kept (EIP-684 collision checks are
// the caller's job).
func (s *State) CreateContract(addr common.Address) {
	a := s.loaded(addr)
	cp := *a
	s.journal = append(s.journal, jentry{kind: jAccount, addr: addr, prevAcc: &cp})
	a.exists, a.fresh, a.created, a.modified = true, true, true, true
	a.dirty = make(map[common.Hash]common.Hash)
	a.orig = nil
	s.touch(addr, a)
}

// Created reports whether addr was created in this transaction (EIP-6780).
func (s *State) Created(addr common.Address) bool {
	a, ok := s.accounts[addr]
	return ok && a.created
}

// Destructed reports whether addr has self-destructed in this transaction.
func (s *State) Destructed(addr common.Address) bool {
	a, ok := s.accounts[addr]
	return ok && a.destruct
}

// SelfDestruct marks a loaded account for deletion at the end of the
// transaction and zeroes its balance.
func (s *State) SelfDestruct(addr common.Address) {
	a := s.loaded(addr)
	cp := *a
	s.journal = append(s.journal, jentry{kind: jAccount, addr: addr, prevAcc: &cp})
	a.destruct = true
	a.balance.Clear()
	a.balLazy = false
	a.debit.Clear()
	a.modified = true
}

// AddressWarm reports whether addr is in the access list (EIP-2929).
func (s *State) AddressWarm(addr common.Address) bool {
	if i, ok := lowIndex(addr); ok && s.warmLow[i/64]&(1<<(i%64)) != 0 {
		return true
	}
	_, ok := s.warmAddrs[addr]
	return ok
}

// lowIndex returns addr as a small number when it is one that warmLow
// covers.
func lowIndex(addr common.Address) (uint, bool) {
	if [18]byte(addr[:18]) != [18]byte{} {
		return 0, false
	}
	i := uint(addr[18])<<8 | uint(addr[19])
	return i, i < 5*64
}

// WarmPrecompiles adds the precompiles (addresses below 0x140) to the
// access list at the start of a transaction; no journal entry is made,
// as nothing before the transaction's first snapshot is ever reverted.
func (s *State) WarmPrecompiles(addrs []common.Address) {
	for _, a := range addrs {
		if i, ok := lowIndex(a); ok {
			s.warmLow[i/64] |= 1 << (i % 64)
		} else {
			s.WarmAddress(a)
		}
	}
}

// WarmAddress adds addr to the access list; it reports whether it was cold.
func (s *State) WarmAddress(addr common.Address) bool {
	if i, ok := lowIndex(addr); ok && s.warmLow[i/64]&(1<<(i%64)) != 0 {
		return false
	}
	if _, ok := s.warmAddrs[addr]; ok {
		return false
	}
	s.warmAddrs[addr] = struct{}{}
	s.journal = append(s.journal, jentry{kind: jWarmAddr, addr: addr})
	return true
}

// WarmSlot adds (addr, slot) to the access list; it reports whether it was cold.
func (s *State) WarmSlot(addr common.Address, slot common.Hash) bool {
	k := slotKey{addr, slot}
	if _, ok := s.warmSlots[k]; ok {
		return false
	}
	s.warmSlots[k] = struct{}{}
	s.journal = append(s.journal, jentry{kind: jWarmSlot, addr: addr, key: slot})
	return true
}

// Transient reads transient storage (EIP-1153).
func (s *State) Transient(addr common.Address, key common.Hash) common.Hash {
	return s.transient[slotKey{addr, key}]
}

// SetTransient writes transient storage (EIP-1153).
func (s *State) SetTransient(addr common.Address, key, val common.Hash) {
	if s.transient == nil {
		s.transient = make(map[slotKey]common.Hash)
	}
	k := slotKey{addr, key}
	prev, had := s.transient[k]
	s.journal = append(s.journal, jentry{kind: jTransient, addr: addr, key: key, prev: prev, had: had})
	s.transient[k] = val
}

// AddLog records a log.
func (s *State) AddLog(l Log) {
	s.journal = append(s.journal, jentry{kind: jLog})
	s.logs = append(s.logs, l)
}

// Logs returns the logs recorded so far; owned by the State.
func (s *State) Logs() []Log { return s.logs }

// AddRefund adds to the refund counter.
func (s *State) AddRefund(n uint64) {
	s.journal = append(s.journal, jentry{kind: jRefund, prevU64: s.refund})
	s.refund += n
}

// SubRefund subtracts from the refund counter.
func (s *State) SubRefund(n uint64) {
	s.journal = append(s.journal, jentry{kind: jRefund, prevU64: s.refund})
	if n > s.refund {
		panic("evm: refund counter below zero")
	}
	s.refund -= n
}

// Refund returns the refund counter.
func (s *State) Refund() uint64 { return s.refund }

// BlockHash returns the hash of block n through the source.
func (s *State) BlockHash(n uint64) (common.Hash, error) {
	if h, ok := s.hashes[n]; ok {
		return h, nil
	}
	h, err := s.src.BlockHash(n)
	if err != nil {
		return h, err
	}
	if s.hashes == nil {
		s.hashes = make(map[uint64]common.Hash)
	}
	s.hashes[n] = h
	return h, nil
}

// Snapshot returns an identifier for the current state to revert to.
func (s *State) Snapshot() int { return len(s.journal) }

var ripemd = common.BytesToAddress([]byte{3})

// RevertTo undoes every change made after snapshot id.
func (s *State) RevertTo(id int) {
	for i := len(s.journal) - 1; i >= id; i-- {
		e := &s.journal[i]
		switch e.kind {
		case jBalance:
			// Undoing a credit made before the balance was observed also
			// forgets the observation (it is read again if needed).
			a := s.accounts[e.addr]
			a.balance = e.prevBal
			a.balLazy = e.prevLazy
		case jDebit:
			s.accounts[e.addr].debit = e.prevBal
		case jNonce:
			s.accounts[e.addr].nonce = e.prevU64
		case jCode, jAccount:
			a := s.accounts[e.addr]
			touched := a.touched
			*a = *e.prevAcc
			// The touch of precompile 0x03 survives reverts: mainnet block
			// 2675119 made every client keep it (see EIP-716 discussion).
			if e.addr == ripemd && touched {
				a.touched = true
			}
		case jStorage:
			a := s.accounts[e.addr]
			if e.had {
				a.dirty[e.key] = e.prev
			} else {
				delete(a.dirty, e.key)
			}
		case jTouch:
			if e.addr != ripemd {
				s.accounts[e.addr].touched = false
			}
		case jWarmAddr:
			delete(s.warmAddrs, e.addr)
		case jWarmSlot:
			delete(s.warmSlots, slotKey{e.addr, e.key})
		case jTransient:
			k := slotKey{e.addr, e.key}
			if e.had {
				s.transient[k] = e.prev
			} else {
				delete(s.transient, k)
			}
		case jRefund:
			s.refund = e.prevU64
		case jLog:
			s.logs = s.logs[:len(s.logs)-1]
		}
	}
	s.journal = s.journal[:id]
}

// Diff returns what the transaction changed. With eip161, touched accounts
// that end up empty are deleted. Call once, after execution.
func (s *State) Diff(eip161 bool) state.Diff {
	d := make(state.Diff)
	s.EachChange(eip161, func(addr common.Address, ad *state.AccountDiff) {
		cp := *ad
		if len(ad.Storage) > 0 {
			cp.Storage = make(map[common.Hash]common.Hash, len(ad.Storage))
			for k, v := range ad.Storage {
				cp.Storage[k] = v
			}
		}
		d[addr] = &cp
	})
	return d
}

// EachChange calls fn for every account the transaction changed, as Diff
// reports it, with one AccountDiff reused for every call: fn must not keep
// it (nor its Storage, which is the account's own map). Call after
// execution; it builds nothing, for callers that only read the changes.
func (s *State) EachChange(eip161 bool, fn func(common.Address, *state.AccountDiff)) {
	ad := &s.change
	for addr, a := range s.accounts {
		if a.destruct || (eip161 && a.touched && a.exists && a.empty()) {
			// An account that did not exist before the transaction (and
			// so had no storage) and does not after is no change: a
			// zero-value touch, a contract created and destroyed. A
			// parallel executor would otherwise record a deletion and a
			// storage reset, which re-checks every slot of the account.
			if a.wasExists {
				*ad = state.AccountDiff{Deleted: true}
				fn(addr, ad)
			}
			continue
		}
		if !a.modified && !a.touched {
			continue
		}
		if !a.exists {
			continue
		}
		*ad = state.AccountDiff{Nonce: a.nonce, Balance: a.balance, BalanceDelta: a.balLazy, CodeHash: a.codeHash, StorageCleared: a.fresh,
			AccountSame: a.same()}
		if a.balLazy {
			ad.Balance.Sub(&ad.Balance, &a.debit) // credits less debits, mod 2^256
		}
		if a.codeSet {
			ad.Code, ad.CodeChanged = a.code, true
		}
		if len(a.dirty) > 0 {
			ad.Storage = a.dirty
		}
		fn(addr, ad)
	}
	*ad = state.AccountDiff{}
}

// Cached reports whether addr has been read by this transaction.
func (s *State) Cached(addr common.Address) bool {
	_, ok := s.accounts[addr]
	return ok
}
