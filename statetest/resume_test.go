package statetest

import (
	"errors"
	"sync/atomic"
	"testing"

	"github.com/velarium/velarium/chain"
	"github.com/velarium/velarium/fork"
	"github.com/velarium/velarium/state"
)

// applySuspending executes msg through a source that answers
// state.ErrNotReady the first time each account, code, slot and block hash
// is asked for, resuming the transaction after every suspension.
func applySuspending(suspensions *atomic.Int64) func(*fork.Rules, *chain.BlockEnv, *chain.Message, state.Source, chain.Config) (*chain.Result, error) {
	return func(rules *fork.Rules, env *chain.BlockEnv, msg *chain.Message, src state.Source, cfg chain.Config) (*chain.Result, error) {
		ss := state.NewSuspending(src)
		x := chain.NewExec(rules, env, msg, ss, cfg)
		for {
			res, err := x.Step()
			if errors.Is(err, state.ErrNotReady) {
				continue
			}
			suspensions.Add(int64(ss.Suspensions))
			return res, err
		}
	}
}

// TestFixturesResumable is the resumability contract of the EVM (frames as
// data, suspension at exactly the state access): every state test, with
// the transaction suspended and resumed at every state access, must give
// the same results as the fixtures expect.
func TestFixturesResumable(t *testing.T) {
	var n atomic.Int64
	runFixtures(t, &Options{Apply: applySuspending(&n)})
	if n.Load() == 0 && !t.Skipped() {
		t.Fatal("no suspension happened: the suspending source is not in the path")
	}
	t.Logf("%d suspensions and resumptions", n.Load())
}
