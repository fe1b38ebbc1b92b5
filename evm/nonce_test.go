package evm

import (
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/holiman/uint256"
	"github.com/velarium/velarium/state"
)

// nonceSource is a state.NonceSource over a Mem that counts its reads:
// exact loads, class loads and exact nonce reads.
type nonceSource struct {
	fundsSource
	exact, class, observed int
}

func (n *nonceSource) AccountLazy(addr common.Address) (state.Account, bool, bool, error) {
	n.exact++
	return n.fundsSource.AccountLazy(addr)
}

func (n *nonceSource) AccountClass(addr common.Address) (state.Account, bool, bool, error) {
	n.class++
	return n.fundsSource.AccountLazy(addr)
}

func (n *nonceSource) ObserveNonce(addr common.Address) (uint64, error) {
	n.observed++
	a, _, err := n.Account(addr)
	return a.Nonce, err
}

// TestNonceClass: issue 5, item 1 (the nonce an element apart in
// effect): from a state.NonceSource an account is loaded with its nonce
// as a class, its exact value read only where it is used (and a use
// without that read is a bug that panics, never a stale nonce); an
// account not loaded yet is loaded exactly in one read.
func TestNonceClass(t *testing.T) {
	a, b := common.Address{0xa}, common.Address{0xb}
	mem := state.NewMem()
	mem.SetAccount(a, state.Account{Nonce: 7, Balance: *uint256.NewInt(100)})
	mem.SetAccount(b, state.Account{Nonce: 3, Balance: *uint256.NewInt(100)})
	src := &nonceSource{fundsSource: fundsSource{Mem: mem}}
	s := NewState(src)
	defer s.Release()

	// Paying a needs no nonce: a class load.
	if err := s.Load(a); err != nil {
		t.Fatal(err)
	}
	s.AddBalance(a, uint256.NewInt(5))
	if src.class != 1 || src.exact != 0 || src.observed != 0 {
		t.Fatalf("class %d, exact %d, observed %d: want one class load", src.class, src.exact, src.observed)
	}
	func() {
		defer func() {
			if p := recover(); p == nil || !strings.Contains(p.(string), "before ObserveNonce") {
				t.Fatalf("the nonce of a class load was used: recovered %v", p)
			}
		}()
		s.Nonce(a)
	}()
	// The account changed below meanwhile (mem stands for the source).
	mem.SetAccount(a, state.Account{Nonce: 8, Balance: *uint256.NewInt(100)})
	if err := s.ObserveNonce(a); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.Nonce(a); n != 8 || src.observed != 1 {
		t.Fatalf("nonce %d after %d exact reads, want 8 after 1", n, src.observed)
	}
	s.SetNonce(a, 9)
	if n, _ := s.Nonce(a); n != 9 {
		t.Fatalf("nonce %d, want 9", n)
	}
	if err := s.ObserveNonce(a); err != nil || src.observed != 1 {
		t.Fatalf("an exact nonce read again: %v, %d reads", err, src.observed)
	}
	// A sender is loaded exactly, in one read.
	if err := s.ObserveNonce(b); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.Nonce(b); n != 3 || src.exact != 1 || src.observed != 1 {
		t.Fatalf("nonce %d (exact loads %d, reads %d), want 3 from one exact load", n, src.exact, src.observed)
	}
	// The diff: a was paid and its nonce set; emitted exactly.
	d := s.Diff(true)
	if ad := d[a]; ad == nil || ad.Nonce != 9 || ad.AccountSame {
		t.Fatalf("diff of a: %+v", ad)
	}
}

// TestNeverExistedNoChange: EIP-161: an account touched while it does not
// exist (a zero-value credit, such as a zero fee to an absent coinbase)
// is not created: no change, so no deletion is reported (a parallel
// executor recorded a deletion and a storage reset for each such
// transaction, and re-checked the account's slots each time). An account
// that existed and is touched while empty is deleted.
func TestNeverExistedNoChange(t *testing.T) {
	absent, empty := common.Address{0xab}, common.Address{0xe0}
	mem := state.NewMem()
	mem.SetAccount(empty, state.Account{})
	s := NewState(mem)
	defer s.Release()
	for _, a := range []common.Address{absent, empty} {
		if err := s.Load(a); err != nil {
			t.Fatal(err)
		}
		s.AddBalance(a, new(uint256.Int))
	}
	d := s.Diff(true)
	if ad, ok := d[absent]; ok {
		t.Fatalf("an absent account touched with zero: %+v", ad)
	}
	if ad := d[empty]; ad == nil || !ad.Deleted {
		t.Fatalf("an existing empty account touched: %+v, want deleted", ad)
	}
}
