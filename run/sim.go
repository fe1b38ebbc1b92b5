package run

import (
	"errors"

	"github.com/velarium/velarium/chain"
	"github.com/velarium/velarium/fork"
	"github.com/velarium/velarium/state"
)

// SimOptions configure the simulated-cores driver.
type SimOptions struct {
	Cores   int
	Model   *CostModel // nil: DefaultCostModel
	MaxRuns int
	MinTxs  int
}

// HotElement is a state element that caused conflicts.
type HotElement struct {
	Element       string // "0xaddr balance", "0xaddr slot 0x..", ...
	Invalidations int
	Waits         int
}

// SimReport is what one simulated execution measured (times in model ns).
type SimReport struct {
	Cores                     int
	Txs                       int
	SerialTime                float64 // the serial run under the same model
	Makespan                  float64
	Speedup                   float64 // SerialTime / Makespan
	Utilisation               float64 // busy core time / (Cores * Makespan)
	Runs, Reexecutions, Parks int
	TotalWork                 float64 // work of the final runs
	CriticalPath              float64 // over segments (work after a read depends on the write read)
	TxCriticalPath            float64 // over whole transactions
	Bound                     float64 // min(Cores, TotalWork / CriticalPath)
	Efficiency                float64 // Speedup / Bound
	Hot                       []HotElement
	Serial                    bool // ran serially (small block)
}

// CostModel charges virtual time.
type CostModel struct{}

// DefaultCostModel is the calibrated model.
var DefaultCostModel = &CostModel{}

// Simulate executes txs on opt.Cores virtual cores and returns exactly what
// Serial returns, with the figures of the simulated schedule.
func Simulate(rules *fork.Rules, env *chain.BlockEnv, txs []*chain.Message, src state.Source, opt SimOptions) ([]*chain.Result, state.Diff, *SimReport, error) {
	return nil, nil, nil, errors.New("run: simulator not implemented yet")
}

// SimExecutor returns a chain.TxExecutor running Simulate; *rep receives
// the report of each call.
func SimExecutor(opt SimOptions, rep **SimReport) chain.TxExecutor {
	return func(rules *fork.Rules, env *chain.BlockEnv, txs []*chain.Message, src state.Source) ([]*chain.Result, state.Diff, error) {
		res, d, r, err := Simulate(rules, env, txs, src, opt)
		if rep != nil {
			*rep = r
		}
		return res, d, err
	}
}
