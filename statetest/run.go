package statetest

import (
	"errors"
	"fmt"
	"regexp"
	"runtime/debug"
	"sort"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/velarium/velarium/chain"
	"github.com/velarium/velarium/evm"
	"github.com/velarium/velarium/fork"
	"github.com/velarium/velarium/internal/pool"
	"github.com/velarium/velarium/state"
)

// EmptyLogsHash is LogsHash of no logs.
var EmptyLogsHash = LogsHash(nil)

// Result is the outcome of one post entry.
type Result struct {
	File  string `json:"file"`
	Test  string `json:"test"`
	Fork  string `json:"fork"`
	Index int    `json:"index"` // position in the fork's post list
	Pass  bool   `json:"pass"`
	// Skipped: the fork is unknown to Velarium; nothing was run.
	Skipped bool `json:"skipped,omitempty"`

	ExpectedRoot    common.Hash `json:"expectedRoot"`
	ActualRoot      common.Hash `json:"actualRoot"`
	ExpectedLogs    common.Hash `json:"expectedLogs"`
	ActualLogs      common.Hash `json:"actualLogs"`
	ExpectException string      `json:"expectException,omitempty"`
	// TxError is why the transaction was invalid, if it was.
	TxError string `json:"txError,omitempty"`
	GasUsed uint64 `json:"gasUsed"`
	// Error says why the entry failed (empty when it passed).
	Error string `json:"error,omitempty"`
	// Stack is the goroutine stack of a panic, if one happened.
	Stack string `json:"-"`
	// Known is the reason from the known-failures list, when the entry is
	// listed there (set by callers that consult one, not by the runner).
	Known string `json:"known,omitempty"`
}

// ID returns "file test fork index" for messages.
func (r *Result) ID() string {
	return fmt.Sprintf("%s %s %s %d", r.File, r.Test, r.Fork, r.Index)
}

// Options select and instrument what a run does. The zero value runs
// everything.
type Options struct {
	// Fork, when set, runs only post entries of this fork (any name
	// fork.ByName accepts, or a fixture name compared case-insensitively).
	Fork string
	// Run, when set, runs only tests whose name it matches.
	Run *regexp.Regexp
	// Tracer, when set, is called per entry for the evm.Tracer to pass to
	// chain.Apply (nil for none).
	Tracer func(r *Result) evm.Tracer
	// AfterEntry, when set, is called after each entry that ran.
	AfterEntry func(r *Result)
	// Apply, when set, replaces chain.Apply (for example to execute through
	// a suspending state source).
	Apply func(rules *fork.Rules, env *chain.BlockEnv, msg *chain.Message, src state.Source, cfg chain.Config) (*chain.Result, error)
	// With RunFiles and more than one worker, Tracer and AfterEntry are
	// called from several goroutines at once.
}

func (o *Options) wantFork(name string) bool {
	if o == nil || o.Fork == "" {
		return true
	}
	want, ok1 := fork.ByName(o.Fork)
	have, ok2 := fork.ByName(name)
	if ok1 && ok2 {
		return want == have
	}
	return strings.EqualFold(o.Fork, name)
}

// sortedForks returns the post fork names of t: known forks oldest first,
// then unknown ones by name.
func sortedForks(t *Test) []string {
	names := make([]string, 0, len(t.Post))
	for n := range t.Post {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		a, okA := fork.ByName(names[i])
		b, okB := fork.ByName(names[j])
		switch {
		case okA && okB && a != b:
			return a < b
		case okA != okB:
			return okA
		}
		return names[i] < names[j]
	})
	return names
}

// RunTest runs the post entries of one test selected by opts (the Run
// filter is applied by the caller or RunFile, not here). file is only
// recorded in the results. A panic in an entry is recovered and reported as
// that entry's failure.
func RunTest(file string, t *Test, opts *Options) []Result {
	var (
		out    []Result
		pre    *state.Mem
		preRt  common.Hash
		preErr string
	)
	for _, forkName := range sortedForks(t) {
		if !opts.wantFork(forkName) {
			continue
		}
		posts := t.Post[forkName]
		id, known := fork.ByName(forkName)
		if !known {
			for i := range posts {
				out = append(out, Result{
					File: file, Test: t.Name, Fork: forkName, Index: i, Skipped: true,
					ExpectedRoot: posts[i].Root, ExpectedLogs: posts[i].Logs,
					ExpectException: posts[i].ExpectException,
					Error:           "unknown fork " + forkName,
				})
			}
			continue
		}
		if pre == nil && preErr == "" {
			// Build the pre-state once per test; entries copy it.
			func() {
				defer func() {
					if r := recover(); r != nil {
						preErr = fmt.Sprintf("panic building pre-state: %v", r)
					}
				}()
				pre = t.PreState()
				preRt = pre.Root()
			}()
		}
		rules := fork.Get(id)
		env := t.BlockEnv(rules)
		for i := range posts {
			r := Result{
				File: file, Test: t.Name, Fork: forkName, Index: i,
				ExpectedRoot: posts[i].Root, ExpectedLogs: posts[i].Logs,
				ExpectException: posts[i].ExpectException,
			}
			if preErr != "" {
				r.Error = preErr
			} else {
				runEntry(&r, t, &posts[i], rules, env, pre, preRt, opts)
			}
			if opts != nil && opts.AfterEntry != nil {
				opts.AfterEntry(&r)
			}
			out = append(out, r)
		}
	}
	return out
}

// runEntry runs one post entry into r.
func runEntry(r *Result, t *Test, p *Post, rules *fork.Rules, env *chain.BlockEnv, pre *state.Mem, preRoot common.Hash, opts *Options) {
	defer func() {
		if x := recover(); x != nil {
			r.Pass = false
			r.Stack = string(debug.Stack())
			r.Error = fmt.Sprintf("panic: %v", x)
			if site := pool.PanicSite(r.Stack); site != "" {
				r.Error += " (at " + site + ")"
			}
		}
	}()
	// The environment is shared by the fork's entries: hand Apply a copy.
	envCopy := *env
	txErr := validate(t, p, rules)
	var res *chain.Result
	if txErr == nil {
		msg, err := t.Message(p, env.BaseFee)
		if err != nil {
			txErr = err
		} else {
			var cfg chain.Config
			if opts != nil && opts.Tracer != nil {
				cfg.Tracer = opts.Tracer(r)
			}
			apply := chain.Apply
			if opts != nil && opts.Apply != nil {
				apply = opts.Apply
			}
			res, err = apply(rules, &envCopy, msg, pre, cfg)
			switch {
			case err != nil:
				r.Error = "apply: " + err.Error()
				return
			case res == nil:
				r.Error = "apply: nil result"
				return
			}
			txErr = res.Err
		}
	}

	if txErr != nil {
		r.TxError = txErr.Error()
		r.ActualRoot = preRoot
		r.ActualLogs = EmptyLogsHash
	} else {
		post := pre.Copy()
		post.Apply(res.Diff)
		r.ActualRoot = post.Root()
		r.ActualLogs = LogsHash(res.Logs)
		r.GasUsed = res.GasUsed
	}
	r.Error = judge(r, txErr != nil)
	r.Pass = r.Error == ""
}

// validate makes the checks go-ethereum's state test runner makes before
// executing: the blob count against the block maximum and the signed
// transaction bytes against the fork's signer.
func validate(t *Test, p *Post, rules *fork.Rules) error {
	if rules.Cancun && uint64(len(t.Tx.BlobVersionedHashes)) > rules.Blob.Max {
		return errors.New("blob gas exceeds maximum")
	}
	return checkTxBytes(rules, p.TxBytes)
}

// judge returns why r failed, or "" when it passed.
func judge(r *Result, invalid bool) string {
	if r.ExpectException != "" {
		if !invalid {
			return fmt.Sprintf("expected exception %s, transaction was valid", r.ExpectException)
		}
		if r.ExpectedRoot != (common.Hash{}) && r.ActualRoot != r.ExpectedRoot {
			return fmt.Sprintf("invalid transaction (%s) but root mismatch", r.TxError)
		}
		return ""
	}
	if invalid {
		return "unexpected invalid transaction: " + r.TxError
	}
	var msgs []string
	if r.ActualRoot != r.ExpectedRoot {
		msgs = append(msgs, "root mismatch")
	}
	if r.ActualLogs != r.ExpectedLogs {
		msgs = append(msgs, "logs mismatch")
	}
	return strings.Join(msgs, ", ")
}

// RunFile loads a state test file and runs the tests opts selects. The
// error is only about loading.
func RunFile(path string, opts *Options) ([]Result, error) {
	tests, err := LoadFile(path)
	if err != nil {
		return nil, err
	}
	var out []Result
	for _, t := range tests {
		if opts != nil && opts.Run != nil && !opts.Run.MatchString(t.Name) {
			continue
		}
		out = append(out, RunTest(path, t, opts)...)
	}
	return out, nil
}

// FileResult is the outcome of one file in RunFiles.
type FileResult struct {
	Path    string
	Results []Result
	Err     error // the file could not be read or parsed
}

// RunFiles runs files on workers goroutines, dispatching the largest files
// first so the slowest is not started last, and returns one FileResult per
// path in the order of paths. done, when set, is called (from one
// goroutine at a time) as each file finishes.
func RunFiles(paths []string, workers int, opts *Options, done func(*FileResult)) []FileResult {
	out := make([]FileResult, len(paths))
	run := func(i int) {
		res, err := RunFile(paths[i], opts)
		out[i] = FileResult{Path: paths[i], Results: res, Err: err}
	}
	var report func(int)
	if done != nil {
		report = func(i int) { done(&out[i]) }
	}
	pool.LargestFirst(paths, workers, run, report)
	return out
}
