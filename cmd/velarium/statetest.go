package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"runtime"
	"strings"

	"github.com/velarium/velarium/evm"
	"github.com/velarium/velarium/fork"
	"github.com/velarium/velarium/statetest"
)

func init() {
	register(&command{
		name:  "statetest",
		short: "run Ethereum state tests (GeneralStateTests JSON files)",
		usage: func(w io.Writer) {
			fs, _ := statetestFlags(w)
			fs.Usage()
		},
		run: runStatetest,
	})
}

type statetestOpts struct {
	fork    string
	run     string
	json    string
	trace   bool
	workers int
}

func statetestFlags(out io.Writer) (*flag.FlagSet, *statetestOpts) {
	o := &statetestOpts{}
	fs := flag.NewFlagSet("statetest", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&o.fork, "fork", "", "run only the post entries of fork `NAME` (e.g. Cancun, Prague; aliases like Merge work)")
	fs.StringVar(&o.run, "run", "", "run only tests whose name matches `REGEX`")
	fs.StringVar(&o.json, "json", "", "write the per-entry results as a JSON array to `FILE`")
	fs.BoolVar(&o.trace, "trace", false, "write an EIP-3155 JSON trace of every entry to stderr (runs on one goroutine)")
	fs.IntVar(&o.workers, "j", runtime.NumCPU(), "number of files run in parallel")
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, `usage: velarium statetest [flags] [PATH...]

Runs every post entry of every fork of the state tests in PATH (a .json file,
or a directory searched recursively for .json files; default: the fixtures'
statetests folder, from $VELARIUM_FIXTURES or ../shared/fixtures) and checks the post-state
root and the logs hash. An entry with expectException passes when the
transaction is rejected and the state root is the unchanged pre-state root.

Prints one line per failed entry (file, test, fork, index, expected and actual
root and logs, the error; entries listed in the known-failures list are tagged
"(known: reason)" but still count as failures), then a summary line
"N passed, M failed" (", K skipped" appended when entries of forks Velarium
does not know were skipped).

Exit status: 0 when everything passed, 1 when an entry failed, 2 when an input
could not be read or parsed (the other inputs still run) or on bad usage.

Known fork names: %s

Flags:
`, strings.Join(fork.Names(), ", "))
		fs.PrintDefaults()
	}
	return fs, o
}

func runStatetest(args []string) int {
	fs, o := statetestFlags(os.Stderr)
	args, status, done := parseArgs(fs, args)
	if done {
		return status
	}
	opts := &statetest.Options{Fork: o.fork}
	if o.fork != "" {
		if _, ok := fork.ByName(o.fork); !ok {
			fmt.Fprintf(os.Stderr, "velarium statetest: unknown fork %q (known: %s)\n", o.fork, strings.Join(fork.AllNames(), ", "))
			return 2
		}
	}
	if o.run != "" {
		re, err := regexp.Compile(o.run)
		if err != nil {
			fmt.Fprintf(os.Stderr, "velarium statetest: bad -run regexp: %v\n", err)
			return 2
		}
		opts.Run = re
	}
	workers := max(o.workers, 1)
	if o.trace {
		workers = 1
		tw := bufio.NewWriterSize(os.Stderr, 1<<16)
		opts.Tracer = func(*statetest.Result) evm.Tracer { return statetest.NewJSONTracer(tw) }
		opts.AfterEntry = func(r *statetest.Result) {
			if r.Error == "" || r.TxError != "" || r.ActualRoot != ([32]byte{}) {
				statetest.WriteStateRoot(tw, r.ActualRoot)
			}
			tw.Flush()
		}
	}

	paths, unreadable, ok := jsonInputs("statetest", args, "statetests")
	if !ok {
		fs.Usage()
		return 2
	}

	known := statetest.DefaultKnownFailures()
	stdout := bufio.NewWriter(os.Stdout)
	defer stdout.Flush()
	var all []statetest.Result
	passed, failed, skipped := 0, 0, 0

	// Print files in input order as soon as every earlier file is done.
	index := make(map[string]int, len(paths))
	for i, p := range paths {
		index[p] = i
	}
	finished := make([]*statetest.FileResult, len(paths))
	next := 0
	report := func(fr *statetest.FileResult) {
		if fr.Err != nil {
			fmt.Fprintf(os.Stderr, "velarium statetest: cannot load %v\n", fr.Err)
			unreadable = true
			return
		}
		for i := range fr.Results {
			r := &fr.Results[i]
			if reason, ok := known.Lookup(r.File, r.Test, r.Fork, r.Index); ok {
				r.Known = reason
			}
			switch {
			case r.Skipped:
				skipped++
			case r.Pass:
				passed++
			default:
				failed++
				fmt.Fprintln(stdout, failureLine(r))
			}
		}
		stdout.Flush()
		if o.json != "" {
			all = append(all, fr.Results...)
		}
	}
	statetest.RunFiles(paths, workers, opts, func(fr *statetest.FileResult) {
		finished[index[fr.Path]] = fr
		for next < len(finished) && finished[next] != nil {
			report(finished[next])
			finished[next] = nil
			next++
		}
	})

	if o.json != "" {
		if err := writeJSON(o.json, all); err != nil {
			fmt.Fprintf(os.Stderr, "velarium statetest: writing %s: %v\n", o.json, err)
			unreadable = true
		}
	}
	summary := fmt.Sprintf("%d passed, %d failed", passed, failed)
	if skipped > 0 {
		summary += fmt.Sprintf(", %d skipped", skipped)
	}
	fmt.Fprintln(stdout, summary)
	switch {
	case unreadable:
		return 2
	case failed > 0:
		return 1
	}
	return 0
}

// failureLine formats a failed entry on one line.
func failureLine(r *statetest.Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "FAIL %s %s %s %d: root want %s got %s, logs want %s got %s",
		r.File, r.Test, r.Fork, r.Index, r.ExpectedRoot.Hex(), r.ActualRoot.Hex(), r.ExpectedLogs.Hex(), r.ActualLogs.Hex())
	if r.ExpectException != "" {
		fmt.Fprintf(&b, ", expected exception %s", r.ExpectException)
	}
	fmt.Fprintf(&b, ": %s", oneLine(r.Error))
	if r.TxError != "" && !strings.Contains(r.Error, r.TxError) {
		fmt.Fprintf(&b, " (tx error: %s)", oneLine(r.TxError))
	}
	if r.Known != "" {
		fmt.Fprintf(&b, " (known: %s)", oneLine(r.Known))
	}
	return b.String()
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func writeJSON(path string, results []statetest.Result) error {
	if results == nil {
		results = []statetest.Result{}
	}
	data, err := json.MarshalIndent(results, "", " ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}
