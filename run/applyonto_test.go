package run_test

import (
	"fmt"
	"testing"

	"github.com/velarium/velarium/chain"
	"github.com/velarium/velarium/demo"
	"github.com/velarium/velarium/fork"
	"github.com/velarium/velarium/state"
)

// diffSerial is the serial loop as it was before chain.ApplyOnto: each
// transaction's Result.Diff built, then applied to the overlay.
func diffSerial(t *testing.T, rules *fork.Rules, env *chain.BlockEnv, txs []*chain.Message, src state.Source) ([]*chain.Result, state.Diff) {
	t.Helper()
	ov := state.NewOverlay(src)
	out := make([]*chain.Result, len(txs))
	for i, m := range txs {
		r, err := chain.Apply(rules, env, m, ov, chain.Config{})
		if err != nil {
			t.Fatalf("transaction %d: %v", i, err)
		}
		if r.Err == nil {
			ov.Apply(r.Diff)
		}
		out[i] = r
	}
	return out, ov.Diff()
}

// TestApplyOntoEqualsDiff: layering each transaction's changes onto the
// overlay directly (chain.ApplyOnto, what the serial loops use) gives
// the results and the block diff of building every transaction's diff
// and applying it (Overlay.Apply), on the 50 mainnet blocks (EIP-161
// deletions, self-destructs, creations, storage resets among them) and
// on the demo workloads.
func TestApplyOntoEqualsDiff(t *testing.T) {
	check := func(name string, rules *fork.Rules, env *chain.BlockEnv, txs []*chain.Message, src state.Source) {
		t.Helper()
		want, wantDiff := diffSerial(t, rules, env, txs, src)
		got, gotDiff, err := serialOnto(rules, env, txs, src)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for i := range want {
			if got[i].Diff != nil {
				t.Fatalf("%s: transaction %d: ApplyOnto built a Result.Diff", name, i)
			}
		}
		if err := demo.Compare(want, got, wantDiff, gotDiff); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	for _, w := range demo.All() {
		blk, err := w.Gen(200, 3)
		if err != nil {
			t.Fatal(err)
		}
		check(w.Name, demo.Rules(), blk.Env, blk.Txs, blk.Pre)
	}
	for _, pb := range mainnetBlocks(t) {
		rules := chain.Mainnet.Rules(pb.Block.Header.Number, pb.Block.Header.Time)
		check(fmt.Sprint("block ", pb.Number), rules, chain.Mainnet.Env(&pb.Block.Header), pb.Block.Txs, pb.Pre)
	}
}

// serialOnto is run.Serial's loop, spelled out so that the test does not
// depend on which helper Serial uses.
func serialOnto(rules *fork.Rules, env *chain.BlockEnv, txs []*chain.Message, src state.Source) ([]*chain.Result, state.Diff, error) {
	ov := state.NewOverlay(src)
	out := make([]*chain.Result, len(txs))
	for i, m := range txs {
		r, err := chain.ApplyOnto(rules, env, m, ov, ov, chain.Config{})
		if err != nil {
			return nil, nil, err
		}
		out[i] = r
	}
	return out, ov.Diff(), nil
}
