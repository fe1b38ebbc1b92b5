package evm

import (
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/holiman/uint256"
	"github.com/velarium/velarium/state"
)

// fundsSource is a state.FundsSource over a Mem that counts how the
// balance was asked for.
type fundsSource struct {
	*state.Mem
	observed, asked int
}

func (f *fundsSource) AccountLazy(addr common.Address) (state.Account, bool, bool, error) {
	a, ok, err := f.Account(addr)
	return state.Account{Nonce: a.Nonce, CodeHash: a.CodeHash}, ok, !ok, err
}

func (f *fundsSource) ObserveBalance(addr common.Address) (uint256.Int, error) {
	f.observed++
	a, _, err := f.Account(addr)
	return a.Balance, err
}

func (f *fundsSource) BalanceAtLeast(addr common.Address, x *uint256.Int) (bool, error) {
	f.asked++
	a, _, err := f.Account(addr)
	return !a.Balance.Lt(x) && a.Balance.BitLen() <= 255, err
}

// TestFundsPredicate: a value check of an unobserved balance asks the
// source "balance >= X" (state.FundsSource) instead of reading it, the
// debit is reported in the delta (credits less debits), and reverts and
// later observations keep credits and debits straight.
func TestFundsPredicate(t *testing.T) {
	c := common.Address{0xc}
	mem := state.NewMem()
	mem.SetAccount(c, state.Account{Nonce: 1, Balance: *uint256.NewInt(100)})
	src := &fundsSource{Mem: mem}
	s := NewState(src)
	defer s.Release()
	u := uint256.NewInt

	if err := s.Load(c); err != nil {
		t.Fatal(err)
	}
	if err := s.PrepareFunds(c, u(60)); err != nil || !s.HasFunds(c, u(60)) {
		t.Fatalf("100 >= 60: err %v", err)
	}
	if src.asked != 1 || src.observed != 0 {
		t.Fatalf("asked %d, observed %d: want one predicate, no read", src.asked, src.observed)
	}
	s.SubBalance(c, u(60))
	// A check the confirmed bound covers asks nothing; a larger one asks.
	if err := s.PrepareFunds(c, u(0)); err != nil || !s.HasFunds(c, u(0)) || src.asked != 1 {
		t.Fatalf("start >= 60 covers the debits 60: err %v, asked %d", err, src.asked)
	}
	if err := s.PrepareFunds(c, u(30)); err != nil || !s.HasFunds(c, u(30)) || src.asked != 2 {
		t.Fatalf("100-60 >= 30: err %v, asked %d", err, src.asked)
	}
	// Too much: the predicate says no, the exact balance decides (40).
	if err := s.PrepareFunds(c, u(50)); err != nil || s.HasFunds(c, u(50)) || src.observed != 1 {
		t.Fatalf("40 >= 50: err %v, observed %d", err, src.observed)
	}
	if b, _ := s.Balance(c); b.Uint64() != 40 {
		t.Fatalf("balance %d, want 40", b.Uint64())
	}

	// Credits that cover the value still ask (start < 2^255: no wrap), but
	// never read the balance.
	s3 := NewState(src)
	defer s3.Release()
	asked, observed := src.asked, src.observed
	if err := s3.Load(c); err != nil {
		t.Fatal(err)
	}
	s3.AddBalance(c, u(5))
	if err := s3.PrepareFunds(c, u(5)); err != nil || !s3.HasFunds(c, u(5)) || src.asked != asked+1 || src.observed != observed {
		t.Fatalf("credits 5 >= 5: err %v, asked %d, observed %d", err, src.asked-asked, src.observed-observed)
	}
	if err := s3.PrepareFunds(c, u(105)); err != nil || !s3.HasFunds(c, u(105)) || src.asked != asked+2 {
		t.Fatalf("100+5 >= 105: err %v, asked %d", err, src.asked-asked)
	}
	if err := s3.PrepareFunds(c, u(106)); err != nil || s3.HasFunds(c, u(106)) || src.observed != observed+1 {
		t.Fatalf("100+5 >= 106 answered true (err %v) or without a read", err)
	}

	// A fresh transaction: debit, then observe inside a frame that reverts.
	s2 := NewState(src)
	defer s2.Release()
	if err := s2.Load(c); err != nil {
		t.Fatal(err)
	}
	if err := s2.PrepareFunds(c, u(30)); err != nil {
		t.Fatal(err)
	}
	s2.SubBalance(c, u(30))
	snap := s2.Snapshot()
	if b, _ := s2.Balance(c); b.Uint64() != 70 {
		t.Fatalf("observed %d, want 70", b.Uint64())
	}
	s2.AddBalance(c, u(1))
	s2.RevertTo(snap) // the observation goes, the debit stays
	s2.AddBalance(c, u(2))
	d := s2.Diff(true)[c]
	if d == nil || !d.BalanceDelta || d.Balance.Cmp(new(uint256.Int).Sub(u(2), u(30))) != 0 {
		t.Fatalf("diff %+v: want a delta of 2-30 (mod 2^256)", d)
	}
	m := mem.Copy()
	m.Apply(state.Diff{c: d})
	if a, _, _ := m.Account(c); a.Balance.Uint64() != 72 {
		t.Fatalf("applied: %d, want 72", a.Balance.Uint64())
	}
}

// TestFundsAfterWrappingCredit: balances are kept mod 2^256, so a credit
// may wrap a huge balance to a small one (serial execution, as geth); a
// value check after a credit to an unobserved balance must then read it
// rather than trust "start + credits >= v" (review finding).
func TestFundsAfterWrappingCredit(t *testing.T) {
	c := common.Address{0xc}
	mem := state.NewMem()
	start := new(uint256.Int).Sub(new(uint256.Int), uint256.NewInt(10)) // 2^256 - 10
	mem.SetAccount(c, state.Account{Nonce: 1, Balance: *start})
	for _, lazy := range []bool{false, true} {
		var src state.Source = mem
		if lazy {
			src = &fundsSource{Mem: mem}
		}
		s := NewState(src)
		if err := s.Load(c); err != nil {
			t.Fatal(err)
		}
		s.AddBalance(c, uint256.NewInt(20)) // wraps to 10
		v := uint256.NewInt(15)
		if err := s.PrepareFunds(c, v); err != nil {
			t.Fatal(err)
		}
		if s.HasFunds(c, v) {
			t.Fatalf("lazy %v: (2^256-10)+20 mod 2^256 = 10 >= 15 answered true", lazy)
		}
		s.Release()
	}
}

// TestEmptyAfterWrappingCredit: EIP-161 emptiness of an unobserved,
// credited balance: start 2^256-2 plus a credit of 2 wraps to zero, so
// serial execution deletes the touched account; the lazy State must
// agree (it may trust "credited, so not empty" only once the source has
// confirmed start < 2^255). A small start keeps the account, without a
// read of the balance.
func TestEmptyAfterWrappingCredit(t *testing.T) {
	c := common.Address{0xd}
	for _, start := range []*uint256.Int{new(uint256.Int).Sub(new(uint256.Int), uint256.NewInt(2)), uint256.NewInt(7)} {
		mem := state.NewMem()
		mem.SetAccount(c, state.Account{Balance: *start})
		src := &fundsSource{Mem: mem}
		var deleted [2]bool
		for i, s := range []*State{NewState(mem), NewState(src)} {
			if err := s.Load(c); err != nil {
				t.Fatal(err)
			}
			s.AddBalance(c, uint256.NewInt(2))
			if err := s.PrepareDiff(); err != nil {
				t.Fatal(err)
			}
			d := s.Diff(true)[c]
			deleted[i] = d != nil && d.Deleted
			s.Release()
		}
		if deleted[0] != deleted[1] {
			t.Fatalf("start %s: serial deleted %v, lazy deleted %v", start.Dec(), deleted[0], deleted[1])
		}
		if start.Uint64() == 7 && (deleted[0] || src.observed != 0 || src.asked != 1) {
			t.Fatalf("start 7: deleted %v, observed %d, asked %d: want kept, one predicate, no read", deleted[0], src.observed, src.asked)
		}
	}
}
