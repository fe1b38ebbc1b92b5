package bench

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"runtime"

	"github.com/velarium/velarium/chain"
	"github.com/velarium/velarium/demo"
	"github.com/velarium/velarium/fork"
	"github.com/velarium/velarium/replay"
	"github.com/velarium/velarium/run"
	"github.com/velarium/velarium/state"
)

// Parallel execution: Velarium serial against Velarium on real worker
// goroutines (timed, interleaved) and on simulated cores (run.Simulate: the
// real scheduler and EVM, virtual time from a cost model; deterministic).

// Default core counts of the parallel suite.
var (
	BlockSimCores = []int{8, 32, 128}
	DemoSimCores  = []int{8, 16, 32, 64}
)

// DemoSize and DemoSeed are the demo workloads' block size and generator
// seed (velarium demo's defaults).
const (
	DemoSize = 500
	DemoSeed = 1
)

// blockSimMinTxs is SimOptions.MinTxs for the mainnet blocks, as
// `velarium replay --sim-cores` uses it.
const blockSimMinTxs = 2

// SimResult is one simulated-cores run (figures from run.SimReport).
type SimResult struct {
	Cores        int     `json:"cores"`
	Speedup      float64 `json:"speedup"`    // model serial time / makespan
	Efficiency   float64 `json:"efficiency"` // Speedup / Bound
	Bound        float64 `json:"bound"`      // min(cores, total work / critical path)
	Utilisation  float64 `json:"utilisation"`
	Reexecutions int     `json:"reexecutions"`
	Parks        int     `json:"parks"`
	SerialTime   float64 `json:"serialModelNs"`
	Makespan     float64 `json:"makespanModelNs"`
	// Serial: the simulator ran the transactions serially (too few of
	// them). Fallback: it gave up on the parallel schedule (a transaction
	// exceeded its runs) and ran serially; no speedup is modelled then.
	// SerialFrom: the adaptive rule finished the block serially from this
	// transaction (-1: it did not).
	Serial     bool   `json:"serial,omitempty"`
	Fallback   bool   `json:"fallback,omitempty"`
	SerialFrom int    `json:"serial_from"`
	Hot        string `json:"hottest,omitempty"`
}

func simResult(rep *run.SimReport) SimResult {
	s := SimResult{Cores: rep.Cores, Speedup: rep.Speedup, Efficiency: rep.Efficiency, Bound: rep.Bound,
		Utilisation: rep.Utilisation, Reexecutions: rep.Reexecutions, Parks: rep.Parks,
		SerialTime: rep.SerialTime, Makespan: rep.Makespan, Serial: rep.Serial,
		Fallback: rep.Exceeded, SerialFrom: rep.SerialFrom}
	if len(rep.Hot) > 0 {
		h := rep.Hot[0]
		s.Hot = fmt.Sprintf("%s (%d invalidations, %d waits)", h.Element, h.Invalidations, h.Waits)
	}
	return s
}

// RealParallel is the timing of serial against real workers on one block.
type RealParallel struct {
	Workers int `json:"workers"`
	// Serial and Parallel: median time per execution over the rounds.
	Serial   *SideResult `json:"serial"`
	Parallel *SideResult `json:"parallel"`
	// Speedup is the median over rounds of serial time / parallel time
	// in the same round; SpeedupMin and SpeedupMax the extreme rounds.
	Speedup    float64 `json:"speedup"`
	SpeedupMin float64 `json:"speedupMin"`
	SpeedupMax float64 `json:"speedupMax"`
	// Figures of the checked parallel run (run.Stats).
	Runs         int    `json:"runs"`
	Reexecutions int    `json:"reexecutions"`
	Parks        int    `json:"parks"`
	RanSerially  bool   `json:"ranSerially,omitempty"` // fewer than MinTxs transactions, or a fallback
	Fallback     string `json:"fallback,omitempty"`
	// Ceiling (demo workloads): what this machine gives Workers copies of
	// the serial execution run at once on as many goroutines, sharing
	// nothing: Workers × serial time / time of the copies together,
	// median over the same rounds. Embarrassingly parallel work reaches
	// it; the parallel executor's speedup is read against it.
	Ceiling    float64 `json:"ceiling,omitempty"`
	CeilingMin float64 `json:"ceilingMin,omitempty"`
	CeilingMax float64 `json:"ceilingMax,omitempty"`
}

// ParBlockResult is the parallel result of one mainnet block.
type ParBlockResult struct {
	Number  uint64        `json:"number"`
	Fork    string        `json:"fork"`
	Txs     int           `json:"txs"`
	GasUsed uint64        `json:"gasUsed"`
	Error   string        `json:"error,omitempty"`
	Real    *RealParallel `json:"real,omitempty"`
	Sim     []SimResult   `json:"sim,omitempty"`
	// pevm's published results for the block (nil when its table does
	// not list it).
	Pevm8     *PevmRef `json:"pevm8,omitempty"`
	PevmLater *PevmRef `json:"pevmLater,omitempty"`
}

// SimTotal summarises one simulated core count over the blocks.
type SimTotal struct {
	Cores int `json:"cores"`
	// Blocks with transactions that were simulated; Fallbacks of them
	// had a transaction exceed its runs and finished serially from the
	// final prefix (their modelled time, lost speculation included,
	// counts in the means).
	Blocks    int `json:"blocks"`
	Fallbacks int `json:"fallbacks"`
	// MeanSpeedup and MeanEfficiency: arithmetic means over Blocks.
	MeanSpeedup    float64 `json:"meanSpeedup"`
	MeanEfficiency float64 `json:"meanEfficiency"`
	// MeanSpeedupFallback1 counts each fallback as at least 1× (as if its
	// lost speculation cost nothing: optimistic).
	MeanSpeedupFallback1 float64 `json:"meanSpeedupFallbackAs1"`
	GeoSpeedup           float64 `json:"geoMeanSpeedup"`
	// TotalSpeedup: sum of model serial times / sum of makespans.
	TotalSpeedup float64 `json:"totalSpeedup"`
}

// PevmComparison compares, over the blocks pevm's 8-thread table lists,
// pevm's published speedups with Velarium's.
type PevmComparison struct {
	Blocks          int     `json:"blocks"`
	PevmMean        float64 `json:"pevm8MeanSpeedup"`
	PevmGeo         float64 `json:"pevm8GeoMeanSpeedup"`
	Sim8Mean        float64 `json:"sim8MeanSpeedup"`
	Sim8Geo         float64 `json:"sim8GeoMeanSpeedup"`
	RealMean        float64 `json:"realMeanSpeedup"` // real workers, this machine
	Sim8AbovePevm   int     `json:"sim8AbovePevm"`   // blocks where the 8-core simulation beats pevm's figure
	Sim8Comparisons int     `json:"sim8Compared"`
}

// ParBlockSuiteResult is the parallel block suite's outcome.
type ParBlockSuiteResult struct {
	Workers  int               `json:"workers"`
	SimCores []int             `json:"simCores"`
	Blocks   []*ParBlockResult `json:"blocks"`
	// Real workers: total gas, sums of the median times, their ratio, and
	// the geometric mean of the per-block speedups over the blocks that
	// ran in parallel (at least MinTxs transactions, no fallback).
	Gas            uint64          `json:"gas"`
	SerialNs       float64         `json:"serialNs"`
	ParallelNs     float64         `json:"parallelNs"`
	SerialMgas     float64         `json:"serialMgasPerSec"`
	ParallelMgas   float64         `json:"parallelMgasPerSec"`
	TotalSpeedup   float64         `json:"totalSpeedup"`
	GeoSpeedup     float64         `json:"geoMeanSpeedup"`
	MeanSpeedup    float64         `json:"meanSpeedup"`
	ParallelBlocks int             `json:"parallelBlocks"`
	Faster         int             `json:"fasterBlocks"` // of ParallelBlocks, speedup > 1
	MinTxs         int             `json:"minTxs"`
	Sim            []SimTotal      `json:"sim"`
	Pevm           *PevmComparison `json:"pevmComparison,omitempty"`
}

// DemoResult is one synthetic workload.
type DemoResult struct {
	Workload string        `json:"workload"`
	Desc     string        `json:"desc"`
	Txs      int           `json:"txs"`
	GasUsed  uint64        `json:"gasUsed"`
	Failed   int           `json:"failedTxs"` // status 0
	Error    string        `json:"error,omitempty"`
	Real     *RealParallel `json:"real,omitempty"`
	Sim      []SimResult   `json:"sim,omitempty"`
}

// DemoSuiteResult is the demo suite's outcome.
type DemoSuiteResult struct {
	Size      int           `json:"size"`
	Seed      int64         `json:"seed"`
	Workers   int           `json:"workers"`
	SimCores  []int         `json:"simCores"`
	Workloads []*DemoResult `json:"workloads"`
}

// ParallelOptions control the parallel suites.
type ParallelOptions struct {
	Measure  MeasureOptions
	Filter   *regexp.Regexp // on the decimal block number
	Workers  int            // real workers; <= 0: runtime.NumCPU()
	SimCores []int          // nil: BlockSimCores (blocks) / DemoSimCores (demo)
	DemoSize int            // <= 0: DemoSize
	Log      io.Writer
}

func (o *ParallelOptions) workers() int {
	if o.Workers > 0 {
		return o.Workers
	}
	return runtime.NumCPU()
}

func (o *ParallelOptions) log() io.Writer {
	if o.Log == nil {
		return io.Discard
	}
	return o.Log
}

// capture wraps exec so that the transaction results and merged diff of
// its last call are kept.
func capture(exec chain.TxExecutor, res *[]*chain.Result, diff *state.Diff) chain.TxExecutor {
	return func(rules *fork.Rules, env *chain.BlockEnv, txs []*chain.Message, src state.Source) ([]*chain.Result, state.Diff, error) {
		r, d, err := exec(rules, env, txs, src)
		*res, *diff = r, d
		if errors.Is(err, chain.ErrDeclined) {
			// ExecuteBlock runs the block serially: its results are serial's.
			*res, *diff, _ = run.Serial(rules, env, txs, src)
		}
		return r, d, err
	}
}

// captureOnto wraps onto so that the transaction results and merged diff
// of its last call are kept: it layers them onto an overlay of its own
// over the block's, whose diff is the transactions', and applies that to
// the block's overlay.
func captureOnto(onto chain.TxExecutorOnto, res *[]*chain.Result, diff *state.Diff) chain.TxExecutorOnto {
	return func(rules *fork.Rules, env *chain.BlockEnv, txs []*chain.Message, ov *state.Overlay) ([]*chain.Result, error) {
		own := state.NewOverlay(ov)
		r, err := onto(rules, env, txs, own)
		*res, *diff = r, nil
		switch {
		case errors.Is(err, chain.ErrDeclined):
			// ExecuteBlock runs the block serially: its results are serial's.
			*res, *diff, _ = run.Serial(rules, env, txs, ov)
		case err == nil:
			*diff = own.Diff()
			ov.Apply(*diff)
		}
		return r, err
	}
}

// checked runs pb with opt (its executor and workers) through replay.RunPevmOpts (gasUsed,
// logsBloom, receiptsRoot against the header) and compares every
// transaction's result and the state diff (byte for byte) with the serial ones.
func checked(pb *replay.PevmBlock, opt chain.BlockOptions, want []*chain.Result, wantDiff state.Diff) error {
	var res []*chain.Result
	var diff state.Diff
	if opt.ExecutorOnto != nil {
		opt.ExecutorOnto = captureOnto(opt.ExecutorOnto, &res, &diff)
	} else {
		opt.Executor = capture(opt.Executor, &res, &diff)
	}
	if pr := replay.RunPevmOpts(pb, opt); !pr.Pass {
		return errors.New(pr.Summary())
	}
	if err := demo.Compare(want, res, wantDiff, diff); err != nil {
		return fmt.Errorf("differs from serial: %w", err)
	}
	return nil
}

func blockOpts(opt chain.BlockOptions) chain.BlockOptions {
	opt.SkipSystem = true
	return opt
}

// RunParallelBlocks measures every pevm block under dir: serial against
// real workers (interleaved rounds), then the simulated core counts (one
// deterministic run each, one learned history per core count carried from
// block to block in block-number order, as `velarium replay --sim-cores`
// does). Every parallel and simulated execution must pass the header
// checks (replay.RunPevmOpts) and equal the serial one (receipts and
// post-state root) before anything is reported. l may be nil.
func RunParallelBlocks(dir string, l *replay.Loader, o *ParallelOptions) (*ParBlockSuiteResult, error) {
	logw := o.log()
	dirs, err := replay.BlockDirs(dir)
	if err != nil {
		return nil, err
	}
	if l == nil {
		l = replay.NewLoader()
	}
	cores := o.SimCores
	if cores == nil {
		cores = BlockSimCores
	}
	workers := o.workers()
	popt := run.DefaultOptions(workers)
	out := &ParBlockSuiteResult{Workers: workers, SimCores: cores, MinTxs: popt.MinTxs}
	hist := make([]*run.History, len(cores))
	for i := range hist {
		hist[i] = run.NewHistory()
	}
	var speedups []float64
	for _, d := range dirs {
		if o.Filter != nil && !o.Filter.MatchString(filepath.Base(d)) {
			continue
		}
		pb, err := l.Load(d)
		if err != nil {
			out.Blocks = append(out.Blocks, &ParBlockResult{Error: err.Error(), Fork: filepath.Base(d)})
			fmt.Fprintf(logw, "parallel block %s: ERROR %v\n", filepath.Base(d), err)
			continue
		}
		r := &ParBlockResult{Number: pb.Number, Fork: pb.Rules.Name, Txs: len(pb.Block.Txs), GasUsed: pb.GasUsed}
		if ref, ok := PevmParallel8[pb.Number]; ok {
			r.Pevm8 = &ref
		}
		if ref, ok := PevmParallelLater[pb.Number]; ok {
			r.PevmLater = &ref
		}
		out.Blocks = append(out.Blocks, r)
		if err := parallelBlock(pb, r, popt, cores, hist, o); err != nil {
			r.Error = err.Error()
			fmt.Fprintf(logw, "parallel block %d: ERROR %v\n", pb.Number, err)
			continue
		}
		x := r.Real
		out.Gas += pb.GasUsed
		out.SerialNs += x.Serial.NsPerOp
		out.ParallelNs += x.Parallel.NsPerOp
		if !x.RanSerially {
			out.ParallelBlocks++
			speedups = append(speedups, x.Speedup)
			if x.Speedup > 1 {
				out.Faster++
			}
		}
		line := fmt.Sprintf("parallel block %9d %-16s %5d txs  serial %10s  %d workers %10s  speedup %.2f [%.2f-%.2f]",
			r.Number, r.Fork, r.Txs, fmtNs(x.Serial.NsPerOp), workers, fmtNs(x.Parallel.NsPerOp), x.Speedup, x.SpeedupMin, x.SpeedupMax)
		if x.RanSerially {
			line += " (serial)"
		}
		for _, s := range r.Sim {
			line += fmt.Sprintf("  sim%d %.2f", s.Cores, s.Speedup)
		}
		fmt.Fprintln(logw, line)
		runtime.GC()
	}
	out.SerialMgas, out.ParallelMgas = mgas(out.Gas, out.SerialNs), mgas(out.Gas, out.ParallelNs)
	if out.ParallelNs > 0 {
		out.TotalSpeedup = out.SerialNs / out.ParallelNs
	}
	out.GeoSpeedup, out.MeanSpeedup = finite(GeoMean(speedups)), mean(speedups)
	for i, c := range cores {
		out.Sim = append(out.Sim, simTotal(c, out.Blocks, func(b *ParBlockResult) *SimResult {
			if i < len(b.Sim) {
				return &b.Sim[i]
			}
			return nil
		}))
	}
	out.Pevm = pevmComparison(out.Blocks, cores)
	return out, nil
}

// parallelBlock checks and measures one block into r.
func parallelBlock(pb *replay.PevmBlock, r *ParBlockResult, popt run.Options, cores []int, hist []*run.History, o *ParallelOptions) error {
	// The serial reference (also checked against the header).
	var want []*chain.Result
	var wantDiff state.Diff
	if pr := replay.RunPevmWith(pb, capture(run.Serial, &want, &wantDiff)); !pr.Pass {
		return fmt.Errorf("serial: %s", pr.Summary())
	}

	// Real workers.
	x := &RealParallel{Workers: popt.Workers}
	var st run.Stats
	if err := checked(pb, run.BlockOptions(popt, &st), want, wantDiff); err != nil {
		return fmt.Errorf("%d workers: %w", popt.Workers, err)
	}
	x.Runs, x.Reexecutions, x.Parks, x.Fallback = st.Runs, st.Reexecutions, st.Parks, st.Fallback
	x.RanSerially = st.Serial || st.SerialFrom == 0

	// Timing: engine 0 = parallel, engine 1 = serial, so that the pair's
	// ratio is serial time / parallel time (the speedup).
	var discard run.Stats
	par, ser := blockOpts(run.BlockOptions(popt, &discard)), blockOpts(chain.BlockOptions{})
	fns := []func() error{
		func() error { _, err := chain.ExecuteBlock(chain.Mainnet, pb.Block, pb.Pre, par); return err },
		func() error { _, err := chain.ExecuteBlock(chain.Mainnet, pb.Block, pb.Pre, ser); return err },
	}
	p, err := Interleave(fns, &o.Measure)
	if err != nil {
		return err
	}
	x.Parallel, x.Serial = sideResult(p.T[0], pb.GasUsed), sideResult(p.T[1], pb.GasUsed)
	x.Speedup = p.Ratio(1)
	x.SpeedupMin, x.SpeedupMax = minMax(p.Ratios[1])
	r.Real = x

	// Simulated cores: one deterministic run each, checked the same way.
	for i, c := range cores {
		var rep *run.SimReport
		exec := run.SimExecutor(run.SimOptions{Cores: c, MinTxs: blockSimMinTxs, MinBound: run.DefaultMinBound, History: hist[i], Adaptive: true}, &rep)
		if err := checked(pb, chain.BlockOptions{Executor: exec}, want, wantDiff); err != nil {
			return fmt.Errorf("simulated %d cores: %w", c, err)
		}
		if rep == nil {
			if len(pb.Block.Txs) == 0 {
				break // nothing to simulate: ExecuteBlock runs no executor
			}
			return fmt.Errorf("simulated %d cores: no report", c)
		}
		r.Sim = append(r.Sim, simResult(rep))
	}
	return nil
}

// simTotal summarises core count c over the blocks with transactions.
func simTotal(c int, blocks []*ParBlockResult, get func(*ParBlockResult) *SimResult) SimTotal {
	t := SimTotal{Cores: c}
	var sp, eff, sp1 []float64
	var serial, makespan float64
	for _, b := range blocks {
		s := get(b)
		if s == nil || b.Txs == 0 || b.Error != "" {
			continue
		}
		t.Blocks++
		if s.Fallback {
			// Its makespan holds the lost speculation and the serial tail.
			t.Fallbacks++
			sp1 = append(sp1, max(1, s.Speedup))
		} else {
			sp1 = append(sp1, s.Speedup)
		}
		sp, eff = append(sp, s.Speedup), append(eff, s.Efficiency)
		serial += s.SerialTime
		makespan += s.Makespan
	}
	t.MeanSpeedup, t.MeanEfficiency, t.MeanSpeedupFallback1, t.GeoSpeedup = mean(sp), mean(eff), mean(sp1), finite(GeoMean(sp))
	if makespan > 0 {
		t.TotalSpeedup = serial / makespan
	}
	return t
}

// pevmComparison compares over the blocks of pevm's 8-thread table.
func pevmComparison(blocks []*ParBlockResult, cores []int) *PevmComparison {
	k := -1
	for i, c := range cores {
		if c == 8 {
			k = i
		}
	}
	c := &PevmComparison{}
	var pv, s8, real []float64
	for _, b := range blocks {
		if b.Pevm8 == nil || b.Error != "" || b.Real == nil {
			continue
		}
		c.Blocks++
		pv = append(pv, b.Pevm8.Speedup)
		real = append(real, b.Real.Speedup)
		if k >= 0 && k < len(b.Sim) && !b.Sim[k].Fallback {
			s8 = append(s8, b.Sim[k].Speedup)
			c.Sim8Comparisons++
			if b.Sim[k].Speedup > b.Pevm8.Speedup {
				c.Sim8AbovePevm++
			}
		}
	}
	if c.Blocks == 0 {
		return nil
	}
	c.PevmMean, c.PevmGeo, c.RealMean = mean(pv), finite(GeoMean(pv)), mean(real)
	c.Sim8Mean, c.Sim8Geo = mean(s8), finite(GeoMean(s8))
	return c
}

// mean is the arithmetic mean (0 for none).
func mean(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// RunDemo measures velarium's synthetic workloads (package demo, size
// o.DemoSize, seed DemoSeed): run.Serial against run.Parallel on real
// workers (interleaved rounds) and run.Simulate on each core count (the
// options velarium demo uses: run.DefaultOptions' MinTxs, MaxRuns and adaptive rule, no
// learned history). Every parallel and simulated result must equal the
// serial one (demo.Compare: per-transaction status, gas, logs, output, and
// the post-state root).
func RunDemo(o *ParallelOptions) *DemoSuiteResult {
	logw := o.log()
	size := o.DemoSize
	if size <= 0 {
		size = DemoSize
	}
	cores := o.SimCores
	if cores == nil {
		cores = DemoSimCores
	}
	workers := o.workers()
	popt := run.DefaultOptions(workers)
	out := &DemoSuiteResult{Size: size, Seed: DemoSeed, Workers: workers, SimCores: cores}
	rules := demo.Rules()
	for _, w := range demo.All() {
		r := &DemoResult{Workload: w.Name, Desc: w.Desc}
		out.Workloads = append(out.Workloads, r)
		err := func() error {
			b, err := w.Gen(size, DemoSeed)
			if err != nil {
				return fmt.Errorf("generating: %w", err)
			}
			r.Txs = len(b.Txs)
			want, wantDiff, err := run.Serial(rules, b.Env, b.Txs, b.Pre)
			if err != nil {
				return fmt.Errorf("serial: %w", err)
			}
			for i, x := range want {
				if x.Err != nil {
					return fmt.Errorf("generated transaction %d is invalid: %w", i, x.Err)
				}
				r.GasUsed += x.GasUsed
				if x.Status == 0 {
					r.Failed++
				}
			}
			x := &RealParallel{Workers: workers}
			var st run.Stats
			res, diff, err := run.Parallel(rules, b.Env, b.Txs, b.Pre, popt, &st)
			if err != nil {
				return fmt.Errorf("%d workers: %w", workers, err)
			}
			if err := demo.Compare(want, res, wantDiff, diff); err != nil {
				return fmt.Errorf("%d workers differ from serial: %w", workers, err)
			}
			x.Runs, x.Reexecutions, x.Parks, x.Fallback = st.Runs, st.Reexecutions, st.Parks, st.Fallback
			x.RanSerially = st.Serial || st.SerialFrom == 0
			var discard run.Stats
			fns := []func() error{
				func() error { _, _, err := run.Parallel(rules, b.Env, b.Txs, b.Pre, popt, &discard); return err },
				func() error { _, _, err := run.Serial(rules, b.Env, b.Txs, b.Pre); return err },
				func() error {
					return demo.Copies(workers, func() error { _, _, err := run.Serial(rules, b.Env, b.Txs, b.Pre); return err })
				},
			}
			p, err := Interleave(fns, &o.Measure)
			if err != nil {
				return err
			}
			x.Parallel, x.Serial = sideResult(p.T[0], r.GasUsed), sideResult(p.T[1], r.GasUsed)
			x.Speedup = p.Ratio(1)
			x.SpeedupMin, x.SpeedupMax = minMax(p.Ratios[1])
			// Ratios[i] is time of fns[i] / time of fns[0] per round.
			ceil := make([]float64, len(p.Ratios[1]))
			for k := range ceil {
				ceil[k] = float64(workers) * p.Ratios[1][k] / p.Ratios[2][k]
			}
			x.Ceiling = median(ceil)
			x.CeilingMin, x.CeilingMax = minMax(ceil)
			r.Real = x
			for _, c := range cores {
				res, diff, rep, err := run.Simulate(rules, b.Env, b.Txs, b.Pre, run.SimOptions{Cores: c, MaxRuns: popt.MaxRuns, MinTxs: popt.MinTxs, MinBound: popt.MinBound, Adaptive: popt.Adaptive, Model: run.DefaultCostModel.NoRoot()})
				if err != nil {
					return fmt.Errorf("simulated %d cores: %w", c, err)
				}
				if err := demo.Compare(want, res, wantDiff, diff); err != nil {
					return fmt.Errorf("simulated %d cores differ from serial: %w", c, err)
				}
				r.Sim = append(r.Sim, simResult(rep))
			}
			return nil
		}()
		if err != nil {
			r.Error = err.Error()
			fmt.Fprintf(logw, "demo %-6s ERROR %v\n", w.Name, err)
			continue
		}
		line := fmt.Sprintf("demo %-6s %4d txs  serial %10s  %d workers %10s  speedup %.2f [%.2f-%.2f]  ceiling %.2f  re-exec %d",
			r.Workload, r.Txs, fmtNs(r.Real.Serial.NsPerOp), workers, fmtNs(r.Real.Parallel.NsPerOp), r.Real.Speedup, r.Real.SpeedupMin, r.Real.SpeedupMax, r.Real.Ceiling, r.Real.Reexecutions)
		for _, s := range r.Sim {
			line += fmt.Sprintf("  sim%d %.2f", s.Cores, s.Speedup)
		}
		fmt.Fprintln(logw, line)
		runtime.GC()
	}
	return out
}
