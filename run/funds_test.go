package run

import (
	"testing"

	"github.com/holiman/uint256"
	"github.com/velarium/velarium/chain"
	"github.com/velarium/velarium/fork"
	"github.com/velarium/velarium/state"
)

// TestFundsCheckCommutes: issue 5, item 3 (stretch): a funds check that
// only needs "balance >= X" is kept as that predicate. Transaction 0
// pays account B; transaction 1, sent by B, starts at the same time on
// another simulated core, before the credit lands. With B's funds check
// a predicate (B has enough without the credit) the credit does not
// invalidate it: no re-execution, and the serial result. When B needs
// the credit to pay, its check fails without it, B's balance is read
// exactly, and the credit must invalidate transaction 1.
func TestFundsCheckCommutes(t *testing.T) {
	rules := fork.Get(fork.Cancun)
	a, b, c := eoa(0), eoa(1), eoa(2)
	for _, tc := range []struct {
		name       string
		bBalance   uint64
		wantReexec bool
	}{
		{"enough without the credit", 1e18, false},
		{"needs the credit", 1_000_000, true},
	} {
		pre := state.NewMem()
		pre.SetAccount(a, state.Account{Balance: *uint256.NewInt(1e18)})
		pre.SetAccount(b, state.Account{Balance: *uint256.NewInt(tc.bBalance)})
		pay := &chain.Message{From: a, To: &b, Gas: 21000}
		pay.GasPrice.SetUint64(10)
		pay.Value.SetUint64(1e15)
		spend := &chain.Message{From: b, To: &c, Gas: 21000}
		spend.GasPrice.SetUint64(10)
		spend.Value.SetUint64(1e6)
		txs := []*chain.Message{pay, spend}
		want, wantDiff, err := Serial(rules, testEnv(), txs, pre)
		if err != nil {
			t.Fatal(err)
		}
		if want[1].Err != nil {
			t.Fatalf("%s: serial transaction 1 is invalid: %v", tc.name, want[1].Err)
		}
		got, gotDiff, rep, err := Simulate(rules, testEnv(), txs, pre, SimOptions{Cores: 2})
		if err != nil {
			t.Fatal(err)
		}
		if got[1].Err != nil || got[1].GasUsed != want[1].GasUsed {
			t.Fatalf("%s: transaction 1: %v, gas %d; serial gas %d", tc.name, got[1].Err, got[1].GasUsed, want[1].GasUsed)
		}
		if d := state.CompareDiffs(wantDiff, gotDiff); d != "" {
			t.Fatalf("%s: state diff (serial / simulated): %s", tc.name, d)
		}
		if (rep.Reexecutions > 0) != tc.wantReexec {
			t.Fatalf("%s: %d re-executions, want re-execution %v", tc.name, rep.Reexecutions, tc.wantReexec)
		}
	}
}
