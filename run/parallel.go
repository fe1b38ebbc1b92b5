// Package run holds the drivers of parallel execution: a pool of real
// worker goroutines (this file) and, later, simulated cores. Both drive the
// deterministic scheduler (package sched) over the multi-version state
// (package mv).
package run

import (
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"

	"github.com/ethereum/go-ethereum/common"
	"github.com/holiman/uint256"
	"github.com/velarium/velarium/chain"
	"github.com/velarium/velarium/fork"
	"github.com/velarium/velarium/mv"
	"github.com/velarium/velarium/state"
)

// Options configure the parallel executor.
type Options struct {
	Workers int // goroutines; <= 1 means serial
	// MinTxs: blocks with fewer transactions run serially (not worth it).
	MinTxs int
	// MinBound: blocks whose known-structure bound on the speedup (total
	// gas limit / the heaviest sender's gas limits: that sender's
	// transactions run in nonce order) is below it run serially. 0: off.
	MinBound float64
	// MaxRuns bounds the runs of one transaction; past it the final
	// prefix stands and the rest of the block runs serially. 0: 64 or
	// twice the workers, whichever is more (on P workers a transaction may
	// legitimately run again each time one of the P-1 below it finishes).
	MaxRuns int
	// MaxBatch bounds the transactions held in one multi-version state
	// (and so its memory); longer blocks run as consecutive batches.
	MaxBatch int
	// History, when set, is the learned layer: hot elements of contracts
	// from earlier batches (and this one) become predicted writes.
	History *History
	// Adaptive: when speculation keeps failing (more than workers/4
	// re-executions per final transaction, past a small threshold; see
	// giveUpSpeculation), finish the block serially from the final prefix
	// instead of wasting cores: a fully dependent block then costs about
	// what serial execution costs.
	Adaptive bool
	// AdaptiveMin is that threshold: re-executions per two workers
	// tolerated before the rule applies (0: adaptiveMinReexec, 8).
	AdaptiveMin int
	// Force runs the multi-version path even with one worker or a small
	// block (to measure its overhead, and in tests).
	Force bool
	// Blooms: each worker computes the logs bloom of the results it
	// produces (chain.Result.SetBloom), which chain.ExecuteBlock would
	// otherwise compute after the block, on one core (Executor sets it).
	Blooms bool
}

// DefaultOptions returns sensible defaults for w workers.
func DefaultOptions(w int) Options {
	return Options{Workers: w, MinTxs: DefaultMinTxs, MinBound: DefaultMinBound, MaxBatch: 2048, Adaptive: true}
}

// DefaultMinTxs is the smallest block DefaultOptions runs in parallel.
// Below it the fixed cost of a parallel run (the multi-version state, the
// workers, the diff) is not repaid: on the mainnet fixtures the blocks of
// 4-15 transactions ran at 0.4-0.7x of serial on 2 workers (2026-11-25).
const DefaultMinTxs = 16

// adaptiveMinReexec is how many re-executions per two workers the
// adaptive rule tolerates before it compares them with the final
// transactions.
const adaptiveMinReexec = 8

// giveUpSpeculation is the adaptive rule, for both drivers: speculation
// on workers cores has wasted more than workers/4 runs per final
// transaction (past adaptiveMinReexec per two workers). On 2 workers that
// is one re-execution per two final transactions. The allowance grows
// with the workers because each one that speculates past a dependency
// adds a run to waste: on a fully dependent block every final transaction
// costs about workers-1 re-executions, while on a block that still gains
// from parallelism the waste per final transaction stays far below a
// quarter of the workers.
func giveUpSpeculation(reexec, committed, workers, minReexec int) bool {
	if minReexec <= 0 {
		minReexec = adaptiveMinReexec
	}
	workers = max(workers, 2)
	return reexec > minReexec*workers/2 && 4*reexec > committed*workers
}

// Stats describe what a parallel execution did.
type Stats struct {
	Txs, Runs, Reexecutions, Parks int
	Serial                         bool   // executed serially (small block, one worker, or fallback)
	Fallback                       string // why the block ran serially or the parallel run was abandoned, if so
	// SerialFrom is the first transaction the adaptive rule executed
	// serially (-1: none).
	SerialFrom int
}

// view is one transaction incarnation's window on the multi-version state.
// Its reads take only the lock of the account they touch (mv's contract),
// never the scheduler's; a read for an incarnation that turned stale
// returns mv.ErrStale.
type view struct {
	s       *mv.Store
	tx, inc int
	blocker int
}

func (v *view) Account(addr common.Address) (state.Account, bool, error) {
	a, ok, blk, err := v.s.ReadAccount(v.tx, v.inc, addr)
	if blk >= 0 {
		v.blocker = blk
		return a, ok, state.ErrNotReady
	}
	return a, ok, err
}

func (v *view) AccountLazy(addr common.Address) (state.Account, bool, bool, error) {
	return v.accountLazy(addr, false)
}

func (v *view) AccountClass(addr common.Address) (state.Account, bool, bool, error) {
	return v.accountLazy(addr, true)
}

func (v *view) accountLazy(addr common.Address, nonceClass bool) (state.Account, bool, bool, error) {
	a, ok, known, blk, err := v.s.ReadAccountLazy(v.tx, v.inc, addr, nonceClass)
	if blk >= 0 {
		v.blocker = blk
		return a, ok, known, state.ErrNotReady
	}
	return a, ok, known, err
}

func (v *view) ObserveNonce(addr common.Address) (uint64, error) {
	n, blk, err := v.s.ObserveNonce(v.tx, v.inc, addr)
	if blk >= 0 {
		v.blocker = blk
		return n, state.ErrNotReady
	}
	return n, err
}

func (v *view) ObserveBalance(addr common.Address) (uint256.Int, error) {
	b, blk, err := v.s.ObserveBalance(v.tx, v.inc, addr)
	if blk >= 0 {
		v.blocker = blk
		return b, state.ErrNotReady
	}
	return b, err
}

func (v *view) BalanceAtLeast(addr common.Address, x *uint256.Int) (bool, error) {
	ok, blk, err := v.s.BalanceAtLeast(v.tx, v.inc, addr, x)
	if blk >= 0 {
		v.blocker = blk
		return false, state.ErrNotReady
	}
	return ok, err
}

func (v *view) Code(addr common.Address, h common.Hash) ([]byte, error) {
	return v.s.Code(addr, h)
}

func (v *view) Storage(addr common.Address, slot common.Hash) (common.Hash, error) {
	w, blk, err := v.s.ReadSlot(v.tx, v.inc, addr, slot)
	if blk >= 0 {
		v.blocker = blk
		return w, state.ErrNotReady
	}
	return w, err
}

func (v *view) BlockHash(n uint64) (common.Hash, error) { return v.s.BlockHash(n) }

// Serial executes txs one after another over src; the reference result.
func Serial(rules *fork.Rules, env *chain.BlockEnv, txs []*chain.Message, src state.Source) ([]*chain.Result, state.Diff, error) {
	ov := state.NewOverlay(src)
	out := make([]*chain.Result, len(txs))
	if err := serialInto(rules, env, txs, ov, out); err != nil {
		return nil, nil, err
	}
	return out, ov.Diff(), nil
}

// serialInto executes txs one after another on ov, applying each result
// to it, and puts the results in out.
func serialInto(rules *fork.Rules, env *chain.BlockEnv, txs []*chain.Message, ov *state.Overlay, out []*chain.Result) error {
	for i, m := range txs {
		r, err := chain.ApplyOnto(rules, env, m, ov, ov, chain.Config{})
		if err != nil {
			return fmt.Errorf("transaction %d: %w", i, err)
		}
		out[i] = r
	}
	return nil
}

// Executor returns a chain.TxExecutor running transactions on opt.Workers
// goroutines. stats, when not nil, receives the figures of each call.
func Executor(opt Options, stats *Stats) chain.TxExecutor {
	opt.Blooms = true // for the receipts ExecuteBlock builds
	return func(rules *fork.Rules, env *chain.BlockEnv, txs []*chain.Message, src state.Source) ([]*chain.Result, state.Diff, error) {
		return parallel(rules, env, txs, src, opt, stats, true, nil)
	}
}

// ExecutorOnto is Executor layering the block diff onto the block's
// overlay directly (chain.TxExecutorOnto): the parts the workers gather
// off the elements go into the overlay, without the merged diff in
// between (merging it and applying it took about 435 ns per account or
// slot after the transactions, the layering about 240: the best of 9
// runs of the mainnet blocks on 2 workers; BenchmarkMainnetBlocks).
func ExecutorOnto(opt Options, stats *Stats) chain.TxExecutorOnto {
	opt.Blooms = true
	return func(rules *fork.Rules, env *chain.BlockEnv, txs []*chain.Message, ov *state.Overlay) ([]*chain.Result, error) {
		res, _, err := parallel(rules, env, txs, ov, opt, stats, true, ov)
		return res, err
	}
}

// BlockOptions returns the options of chain.ExecuteBlock for a block run
// by ExecutorOnto(opt, stats): the block's own work after the
// transactions (the receipts root) uses opt.Workers goroutines too.
func BlockOptions(opt Options, stats *Stats) chain.BlockOptions {
	return chain.BlockOptions{ExecutorOnto: ExecutorOnto(opt, stats), Workers: opt.Workers}
}

// Parallel executes txs over src on opt.Workers goroutines and returns
// what Serial returns: the same results (status, gas, logs, output,
// errors) and the same block diff. Only the results' own Diff fields are
// left out (nil) where transactions ran on the multi-version state: the
// block diff holds their effects.
func Parallel(rules *fork.Rules, env *chain.BlockEnv, txs []*chain.Message, src state.Source, opt Options, stats *Stats) ([]*chain.Result, state.Diff, error) {
	return parallel(rules, env, txs, src, opt, stats, false, nil)
}

// parallel is Parallel; with decline, a block it would run serially from
// the start (small, one worker, or bound by its known structure) is left
// to the caller: chain.ErrDeclined (stats say why). With onto (src
// itself, and decline), the block diff is layered onto it and not
// returned.
func parallel(rules *fork.Rules, env *chain.BlockEnv, txs []*chain.Message, src state.Source, opt Options, stats *Stats, decline bool, onto *state.Overlay) ([]*chain.Result, state.Diff, error) {
	if onto != nil {
		// Running serially itself would return a diff that no one
		// layers onto onto: leave such a block to the caller.
		decline = true
	}
	var st Stats
	if stats == nil {
		stats = &st
	}
	*stats = Stats{Txs: len(txs), SerialFrom: -1}
	if !opt.Force && (opt.Workers <= 1 || len(txs) < opt.MinTxs) {
		stats.Serial, stats.Runs = true, len(txs)
		if decline {
			return nil, nil, chain.ErrDeclined
		}
		return Serial(rules, env, txs, src)
	}
	opt.MaxRuns = runsBound(opt.MaxRuns, opt.Workers)
	if opt.MaxBatch > 0 && len(txs) > opt.MaxBatch {
		if decline && !opt.Force {
			if why := blockStructure(txs, opt.Workers).serialWhy(len(txs), opt.MinBound); why != "" {
				stats.Serial, stats.Runs, stats.Fallback = true, len(txs), why
				return nil, nil, chain.ErrDeclined
			}
		}
		return batched(rules, env, txs, src, opt, stats, onto)
	}
	// The other workers start now and wait for the batch: a new goroutine
	// can take a few hundred microseconds to run when the processor it is
	// handed to sleeps (measured on a 2-vCPU VM), and the set-up below
	// hides part of that wait.
	w := max(opt.Workers, 1)
	var (
		begin atomic.Int32 // 0: set-up runs; 1: work; 2: the block runs serially
		body  func(i int)  // set before begin turns 1
		wg    sync.WaitGroup
	)
	for i := 1; i < w; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for begin.Load() == 0 {
				runtime.Gosched()
			}
			if begin.Load() == 1 {
				body(i)
			}
		}()
	}
	bs := blockStructure(txs, opt.Workers)
	if why := bs.serialWhy(len(txs), opt.MinBound); why != "" && !opt.Force {
		begin.Store(2)
		stats.Serial, stats.Runs, stats.Fallback = true, len(txs), why
		if decline {
			return nil, nil, chain.ErrDeclined
		}
		return Serial(rules, env, txs, src)
	}
	n := len(txs)
	store, sc, err := newBatch(rules, env, src, txs, bs, opt.MaxRuns, w, opt.History)
	if err != nil {
		begin.Store(2)
		return nil, nil, err
	}
	release := true
	defer func() { // after every worker has stopped (wg.Wait below)
		if release {
			store.Release()
		}
	}()
	results := make([]*chain.Result, n)
	execs := make([]*chain.Exec, n)
	views := make([]*view, n)
	// mu guards the scheduler and the tables here. The store's writing
	// calls run outside it: a worker records its writes (FinishWith) while
	// the others take tasks or record theirs; finishing[tx] serialises
	// the calls for one transaction (a stale run and its successor) and
	// guards found[tx]: the readers tx's Finishes invalidated, not yet
	// handed to the scheduler. Lock order: mu before finishing[tx].
	//
	// Why found is per transaction and not per run: a run that turns
	// stale may still record its writes, and its Finish finds readers to
	// invalidate. Were those findings applied only by that run's worker,
	// the next run of tx could be accepted first, without them (its
	// Finish sees its writes already there), and a reader could become
	// final on a value it should not have seen. Whichever run of tx
	// reaches the scheduler first takes all findings.
	var mu spinLock
	finishing := make([]spinLock, n)
	found := make([][]int, n)
	takeFound := func(tx int, into []int) []int { // under mu
		finishing[tx].Lock()
		into = append(into[:0], found[tx]...)
		found[tx] = found[tx][:0]
		finishing[tx].Unlock()
		return into
	}
	cond := sync.NewCond(&mu)
	var changes atomic.Uint64 // bumped (under mu) whenever tasks may have become ready
	var fatal error
	abandon := false

	// step runs x on, and when it is done collects its writes (w's
	// buffers), recovering from a panic in either: speculative state can
	// be inconsistent.
	step := func(x *chain.Exec, w *mv.Writer, tx int) (res *chain.Result, wbuf []mv.KeyWrite, codes map[common.Hash][]byte, err error) {
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("panic in speculative execution: %v\n%s", p, debug.Stack())
			}
		}()
		if res, err = x.Step(); err == nil {
			wbuf, codes = w.Changes(tx, x, res, env.Coinbase)
			if opt.Blooms {
				res.SetBloom()
			}
		}
		return res, wbuf, codes, err
	}
	// invalidate makes readers run again (under mu).
	// restart tells the store that r runs again (after the scheduler
	// was told, under mu): its writes become estimates and its old reads
	// stop counting. Under finishing[r], so that a stale run of r that is
	// recording its writes cannot clear the pending flag afterwards.
	restart := func(r int) {
		finishing[r].Lock()
		store.MarkPending(r)
		store.Begin(r, sc.Inc(r))
		finishing[r].Unlock()
	}
	invalidate := func(rs []int) {
		for _, r := range rs {
			if r < sc.Committed() {
				// Cannot happen: findings reach the scheduler no later
				// than their transaction's next accepted result, before
				// any reader above it is final. A final transaction must
				// never be made pending again.
				continue
			}
			sc.Invalidate(r)
			restart(r)
		}
	}
	// worker runs tasks until the block is final or abandoned.
	worker := func() {
		var writer mv.Writer // this worker's writes, buffers reused run after run
		var fb mv.FinishBuf  // and its buffers for recording them
		var inval []int      // readers its transaction's Finishes invalidated
		var hot []mv.Key     // elements that invalidated them
		mu.Lock()
		defer mu.Unlock()
		for {
			if fatal != nil || sc.Finished() || sc.Exceeded || abandon {
				changes.Add(1)
				cond.Broadcast()
				return
			}
			t, ok := sc.Next()
			if !ok {
				// Nothing ready: another worker's run will change that
				// soon. Yield for a while before sleeping, as a sleeping
				// goroutine takes tens of microseconds to wake on a VM.
				seen := changes.Load()
				mu.Unlock()
				for i := 0; i < waitYields && changes.Load() == seen; i++ {
					runtime.Gosched()
				}
				mu.Lock()
				if changes.Load() == seen {
					cond.Wait()
				}
				continue
			}
			x, v := execs[t.Tx], views[t.Tx]
			fresh := !t.Resume || x == nil
			if fresh {
				store.Begin(t.Tx, t.Inc)
			}
			mu.Unlock()
			if fresh {
				v = &view{s: store, tx: t.Tx, inc: t.Inc, blocker: -1}
				x = chain.NewExec(rules, env, txs[t.Tx], v, chain.Config{DeferCoinbase: true, NoDiff: true})
			}
			res, wbuf, codes, err := step(x, &writer, t.Tx)
			finished := false
			if err == nil {
				x.Release() // this worker owns the run; the result is a copy
				// Record the writes outside the scheduler's lock. A run
				// that turns stale meanwhile may still record its writes:
				// its incarnation re-runs and replaces them, and readers are
				// checked against the values then (the one rule), so that
				// is only wasted work.
				finishing[t.Tx].Lock()
				if finished = store.Current(t.Tx, t.Inc); finished {
					found[t.Tx] = append(found[t.Tx], store.FinishWith(&fb, t.Tx, wbuf, codes)...)
					hot = append(hot[:0], fb.Hot...)
				}
				finishing[t.Tx].Unlock()
			}
			mu.Lock()
			// The readers tx's Finishes invalidated: with this result when
			// it is accepted (sc.Finish below), at once otherwise.
			inval = takeFound(t.Tx, inval)
			if !finished || !sc.Current(t.Tx, t.Inc) {
				invalidate(inval)
			}
			if err == nil {
				// x is released (and may be reused by another run already):
				// the view, never reused, tells whether this run is stored.
				if views[t.Tx] == v {
					execs[t.Tx], views[t.Tx] = nil, nil
				}
			} else if fresh && sc.Current(t.Tx, t.Inc) {
				execs[t.Tx], views[t.Tx] = x, v
			}
			if !sc.Current(t.Tx, t.Inc) {
				if errors.Is(err, state.ErrNotReady) && execs[t.Tx] != x {
					x.Release() // abandoned suspended run
				}
				continue // invalidated while running: the new incarnation is queued
			}
			switch {
			case errors.Is(err, state.ErrNotReady):
				if v.blocker == mv.AwaitPrefix {
					sc.WaitFinal(t.Tx)
				} else {
					sc.Park(t.Tx, v.blocker, store.IsPending(v.blocker))
				}
			case err != nil:
				// A panic or source failure. Speculative state can be
				// inconsistent, so retry from scratch while runs remain.
				if sc.Committed() == t.Tx {
					fatal = err
				} else {
					sc.Invalidate(t.Tx)
					restart(t.Tx)
				}
			case !finished:
				// Current for the scheduler but stale for the store when
				// checked: cannot happen (both move together under mu);
				// run it again rather than trust it.
				sc.Invalidate(t.Tx)
				restart(t.Tx)
			default:
				results[t.Tx] = res
				sc.Finish(t.Tx, inval)
				for _, r := range inval {
					restart(r)
				}
				store.SetCommitted(sc.Committed())
				if opt.History != nil && len(hot) > 0 {
					opt.History.learnNow(store, sc, txs, t.Tx+1, hot, finishing) // under mu
				}
				if opt.Adaptive && !sc.Finished() && giveUpSpeculation(sc.Reexecutions, sc.Committed(), opt.Workers, opt.AdaptiveMin) {
					abandon = true
				}
			}
			changes.Add(1)
			cond.Broadcast()
		}
	}
	// The workers read the block diff off the elements' last versions
	// (cheaper than merging every transaction's diff, as serial execution
	// does), each one part of the shards, once all of them have left the
	// loop: a stale run still reading would change the elements under the
	// walk. The calling goroutine is worker 0 and merges the parts.
	const all = int(^uint(0) >> 1)
	parts := make([]*mv.DiffPart, w)
	var left, partsDone atomic.Int32
	diffPart := func(i int) bool {
		left.Add(1)
		spinUntil(&left, int32(w))
		// Every worker has left the loop: the scheduler no longer changes
		// (the atomic hand-over orders the last writes before this), so
		// all workers decide alike. Deciding on leaving instead hung the
		// block when a worker left on Exceeded or abandon and another
		// worker's run in flight then finished the block.
		if fatal != nil || !sc.Finished() {
			return false
		}
		parts[i] = store.DiffPart(all, i, w)
		partsDone.Add(1)
		return true
	}
	// Then the parts are merged: worker 1 gathers the accounts while
	// worker 0 gathers the storage maps (mv.MergeAccounts, the lighter,
	// and mv.MergeSlots: so that worker 0 seldom sleeps in wg.Wait), and
	// worker 0 joins them once every worker has stopped.
	var d state.Diff
	var mergeErr error
	body = func(i int) {
		worker()
		if diffPart(i) && i == 1 && onto == nil {
			spinUntil(&partsDone, int32(w))
			d, mergeErr = store.MergeAccounts(parts)
		}
	}
	begin.Store(1)
	worker()
	var slots *mv.SlotMaps
	applied := false
	if diffPart(0) {
		spinUntil(&partsDone, int32(w))
		switch {
		case onto != nil:
			// The other workers are done with the store; the parts hold
			// every value the overlay gets.
			mergeErr, applied = store.ApplyParts(parts, onto), true
		default:
			slots = store.MergeSlots(parts)
			if w == 1 {
				d, mergeErr = store.MergeAccounts(parts)
			}
		}
	}
	wg.Wait()
	opt.History.Learn(store)
	stats.Reexecutions, stats.Parks = sc.Reexecutions, sc.Parks
	stats.Runs = n + sc.Reexecutions
	if fatal != nil {
		return nil, nil, fatal
	}
	// Bounded runs and the adaptive rule both end the same way: the final
	// prefix stands and the rest runs serially on top of it.
	if (sc.Exceeded || abandon) && !sc.Finished() {
		k := sc.Committed()
		stats.SerialFrom = k
		if sc.Exceeded {
			stats.Fallback = fmt.Sprintf("a transaction exceeded %d runs; serial from transaction %d", opt.MaxRuns, k)
		} else {
			stats.Fallback = fmt.Sprintf("adaptive: %d re-executions for %d final transactions; serial from transaction %d", sc.Reexecutions, k, k)
		}
		prefix, err := store.DiffAt(k)
		if err != nil {
			return nil, nil, err
		}
		// One overlay for the prefix and the rest: reads stay one level
		// above the base (with onto, the overlay is the base's).
		ov := onto
		if ov == nil {
			ov = state.NewOverlay(src)
		}
		ov.Apply(prefix)
		if err := serialInto(rules, env, txs[k:], ov, results[k:]); err != nil {
			return nil, nil, fmt.Errorf("serial continuation from transaction %d: %w", k, err)
		}
		if onto != nil {
			return results, nil, nil
		}
		return results, ov.Diff(), nil
	}
	if mergeErr != nil {
		return nil, nil, mergeErr
	}
	if applied {
		release = false
		go store.Release()
		return results, nil, nil
	}
	if d == nil || slots == nil {
		return nil, nil, errors.New("run: the workers stopped before the block was final")
	}
	d, err = store.AttachSlots(all, d, slots)
	if err != nil {
		return nil, nil, err
	}
	// The diff holds no memory of the store: hand the store back to its
	// pool off the critical path (what runs next runs beside it).
	release = false
	go store.Release()
	return results, d, nil
}

// runsBound is the bound on one transaction's runs (see Options.MaxRuns).
func runsBound(maxRuns, workers int) int {
	if maxRuns > 0 {
		return maxRuns
	}
	return max(64, 2*workers)
}

// waitYields is how many times a worker with nothing to run yields the
// processor, checking for new work, before it sleeps.
const waitYields = 200

// spinLock guards the workers' short critical sections (scheduler calls,
// recording writes). A goroutine that waits for a sync.Mutex soon sleeps,
// and waking it takes longer on a VM than the sections take: this lock
// yields the processor between attempts instead.
type spinLock struct{ v atomic.Int32 }

func (l *spinLock) Lock() {
	for i := 0; !l.v.CompareAndSwap(0, 1); i++ {
		if i%16 == 15 {
			runtime.Gosched()
		}
	}
}

func (l *spinLock) Unlock() { l.v.Store(0) }

// spinUntil waits, yielding the processor, until c reaches n: the workers'
// hand-over at the end of a block is microseconds apart, and a sleeping
// goroutine takes tens of microseconds to wake on a VM.
func spinUntil(c *atomic.Int32, n int32) {
	for c.Load() < n {
		runtime.Gosched()
	}
}

// batched runs txs as consecutive batches of at most opt.MaxBatch, each on
// a fresh multi-version state over the previous batches' effects.
// With onto (src itself), the batches' diffs go onto it and none is
// returned.
func batched(rules *fork.Rules, env *chain.BlockEnv, txs []*chain.Message, src state.Source, opt Options, stats *Stats, onto *state.Overlay) ([]*chain.Result, state.Diff, error) {
	ov := onto
	if ov == nil {
		ov = state.NewOverlay(src)
	}
	out := make([]*chain.Result, 0, len(txs))
	total := Stats{Txs: len(txs), SerialFrom: -1, Serial: true}
	for lo := 0; lo < len(txs); lo += opt.MaxBatch {
		hi := min(lo+opt.MaxBatch, len(txs))
		var st Stats
		sub := opt
		sub.MaxBatch = 0
		res, d, err := Parallel(rules, env, txs[lo:hi], ov, sub, &st)
		if err != nil {
			return nil, nil, fmt.Errorf("transactions %d..%d: %w", lo, hi-1, err)
		}
		out = append(out, res...)
		ov.Apply(d)
		total.Runs += st.Runs
		total.Reexecutions += st.Reexecutions
		total.Parks += st.Parks
		total.Serial = total.Serial && st.Serial // serially only if every batch was
		if st.Fallback != "" {
			total.Fallback = st.Fallback
		}
		if st.SerialFrom >= 0 && total.SerialFrom < 0 {
			total.SerialFrom = lo + st.SerialFrom
		}
	}
	*stats = total
	if onto != nil {
		return out, nil, nil
	}
	return out, ov.Diff(), nil
}
