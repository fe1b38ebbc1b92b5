// Package state defines the one small interface through which execution reads
// state (accounts, code, storage slots, block hashes), the per-transaction
// state diff that execution produces, and stores that implement both sides.
package state

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

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

// FundsSource is a LazySource that can answer a funds check without
// reading the balance: whether the balance of addr (as the transaction
// sees it before its own changes) is at least x and below 2^255 (the
// bound lets the EVM add its credits without a wrap mod 2^256; no real
// balance comes near it). A parallel executor keeps
// the answer as a predicate: a change below invalidates the reader only
// when the answer flips, so credits (and debits that leave enough)
// commute with it. The EVM then reports the account's debits, like its
// credits, in a BalanceDelta (credits less debits, mod 2^256).
type FundsSource interface {
	LazySource
	BalanceAtLeast(addr common.Address, x *uint256.Int) (bool, error)
}

// NonceSource is a LazySource that can keep a non-zero nonce as a class:
// AccountClass is AccountLazy, but its read holds while the account's
// existence and code hash stay as they were and its nonce stays non-zero,
// whatever its value. A transaction that only calls, pays or checks an
// account then does not conflict with that account's own transactions
// (or CREATEs), which raise its nonce. Every use of the exact nonce (a
// sender's nonce check and increment, an EIP-7702 authority's, a
// CREATE's address) must read it exactly: with AccountLazy when the
// account is not loaded yet, with ObserveNonce when it is. A zero nonce
// is read exactly either way: it is its own class.
type NonceSource interface {
	LazySource
	AccountClass(addr common.Address) (acct Account, exists, balanceKnown bool, err error)
	ObserveNonce(addr common.Address) (uint64, error)
}

// AccountDiff is what one transaction (or block) did to one account.
type AccountDiff struct {
	Nonce   uint64
	Balance uint256.Int
	// BalanceDelta: Balance is an amount added (mod 2^256: credits less
	// debits, which may wrap) to the balance the account had before the
	// transaction, which the transaction never observed (only from a
	// LazySource).
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
//
// A block's (or batch's) diff is canonical when it holds only what
// differs from the state before it: an account appears when it was
// created, removed, reset (StorageCleared), or its nonce, balance, code
// hash or some slot ends different; Deleted appears only for accounts
// that existed before; CodeChanged (with Code) exactly when the code hash
// differs from the one before and is not that of empty code (code removed
// needs no Code: the hash says it); Storage holds only slots whose value differs from the
// one before (after a reset: non-zero slots). Serial and parallel
// execution both return canonical diffs, so equal executions give equal
// Encode bytes. A single transaction's diff (chain.Result.Diff) need not
// be canonical: it names what the transaction touched.
type Diff map[common.Address]*AccountDiff

// Encode returns a deterministic byte encoding of d: accounts in address
// order, each with its fields and its slots in slot order. Two diffs
// with equal encodings apply identically; tests compare executions with
// it byte for byte.
func (d Diff) Encode() []byte {
	addrs := make([]common.Address, 0, len(d))
	for a := range d {
		addrs = append(addrs, a)
	}
	slices.SortFunc(addrs, func(a, b common.Address) int { return bytes.Compare(a[:], b[:]) })
	var out []byte
	for _, a := range addrs {
		ad := d[a]
		out = append(out, a[:]...)
		if ad == nil {
			out = append(out, 0)
			continue
		}
		flags := byte(1)
		for i, f := range []bool{ad.Deleted, ad.BalanceDelta, ad.CodeChanged, ad.StorageCleared, ad.AccountSame} {
			if f {
				flags |= 2 << i
			}
		}
		out = append(out, flags)
		out = binary.BigEndian.AppendUint64(out, ad.Nonce)
		bal := ad.Balance.Bytes32()
		out = append(out, bal[:]...)
		out = append(out, ad.CodeHash[:]...)
		out = binary.BigEndian.AppendUint32(out, uint32(len(ad.Code)))
		out = append(out, ad.Code...)
		slots := make([]common.Hash, 0, len(ad.Storage))
		for k := range ad.Storage {
			slots = append(slots, k)
		}
		slices.SortFunc(slots, func(a, b common.Hash) int { return bytes.Compare(a[:], b[:]) })
		out = binary.BigEndian.AppendUint32(out, uint32(len(slots)))
		for _, k := range slots {
			v := ad.Storage[k]
			out = append(append(out, k[:]...), v[:]...)
		}
	}
	return out
}

// CompareDiffs returns "" when a and b encode to the same bytes (Encode),
// and otherwise names the first account, in address order, where they
// differ.
func CompareDiffs(a, b Diff) string {
	if bytes.Equal(a.Encode(), b.Encode()) {
		return ""
	}
	addrs := make([]common.Address, 0, len(a)+len(b))
	for x := range a {
		addrs = append(addrs, x)
	}
	for x := range b {
		if _, ok := a[x]; !ok {
			addrs = append(addrs, x)
		}
	}
	slices.SortFunc(addrs, func(x, y common.Address) int { return bytes.Compare(x[:], y[:]) })
	for _, x := range addrs {
		da, db := Diff{x: a[x]}, Diff{x: b[x]}
		_, inA := a[x]
		_, inB := b[x]
		if inA != inB || !bytes.Equal(da.Encode(), db.Encode()) {
			return fmt.Sprintf("account %s: %s / %s", x, describe(a[x], inA), describe(b[x], inB))
		}
	}
	return "encodings differ"
}

func describe(ad *AccountDiff, ok bool) string {
	switch {
	case !ok:
		return "absent"
	case ad == nil:
		return "nil"
	}
	return fmt.Sprintf("{deleted %v nonce %d balance %s code %x changed %v cleared %v delta %v storage %v}",
		ad.Deleted, ad.Nonce, ad.Balance.Dec(), ad.CodeHash, ad.CodeChanged, ad.StorageCleared, ad.BalanceDelta, ad.Storage)
}
