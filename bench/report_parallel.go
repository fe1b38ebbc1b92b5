package bench

import (
	"fmt"
	"github.com/velarium/velarium/run"
	"io"
	"strings"
)

// parallelMarkdown writes the "Parallel execution" section.
func (r *Report) parallelMarkdown(w io.Writer) {
	p := func(format string, a ...any) { fmt.Fprintf(w, format, a...) }
	par := r.Parallel
	workers := r.Env.NumCPU
	if par.Blocks != nil {
		workers = par.Blocks.Workers
	} else if par.Demo != nil {
		workers = par.Demo.Workers
	}
	p("## Parallel execution\n\n")
	p("Velarium serial against Velarium on **%d real worker goroutines** (`run.BlockOptions(run.DefaultOptions(%d))`: "+
		"speculative execution over the multi-version state with the deterministic scheduler; blocks with fewer than %d "+
		"transactions run serially; no learned history, so repeated timed runs of one block do not learn from "+
		"themselves; the receipts root, after the transactions, is hashed on the workers' goroutines too), timed in interleaved rounds like the serial suite: times are medians, **speedup** = median over "+
		"rounds of serial time / parallel time in the same round, [min–max] the extreme rounds. And on **simulated "+
		"cores** (`run.Simulate`: the real scheduler and EVM, time from the calibrated cost model instead of the "+
		"clock; deterministic, one run per core count): speedup = model serial time / makespan, **eff** = efficiency "+
		"= speedup / min(cores, total work / critical path). Before anything is timed, every real-parallel and "+
		"simulated execution passes the header checks (`replay.RunPevmOpts`: gasUsed, logsBloom, receiptsRoot) and "+
		"equals serial execution transaction by transaction (status, gas, logs, output) and in its post-state root.\n\n", workers, workers, run.DefaultMinTxs)
	p("**Machine load.** This machine has %d logical CPUs shared with other work (load average %s at the start of "+
		"the run, %s at the end). With %d workers on it the real parallel times are noisy and bounded by %d×; they "+
		"show the executor's overhead and what little a 2-core machine can gain, not its scaling. The simulated "+
		"speedups do not depend on the machine or its load.\n\n", r.Env.NumCPU, r.Env.LoadStart, r.Env.LoadEnd, workers, workers)

	if b := par.Blocks; b != nil {
		p("### Mainnet blocks\n\n")
		p("The 50 pevm blocks as in the serial suite (`chain.ExecuteBlock` with `SkipSystem`; the parallel runs pass "+
			"`run.BlockOptions`: `BlockOptions.ExecutorOnto`, the block diff layered onto `ExecuteBlock`'s overlay). Simulation: `run.SimExecutor(run.SimOptions{Cores: P, MinTxs: %d, MinBound: run.DefaultMinBound, History: h, Adaptive: true})` "+
			"with one learned history `h` per core count carried from block to block in block-number order, as "+
			"`velarium replay --sim-cores` does (so a run of only some blocks, `-blocks`, simulates with less "+
			"history), and the real driver's adaptive rule scaled to the cores.\n\n", blockSimMinTxs)
		p("| configuration | blocks | mean speedup | geo-mean | total¹ | mean eff | fallbacks² |\n|---|---:|---:|---:|---:|---:|---:|\n")
		p("| real, %d workers (this machine) | %d in parallel (%d faster than serial) | %s | %s | %s (%s → %s Mgas/s) | | |\n",
			b.Workers, b.ParallelBlocks, b.Faster, fmtRatio(b.MeanSpeedup), fmtRatio(b.GeoSpeedup), fmtRatio(b.TotalSpeedup),
			fmtMgas(b.SerialMgas), fmtMgas(b.ParallelMgas))
		for _, t := range b.Sim {
			fb := fmt.Sprint(t.Fallbacks)
			if t.Fallbacks > 0 {
				fb += fmt.Sprintf(" (as 1×: mean %s)", fmtRatio(t.MeanSpeedupFallback1))
			}
			p("| simulated, %d cores | %d | %s | %s | %s | %.1f%% | %s |\n", t.Cores, t.Blocks, fmtRatio(t.MeanSpeedup),
				fmtRatio(t.GeoSpeedup), fmtRatio(t.TotalSpeedup), 100*t.MeanEfficiency, fb)
		}
		p("\n¹ Real: sum of the serial medians / sum of the parallel medians over all blocks (the blocks that ran " +
			"serially included); simulated: sum of model serial times / sum of makespans.  \n" +
			"² A transaction exceeded its runs (64 or twice the cores), so the simulator finished the block serially from the final prefix, " +
			"as the real executor does: its makespan (the speculation lost plus the serial tail) counts in the means " +
			"(\"as 1×\": the mean had such a block cost at most serial time). The means are over the blocks with transactions " +
			"(blocks with one transaction are simulated serially, 1×).\n\n")
		if c := b.Pevm; c != nil {
			p("**Against pevm.** Over the %d blocks that pevm's 8-thread table lists³: pevm (revm, 8 threads, "+
				"i9-12900K, wall time) mean speedup **%s** (geo-mean %s); Velarium simulated on 8 cores (model time) "+
				"mean **%s** (geo-mean %s), higher than pevm's figure on %d of %d blocks; Velarium on %d real workers "+
				"here mean %s. pevm's numbers are quoted for reference (another engine, another machine), not "+
				"re-measured.\n\n", c.Blocks, fmtRatio(c.PevmMean), fmtRatio(c.PevmGeo), fmtRatio(c.Sim8Mean),
				fmtRatio(c.Sim8Geo), c.Sim8AbovePevm, c.Sim8Comparisons, b.Workers, fmtRatio(c.RealMean))
		}
		hdr := "| block | fork | txs | gas | serial | %d workers | speedup [min–max] | re-exec |"
		sep := "|---:|---|---:|---:|---:|---:|---:|---:|"
		for _, c := range b.SimCores {
			hdr += fmt.Sprintf(" sim %d (eff) |", c)
			sep += "---:|"
		}
		p(hdr+" pevm 8-thr³ | pevm 12-thr⁴ |\n"+sep+"---:|---:|\n", b.Workers)
		for _, x := range b.Blocks {
			ref8, refL := "—", "—"
			if x.Pevm8 != nil {
				ref8 = fmt.Sprintf("%.2f×", x.Pevm8.Speedup)
			}
			if x.PevmLater != nil {
				refL = fmt.Sprintf("%.2f×", x.PevmLater.Speedup)
			}
			if x.Real == nil {
				p("| %d | %s | %d | %s | ERROR: %s |%s | %s | %s |\n", x.Number, x.Fork, x.Txs, gasStr(x.GasUsed),
					mdEscape(trunc(x.Error, 200)), strings.Repeat(" |", 3+len(b.SimCores)), ref8, refL)
				continue
			}
			sp := fmt.Sprintf("%s [%.2f–%.2f]", fmtRatio(x.Real.Speedup), x.Real.SpeedupMin, x.Real.SpeedupMax)
			if x.Real.RanSerially {
				sp += " (serial)"
			}
			p("| %d | %s | %d | %s | %s | %s | %s | %d |", x.Number, x.Fork, x.Txs, gasStr(x.GasUsed),
				fmtNs(x.Real.Serial.NsPerOp), fmtNs(x.Real.Parallel.NsPerOp), sp, x.Real.Reexecutions)
			for _, s := range x.Sim {
				p(" %s |", simCell(s, x.Txs, true))
			}
			p(" %s | %s |\n", ref8, refL)
		}
		p("\n³ %s.  \n⁴ %s.\n\n", PevmRefSource8, PevmRefSourceLater)
	}

	if d := par.Demo; d != nil {
		p("### Demo workloads\n\n")
		p("Velarium's synthetic blocks (package `demo`, %d transactions each, seed %d, Cancun rules): `run.Serial` "+
			"against `run.Parallel` on %d workers (interleaved rounds as above) and `run.Simulate` with the options "+
			"`velarium demo` uses (MinTxs %d, MaxRuns 64 or twice the cores, adaptive rule, no learned history). **Ceiling**: %d copies of the serial "+
			"execution run at once on %d goroutines, sharing nothing (%d × serial time / their time together, median "+
			"[min–max] over the same rounds): what this machine gives embarrassingly parallel work of the same kind "+
			"(allocation, GC and memory traffic included), the bound to read the executor's speedup against.\n\n",
			d.Size, d.Seed, d.Workers, run.DefaultMinTxs, d.Workers, d.Workers, d.Workers)
		hdr := "| workload | txs | gas | serial | %d workers | speedup [min–max] | ceiling [min–max] | re-exec |"
		sep := "|---|---:|---:|---:|---:|---:|---:|---:|"
		for _, c := range d.SimCores {
			hdr += fmt.Sprintf(" sim %d (eff) |", c)
			sep += "---:|"
		}
		p(hdr+" what |\n"+sep+"---|\n", d.Workers)
		for _, x := range d.Workloads {
			if x.Real == nil {
				p("| %s | %d | %s | ERROR: %s |%s %s |\n", x.Workload, x.Txs, gasStr(x.GasUsed), mdEscape(trunc(x.Error, 200)),
					strings.Repeat(" |", 4+len(d.SimCores)), mdEscape(x.Desc))
				continue
			}
			sp := fmt.Sprintf("%s [%.2f–%.2f]", fmtRatio(x.Real.Speedup), x.Real.SpeedupMin, x.Real.SpeedupMax)
			if x.Real.Fallback != "" {
				sp += " (fallback)"
			} else if x.Real.RanSerially {
				sp += " (serial)"
			}
			ceil := "—"
			if x.Real.Ceiling > 0 {
				ceil = fmt.Sprintf("%s [%.2f–%.2f]", fmtRatio(x.Real.Ceiling), x.Real.CeilingMin, x.Real.CeilingMax)
			}
			p("| %s | %d | %s | %s | %s | %s | %s | %d |", x.Workload, x.Txs, gasStr(x.GasUsed), fmtNs(x.Real.Serial.NsPerOp),
				fmtNs(x.Real.Parallel.NsPerOp), sp, ceil, x.Real.Reexecutions)
			for _, s := range x.Sim {
				p(" %s |", simCell(s, x.Txs, true))
			}
			p(" %s |\n", mdEscape(x.Desc))
		}
		p("\n")
	}
}

func simCell(s SimResult, txs int, eff bool) string {
	switch {
	case txs == 0:
		return "—"
	case s.Fallback:
		return fmt.Sprintf("%s (fallback²)", fmtRatio(s.Speedup))
	case s.SerialFrom >= 0 && eff:
		return fmt.Sprintf("%s (%.0f%%, adaptive)", fmtRatio(s.Speedup), 100*s.Efficiency)
	case s.Serial:
		return fmt.Sprintf("%s (serial)", fmtRatio(s.Speedup))
	case eff:
		return fmt.Sprintf("%s (%.0f%%)", fmtRatio(s.Speedup), 100*s.Efficiency)
	}
	return fmtRatio(s.Speedup)
}

// parallelChart is the data of the parallel charts.
type parallelChart struct {
	Labels   []string     `json:"labels"`
	Real     []*float64   `json:"real"`
	Sim      [][]*float64 `json:"sim"` // per core count in SimCores
	SimCores []int        `json:"simCores"`
	Pevm8    []*float64   `json:"pevm8"`
	Workers  int          `json:"workers"`
	// Demo: speedup against cores per workload.
	DCores   []int        `json:"dCores"`
	DNames   []string     `json:"dNames"`
	DSim     [][]*float64 `json:"dSim"`
	DReal    []*float64   `json:"dReal"`
	DWorkers int          `json:"dWorkers"`
}

func fptr(x float64) *float64 { x = round3(x); return &x }

func (r *Report) parallelChartData() *parallelChart {
	if r.Parallel == nil {
		return nil
	}
	c := &parallelChart{}
	if b := r.Parallel.Blocks; b != nil {
		c.Workers = b.Workers
		// Only the core counts the chart shows: 8 and 32.
		var idx []int
		for i, n := range b.SimCores {
			if n == 8 || n == 32 {
				idx = append(idx, i)
				c.SimCores = append(c.SimCores, n)
			}
		}
		c.Sim = make([][]*float64, len(idx))
		for _, x := range b.Blocks {
			if x.Real == nil || x.Txs == 0 {
				continue
			}
			c.Labels = append(c.Labels, fmt.Sprintf("%d %s (%d txs)", x.Number, x.Fork, x.Txs))
			c.Real = append(c.Real, fptr(x.Real.Speedup))
			for k, i := range idx {
				var v *float64
				if i < len(x.Sim) && !x.Sim[i].Fallback {
					v = fptr(x.Sim[i].Speedup)
				}
				c.Sim[k] = append(c.Sim[k], v)
			}
			var v *float64
			if x.Pevm8 != nil {
				v = fptr(x.Pevm8.Speedup)
			}
			c.Pevm8 = append(c.Pevm8, v)
		}
	}
	if d := r.Parallel.Demo; d != nil {
		c.DCores, c.DWorkers = d.SimCores, d.Workers
		for _, x := range d.Workloads {
			if x.Real == nil {
				continue
			}
			c.DNames = append(c.DNames, x.Workload)
			c.DReal = append(c.DReal, fptr(x.Real.Speedup))
			row := make([]*float64, len(d.SimCores))
			for i := range row {
				if i < len(x.Sim) && !x.Sim[i].Fallback {
					row[i] = fptr(x.Sim[i].Speedup)
				}
			}
			c.DSim = append(c.DSim, row)
		}
	}
	return c
}
