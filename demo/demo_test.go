package demo

import (
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/holiman/uint256"
	"github.com/velarium/velarium/asm"
	"github.com/velarium/velarium/chain"
	"github.com/velarium/velarium/fork"
	"github.com/velarium/velarium/run"
	"github.com/velarium/velarium/state"
)

// TestWorkloadsParallelEqualsSerial: every workload, small, on 2 and 4
// workers (and the simulator once it exists) gives the serial results.
func TestWorkloadsParallelEqualsSerial(t *testing.T) {
	for _, w := range All() {
		t.Run(w.Name, func(t *testing.T) {
			for _, workers := range []int{2, 4} {
				row, err := Run(w, Options{Size: 120, Seed: 7, Workers: workers, Reps: 1, SimCores: []int{4}})
				if err != nil {
					t.Fatal(err)
				}
				if row.Txs != 120 {
					t.Fatalf("%d txs", row.Txs)
				}
				if row.Failed != 0 {
					t.Errorf("%d transactions failed", row.Failed)
				}
				if row.ParallelSerial {
					t.Logf("workers %d: parallel run went serial (%s)", workers, row.Fallback)
				}
				if row.SimErr != "" {
					t.Logf("simulator skipped: %s", row.SimErr)
				}
				t.Logf("workers %d: runs %d re-executions %d parks %d", workers, row.Runs, row.Reexecutions, row.Parks)
			}
		})
	}
}

func TestDeterministic(t *testing.T) {
	for _, w := range All() {
		a, err := w.Gen(50, 3)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := w.Gen(50, 3)
		if a.Pre.Root() != b.Pre.Root() || len(a.Txs) != len(b.Txs) {
			t.Fatalf("%s: two generations differ", w.Name)
		}
		for i := range a.Txs {
			if string(a.Txs[i].Data) != string(b.Txs[i].Data) || *a.Txs[i].To != *b.Txs[i].To {
				t.Fatalf("%s: tx %d differs", w.Name, i)
			}
		}
	}
}

// TestERC20Transfers: the transfers succeed, log Transfer, and move the
// balances.
func TestERC20Transfers(t *testing.T) {
	b, err := ERC20.Gen(200, 1)
	if err != nil {
		t.Fatal(err)
	}
	res, diff, err := run.Serial(Rules(), b.Env, b.Txs, b.Pre)
	if err != nil {
		t.Fatal(err)
	}
	post := b.Pre.Copy()
	post.Apply(diff)
	topic := asm.EventTopic(EvTransfer)
	moved := map[common.Address]int64{}
	for i, r := range res {
		if r.Err != nil || r.Status != 1 {
			t.Fatalf("tx %d: err %v status %d exec %v", i, r.Err, r.Status, r.ExecErr)
		}
		if new(uint256.Int).SetBytes(r.ReturnData).Uint64() != 1 {
			t.Fatalf("tx %d returned %x", i, r.ReturnData)
		}
		if len(r.Logs) != 1 || r.Logs[0].Topics[0] != topic || r.Logs[0].Address != Token {
			t.Fatalf("tx %d logs %+v", i, r.Logs)
		}
		l := r.Logs[0]
		from, to := common.BytesToAddress(l.Topics[1][:]), common.BytesToAddress(l.Topics[2][:])
		amt := new(uint256.Int).SetBytes(l.Data).Uint64()
		if from != b.Txs[i].From || to != common.BytesToAddress(b.Txs[i].Data[4:36]) {
			t.Fatalf("tx %d log from %x to %x", i, from, to)
		}
		moved[from] -= int64(amt)
		moved[to] += int64(amt)
	}
	bal := func(m interface {
		Storage(common.Address, common.Hash) (common.Hash, error)
	}, a common.Address) int64 {
		h, _ := m.Storage(Token, asm.AddrMapSlot(a, 0))
		return int64(new(uint256.Int).SetBytes(h[:]).Uint64())
	}
	for a, d := range moved {
		if got := bal(post, a) - bal(b.Pre, a); got != d {
			t.Errorf("%x: balance moved by %d, want %d", a, got, d)
		}
	}
	if bal(post, Sender(0)) >= erc20StartBalance {
		t.Error("sender 0's balance did not go down")
	}
	// The coinbase got the tips.
	if a, _, _ := post.Account(Coinbase); a.Balance.IsZero() {
		t.Error("coinbase got no fees")
	}
}

// TestERC20Reverts: a transfer above the balance reverts and changes
// nothing but the sender's nonce and gas payment.
func TestERC20Reverts(t *testing.T) {
	b, err := ERC20.Gen(1, 1)
	if err != nil {
		t.Fatal(err)
	}
	to := Recipient(1)
	b.Txs[0].Data = asm.Calldata(SigTransfer, to[:], word(uint256.NewInt(erc20StartBalance+1)))
	res, diff, err := run.Serial(Rules(), b.Env, b.Txs, b.Pre)
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Status != 0 || len(res[0].Logs) != 0 {
		t.Fatalf("status %d logs %d", res[0].Status, len(res[0].Logs))
	}
	if d := diff[Token]; d != nil && len(d.Storage) != 0 {
		t.Errorf("token storage changed: %v", d.Storage)
	}
}

// TestContracts checks the mint, AMM and hash-chain contracts' effects.
func TestContracts(t *testing.T) {
	slot := func(i byte) common.Hash { return common.Hash{31: i} }
	get := func(w Workload, n int, addr common.Address, s common.Hash) (before, after *uint256.Int) {
		b, err := w.Gen(n, 1)
		if err != nil {
			t.Fatal(err)
		}
		res, diff, err := run.Serial(Rules(), b.Env, b.Txs, b.Pre)
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range res {
			if r.Err != nil || r.Status != 1 {
				t.Fatalf("%s tx %d: err %v status %d exec %v", w.Name, i, r.Err, r.Status, r.ExecErr)
			}
		}
		post := b.Pre.Copy()
		post.Apply(diff)
		x, _ := b.Pre.Storage(addr, s)
		y, _ := post.Storage(addr, s)
		if w.Name == "mint" {
			h, _ := post.Storage(Minter, asm.AddrMapSlot(Sender(n-1), 0))
			if h != slot(1) {
				t.Errorf("mint: last minter's balance %x", h)
			}
		}
		return new(uint256.Int).SetBytes(x[:]), new(uint256.Int).SetBytes(y[:])
	}
	if a, b := get(Mint, 30, Minter, slot(1)); new(uint256.Int).Sub(b, a).Uint64() != 30 {
		t.Errorf("mint: totalSupply %v -> %v", a, b)
	}
	a0, b0 := get(AMM, 30, Pool, slot(SlotReserve0))
	a1, b1 := get(AMM, 30, Pool, slot(SlotReserve1))
	if a0.Eq(b0) || a1.Eq(b1) {
		t.Errorf("amm: reserves did not move")
	}
	// The constant product never decreases (fees stay in the pool).
	k0, k1 := new(uint256.Int).Mul(a0, a1), new(uint256.Int).Mul(b0, b1)
	if k1.Lt(k0) {
		t.Errorf("amm: k decreased %v -> %v", k0, k1)
	}
	if x, y := get(Chain, 5, Hasher, common.Hash{}); x.Eq(y) {
		t.Error("chain: slot 0 unchanged")
	}
}

// TestSimulatedAdaptive: on a fully dependent block, 64 simulated cores
// speculate past every dependency; the adaptive rule (the real driver's,
// scaled to the cores) finishes the block serially from the final prefix
// instead of letting a transaction exhaust its runs, which would throw the
// speculation away and re-run the whole block serially (issue 5, item 7:
// bounded runs with a serial fallback). The results stay the serial ones.
func TestSimulatedAdaptive(t *testing.T) {
	b, rules, want, wantDiff := serialBlock(t, Chain, 200, 3)
	opt := run.SimOptions{Cores: 64, MaxRuns: 64, MinTxs: run.DefaultMinTxs, MinBound: run.DefaultMinBound}
	_, _, plain, err := run.Simulate(rules, b.Env, b.Txs, b.Pre, opt)
	if err != nil {
		t.Fatal(err)
	}
	opt.Adaptive = true
	got, diff, rep, err := run.Simulate(rules, b.Env, b.Txs, b.Pre, opt)
	if err != nil {
		t.Fatal(err)
	}
	if err := Compare(want, got, wantDiff, diff); err != nil {
		t.Fatalf("adaptive simulation differs from serial: %v", err)
	}
	if rep.SerialFrom < 0 || rep.Serial {
		t.Fatalf("adaptive rule did not finish the block serially: serial-from %d, serial %v, %d re-executions", rep.SerialFrom, rep.Serial, rep.Reexecutions)
	}
	if rep.Speedup <= plain.Speedup {
		t.Fatalf("adaptive speedup %.3f not above %.3f without the rule", rep.Speedup, plain.Speedup)
	}
	if rep.Bound < 1-1e-9 || rep.Efficiency > 1+1e-9 || rep.Utilisation > 1+1e-9 {
		t.Fatalf("report inconsistent: bound %f efficiency %f utilisation %f", rep.Bound, rep.Efficiency, rep.Utilisation)
	}
	t.Logf("64 cores: %.2fx with the rule (serial from %d, %d re-executions), %.2fx without (%d re-executions, serial %v)",
		rep.Speedup, rep.SerialFrom, rep.Reexecutions, plain.Speedup, plain.Reexecutions, plain.Serial)
}

// TestBoundedRunsFallback: when a transaction exceeds its runs (issue 5,
// item 7: runs per transaction are bounded, with a serial fallback) both
// drivers keep the final prefix and run the rest serially on top of it;
// the results are the serial ones.
func TestBoundedRunsFallback(t *testing.T) {
	b, rules, want, wantDiff := serialBlock(t, Chain, 120, 5)
	// One run per transaction: the first re-execution exceeds it.
	st := untilSerialTail(t, b, rules, want, wantDiff, run.Options{Workers: 4, MaxRuns: 1, Force: true}, "exceeded")
	got, diff, rep, err := run.Simulate(rules, b.Env, b.Txs, b.Pre, run.SimOptions{Cores: 64, MaxRuns: 2})
	if err != nil {
		t.Fatal(err)
	}
	if err := Compare(want, got, wantDiff, diff); err != nil {
		t.Fatalf("simulator: %v", err)
	}
	if !rep.Exceeded || rep.SerialFrom < 0 || rep.Speedup <= 0 || rep.Bound < 1-1e-9 {
		t.Fatalf("simulator: no bounded-runs fallback or inconsistent report: %+v", rep)
	}
	t.Logf("real: %s; simulated: serial from %d, %.2fx", st.Fallback, rep.SerialFrom, rep.Speedup)
}

// TestAdaptiveFallback: when speculation keeps failing (a fully dependent
// block on 2 workers), the real driver finishes the block serially from
// the final prefix (the adaptive rule, issue 5 item 7) and the results
// are the serial ones. On 2 workers the rule needs half a re-execution
// per final transaction: a chain gives about one, even on a loaded
// machine (on 4 workers it needs one, and under load the run sometimes
// stays just below). (TestParallelEqualsSerial in package run meets the
// rule only now and then: its random blocks rarely keep failing.)
func TestAdaptiveFallback(t *testing.T) {
	b, rules, want, wantDiff := serialBlock(t, Chain, 120, 6)
	st := untilSerialTail(t, b, rules, want, wantDiff, run.Options{Workers: 2, Adaptive: true, AdaptiveMin: 1, Force: true}, "adaptive")
	t.Logf("%s", st.Fallback)
}

// serialBlock generates a block of workload w and its serial results and
// state diff.
func serialBlock(tb testing.TB, w Workload, size int, seed int64) (*Block, *fork.Rules, []*chain.Result, state.Diff) {
	tb.Helper()
	b, err := w.Gen(size, seed)
	if err != nil {
		tb.Fatal(err)
	}
	rules := Rules()
	want, wantDiff, err := run.Serial(rules, b.Env, b.Txs, b.Pre)
	if err != nil {
		tb.Fatal(err)
	}
	return b, rules, want, wantDiff
}

// untilSerialTail runs b on real workers until a run ends with a serial
// tail whose reason contains why, and fails if none does in 10 attempts.
// Whether one does depends on the schedule (on a fully dependent block,
// nearly always); every attempt must equal serial.
func untilSerialTail(t *testing.T, b *Block, rules *fork.Rules, want []*chain.Result, wantDiff state.Diff, opt run.Options, why string) run.Stats {
	t.Helper()
	st := run.Stats{SerialFrom: -1}
	for attempt := 0; attempt < 10 && st.SerialFrom < 0; attempt++ {
		got, diff, err := run.Parallel(rules, b.Env, b.Txs, b.Pre, opt, &st)
		if err != nil {
			t.Fatal(err)
		}
		if err := Compare(want, got, wantDiff, diff); err != nil {
			t.Fatalf("attempt %d: %v", attempt, err)
		}
	}
	if st.SerialFrom < 0 || !strings.Contains(st.Fallback, why) {
		t.Fatalf("no serial tail (%s) in 10 attempts: %+v", why, st)
	}
	return st
}
