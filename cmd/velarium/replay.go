package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/velarium/velarium/replay"
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
	json string
}

func replayFlags(out io.Writer) (*flag.FlagSet, *replayOpts) {
	o := &replayOpts{}
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&o.json, "json", "", "write the per-block results as a JSON array to `FILE`")
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, `usage: velarium replay [--json FILE] [DIR...]

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

Exit status: 0 when every block passed, 1 when a block failed, 2 when an
input could not be read or decoded (the other blocks still run) or on bad
usage.

Flags:
`)
		fs.PrintDefaults()
	}
	return fs, o
}

// parseInterspersed parses flags that may come before, between or after
// the positional arguments ("--" ends the flags).
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if len(args) > 0 && len(rest) < len(args) && args[len(args)-len(rest)-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

func wantsHelp(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		if a == "-h" || a == "-help" || a == "--help" {
			return true
		}
	}
	return false
}

func runReplay(args []string) int {
	if wantsHelp(args) {
		fs, _ := replayFlags(os.Stdout)
		fs.Usage()
		return 0
	}
	fs, o := replayFlags(os.Stderr)
	dirsArg, err := parseInterspersed(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if len(dirsArg) == 0 {
		root, err := replay.FixturesRoot()
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

	stdout := bufio.NewWriter(os.Stdout)
	defer stdout.Flush()
	loader := replay.NewLoader()
	results := []*replay.PevmResult{}
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
			results = append(results, &replay.PevmResult{Dir: dir, LoadFailed: true, Error: err.Error()})
			continue
		}
		r := replay.RunPevm(pb)
		results = append(results, r)
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
		stdout.Flush()
	}
	mgas := 0.0
	if exec > 0 {
		mgas = float64(gas) / 1e6 / exec
	}
	fmt.Fprintf(stdout, "total: %d blocks, %d txs, %.1f Mgas, exec %.3f s, %.1f Mgas/s (load %.3f s, setup %.3f s)\n",
		passed+failed, txs, float64(gas)/1e6, exec, mgas, load, loader.SetupTime().Seconds())
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

// writeResultsJSON writes v (a slice of results) as indented JSON.
func writeResultsJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}
