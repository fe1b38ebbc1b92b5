package bench

import (
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"regexp"
	"runtime"

	"github.com/velarium/velarium/chain"
	"github.com/velarium/velarium/demo"
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
	Serial   bool   `json:"serial,omitempty"`
	Fallback bool   `json:"fallback,omitempty"`
	Hot      string `json:"hottest,omitempty"`
}

func simResult(rep *run.SimReport) SimResult {
	s := SimResult{Cores: rep.Cores, Speedup: rep.Speedup, Efficiency: rep.Efficiency, Bound: rep.Bound,
		Utilisation: rep.Utilisation, Reexecutions: rep.Reexecutions, Parks: rep.Parks,
		SerialTime: rep.SerialTime, Makespan: rep.Makespan, Serial: rep.Serial}
	// run.Simulate returns a zero makespan when it abandoned the schedule
	// (sc.Exceeded) and executed serially.
	s.Fallback = rep.Serial && rep.Makespan == 0 && rep.Txs > 0
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
	// Blocks with transactions that were simulated (the fallbacks are
	// counted apart and left out of the means).
	Blocks    int `json:"blocks"`
	Fallbacks int `json:"fallbacks"`
	// MeanSpeedup and MeanEfficiency: arithmetic means over Blocks.
	MeanSpeedup    float64 `json:"meanSpeedup"`
	MeanEfficiency float64 `json:"meanEfficiency"`
	// MeanSpeedupFallback1 counts each fallback as 1× (it ran serially;
	// its wasted speculative time is not modelled, so this is optimistic).
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
	Gas            uint64  `json:"gas"`
	SerialNs       float64 `json:"serialNs"`
	ParallelNs     float64 `json:"parallelNs"`
	SerialMgas     float64 `json:"serialMgasPerSec"`
	ParallelMgas   float64 `json:"parallelMgasPerSec"`
	TotalSpeedup   float64 `json:"totalSpeedup"`
	GeoSpeedup     float64 `json:"geoMeanSpeedup"`
	MeanSpeedup    float64 `json:"meanSpeedup"`
	ParallelBlocks int     `json:"parallelBlocks"`
	Faster         int     `json:"fasterBlocks"` // of ParallelBlocks, speedup > 1
	MinTxs         int     `json:"minTxs"`
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

// sameBlock checks that got equals the serial result want: receipts
// (status, gas, bloom), gas, bloom, receipts root and the post-state root.
func sameBlock(pre *state.Mem, want, got *chain.BlockResult, wantRoot [32]byte) error {
	if want.GasUsed != got.GasUsed || want.Bloom != got.Bloom || want.ReceiptsRoot != got.ReceiptsRoot || len(want.Receipts) != len(got.Receipts) {
		return fmt.Errorf("receipts differ from serial: gas %d (serial %d), receipts root %x (serial %x)", got.GasUsed, want.GasUsed, got.ReceiptsRoot, want.ReceiptsRoot)
	}
	for i := range want.Receipts {
		w, g := want.Receipts[i], got.Receipts[i]
		if w.Status != g.Status || w.GasUsed != g.GasUsed || w.CumulativeGasUsed != g.CumulativeGasUsed || w.Bloom != g.Bloom || len(w.Logs) != len(g.Logs) {
			return fmt.Errorf("receipt %d differs from serial", i)
		}
	}
	if r := postRoot(pre, got.Diff); r != wantRoot {
		return fmt.Errorf("post-state root %x, serial %x", r, wantRoot)
	}
	return nil
}

func postRoot(pre *state.Mem, d state.Diff) [32]byte {
	m := pre.Copy()
	m.Apply(d)
	return m.Root()
}

func blockOpts(exec chain.TxExecutor) chain.BlockOptions {
	return chain.BlockOptions{SkipSystem: true, Executor: exec}
}

// RunParallelBlocks measures every pevm block under dir: serial against
// real workers (interleaved rounds), then the simulated core counts (one
// deterministic run each, one learned history per core count carried from
// block to block in block-number order, as `velarium replay --sim-cores`
// does). Every parallel and simulated execution must pass the header
// checks (replay.RunPevmWith) and equal the serial one (receipts and
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
	out.GeoSpeedup, out.MeanSpeedup = GeoMean(speedups), mean(speedups)
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
	serial, err := chain.ExecuteBlock(chain.Mainnet, pb.Block, pb.Pre, blockOpts(nil))
	if err != nil {
		return fmt.Errorf("serial: %w", err)
	}
	wantRoot := postRoot(pb.Pre, serial.Diff)

	// Real workers: header checks, then equality with serial.
	x := &RealParallel{Workers: popt.Workers}
	var st run.Stats
	if pr := replay.RunPevmWith(pb, run.Executor(popt, &st)); !pr.Pass {
		return fmt.Errorf("%d workers: %s", popt.Workers, pr.Summary())
	}
	got, err := chain.ExecuteBlock(chain.Mainnet, pb.Block, pb.Pre, blockOpts(run.Executor(popt, &st)))
	if err != nil {
		return fmt.Errorf("%d workers: %w", popt.Workers, err)
	}
	if err := sameBlock(pb.Pre, serial, got, wantRoot); err != nil {
		return fmt.Errorf("%d workers: %w", popt.Workers, err)
	}
	x.Runs, x.Reexecutions, x.Parks, x.RanSerially, x.Fallback = st.Runs, st.Reexecutions, st.Parks, st.Serial, st.Fallback
	if st.SerialFrom >= 0 {
		x.RanSerially = x.RanSerially || st.SerialFrom == 0
	}

	// Timing: engine 0 = parallel, engine 1 = serial, so that the pair's
	// ratio is serial time / parallel time (the speedup).
	var discard run.Stats
	fns := []func() error{
		func() error {
			_, err := chain.ExecuteBlock(chain.Mainnet, pb.Block, pb.Pre, blockOpts(run.Executor(popt, &discard)))
			return err
		},
		func() error { _, err := chain.ExecuteBlock(chain.Mainnet, pb.Block, pb.Pre, blockOpts(nil)); return err },
	}
	p, err := Interleave(fns, &o.Measure)
	if err != nil {
		return err
	}
	x.Parallel, x.Serial = sideResult(p.T[0], pb.GasUsed), sideResult(p.T[1], pb.GasUsed)
	x.Speedup = p.Ratio(1)
	x.SpeedupMin, x.SpeedupMax = minMax(p.Ratios[1])
	r.Real = x

	// Simulated cores: one run each, header checks and equality with serial.
	for i, c := range cores {
		var rep *run.SimReport
		simOpt := run.SimOptions{Cores: c, MinTxs: blockSimMinTxs, History: hist[i]}
		var res *chain.BlockResult
		exec := run.SimExecutor(simOpt, &rep)
		pr := replay.RunPevmWith(pb, func(rules *fork_Rules, env *chain.BlockEnv, txs []*chain.Message, src state.Source) ([]*chain.Result, state.Diff, error) {
			return exec(rules, env, txs, src)
		})
		_ = pr
		_ = res
	}
	return nil
}
