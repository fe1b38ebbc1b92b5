// Command velabench runs Velarium and go-ethereum side by side on the same
// transactions and blocks and writes a report (markdown, JSON, HTML with
// charts, CPU profiles). Run it from the bench module:
//
//	cd bench && go run ./cmd/velabench [flags]
//
// See bench/README.md for what is measured and what each column means.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"time"

	"github.com/velarium/velarium/bench"
	"github.com/velarium/velarium/internal/fixtures"
)

func main() {
	var (
		suites      = flag.String("suite", "evm,blocks,parallel", "comma-separated suites: evm (= evm-benchmarks,evmone-legacy,pevm-contracts), evm-benchmarks, evmone-legacy, pevm-contracts, blocks, parallel (= parallel-blocks,parallel-demo), parallel-blocks, parallel-demo")
		count       = flag.Int("count", 9, "interleaved rounds per single-transaction case")
		target      = flag.Duration("target", 30*time.Millisecond, "time per engine per round (single-transaction cases); slow cases run once per round")
		blockCount  = flag.Int("block-count", 5, "interleaved rounds per block (execution alone and end to end each)")
		blockTarget = flag.Duration("block-target", 30*time.Millisecond, "time per engine per round (blocks)")
		out         = flag.String("out", defaultOut(), "output folder (results.md, results.json, results.html, profiles.md, profiles/)")
		run         = flag.String("run", "", "only the single-transaction cases whose suite/name matches this regexp")
		blocks      = flag.String("blocks", "", "only the blocks whose number matches this regexp")
		cpuprofile  = flag.Bool("cpuprofile", true, "write a CPU profile per single-transaction case (Velarium side) into OUT/profiles and list the hottest functions in OUT/profiles.md")
		profGeth    = flag.Bool("profile-geth", true, "with -cpuprofile, profile the go-ethereum side too")
		profTime    = flag.Duration("profile-time", 500*time.Millisecond, "CPU profile length per case and engine")
		fixturesDir = flag.String("fixtures", "", "fixtures root (default $VELARIUM_FIXTURES or ../shared/fixtures)")
		workers     = flag.Int("workers", runtime.NumCPU(), "real parallel workers (parallel suites)")
		demoSize    = flag.Int("demo-size", bench.DemoSize, "transactions per demo workload (parallel-demo)")
		merge       = flag.String("merge", "", "results.json of an earlier run: the sections this run does not measure are taken from it (its date and flags are recorded)")
	)
	flag.Parse()
	start := time.Now()
	flags := strings.Join(os.Args[1:], " ")
	if flags == "" {
		flags = "(defaults)"
	}
	env := bench.CurrentEnv(flags)

	root := *fixturesDir
	if root == "" {
		var err error
		if root, err = fixtures.Root(); err != nil {
			fail(err)
		}
	}
	var evmSuites []string
	doBlocks, doParBlocks, doDemo := false, false, false
	for _, s := range strings.Split(*suites, ",") {
		switch s = strings.TrimSpace(s); s {
		case "evm":
			evmSuites = append(evmSuites, bench.SuiteEVMBenchmarks, bench.SuiteEvmoneLegacy, bench.SuitePevmContracts)
		case bench.SuiteEVMBenchmarks, bench.SuiteEvmoneLegacy, bench.SuitePevmContracts:
			evmSuites = append(evmSuites, s)
		case "blocks":
			doBlocks = true
		case "parallel":
			doParBlocks, doDemo = true, true
		case "parallel-blocks":
			doParBlocks = true
		case "parallel-demo":
			doDemo = true
		case "":
		default:
			fail(fmt.Errorf("unknown suite %q", s))
		}
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fail(err)
	}
	rep := &bench.Report{Env: env, Pevm8Source: bench.PevmRefSource8, PevmLaterSrc: bench.PevmRefSourceLater}

	if len(evmSuites) > 0 {
		cases, err := bench.LoadCases(root, evmSuites)
		if err != nil {
			fail(err)
		}
		opt := &bench.EVMOptions{Measure: bench.MeasureOptions{Count: *count, Target: *target}, Log: os.Stderr,
			ProfileTime: *profTime, ProfileGeth: *profGeth}
		if *run != "" {
			opt.Filter = regexp.MustCompile(*run)
		}
		if *cpuprofile {
			opt.ProfileDir = filepath.Join(*out, "profiles")
			if err := os.MkdirAll(opt.ProfileDir, 0o755); err != nil {
				fail(err)
			}
		}
		fmt.Fprintf(os.Stderr, "== single transactions: %d cases, %d rounds, %v per engine per round\n", len(cases), *count, *target)
		res := bench.RunEVMSuite(cases, opt)
		rep.Cases, rep.Merged = res.Cases, res.Merged
		rep.Suites = bench.Summaries(res.Cases)
	}
	if doBlocks {
		opt := &bench.BlockOptions{Measure: bench.MeasureOptions{Count: *blockCount, Target: *blockTarget}, Log: os.Stderr}
		if *blocks != "" {
			opt.Filter = regexp.MustCompile(*blocks)
		}
		fmt.Fprintf(os.Stderr, "== mainnet blocks: %d rounds, %v per engine per round\n", *blockCount, *blockTarget)
		res, err := bench.RunBlockSuite(filepath.Join(root, "mainnet", "pevm", "blocks"), opt)
		if err != nil {
			fail(err)
		}
		rep.Blocks = res
	}
	if doParBlocks || doDemo {
		opt := &bench.ParallelOptions{Measure: bench.MeasureOptions{Count: *blockCount, Target: *blockTarget}, Workers: *workers,
			DemoSize: *demoSize, Log: os.Stderr}
		if *blocks != "" {
			opt.Filter = regexp.MustCompile(*blocks)
		}
		rep.Parallel = &bench.ParallelResult{}
		if doParBlocks {
			fmt.Fprintf(os.Stderr, "== parallel, mainnet blocks: serial vs %d workers (%d rounds, %v per side per round), simulated %v cores\n",
				opt.Workers, *blockCount, *blockTarget, bench.BlockSimCores)
			res, err := bench.RunParallelBlocks(filepath.Join(root, "mainnet", "pevm", "blocks"), nil, opt)
			if err != nil {
				fail(err)
			}
			rep.Parallel.Blocks = res
		}
		if doDemo {
			fmt.Fprintf(os.Stderr, "== parallel, demo workloads (%d txs): serial vs %d workers, simulated %v cores\n", *demoSize, opt.Workers, bench.DemoSimCores)
			rep.Parallel.Demo = bench.RunDemo(opt)
		}
	}
	if *merge != "" {
		if err := rep.MergeFrom(*merge); err != nil {
			fail(err)
		}
	}
	rep.Env.LoadEnd = bench.LoadAvg()
	rep.Env.WallSeconds = time.Since(start).Seconds()
	md, err := rep.WriteAll(*out)
	if err != nil {
		fail(err)
	}
	fmt.Print(md)
	fmt.Fprintf(os.Stderr, "wrote %s/{results.md,results.json,results.html,profiles.md} in %.0f s; screenshot: ./render.sh\n", *out, time.Since(start).Seconds())
}

// defaultOut is bench/results: "results" when run from the bench module,
// "bench/results" from the repository root.
func defaultOut() string {
	if _, err := os.Stat("cmd/velabench"); err == nil {
		return "results"
	}
	if _, err := os.Stat("bench/cmd/velabench"); err == nil {
		return filepath.Join("bench", "results")
	}
	return "results"
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "velabench:", err)
	os.Exit(2)
}
