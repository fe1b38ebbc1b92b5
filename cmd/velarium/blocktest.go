package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"runtime"
	"time"

	"github.com/velarium/velarium/replay"
)

func init() {
	register(&command{
		name:  "blocktest",
		short: "run Ethereum blockchain tests (BlockchainTests JSON files)",
		usage: func(w io.Writer) {
			fs, _ := blocktestFlags(w)
			fs.Usage()
		},
		run: runBlocktest,
	})
}

type blocktestOpts struct {
	run     string
	json    string
	workers int
}

func blocktestFlags(out io.Writer) (*flag.FlagSet, *blocktestOpts) {
	o := &blocktestOpts{}
	fs := flag.NewFlagSet("blocktest", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&o.run, "run", "", "run only tests whose name matches `REGEX`")
	fs.StringVar(&o.json, "json", "", "write the per-test results as a JSON array to `FILE`")
	fs.IntVar(&o.workers, "j", runtime.NumCPU(), "number of files run in parallel")
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, `usage: velarium blocktest [--run REGEX] [--json FILE] [PATH...]

Runs the blockchain tests (ethereum/tests BlockchainTests format) in PATH: a
.json file, or a folder searched recursively for .json files. Without PATH
it runs <fixtures>/blocktests, where <fixtures> is $VELARIUM_FIXTURES or
../shared/fixtures beside the repository root.

For each test the blocks are decoded from their RLP, senders recovered, and
each block is executed on top of its parent's post-state (side chains
included; BLOCKHASH answers from the block's ancestors), with rewards,
withdrawals and system calls. Each block's gasUsed, logsBloom, blobGasUsed,
stateRoot and (from Byzantium on: older receipts hold intermediate state
roots) receiptTrie must match its header; a block with expectException must
fail. The state of lastblockhash must then equal
postState (balance, nonce, code, storage of every account) or postStateHash.

Networks: a fork name (Cancun, Prague, ...) or a transition "XToYAtN" /
"XToYAtTimeN" (N may end in k); tests of other networks are skipped.

Prints one line per failed test (file, test, what differs; tests in the
known-failures list are tagged "(known: reason)" but still count as
failures), a total line, then "N passed, M failed".

Exit status: 0 when everything passed, 1 when a test failed, 2 when an input
could not be read or parsed (the other inputs still run) or on bad usage.

Flags:
`)
		fs.PrintDefaults()
	}
	return fs, o
}

func runBlocktest(args []string) int {
	fs, o := blocktestFlags(os.Stderr)
	pathsArg, status, done := parseArgs(fs, args)
	if done {
		return status
	}
	opts := &replay.BlockTestOptions{Known: replay.DefaultKnownFailures()}
	if o.run != "" {
		re, err := regexp.Compile(o.run)
		if err != nil {
			fmt.Fprintf(os.Stderr, "velarium blocktest: bad --run regexp: %v\n", err)
			return 2
		}
		opts.Run = re
	}
	paths, unreadable, ok := jsonInputs("blocktest", pathsArg, "blocktests")
	if !ok {
		return 2
	}

	stdout := bufio.NewWriter(os.Stdout)
	defer stdout.Flush()
	all := []*replay.TestResult{}
	passed, failed, skipped, blocks, txs := 0, 0, 0, 0, 0
	var gas uint64

	// Report files in input order as soon as every earlier file is done.
	index := make(map[string]int, len(paths))
	for i, p := range paths {
		index[p] = i
	}
	finished := make([]*replay.BlockTestFileResult, len(paths))
	next := 0
	report := func(fr *replay.BlockTestFileResult) {
		if fr.Err != nil {
			stdout.Flush()
			fmt.Fprintf(os.Stderr, "velarium blocktest: cannot load %v\n", fr.Err)
			unreadable = true
			return
		}
		for _, r := range fr.Results {
			switch {
			case r.Skipped:
				skipped++
			case r.Pass:
				passed++
			default:
				failed++
				line := fmt.Sprintf("FAIL %s %s: %s", r.File, r.Test, oneLine(r.Summary()))
				if r.Known != "" {
					line += fmt.Sprintf(" (known: %s)", oneLine(r.Known))
				}
				fmt.Fprintln(stdout, line)
			}
			blocks += r.Blocks
			txs += r.Txs
			gas += r.Gas
		}
		stdout.Flush()
		all = append(all, fr.Results...)
	}
	start := time.Now()
	replay.RunBlockTestFiles(paths, max(o.workers, 1), opts, func(fr *replay.BlockTestFileResult) {
		finished[index[fr.Path]] = fr
		for next < len(finished) && finished[next] != nil {
			report(finished[next])
			finished[next] = nil
			next++
		}
	})
	fmt.Fprintf(stdout, "total: %d tests, %d blocks imported, %d txs, %.1f Mgas, %.3f s\n",
		passed+failed+skipped, blocks, txs, float64(gas)/1e6, time.Since(start).Seconds())
	if skipped > 0 {
		fmt.Fprintf(stdout, "%d skipped (unknown network)\n", skipped)
	}
	if o.json != "" {
		if err := writeResultsJSON(o.json, all); err != nil {
			fmt.Fprintf(os.Stderr, "velarium blocktest: writing %s: %v\n", o.json, err)
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
