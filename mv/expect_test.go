package mv

import (
	"slices"

	"github.com/ethereum/go-ethereum/common"
	"testing"

	"github.com/holiman/uint256"
	"github.com/velarium/velarium/state"
)

// TestExpectPayment: a payout's transactions are expected, not chained
// (ExpectPayment). The next payment reads the expected nonce and goes on;
// the real, equal write invalidates nobody (the one rule: equal values
// invalidate nothing), a different one invalidates the reader. A funds
// check on the pessimistic balance holds and stays held when the real
// debit is smaller.
func TestExpectPayment(t *testing.T) {
	base := state.NewMem()
	base.SetAccount(acct, state.Account{Nonce: 5, Balance: *uint256.NewInt(100)})
	s := New(base, 3)
	for tx, cost := range []uint64{30, 30} {
		if err := s.ExpectPayment(tx, tx, acct, uint256.NewInt(cost)); err != nil {
			t.Fatal(err)
		}
	}
	for tx := range 3 {
		s.Begin(tx, 0)
	}
	// Transaction 2 (the third payment) reads the nonce transaction 1 is
	// expected to write (exactly, its balance left lazy: a sender's load),
	// and its funds on 100 - 30 - 30.
	a, ok, _, blk, err := s.ReadAccountLazy(2, 0, acct, false)
	if err != nil || blk >= 0 || !ok || a.Nonce != 7 {
		t.Fatalf("third payment reads nonce %d (exists %v, blocked by %d, %v), want 7 at once", a.Nonce, ok, blk, err)
	}
	if yes, blk, err := s.BalanceAtLeast(2, 0, acct, uint256.NewInt(40)); !yes || blk >= 0 || err != nil {
		t.Fatalf("funds check on the pessimistic balance: %v (blocked by %d, %v), want true", yes, blk, err)
	}
	if yes, _, _ := s.BalanceAtLeast(1, 0, acct, uint256.NewInt(71)); yes {
		t.Fatal("funds check above the pessimistic balance held")
	}
	ka, kb := AccountKeys(acct)
	debit := func(x uint64) Write {
		var d uint256.Int
		d.Neg(uint256.NewInt(x))
		return Write{Val: BalanceValue(&d), Credit: true}
	}
	// Transaction 0 writes what was expected, with a smaller debit: nobody
	// runs again.
	if inv := s.Finish(0, []KeyWrite{{ka, Write{Val: Value{Exists: true, Nonce: 6, Word: state.EmptyCodeHash}}}, {kb, debit(21)}}, nil); len(inv) != 0 {
		t.Fatalf("an expected write, as expected: invalidated %v", inv)
	}
	// Transaction 1 writes another nonce (it was not what was expected):
	// the nonce reader runs again.
	if inv := s.Finish(1, []KeyWrite{{ka, Write{Val: Value{Exists: true, Nonce: 9, Word: state.EmptyCodeHash}}}, {kb, debit(21)}}, nil); !slices.Contains(inv, 2) {
		t.Fatalf("a write other than expected: invalidated %v, want transaction 2", inv)
	}
}

// TestExpectRemoved: an expected payment that writes nothing (it was
// invalid) or no balance (a zero delta) removes the expectation, and the
// readers that took it exactly run again (a funds check the balance
// still passes stays); a real debit larger than expected breaks a funds
// check that held on the expected balance (a review's cases).
func TestExpectRemoved(t *testing.T) {
	ka, kb := AccountKeys(acct)
	var d31 uint256.Int
	d31.Neg(uint256.NewInt(31))
	nonce6 := KeyWrite{ka, Write{Val: Value{Exists: true, Nonce: 6, Word: state.EmptyCodeHash}}}
	for _, tc := range []struct {
		name            string
		writes          []KeyWrite
		nonce, bal, atL bool // readers that must run again
	}{
		// Without the debit the balance is 100: the funds check still holds.
		{"invalid: no writes", nil, true, true, false},
		{"zero balance delta: account only", []KeyWrite{nonce6}, false, true, false},
		{"a larger debit", []KeyWrite{nonce6, {kb, Write{Val: BalanceValue(&d31), Credit: true}}}, false, true, true},
	} {
		base := state.NewMem()
		base.SetAccount(acct, state.Account{Nonce: 5, Balance: *uint256.NewInt(100)})
		s := New(base, 4)
		if err := s.ExpectPayment(0, 0, acct, uint256.NewInt(30)); err != nil {
			t.Fatal(err)
		}
		for tx := 1; tx < 4; tx++ {
			s.Begin(tx, 0)
		}
		if a, _, _, _, _ := s.ReadAccountLazy(1, 0, acct, false); a.Nonce != 6 {
			t.Fatalf("%s: expected nonce read as %d, want 6", tc.name, a.Nonce)
		}
		if b, _, _ := s.ObserveBalance(2, 0, acct); b.Uint64() != 70 {
			t.Fatalf("%s: expected balance read as %d, want 70", tc.name, b.Uint64())
		}
		if yes, _, _ := s.BalanceAtLeast(3, 0, acct, uint256.NewInt(70)); !yes {
			t.Fatalf("%s: funds check on the expected balance 70 >= 70 failed", tc.name)
		}
		inv := s.Finish(0, tc.writes, nil)
		for _, r := range []struct {
			tx   int
			want bool
		}{{1, tc.nonce}, {2, tc.bal}, {3, tc.atL}} {
			if slices.Contains(inv, r.tx) != r.want {
				t.Errorf("%s: transaction %d invalidated %v, want %v (invalidated %v)", tc.name, r.tx, !r.want, r.want, inv)
			}
		}
	}
}

// TestPoolPayout: the coinbase paying out (a mining pool) while every
// transaction credits it a fee. Its own debits are versions (expected,
// then written), the fees are kept apart (SetFeeSink), and a payment's
// funds check is answered on the balance without the fees, a lower
// bound, instead of waiting for the final prefix; the one rule re-checks
// it on that bound when a debit below changes, and a fee never does.
func TestPoolPayout(t *testing.T) {
	cb := common.HexToAddress("0xc0")
	ka, kb := AccountKeys(cb)
	base := state.NewMem()
	base.SetAccount(cb, state.Account{Nonce: 1, Balance: *uint256.NewInt(100)})
	s := New(base, 4)
	s.SetFeeSink(cb)
	for _, p := range [][2]int{{0, 0}, {2, 1}, {3, 2}} {
		if err := s.ExpectPayment(p[0], p[1], cb, uint256.NewInt(30)); err != nil {
			t.Fatal(err)
		}
	}
	for tx := range 4 {
		s.Begin(tx, 0)
	}
	credit := func(x int64) KeyWrite {
		var c uint256.Int
		if x < 0 {
			c.Neg(uint256.NewInt(uint64(-x)))
		} else {
			c.SetUint64(uint64(x))
		}
		return KeyWrite{kb, Write{Val: BalanceValue(&c), Credit: true}}
	}
	nonce := func(n uint64) KeyWrite {
		return KeyWrite{ka, Write{Val: Value{Exists: true, Nonce: n, Word: state.EmptyCodeHash}}}
	}
	// Transaction 1, another sender, pays the coinbase a fee: no reader
	// depends on fees.
	if inv := s.Finish(1, []KeyWrite{credit(5)}, nil); len(inv) != 0 {
		t.Fatalf("a fee invalidated %v", inv)
	}
	// Payment 2 needs 60 of 100 - 30: answered at once.
	if yes, blk, err := s.BalanceAtLeast(2, 0, cb, uint256.NewInt(60)); !yes || blk >= 0 || err != nil {
		t.Fatalf("pool payment's funds check: %v (blocked by %d, %v), want yes at once", yes, blk, err)
	}
	// Payment 3 needs 41 of 100 - 60 (+ the fee 5, not counted yet): it
	// waits for the final prefix.
	if yes, blk, _ := s.BalanceAtLeast(3, 0, cb, uint256.NewInt(41)); yes || blk != AwaitPrefix {
		t.Fatalf("funds check above the bound: %v, blocked by %d, want a wait for the final prefix", yes, blk)
	}
	// Payment 0 debits 25 net (30, less its fee back): the bound for
	// payment 2 rises to 75, which covers 60.
	if inv := s.Finish(0, []KeyWrite{nonce(2), credit(-25)}, nil); len(inv) != 0 {
		t.Fatalf("a smaller debit below a covered funds check invalidated %v", inv)
	}
	// Now 45: the bound 55 no longer covers 60, fees or not.
	if inv := s.Finish(0, []KeyWrite{nonce(2), credit(-45)}, nil); !slices.Contains(inv, 2) {
		t.Fatalf("a debit breaking the bound invalidated %v, want transaction 2", inv)
	}
	s.Begin(2, 1)
	if inv := s.Finish(2, []KeyWrite{nonce(3), credit(-28)}, nil); len(inv) != 0 {
		t.Fatalf("payment 2 invalidated %v", inv)
	}
	// Final: 100 - 45 + 5 - 28 = 32, exact once the prefix is final.
	s.SetCommitted(3)
	if yes, blk, _ := s.BalanceAtLeast(3, 0, cb, uint256.NewInt(32)); !yes || blk >= 0 {
		t.Fatalf("exact funds check 32 of 32: %v, blocked by %d", yes, blk)
	}
	if yes, blk, _ := s.BalanceAtLeast(3, 0, cb, uint256.NewInt(33)); yes || blk >= 0 {
		t.Fatalf("exact funds check 33 of 32: %v, blocked by %d", yes, blk)
	}
	s.Finish(3, nil, nil)
	s.SetCommitted(4)
	d, err := s.DiffAt(4)
	if err != nil {
		t.Fatal(err)
	}
	if a := d[cb]; a == nil || a.Balance.Uint64() != 32 || a.Nonce != 3 {
		t.Fatalf("final coinbase %+v, want balance 32 nonce 3", a)
	}
}

// TestPoolPayoutFolded: the lower bound over a fold (the sink's versions
// of final transactions folded, see fold) and a final prefix that has
// fees: the bound leaves out every fee, final or not; the exact value at
// the prefix adds them. Payments of the coinbase at even indices (each
// expected to debit 5, really 4), fees of 1 at odd ones.
func TestPoolPayoutFolded(t *testing.T) {
	cb := common.HexToAddress("0xc0")
	_, kb := AccountKeys(cb)
	base := state.NewMem()
	base.SetAccount(cb, state.Account{Balance: *uint256.NewInt(100)})
	s := New(base, 20)
	s.SetFeeSink(cb)
	for i := range 10 {
		if err := s.ExpectPayment(2*i, i, cb, uint256.NewInt(5)); err != nil {
			t.Fatal(err)
		}
	}
	for tx := range 20 {
		s.Begin(tx, 0)
	}
	credit := func(x int64) []KeyWrite {
		var c uint256.Int
		if x < 0 {
			c.Neg(uint256.NewInt(uint64(-x)))
		} else {
			c.SetUint64(uint64(x))
		}
		return []KeyWrite{{kb, Write{Val: BalanceValue(&c), Credit: true}}}
	}
	for i := range 8 {
		s.Finish(2*i+1, credit(1), nil)
	}
	for i := range 6 {
		s.Finish(2*i, credit(-4), nil)
	}
	s.SetCommitted(12)
	atLeast := func(tx int, x uint64) (bool, int) {
		yes, blk, err := s.BalanceAtLeast(tx, 0, cb, uint256.NewInt(x))
		if err != nil {
			t.Fatal(err)
		}
		return yes, blk
	}
	// At the prefix, exact: 100 - 6*4 + 6 fees.
	if yes, blk := atLeast(12, 82); !yes || blk >= 0 {
		t.Fatalf("exact 82 of 82 at the prefix: %v, blocked by %d", yes, blk)
	}
	if yes, blk := atLeast(12, 83); yes || blk >= 0 {
		t.Fatalf("exact 83 of 82 at the prefix: %v, blocked by %d", yes, blk)
	}
	// Above it, the bound: 100 - 6*4 - 5 - 5 (12 and 14 expected), no fees.
	if yes, blk := atLeast(16, 66); !yes || blk >= 0 {
		t.Fatalf("bound 66 of 66: %v, blocked by %d", yes, blk)
	}
	if yes, blk := atLeast(16, 67); yes || blk != AwaitPrefix {
		t.Fatalf("bound 67 of 66: %v, blocked by %d, want a wait", yes, blk)
	}
	if inv := s.Finish(14, credit(-20), nil); !slices.Contains(inv, 16) {
		t.Fatalf("payment 14 debiting 20, not 5: invalidated %v, want 16", inv)
	}
	for _, tx := range []int{12, 16, 18} {
		s.Finish(tx, credit(-4), nil)
	}
	for _, tx := range []int{17, 19} {
		s.Finish(tx, credit(1), nil)
	}
	s.SetCommitted(20)
	d, err := s.DiffAt(20)
	if err != nil {
		t.Fatal(err)
	}
	// 100 - 4*9 - 20 + 10 fees.
	if a := d[cb]; a == nil || a.Balance.Uint64() != 54 {
		t.Fatalf("final coinbase %+v, want balance 54", a)
	}
}
