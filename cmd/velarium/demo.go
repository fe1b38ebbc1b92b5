package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/velarium/velarium/demo"
)

func init() {
	register(&command{
		name:  "demo",
		short: "run synthetic blocks serially, on parallel workers and on simulated cores",
		usage: func(w io.Writer) {
			fs, _ := demoFlags(w)
			fs.Usage()
		},
		run: runDemo,
	})
}

type demoOpts struct {
	size      int
	workers   int
	simCores  string
	workloads string
	json      string
	seed      int64
	reps      int
}

func demoFlags(out io.Writer) (*flag.FlagSet, *demoOpts) {
	o := &demoOpts{}
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.IntVar(&o.size, "size", demo.DefaultSize, "transactions per workload `N`")
	fs.IntVar(&o.workers, "workers", runtime.NumCPU(), "real parallel worker goroutines `N`")
	fs.StringVar(&o.simCores, "sim-cores", "8,16,32,64", "simulated core counts, comma-separated `LIST` (empty: none)")
	fs.StringVar(&o.workloads, "workload", strings.Join(demo.Names(), ","), "workloads to run, comma-separated `LIST`")
	fs.StringVar(&o.json, "json", "", "also write the results as JSON to `FILE`")
	fs.Int64Var(&o.seed, "seed", 1, "generator `SEED`")
	fs.IntVar(&o.reps, "reps", 5, "timed rounds `N` (each round times a ~40 ms batch of serial, parallel and copies runs; the best round counts)")
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, `usage: velarium demo [flags]

Generates synthetic blocks (no fixtures needed) and executes each one
serially, on real parallel worker goroutines, and on simulated cores (a
deterministic cost model of N cores). Every parallel and simulated result is
checked against the serial one: per-transaction status, gas used, logs and
return data, and the state diff byte for byte (both are canonical: only what
ends different from the pre-state). A mismatch is an error (exit status 1).

Workloads (Cancun rules, fees paid to the coinbase):
`)
		for _, wl := range demo.All() {
			fmt.Fprintf(w, "  %-6s %s\n", wl.Name, wl.Desc)
		}
		fmt.Fprintf(w, `
Prints one table row per workload: transactions, serial time and real
parallel time (best of --reps interleaved rounds), the real speedup with its worker count,
the machine's ceiling (as many copies of the serial execution run at once,
sharing nothing: what this machine gives perfectly parallel work of the
same kind), the medians over the rounds of each round's speedup and
ceiling (steadier than the bests, whose rounds need not coincide),
re-executions of the parallel run, and the simulated speedup at
each core count with its efficiency (speedup / min(cores, work / critical
path)). Real speedups are bounded by the cores of this machine (%d) and by
the ceiling; the simulated columns show what the schedule achieves with
more.

A progress bar is drawn on stderr when it is a terminal; stdout carries the
table only.

Exit status: 0 success, 1 a run failed or differed from serial, 2 bad usage.

Flags:
`, runtime.NumCPU())
		fs.PrintDefaults()
	}
	return fs, o
}

// demoReport is the JSON document of --json.
type demoReport struct {
	Size     int        `json:"size"`
	Seed     int64      `json:"seed"`
	Workers  int        `json:"workers"`
	NumCPU   int        `json:"num_cpu"`
	GoArch   string     `json:"goarch"`
	SimCores []int      `json:"sim_cores"`
	Rows     []demo.Row `json:"rows"`
}

func runDemo(args []string) int {
	fs, o := demoFlags(os.Stderr)
	rest, status, done := parseArgs(fs, args)
	if done {
		return status
	}
	if len(rest) > 0 {
		fmt.Fprintf(os.Stderr, "velarium demo: unexpected arguments %q\n", rest)
		return 2
	}
	if o.size <= 0 || o.workers <= 0 || o.reps <= 0 {
		fmt.Fprintln(os.Stderr, "velarium demo: --size, --workers and --reps must be positive")
		return 2
	}
	cores, err := parseInts(o.simCores)
	if err != nil {
		fmt.Fprintf(os.Stderr, "velarium demo: --sim-cores: %v\n", err)
		return 2
	}
	var wls []demo.Workload
	for _, name := range strings.Split(o.workloads, ",") {
		if name = strings.TrimSpace(name); name == "" {
			continue
		}
		wl, err := demo.Lookup(name)
		if err != nil {
			fmt.Fprintf(os.Stderr, "velarium demo: %v\n", err)
			return 2
		}
		wls = append(wls, wl)
	}
	if len(wls) == 0 {
		fmt.Fprintln(os.Stderr, "velarium demo: no workload given")
		return 2
	}

	bar := newProgress(os.Stderr, len(wls))
	opt := demo.Options{Size: o.size, Seed: o.seed, Workers: o.workers, SimCores: cores, Reps: o.reps}
	var rows []demo.Row
	status = 0
	for i, wl := range wls {
		opt.Progress = func(done, total int, step string) { bar.update(i, wl.Name, done, total, step) }
		row, err := demo.Run(wl, opt)
		if err != nil {
			bar.clear()
			fmt.Fprintf(os.Stderr, "velarium demo: %v\n", err)
			status = 1
			continue
		}
		rows = append(rows, row)
		bar.finished(i, wl.Name)
	}
	bar.clear()

	printDemoTable(os.Stdout, rows, o.workers, cores)
	if o.json != "" {
		rep := demoReport{Size: o.size, Seed: o.seed, Workers: o.workers, NumCPU: runtime.NumCPU(),
			GoArch: runtime.GOARCH, SimCores: cores, Rows: rows}
		if rep.Rows == nil {
			rep.Rows = []demo.Row{}
		}
		data, err := json.MarshalIndent(rep, "", "  ")
		if err == nil {
			err = os.WriteFile(o.json, append(data, '\n'), 0o644)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "velarium demo: writing %s: %v\n", o.json, err)
			status = 1
		}
	}
	return status
}

func parseInts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("bad core count %q", f)
		}
		out = append(out, n)
	}
	return out, nil
}

func printDemoTable(w io.Writer, rows []demo.Row, workers int, cores []int) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	hdr := []string{"workload", "txs", "serial ms", fmt.Sprintf("parallel ms (%dw)", workers), "speedup", "ceiling", "median", "re-exec"}
	for _, c := range cores {
		hdr = append(hdr, fmt.Sprintf("sim %dc (eff)", c))
	}
	fmt.Fprintln(tw, strings.Join(hdr, "\t")+"\t")
	var notes []string
	for _, r := range rows {
		cols := []string{r.Workload, strconv.Itoa(r.Txs), fmt.Sprintf("%.1f", r.SerialMs),
			fmt.Sprintf("%.1f", r.ParallelMs), fmt.Sprintf("%.2fx", r.Speedup), fmt.Sprintf("%.2fx", r.Ceiling),
			fmt.Sprintf("%.2fx / %.2fx", r.SpeedupMedian, r.CeilingMedian), strconv.Itoa(r.Reexecutions)}
		if r.Workers != workers {
			cols[3] += fmt.Sprintf(" (%dw)", r.Workers)
		}
		sims := map[int]demo.SimRow{}
		for _, s := range r.Sim {
			sims[s.Cores] = s
		}
		for _, c := range cores {
			s, ok := sims[c]
			if !ok {
				cols = append(cols, "n/a")
				continue
			}
			if s.Serial {
				cols = append(cols, fmt.Sprintf("%.1fx (serial)", s.Speedup))
				continue
			}
			if s.SerialFrom >= 0 {
				cols = append(cols, fmt.Sprintf("%.1fx (%.0f%%, serial tail)", s.Speedup, 100*s.Efficiency))
				continue
			}
			cols = append(cols, fmt.Sprintf("%.1fx (%.0f%%)", s.Speedup, 100*s.Efficiency))
		}
		fmt.Fprintln(tw, strings.Join(cols, "\t")+"\t")
		if r.Fallback != "" {
			notes = append(notes, fmt.Sprintf("%s: the parallel run fell back to serial: %s", r.Workload, r.Fallback))
		}
		if r.SimErr != "" && len(cores) > 0 {
			notes = append(notes, fmt.Sprintf("%s: simulated cores unavailable: %s", r.Workload, r.SimErr))
		}
	}
	tw.Flush()
	fmt.Fprintf(w, "\nreal parallel: best of %d interleaved rounds on %d worker goroutines, %d CPUs; every result checked equal to serial.\n",
		repsOf(rows), workers, runtime.NumCPU())
	fmt.Fprintf(w, "ceiling: %d copies of the serial run at once, sharing nothing (%d x serial / their time): the most this machine gives parallel work of the same kind.\n",
		workers, workers)
	fmt.Fprintf(w, "median: the median over the rounds of each round's speedup / ceiling (steadier than the bests, whose rounds need not coincide).\n")
	for _, n := range notes {
		fmt.Fprintln(w, "note: "+n)
	}
}

func repsOf(rows []demo.Row) int {
	if len(rows) == 0 {
		return 0
	}
	return rows[0].Reps
}

// progress draws a one-line text bar on a terminal; on anything else it
// prints one short line per finished workload.
type progress struct {
	w     *os.File
	tty   bool
	n     int
	start time.Time
	drawn bool
}

func newProgress(w *os.File, workloads int) *progress {
	p := &progress{w: w, n: workloads, start: time.Now()}
	if fi, err := w.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
		p.tty = true
	}
	return p
}

func (p *progress) update(i int, name string, done, total int, step string) {
	if !p.tty {
		return
	}
	frac := (float64(i) + float64(done)/float64(max(total, 1))) / float64(p.n)
	const width = 30
	fill := int(frac * width)
	bar := strings.Repeat("#", fill) + strings.Repeat(".", width-fill)
	fmt.Fprintf(p.w, "\r\033[K[%s] %3.0f%%  %s (%d/%d): %s", bar, 100*frac, name, i+1, p.n, step)
	p.drawn = true
}

func (p *progress) finished(i int, name string) {
	if !p.tty {
		fmt.Fprintf(p.w, "demo: %s done (%d/%d, %.1f s)\n", name, i+1, p.n, time.Since(p.start).Seconds())
	}
}

func (p *progress) clear() {
	if p.tty && p.drawn {
		fmt.Fprint(p.w, "\r\033[K")
		p.drawn = false
	}
}
