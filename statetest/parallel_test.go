package statetest

import (
	"testing"

	"github.com/velarium/velarium/chain"
	"github.com/velarium/velarium/demo"
	"github.com/velarium/velarium/fork"
	"github.com/velarium/velarium/run"
	"github.com/velarium/velarium/state"
)

// applyParallel executes the transaction through the parallel executor:
// the multi-version state (lazy balances, the deferred coinbase credit,
// element reads and writes) and the merged block diff, on two workers.
// The parallel output must also equal the serial executor's byte for
// byte (status, gas, output, logs, and the canonical state diff's
// encoding): a difference fails t.
func applyParallel(t *testing.T) func(rules *fork.Rules, env *chain.BlockEnv, msg *chain.Message, src state.Source, cfg chain.Config) (*chain.Result, error) {
	return func(rules *fork.Rules, env *chain.BlockEnv, msg *chain.Message, src state.Source, cfg chain.Config) (*chain.Result, error) {
		opt := run.Options{Workers: 2, MinTxs: 0, MaxRuns: 8}
		res, diff, err := run.Parallel(rules, env, []*chain.Message{msg}, src, opt, nil)
		if err != nil {
			return nil, err
		}
		want, wantDiff, err := run.Serial(rules, env, []*chain.Message{msg}, src)
		if err != nil {
			return nil, err
		}
		if err := demo.Compare(want, res, wantDiff, diff); err != nil {
			t.Errorf("transaction from %s nonce %d: parallel differs from serial: %v", msg.From, msg.Nonce, err)
		}
		r := *res[0]
		r.Diff = diff
		return &r, nil
	}
}

// TestFixturesParallel: every state test through the parallel executor
// gives the results the fixtures expect, and equals serial execution byte
// for byte (ARCHITECTURE.md "Determinism").
func TestFixturesParallel(t *testing.T) {
	runFixtures(t, &Options{Apply: applyParallel(t)})
}
