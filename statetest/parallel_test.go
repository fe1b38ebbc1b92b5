package statetest

import (
	"testing"

	"github.com/velarium/velarium/chain"
	"github.com/velarium/velarium/fork"
	"github.com/velarium/velarium/run"
	"github.com/velarium/velarium/state"
)

// applyParallel executes the transaction through the parallel executor:
// the multi-version state (lazy balances, the deferred coinbase credit,
// element reads and writes) and the merged block diff, on two workers.
func applyParallel(rules *fork.Rules, env *chain.BlockEnv, msg *chain.Message, src state.Source, cfg chain.Config) (*chain.Result, error) {
	opt := run.Options{Workers: 2, MinTxs: 0, MaxRuns: 8}
	res, diff, err := run.Parallel(rules, env, []*chain.Message{msg}, src, opt, nil)
	if err != nil {
		return nil, err
	}
	r := *res[0]
	r.Diff = diff
	return &r, nil
}

// TestFixturesParallel: every state test through the parallel executor
// gives the results the fixtures expect (parallel output equals serial
// output, ARCHITECTURE.md "Determinism").
func TestFixturesParallel(t *testing.T) {
	runFixtures(t, &Options{Apply: applyParallel})
}
