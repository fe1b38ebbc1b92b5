package run_test

import (
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/holiman/uint256"
	"github.com/velarium/velarium/chain"
	"github.com/velarium/velarium/demo"
	"github.com/velarium/velarium/run"
	"github.com/velarium/velarium/state"
)

// TestExecutorOntoEqualsSerial: run.ExecutorOnto layers the block diff
// onto the overlay it runs over (chain.TxExecutorOnto) on every path of
// the executor: the workers' parts (mv.Store.ApplyParts), consecutive
// batches (MaxBatch), and the serial continuation from the final prefix
// after a transaction ran out of runs (MaxRuns) or the adaptive rule gave
// up. The overlay already holds changes when the block starts, as
// chain.ExecuteBlock's does after the system calls (EIP-4788, EIP-2935):
// a sender's balance raised, a recipient deleted, a slot of the workload's
// contract written. The results and the overlay's diff must equal serial
// execution's over the same overlay.
func TestExecutorOntoEqualsSerial(t *testing.T) {
	rules := demo.Rules()
	configs := []struct {
		name     string
		opt      run.Options
		fallback bool // some workload must take the serial continuation
	}{
		{"2 workers", run.Options{Workers: 2, Force: true}, false},
		{"batches of 7", run.Options{Workers: 2, Force: true, MaxBatch: 7}, false},
		{"one run each", run.Options{Workers: 2, Force: true, MaxRuns: 1}, true},
		{"adaptive", run.Options{Workers: 2, Force: true, Adaptive: true, AdaptiveMin: 1}, true},
		{"1 worker", run.Options{Workers: 1, Force: true}, false},
	}
	for _, c := range configs {
		fellBack := false
		// Whether a run re-executes, and so falls back, depends on the
		// workers' timing: the configurations that must fall back try the
		// workloads again (each time checked) until one did.
		rounds := 1
		if c.fallback {
			rounds = 50
		}
		tried := 0
		for round := 0; round < rounds && !(c.fallback && fellBack); round++ {
			tried++
			for _, w := range demo.All() {
				blk, err := w.Gen(120, 5)
				if err != nil {
					t.Fatal(err)
				}
				// Changes in the overlay before the block, on what the
				// transactions touch.
				before := func() *state.Overlay {
					ov := state.NewOverlay(blk.Pre)
					m0 := blk.Txs[0]
					a, _, _ := blk.Pre.Account(m0.From)
					a.Balance.Add(&a.Balance, uint256.NewInt(1e18))
					ov.ApplyAccount(m0.From, &state.AccountDiff{Nonce: a.Nonce, Balance: a.Balance, CodeHash: a.CodeHash})
					if to := blk.Txs[1].To; to != nil {
						acct, ok, _ := blk.Pre.Account(*to)
						switch {
						case ok && acct.CodeHash != (common.Hash{}) && acct.CodeHash != state.EmptyCodeHash:
							ov.ApplyAccount(*to, &state.AccountDiff{Nonce: acct.Nonce, Balance: acct.Balance, CodeHash: acct.CodeHash,
								Storage: map[common.Hash]common.Hash{{31: 1}: {31: 7}}})
						case ok:
							ov.ApplyAccount(*to, &state.AccountDiff{Deleted: true})
						}
					}
					return ov
				}
				ref := before()
				want := make([]*chain.Result, len(blk.Txs))
				for i, m := range blk.Txs {
					r, err := chain.ApplyOnto(rules, blk.Env, m, ref, ref, chain.Config{})
					if err != nil {
						t.Fatalf("%s: serial transaction %d: %v", w.Name, i, err)
					}
					want[i] = r
				}
				ov := before()
				var st run.Stats
				got, err := run.ExecutorOnto(c.opt, &st)(rules, blk.Env, blk.Txs, ov)
				if err != nil {
					t.Fatalf("%s, %s: %v", c.name, w.Name, err)
				}
				if got == nil {
					t.Fatalf("%s, %s: no results (stats %+v)", c.name, w.Name, st)
				}
				if err := demo.Compare(want, got, ref.Diff(), ov.Diff()); err != nil {
					t.Fatalf("%s, %s (stats %+v): %v", c.name, w.Name, st, err)
				}
				fellBack = fellBack || st.SerialFrom >= 0
			}
		}
		switch {
		case c.fallback && !fellBack:
			t.Errorf("%s: no workload took the serial continuation in %d rounds: the path is not exercised", c.name, rounds)
		case c.fallback:
			t.Logf("%s: took the serial continuation within %d round(s)", c.name, tried)
		}
	}
}
