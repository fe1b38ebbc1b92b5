package demo

import (
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/velarium/velarium/chain"
	"github.com/velarium/velarium/run"
	"github.com/velarium/velarium/state"
)

// Options configure Run.
type Options struct {
	Size     int   // transactions per block; <= 0: DefaultSize
	Seed     int64 // generator seed
	Workers  int   // real parallel workers; <= 0: runtime.NumCPU()
	SimCores []int // simulated core counts to run (none when empty)
	Reps     int   // timed rounds (each a ~40 ms batch of serial, parallel and copies runs; best kept); <= 0: 5
	// Progress, when set, is called before each step of Run with the
	// number of steps done, the total and what comes next.
	Progress func(done, total int, step string)
}

// Copies runs fn on n goroutines at once and waits for them all: n
// copies of one execution sharing nothing, for the machine's ceiling.
func Copies(n int, fn func() error) error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = fn() }()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// batchTime is roughly how long one timed batch of executions takes.
const batchTime = 40 * time.Millisecond

// DefaultSize is the default number of transactions per workload.
const DefaultSize = 500

// DefaultSimCores are the simulated core counts of the demo.
var DefaultSimCores = []int{8, 16, 32, 64}

// DefaultOptions returns the demo's defaults.
func DefaultOptions() Options {
	return Options{Size: DefaultSize, Seed: 1, Workers: runtime.NumCPU(), SimCores: DefaultSimCores, Reps: 5}
}

// SimRow is one simulated-cores run.
type SimRow struct {
	Cores        int     `json:"cores"`
	Speedup      float64 `json:"speedup"`
	Efficiency   float64 `json:"efficiency"` // Speedup / Bound
	Bound        float64 `json:"bound"`
	Utilisation  float64 `json:"utilisation"`
	Reexecutions int     `json:"reexecutions"`
	Parks        int     `json:"parks"`
	Serial       bool    `json:"serial,omitempty"`
	// SerialFrom: the adaptive rule finished the block serially from
	// this transaction (-1: it did not).
	SerialFrom int              `json:"serial_from"`
	Hot        []run.HotElement `json:"hot,omitempty"` // at most 3
}

// Row is what Run measured for one workload.
type Row struct {
	Workload string `json:"workload"`
	Txs      int    `json:"txs"`
	GasUsed  uint64 `json:"gas_used"`
	Failed   int    `json:"failed"` // transactions with status 0
	Reps     int    `json:"reps"`

	SerialMs   float64 `json:"serial_ms"`   // best round's mean
	ParallelMs float64 `json:"parallel_ms"` // best round's mean
	Workers    int     `json:"workers"`
	Speedup    float64 `json:"speedup"` // SerialMs / ParallelMs
	// CopiesMs: Workers copies of the serial execution run at once on as
	// many goroutines, sharing nothing (best of Reps); Ceiling = Workers ×
	// SerialMs / CopiesMs is what this machine gives perfectly parallel
	// work of the same kind: the bound to read Speedup against.
	CopiesMs float64 `json:"copies_ms"`
	Ceiling  float64 `json:"ceiling"`
	// The medians over the rounds of each round's own ratios (serial /
	// parallel, and the ceiling): less flattering than the bests above,
	// whose best rounds need not coincide, and steadier.
	SpeedupMedian float64 `json:"speedup_median"`
	CeilingMedian float64 `json:"ceiling_median"`
	// Figures of the last real parallel run.
	Runs           int    `json:"runs"`
	Reexecutions   int    `json:"reexecutions"`
	Parks          int    `json:"parks"`
	ParallelSerial bool   `json:"parallel_ran_serially,omitempty"`
	Fallback       string `json:"fallback,omitempty"`

	Sim []SimRow `json:"sim,omitempty"`
	// SimErr is set when the simulator is not available (not implemented
	// yet); the simulated runs are then skipped.
	SimErr string `json:"sim_error,omitempty"`
}

// SimUnavailable reports whether err from run.Simulate means the simulator
// is not available (not implemented yet) rather than a failure.
func SimUnavailable(err error) bool {
	return err != nil && strings.Contains(err.Error(), "not implemented")
}

// Run generates w's block and executes it serially, on opt.Workers real
// workers and on each of opt.SimCores simulated cores. Every parallel and
// simulated result is checked against the serial one (status, gas, logs,
// return data of every transaction, and the state diff byte for byte); a mismatch is
// an error. A simulator that is not implemented yet is not an error: Row.SimErr
// says so and the simulated runs are skipped.
func Run(w Workload, opt Options) (Row, error) {
	if opt.Size <= 0 {
		opt.Size = DefaultSize
	}
	if opt.Workers <= 0 {
		opt.Workers = runtime.NumCPU()
	}
	if opt.Reps <= 0 {
		opt.Reps = 5
	}
	total := 4 + opt.Reps + len(opt.SimCores)
	done := 0
	step := func(what string) {
		if opt.Progress != nil {
			opt.Progress(done, total, what)
		}
		done++
	}
	row := Row{Workload: w.Name, Workers: opt.Workers, Reps: opt.Reps}
	fail := func(format string, args ...any) (Row, error) {
		return row, fmt.Errorf("workload %s: "+format, append([]any{w.Name}, args...)...)
	}

	step("generate")
	b, err := w.Gen(opt.Size, opt.Seed)
	if err != nil {
		return fail("generating: %v", err)
	}
	rules := Rules()
	row.Txs = len(b.Txs)

	step("serial")
	want, wantDiff, err := run.Serial(rules, b.Env, b.Txs, b.Pre)
	if err != nil {
		return fail("serial: %v", err)
	}
	for i, r := range want {
		if r.Err != nil {
			return fail("generated transaction %d is invalid: %v", i, r.Err)
		}
		row.GasUsed += r.GasUsed
		if r.Status == 0 {
			row.Failed++
		}
	}

	popt := run.DefaultOptions(opt.Workers)
	var st run.Stats
	checked := func() error {
		res, diff, err := run.Parallel(rules, b.Env, b.Txs, b.Pre, popt, &st)
		if err != nil {
			return fmt.Errorf("parallel (%d workers): %v", opt.Workers, err)
		}
		if err := Compare(want, res, wantDiff, diff); err != nil {
			return fmt.Errorf("parallel (%d workers) differs from serial: %v", opt.Workers, err)
		}
		return nil
	}
	var discard run.Stats
	parallel := func() error {
		if _, _, err := run.Parallel(rules, b.Env, b.Txs, b.Pre, popt, &discard); err != nil {
			return fmt.Errorf("parallel (%d workers): %v", opt.Workers, err)
		}
		return nil
	}
	serial := func() error { _, _, err := run.Serial(rules, b.Env, b.Txs, b.Pre); return err }
	copies := func() error { return Copies(opt.Workers, serial) }
	// Warm up (pooled state, caches; the parallel result is checked
	// against the serial one here and once more at the end), then time
	// interleaved rounds: each
	// round runs serial, parallel and the copies in turn, each for a short
	// batch of executions, and keeps the mean of the batch; the best
	// round of each counts.
	step("warm up")
	var warm time.Duration
	for _, f := range []func() error{serial, checked, copies} {
		t0 := time.Now()
		if err := f(); err != nil {
			return fail("%v", err)
		}
		warm = max(warm, time.Since(t0))
	}
	row.Runs, row.Reexecutions, row.Parks = st.Runs, st.Reexecutions, st.Parks
	row.ParallelSerial, row.Fallback = st.Serial, st.Fallback
	iters := max(1, int(batchTime/max(warm, time.Microsecond)))
	timed := func(f func() error) (float64, error) {
		runtime.GC()
		t0 := time.Now()
		for k := 0; k < iters; k++ {
			if err := f(); err != nil {
				return 0, err
			}
		}
		return msec(time.Since(t0)) / float64(iters), nil
	}
	var ratios, ceilings []float64
	for i := 0; i < opt.Reps; i++ {
		step(fmt.Sprintf("timing round %d/%d", i+1, opt.Reps))
		var round [3]float64
		for j, m := range []struct {
			f    func() error
			best *float64
		}{{serial, &row.SerialMs}, {parallel, &row.ParallelMs}, {copies, &row.CopiesMs}} {
			ms, err := timed(m.f)
			if err != nil {
				return fail("%v", err)
			}
			round[j] = ms
			if i == 0 || ms < *m.best {
				*m.best = ms
			}
		}
		if round[1] > 0 && round[2] > 0 {
			ratios = append(ratios, round[0]/round[1])
			ceilings = append(ceilings, float64(opt.Workers)*round[0]/round[2])
		}
	}
	row.SpeedupMedian, row.CeilingMedian = median(ratios), median(ceilings)
	if err := checked(); err != nil {
		return fail("%v", err)
	}
	if row.ParallelMs > 0 {
		row.Speedup = row.SerialMs / row.ParallelMs
	}
	if row.CopiesMs > 0 {
		row.Ceiling = float64(opt.Workers) * row.SerialMs / row.CopiesMs
	}

	for _, c := range opt.SimCores {
		step(fmt.Sprintf("simulate %d cores", c))
		if row.SimErr != "" {
			continue
		}
		res, diff, rep, err := run.Simulate(rules, b.Env, b.Txs, b.Pre, run.SimOptions{Cores: c, MaxRuns: popt.MaxRuns, MinTxs: popt.MinTxs, MinBound: popt.MinBound, Adaptive: popt.Adaptive, Model: txModel})
		if SimUnavailable(err) {
			row.SimErr = err.Error()
			continue
		}
		if err != nil {
			return fail("simulate (%d cores): %v", c, err)
		}
		if err := Compare(want, res, wantDiff, diff); err != nil {
			return fail("simulate (%d cores) differs from serial: %v", c, err)
		}
		if rep == nil {
			return fail("simulate (%d cores): no report", c)
		}
		sr := SimRow{Cores: c, Speedup: rep.Speedup, Efficiency: rep.Efficiency, Bound: rep.Bound,
			Utilisation: rep.Utilisation, Reexecutions: rep.Reexecutions, Parks: rep.Parks, Serial: rep.Serial, SerialFrom: rep.SerialFrom}
		sr.Hot = rep.Hot[:min(3, len(rep.Hot))]
		row.Sim = append(row.Sim, sr)
	}
	if opt.Progress != nil {
		opt.Progress(total, total, "done")
	}
	return row, nil
}

func msec(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e6 }

// Compare checks got against the serial results want: the same validity
// error (or none), status, gas used, logs and return data per transaction,
// and the same state diff byte for byte (both are canonical: state.Diff).
func Compare(want, got []*chain.Result, wantDiff, gotDiff state.Diff) error {
	if len(want) != len(got) {
		return fmt.Errorf("%d results, want %d", len(got), len(want))
	}
	for i := range want {
		w, g := want[i], got[i]
		if g == nil {
			return fmt.Errorf("tx %d: no result", i)
		}
		if (w.Err == nil) != (g.Err == nil) || (w.Err != nil && w.Err.Error() != g.Err.Error()) {
			return fmt.Errorf("tx %d: validity error %v, want %v", i, g.Err, w.Err)
		}
		if w.Status != g.Status || w.GasUsed != g.GasUsed {
			return fmt.Errorf("tx %d: status %d gas %d, want status %d gas %d", i, g.Status, g.GasUsed, w.Status, w.GasUsed)
		}
		if !bytes.Equal(w.ReturnData, g.ReturnData) {
			return fmt.Errorf("tx %d: return data %x, want %x", i, g.ReturnData, w.ReturnData)
		}
		if len(w.Logs) != len(g.Logs) {
			return fmt.Errorf("tx %d: %d logs, want %d", i, len(g.Logs), len(w.Logs))
		}
		for j := range w.Logs {
			wl, gl := w.Logs[j], g.Logs[j]
			if wl.Address != gl.Address || !bytes.Equal(wl.Data, gl.Data) || len(wl.Topics) != len(gl.Topics) {
				return fmt.Errorf("tx %d log %d: %+v, want %+v", i, j, gl, wl)
			}
			for k := range wl.Topics {
				if wl.Topics[k] != gl.Topics[k] {
					return fmt.Errorf("tx %d log %d topic %d: %x, want %x", i, j, k, gl.Topics[k], wl.Topics[k])
				}
			}
		}
	}
	if d := state.CompareDiffs(gotDiff, wantDiff); d != "" {
		return fmt.Errorf("state diff (got / want): %s", d)
	}
	return nil
}

// median returns the median of xs (0 for none).
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// txModel is the simulator's cost model for the demo: its real runs time
// the transactions alone (run.Parallel against run.Serial), without the
// receipts root a block builds after them.
var txModel = run.DefaultCostModel.NoRoot()
