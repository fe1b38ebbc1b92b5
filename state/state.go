// Package state defines the one small interface through which execution reads
// state (accounts, code, storage slots, block hashes), the per-transaction
// state diff that execution produces, and stores that implement both sides.
package state

import (
	"errors"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/holiman/uint256"
)

// ErrNotReady is returned by a Source that cannot answer yet (a parallel
// scheduler parks the reader, a remote partition has not replied). The EVM
// suspends the transaction at exactly that access; the driver resumes it later.
var ErrNotReady = errors.New("state: value not available yet")

// EmptyCodeHash is keccak256 of empty code.
var EmptyCodeHash = crypto.Keccak256Hash(nil)

// Account is the part of an account that lives outside its storage.
type Account struct {
	Nonce    uint64
	Balance  uint256.Int
	CodeHash common.Hash // EmptyCodeHash for accounts without code
}

// Source answers state reads. Any method may return ErrNotReady; any other
// error aborts the transaction. Implementations used by a single transaction
// need not be safe for concurrent use.
type Source interface {
	// Account returns the account at addr and whether it exists.
	Account(addr common.Address) (Account, bool, error)
	// Code returns the code of addr, whose hash is codeHash.
	Code(addr common.Address, codeHash common.Hash) ([]byte, error)
	// Storage returns the value of a storage slot (zero when unset).
	Storage(addr common.Address, slot common.Hash) (common.Hash, error)
	// BlockHash returns the hash of block number n (only the 256 most recent
	// blocks are ever asked for).
	BlockHash(n uint64) (common.Hash, error)
}

// LazySource is a Source that can leave an account's balance unread until
// the transaction observes it, so that credits (value transfers into an
// account) commute instead of conflicting. Parallel executors implement it;
// the EVM then reports credits to never-observed balances as deltas.
type LazySource interface {
	Source
	// AccountLazy is Account, but when balanceKnown is false the balance
	// was not read (Account.Balance is meaningless) and ObserveBalance must
	// be called before the transaction uses it.
	AccountLazy(addr common.Address) (acct Account, exists, balanceKnown bool, err error)
	// ObserveBalance reads the balance of addr.
	ObserveBalance(addr common.Address) (uint256.Int, error)
}

// AccountDiff is what one transaction (or block) did to one account.
type AccountDiff struct {
	Nonce   uint64
	Balance uint256.Int
	// BalanceDelta: Balance is an amount added to the balance the account
	// had before the transaction, which the transaction never observed
	// (only from a LazySource).
	BalanceDelta bool
	CodeHash     common.Hash
	// Code is set when the code changed (creation or EIP-7702 delegation).
	Code        []byte
	CodeChanged bool
	// Storage holds the slots written, with their final values.
	Storage map[common.Hash]common.Hash
	// StorageCleared: the account's old storage is gone (it was created,
	// or destroyed and re-created); apply Storage on top of empty storage.
	StorageCleared bool
	// Deleted: the account no longer exists (SELFDESTRUCT, or touched while
	// empty under EIP-161). The other fields are then meaningless.
	Deleted bool
	// AccountSame: the account existed before the transaction, has a
	// nonce or code, and its nonce and code are unchanged (only its
	// balance or storage changed). A hint for consumers that store those
	// fields apart (the parallel executor writes no nonce/code element
	// then); applying a diff ignores it.
	AccountSame bool
}

// Diff maps each account a transaction changed to what changed.
type Diff map[common.Address]*AccountDiff
