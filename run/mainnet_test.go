package run_test

import (
	"errors"
	"github.com/velarium/velarium/internal/fixtures"

	"testing"

	"github.com/velarium/velarium/chain"
	"github.com/velarium/velarium/demo"
	"github.com/velarium/velarium/fork"
	"github.com/velarium/velarium/replay"
	"github.com/velarium/velarium/run"
	"github.com/velarium/velarium/state"
)

func mainnetBlocks(t testing.TB) []*replay.PevmBlock {
	dirs, err := replay.BlockDirs(fixtures.Require(t, "mainnet", "pevm"))
	if err != nil {
		t.Fatal(err)
	}
	ld := replay.NewLoader()
	var out []*replay.PevmBlock
	for _, d := range dirs {
		b, err := ld.Load(d)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

func sameBlock(t *testing.T, what string, pre *state.Mem, want, got *chain.BlockResult) {
	t.Helper()
	if want.GasUsed != got.GasUsed || want.Bloom != got.Bloom || want.ReceiptsRoot != got.ReceiptsRoot || len(want.Receipts) != len(got.Receipts) {
		t.Fatalf("%s: receipts differ: gas %d/%d, receipts root %x/%x", what, want.GasUsed, got.GasUsed, want.ReceiptsRoot, got.ReceiptsRoot)
	}
	for i := range want.Receipts {
		w, g := want.Receipts[i], got.Receipts[i]
		if w.Status != g.Status || w.GasUsed != g.GasUsed || w.Bloom != g.Bloom {
			t.Fatalf("%s: receipt %d differs", what, i)
		}
	}
	if d := state.CompareDiffs(want.Diff, got.Diff); d != "" {
		t.Fatalf("%s: state diff (serial / parallel): %s", what, d)
	}
	a, b := pre.Copy(), pre.Copy()
	a.Apply(want.Diff)
	b.Apply(got.Diff)
	if a.Root() != b.Root() {
		t.Fatalf("%s: state differs: serial root %x, parallel %x", what, a.Root(), b.Root())
	}
}

// TestMainnetParallelEqualsSerial: on every one of the 50 mainnet blocks,
// 1, 2, 4 and 8 real workers and 8, 32 and 128 simulated cores (with
// seeded random timings) give the serial receipts, gas, roots and state.
func TestMainnetParallelEqualsSerial(t *testing.T) {
	blocks := mainnetBlocks(t)
	workers, cores := []int{1, 2, 4, 8}, []int{8, 32, 128}
	if testing.Short() {
		// -short (the race-detector run in CI): every fifth block, fewer configurations.
		var some []*replay.PevmBlock
		for i := 0; i < len(blocks); i += 5 {
			some = append(some, blocks[i])
		}
		blocks, workers, cores = some, []int{2, 8}, []int{32}
	}
	for _, pb := range blocks {
		// The transactions' diff, before the block's own changes (the
		// coinbase's reward, withdrawals) are added to it: the executors'
		// output compared byte for byte.
		var serialTxs state.Diff
		serial, err := chain.ExecuteBlock(chain.Mainnet, pb.Block, pb.Pre, chain.BlockOptions{SkipSystem: true, Executor: capture(run.Serial, &serialTxs)})
		if err != nil {
			t.Fatalf("block %d serial: %v", pb.Number, err)
		}
		check := func(what string, got *chain.BlockResult, gotTxs state.Diff) {
			t.Helper()
			sameBlock(t, what, pb.Pre, serial, got)
			if d := state.CompareDiffs(serialTxs, gotTxs); d != "" {
				t.Fatalf("%s: transactions' diff (serial / parallel): %s", what, d)
			}
		}
		for _, w := range workers {
			var st run.Stats
			var txs state.Diff
			opt := run.DefaultOptions(w)
			// The executor returning the transactions' diff, compared
			// with serial's too.
			bo := chain.BlockOptions{SkipSystem: true, Workers: w, Executor: capture(run.Executor(opt, &st), &txs)}
			got, err := chain.ExecuteBlock(chain.Mainnet, pb.Block, pb.Pre, bo)
			if err != nil {
				t.Fatalf("block %d, %d workers: %v", pb.Number, w, err)
			}
			check("block "+itoa(pb.Number)+" workers "+itoa(uint64(w)), got, txs)
			// And as ExecuteBlock runs it by default (run.BlockOptions):
			// layering the diff onto the block's overlay itself.
			bo = run.BlockOptions(opt, &st)
			bo.SkipSystem = true
			got, err = chain.ExecuteBlock(chain.Mainnet, pb.Block, pb.Pre, bo)
			if err != nil {
				t.Fatalf("block %d, %d workers, onto the overlay: %v", pb.Number, w, err)
			}
			sameBlock(t, "block "+itoa(pb.Number)+" workers "+itoa(uint64(w))+" onto the overlay", pb.Pre, serial, got)
		}
		for _, p := range cores {
			seed := int64(pb.Number)*1000 + int64(p)
			var rep *run.SimReport
			var txs state.Diff
			got, err := chain.ExecuteBlock(chain.Mainnet, pb.Block, pb.Pre, chain.BlockOptions{SkipSystem: true,
				Executor: capture(run.SimExecutor(run.SimOptions{Cores: p, Seed: seed}, &rep), &txs)})
			if err != nil {
				t.Fatalf("block %d, %d simulated cores, seed %d: %v", pb.Number, p, seed, err)
			}
			check("block "+itoa(pb.Number)+" sim "+itoa(uint64(p))+" seed "+itoa(uint64(seed)), got, txs)
		}
	}
}

// againstSerial wraps exec: every call is also executed serially
// (run.Serial, on the same inputs), and a result or diff that differs
// from serial's (demo.Compare: byte for byte) fails t.
func againstSerial(t *testing.T, name string, exec chain.TxExecutor) chain.TxExecutor {
	return func(rules *fork.Rules, env *chain.BlockEnv, txs []*chain.Message, src state.Source) ([]*chain.Result, state.Diff, error) {
		res, diff, err := exec(rules, env, txs, src)
		if err != nil {
			return res, diff, err
		}
		want, wantDiff, err := run.Serial(rules, env, txs, src)
		if err != nil {
			t.Errorf("%s: block %d: serial: %v", name, env.Number, err)
		} else if err := demo.Compare(want, res, wantDiff, diff); err != nil {
			t.Errorf("%s: block %d: differs from serial: %v", name, env.Number, err)
		}
		return res, diff, nil
	}
}

// capture wraps exec, keeping the diff of its transactions in *d (serial
// execution's when exec declines the block: ExecuteBlock then runs it
// serially).
func capture(exec chain.TxExecutor, d *state.Diff) chain.TxExecutor {
	return func(rules *fork.Rules, env *chain.BlockEnv, txs []*chain.Message, src state.Source) ([]*chain.Result, state.Diff, error) {
		res, diff, err := exec(rules, env, txs, src)
		*d = diff
		if errors.Is(err, chain.ErrDeclined) {
			_, *d, _ = run.Serial(rules, env, txs, src)
		}
		return res, diff, err
	}
}

func itoa(v uint64) string {
	if v == 0 {
		return "0"
	}
	var b []byte
	for ; v > 0; v /= 10 {
		b = append([]byte{byte('0' + v%10)}, b...)
	}
	return string(b)
}

// TestBlockTestsParallelEqualsSerial: every ValidBlocks blockchain test,
// its transactions executed on real workers (1, 2, 4 and 8, small blocks
// included) and on 8, 32 and 128 simulated cores (seeded timings), passes
// the same checks as serial execution (each block's gasUsed, bloom,
// receipts root and state root, and the final post state), and each
// block's transactions give serial's results and state diff byte for byte.
func TestBlockTestsParallelEqualsSerial(t *testing.T) {
	files, err := fixtures.JSONFiles(fixtures.Require(t, "blocktests"))
	if err != nil {
		t.Fatal(err)
	}
	type cfg struct {
		name string
		opts replay.BlockTestOptions
	}
	var cfgs []cfg
	for _, w := range []int{2, 8, 1, 4} {
		name := "workers " + itoa(uint64(w))
		cfgs = append(cfgs, cfg{name, replay.BlockTestOptions{Executor: againstSerial(t, name, run.Executor(run.Options{Workers: w, MaxRuns: 64, Force: true}, nil))}})
	}
	// Layering the diff onto the block's overlay, which holds the system
	// calls' changes before the transactions (EIP-4788, EIP-2935): the
	// block checks (state root, post state) judge it.
	cfgs = append(cfgs, cfg{"workers 2 onto the overlay", replay.BlockTestOptions{ExecutorOnto: run.ExecutorOnto(run.Options{Workers: 2, MaxRuns: 64, Force: true}, nil)}})
	for _, p := range []int{8, 32, 128} {
		name := "sim " + itoa(uint64(p))
		cfgs = append(cfgs, cfg{name, replay.BlockTestOptions{Executor: againstSerial(t, name, run.SimExecutor(run.SimOptions{Cores: p, Seed: int64(p)}, nil))}})
	}
	if testing.Short() {
		cfgs = append(cfgs[:2], cfgs[4])
	}
	for _, c := range cfgs {
		results := replay.RunBlockTestFiles(files, 2, &c.opts, nil)
		n := 0
		for _, fr := range results {
			if fr.Err != nil {
				t.Fatalf("%s: %v", c.name, fr.Err)
			}
			for _, r := range fr.Results {
				n++
				if !r.Pass && !r.Skipped {
					t.Errorf("%s: %s %s: %s", c.name, r.File, r.Test, r.Summary())
				}
			}
		}
		if n == 0 {
			t.Fatalf("%s: no blockchain tests ran", c.name)
		}
	}
}
