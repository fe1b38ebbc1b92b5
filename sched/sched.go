// Package sched is the scheduler of parallel block execution as a
// deterministic state machine: drivers report events (a run finished, a run
// parked on an element's pending writer, transactions invalidated) and ask
// for the next task. It starts no goroutines, reads no clock and draws no
// random numbers, so real workers and simulated cores drive the same logic.
//
// Policy: the lowest-indexed ready transaction runs first, after the first
// runs of a few boosted ones (Boost: long transactions, known from the
// block's structure), which guarantees progress (the lowest unfinished
// transaction never waits on anyone);
// transactions whose reads hit a pending write are parked on that writer and
// resumed (not restarted) when it finishes; invalidated transactions run
// again from their start. Results become final as an ordered prefix.
package sched

// Status of a transaction.
type Status uint8

const (
	Ready   Status = iota // waiting for a core
	Running               // on a core
	Parked                // suspended at a read, waiting for a writer
	Done                  // finished its latest run, reads valid so far
)

// Task is a transaction run handed to a driver. Resume: continue the
// suspended run of this incarnation instead of starting a new one.
type Task struct {
	Tx, Inc int
	Resume  bool
}

// Sched schedules n transactions.
type Sched struct {
	n        int
	status   []Status
	inc      []int
	started  []bool // the current incarnation has begun (resume on wake)
	runs     []int
	parkedOn map[int][]int
	// awaitsPrefix[tx]: tx is parked until every transaction below it is
	// final (WaitFinal); allocated at the first such park.
	awaitsPrefix []bool
	ready        intHeap
	early        intHeap // Boost: fresh transactions taken before ready
	commit       int
	// MaxRuns bounds the runs of one transaction; past it Exceeded is true
	// and the driver falls back to serial execution.
	MaxRuns  int
	Exceeded bool
	// Counters for reports.
	Reexecutions, Parks int
}

// New returns a scheduler for n transactions, all ready.
func New(n, maxRuns int) *Sched {
	s := &Sched{n: n, status: make([]Status, n), inc: make([]int, n), started: make([]bool, n),
		runs: make([]int, n), parkedOn: make(map[int][]int), MaxRuns: maxRuns, ready: make(intHeap, n)}
	for i := range s.ready {
		s.ready[i] = i // ascending: already a heap
	}
	return s
}

// Depend keeps tx from starting until dep (< tx) has finished a run: known
// structure says tx's first reads need dep's writes. Call before the first
// Next. tx is parked on dep as if it had run to a read of dep's writes.
func (s *Sched) Depend(tx, dep int) {
	if dep < 0 || dep >= tx || s.status[tx] != Ready || s.started[tx] {
		return
	}
	s.status[tx] = Parked // its heap entry is now stale; Finish(dep) re-queues it
	s.parkedOn[dep] = append(s.parkedOn[dep], tx)
}

// Boost makes tx's first run start before the lower transactions that
// are ready (known structure: a transaction much longer than the rest,
// which would otherwise start late and end the block alone). Call before
// the first Next.
func (s *Sched) Boost(tx int) {
	if s.status[tx] == Ready && !s.started[tx] {
		s.early.push(tx)
	}
}

// Next returns the lowest ready transaction (a boosted one first), or
// false when none is ready.
func (s *Sched) Next() (Task, bool) {
	for len(s.early) > 0 || len(s.ready) > 0 {
		var tx int
		if len(s.early) > 0 {
			tx = s.early.pop()
			if s.started[tx] {
				continue // its first run began: the boost is spent
			}
		} else {
			tx = s.ready.pop()
		}
		if s.status[tx] != Ready {
			continue // stale heap entry
		}
		s.status[tx] = Running
		t := Task{Tx: tx, Inc: s.inc[tx], Resume: s.started[tx]}
		if !s.started[tx] {
			s.started[tx] = true
			s.runs[tx]++
			if s.runs[tx] > s.MaxRuns {
				s.Exceeded = true
			}
		}
		return t, true
	}
	return Task{}, false
}

// Fresh reports whether tx has not started its current incarnation yet.
func (s *Sched) Fresh(tx int) bool { return !s.started[tx] }

// Inc returns tx's current incarnation.
func (s *Sched) Inc(tx int) int { return s.inc[tx] }

// Current reports whether inc is tx's current incarnation.
func (s *Sched) Current(tx, inc int) bool { return s.inc[tx] == inc }

// Status returns tx's status.
func (s *Sched) Status(tx int) Status { return s.status[tx] }

func (s *Sched) makeReady(tx int) {
	s.status[tx] = Ready
	s.ready.push(tx)
}

// Park suspends tx until writer finishes. If writer is not pending
// (stillPending false), tx is ready again at once.
func (s *Sched) Park(tx, writer int, stillPending bool) {
	s.Parks++
	if !stillPending {
		s.makeReady(tx)
		return
	}
	s.status[tx] = Parked
	s.parkedOn[writer] = append(s.parkedOn[writer], tx)
}

// WaitFinal parks tx until every transaction below it is final
// (Committed() == tx): what it read needs all of their results (the fee
// sink's balance, see mv.AwaitPrefix). If they already are, tx is ready
// again at once.
func (s *Sched) WaitFinal(tx int) {
	s.Parks++
	if tx <= s.commit {
		s.makeReady(tx)
		return
	}
	if s.awaitsPrefix == nil {
		s.awaitsPrefix = make([]bool, s.n)
	}
	s.status[tx] = Parked
	s.awaitsPrefix[tx] = true
}

// Finish records that tx's run finished (its writes are in the
// multi-version state) and that the transactions in invalidated must run
// again. It wakes the transactions parked on tx.
func (s *Sched) Finish(tx int, invalidated []int) {
	s.status[tx] = Done
	for _, p := range s.parkedOn[tx] {
		if s.status[p] == Parked {
			s.makeReady(p)
		}
	}
	delete(s.parkedOn, tx)
	for _, r := range invalidated {
		s.Invalidate(r)
	}
	s.advance()
}

// Invalidate makes tx run again from its start (a new incarnation). A
// running or parked run of the old incarnation is abandoned by the driver
// (Current turns false).
func (s *Sched) Invalidate(tx int) {
	if !s.started[tx] {
		// Its current incarnation has not started (it waits to run, or
		// for its sender's previous transaction): it has read nothing
		// that could be stale. Several findings may name it; one
		// re-execution is counted.
		return
	}
	s.inc[tx]++
	s.started[tx] = false
	if s.awaitsPrefix != nil {
		s.awaitsPrefix[tx] = false
	}
	s.Reexecutions++
	if s.status[tx] != Ready {
		s.makeReady(tx)
	}
}

func (s *Sched) advance() {
	for s.commit < s.n && s.status[s.commit] == Done {
		s.commit++
	}
	if c := s.commit; c < s.n && s.awaitsPrefix != nil && s.awaitsPrefix[c] {
		s.awaitsPrefix[c] = false
		if s.status[c] == Parked {
			s.makeReady(c)
		}
	}
}

// Committed returns how many transactions are final (an ordered prefix).
func (s *Sched) Committed() int { return s.commit }

// Finished reports whether every transaction is final.
func (s *Sched) Finished() bool { return s.commit == s.n }

// intHeap is a min-heap of transaction indices (without container/heap's
// interface boxing).
type intHeap []int

func (h *intHeap) push(x int) {
	*h = append(*h, x)
	a := *h
	for i := len(a) - 1; i > 0; {
		p := (i - 1) / 2
		if a[p] <= a[i] {
			break
		}
		a[p], a[i] = a[i], a[p]
		i = p
	}
}

func (h *intHeap) pop() int {
	a := *h
	x := a[0]
	n := len(a) - 1
	a[0] = a[n]
	a = a[:n]
	for i := 0; ; {
		l, m := 2*i+1, i
		if l < n && a[l] < a[m] {
			m = l
		}
		if r := l + 1; r < n && a[r] < a[m] {
			m = r
		}
		if m == i {
			break
		}
		a[i], a[m] = a[m], a[i]
		i = m
	}
	*h = a
	return x
}
