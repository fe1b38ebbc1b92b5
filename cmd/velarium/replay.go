package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/velarium/velarium/chain"
	"github.com/velarium/velarium/internal/fixtures"
	"github.com/velarium/velarium/replay"
	prun "github.com/velarium/velarium/run"
)

func init() {
	register(&command{
		name:  "replay",
		short: "execute real mainnet blocks (pevm block folders) and check their receipts",
		usage: func(w io.Writer) {
			fs, _ := replayFlags(w)
			fs.Usage()
		},
		run: runReplay,
	})
}

type replayOpts struct {
	json     string
	workers  int
	simCores string
}

func replayFlags(out io.Writer) (*flag.FlagSet, *replayOpts) {
	o := &replayOpts{}
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&o.json, "json", "", "write the per-block results (and parallel figures) as a JSON array to `FILE`")
	fs.IntVar(&o.workers, "workers", 1, "execute each block on `N` real worker goroutines (1: serial)")
	fs.StringVar(&o.simCores, "sim-cores", "", "also execute each block on simulated cores, `P[,P...]`, and report makespan, speedup, utilisation, re-executions, critical paths, efficiency, the tail after the last transaction and the hottest elements")
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, `usage: velarium replay [--workers N] [--sim-cores P[,P...]] [--json FILE] [DIR...]

Executes real Ethereum mainnet blocks in the pevm layout: DIR is one block
folder (with block.json = eth_getBlockByNumber(N, true) and pre_state.json)
or a folder searched recursively for them; bytecodes.json and
block_hashes.json are looked up in the block folder and up to 3 folders
above it. Without DIR it runs <fixtures>/mainnet/pevm, where <fixtures> is
$VELARIUM_FIXTURES or ../shared/fixtures beside the repository root.

Senders are recovered from the signatures (and checked against "from", as
are the transaction hashes). Each block runs on its partial pre-state with
the mainnet fork schedule and, as pevm does, without block rewards,
withdrawals or system calls; the header's gasUsed and logsBloom and, from
Byzantium on, receiptsRoot must match (the state root cannot be checked).

Blocks run one at a time in block-number order. Prints one line per block:
number, fork, transactions, gas, execution time, Mgas/s, load time
(decoding and sender recovery) and OK or what differs; then a total line
and, last, "N passed, M failed".

With --workers N the transactions run in parallel on N goroutines (same
results, byte for byte; the checks are the same). With --sim-cores each
block also runs on P simulated cores (the real scheduler and EVM, virtual
time from a calibrated cost model) and its checks must pass too; one line
per core count follows the block's line, and averages end the run.

Exit status: 0 when every block passed, 1 when a block failed, 2 when an
input could not be read or decoded (the other blocks still run) or on bad
usage.

Flags:
`)
		fs.PrintDefaults()
	}
	return fs, o
}

func runReplay(args []string) int {
	fs, o := replayFlags(os.Stderr)
	dirsArg, status, done := parseArgs(fs, args)
	if done {
		return status
	}
	if len(dirsArg) == 0 {
		root, err := fixtures.Root()
		if err != nil {
			fmt.Fprintf(os.Stderr, "velarium replay: no DIR given and no fixtures: %v\n", err)
			return 2
		}
		dirsArg = []string{filepath.Join(root, "mainnet", "pevm")}
	}

	unreadable := false
	var dirs []string
	seen := map[string]bool{}
	for _, arg := range dirsArg {
		found, err := replay.BlockDirs(arg)
		if err != nil {
			fmt.Fprintf(os.Stderr, "velarium replay: %v\n", err)
			unreadable = true
			continue
		}
		if len(found) == 0 {
			fmt.Fprintf(os.Stderr, "velarium replay: %s: no block folders (with %s)\n", arg, replay.BlockFile)
			unreadable = true
			continue
		}
		for _, d := range found {
			key := d
			if abs, err := filepath.Abs(d); err == nil {
				key = abs
			}
			if !seen[key] {
				seen[key] = true
				dirs = append(dirs, d)
			}
		}
	}
	replay.SortBlockDirs(dirs)

	simCores, err := parseCores(o.simCores)
	if err != nil {
		fmt.Fprintf(os.Stderr, "velarium replay: --sim-cores: %v\n", err)
		return 2
	}
	if o.workers < 1 {
		fmt.Fprintf(os.Stderr, "velarium replay: --workers must be at least 1\n")
		return 2
	}
	// One learned history per configuration, carried from block to block.
	var executor chain.TxExecutorOnto
	if o.workers > 1 {
		popt := prun.DefaultOptions(o.workers)
		popt.History = prun.NewHistory()
		executor = prun.ExecutorOnto(popt, nil)
	}
	simHist := make([]*prun.History, len(simCores))
	for i := range simHist {
		simHist[i] = prun.NewHistory()
	}
	simSum := make([]simTotals, len(simCores))

	stdout := bufio.NewWriter(os.Stdout)
	defer stdout.Flush()
	loader := replay.NewLoader()
	results := []*replayResult{}
	passed, failed := 0, 0
	var txs int
	var gas uint64
	var exec, load float64
	for _, dir := range dirs {
		pb, err := loader.Load(dir)
		if err != nil {
			stdout.Flush()
			fmt.Fprintf(os.Stderr, "velarium replay: cannot load %v\n", err)
			unreadable = true
			results = append(results, &replayResult{PevmResult: &replay.PevmResult{Dir: dir, LoadFailed: true, Error: err.Error()}})
			continue
		}
		r := replay.RunPevmOpts(pb, chain.BlockOptions{ExecutorOnto: executor, Workers: o.workers})
		rr := &replayResult{PevmResult: r, Workers: o.workers}
		results = append(results, rr)
		// The calibration's measured time: the best of this run and two
		// more (warm: the cost model is fitted to steady execution, not
		// to a block's first run, which also pays for cold caches).
		warm := r.ExecSeconds
		if len(simCores) > 0 && o.workers == 1 && r.Pass && r.Txs >= 10 {
			for range 2 {
				warm = min(warm, replay.RunPevmOpts(pb, chain.BlockOptions{ExecutorOnto: executor, Workers: o.workers}).ExecSeconds)
			}
		}
		for i, p := range simCores {
			var rep *prun.SimReport
			sr := replay.RunPevmWith(pb, prun.SimExecutor(prun.SimOptions{Cores: p, MinTxs: 2, MinBound: prun.DefaultMinBound, History: simHist[i], Adaptive: true}, &rep))
			if !sr.Pass {
				r.Pass = false
				r.Diffs = append(r.Diffs, fmt.Sprintf("simulated %d cores: %s", p, sr.Summary()))
			}
			if rep != nil {
				rr.Sim = append(rr.Sim, rep)
				simSum[i].add(rep)
				if o.workers == 1 && rep.SerialTime > 0 && r.Txs >= 10 {
					simSum[i].ratios = append(simSum[i].ratios, warm*1e9/rep.SerialTime)
				}
			}
		}
		if r.Pass {
			passed++
		} else {
			failed++
		}
		txs += r.Txs
		gas += r.GasUsed
		exec += r.ExecSeconds
		load += r.LoadSeconds
		fmt.Fprintf(stdout, "%9d %-16s %5d txs %11d gas %10.3f ms %9.1f Mgas/s  (load %7.3f ms)  %s\n",
			r.Number, r.Fork, r.Txs, r.GasUsed, r.ExecSeconds*1e3, r.MgasPerSec, r.LoadSeconds*1e3, oneLine(r.Summary()))
		for _, rep := range rr.Sim {
			fmt.Fprintf(stdout, "%9s sim %3d cores: speedup %6.2fx  efficiency %5.1f%%  utilisation %5.1f%%  re-exec %4d  waits %4d  critical path %5.1f%% (tx-level %5.1f%%) of work  tail %4.1f%% of makespan%s\n",
				"", rep.Cores, rep.Speedup, 100*rep.Efficiency, 100*rep.Utilisation, rep.Reexecutions, rep.Parks,
				pct(rep.CriticalPath, rep.TotalWork), pct(rep.TxCriticalPath, rep.TotalWork), pct(rep.Tail, rep.Makespan), simFallback(rep)+hottest(rep))
		}
		stdout.Flush()
	}
	mgas := 0.0
	if exec > 0 {
		mgas = float64(gas) / 1e6 / exec
	}
	fmt.Fprintf(stdout, "total: %d blocks, %d txs, %.1f Mgas, exec %.3f s, %.1f Mgas/s (load %.3f s, setup %.3f s)\n",
		passed+failed, txs, float64(gas)/1e6, exec, mgas, load, loader.SetupTime().Seconds())
	for i, p := range simCores {
		t := simSum[i]
		if t.n > 0 {
			fmt.Fprintf(stdout, "simulated %d cores over %d blocks: mean speedup %.2fx, mean efficiency %.1f%%, total serial/makespan %.2fx\n",
				p, t.n, t.speedup/float64(t.n), 100*t.eff/float64(t.n), t.serial/t.makespan)
		}
	}
	if len(simCores) > 0 && len(simSum[0].ratios) > 0 {
		r := append([]float64(nil), simSum[0].ratios...)
		sort.Float64s(r)
		q := func(f float64) float64 { return r[int(f*float64(len(r)-1))] }
		fmt.Fprintf(stdout, "cost model calibration: measured serial time (best of 3 runs) / model serial time over %d blocks (10+ txs): median %.2f, p10 %.2f, p90 %.2f\n",
			len(r), q(0.5), q(0.1), q(0.9))
	}
	if o.json != "" {
		if err := writeResultsJSON(o.json, results); err != nil {
			fmt.Fprintf(os.Stderr, "velarium replay: writing %s: %v\n", o.json, err)
			unreadable = true
		}
	}
	fmt.Fprintf(stdout, "%d passed, %d failed\n", passed, failed)
	switch {
	case unreadable:
		return 2
	case failed > 0:
		return 1
	}
	return 0
}

// replayResult is one block's line in --json output.
type replayResult struct {
	*replay.PevmResult
	Workers int               `json:"workers,omitempty"`
	Sim     []*prun.SimReport `json:"sim,omitempty"`
}

type simTotals struct {
	n                int
	speedup, eff     float64
	serial, makespan float64
	ratios           []float64 // measured serial time / model serial time, per block
}

func (t *simTotals) add(r *prun.SimReport) {
	if r.Txs == 0 {
		return
	}
	t.n++
	t.speedup += r.Speedup
	t.eff += r.Efficiency
	t.serial += r.SerialTime
	t.makespan += r.Makespan
}

func pct(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return 100 * a / b
}

// simFallback says when the simulated schedule ended serially.
func simFallback(r *prun.SimReport) string {
	switch {
	case r.Exceeded:
		return fmt.Sprintf("  fallback: a transaction exceeded its runs; serial from transaction %d", r.SerialFrom)
	case r.SerialFrom >= 0:
		return fmt.Sprintf("  adaptive: serial from transaction %d", r.SerialFrom)
	}
	return ""
}

func hottest(r *prun.SimReport) string {
	if len(r.Hot) == 0 {
		return ""
	}
	h := r.Hot[0]
	return fmt.Sprintf("  hottest: %s (%d invalidations, %d waits)", h.Element, h.Invalidations, h.Waits)
}

// parseCores parses "8,32,128".
func parseCores(s string) ([]int, error) {
	if s == "" {
		return nil, nil
	}
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("bad core count %q", f)
		}
		out = append(out, n)
	}
	return out, nil
}

// writeResultsJSON writes v (a slice of results) as indented JSON.
func writeResultsJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}
