package sched

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestLowestFirstAndPrefixCommit: the lowest ready transaction runs first
// (progress guarantee) and results become final as an ordered prefix
// (ARCHITECTURE.md, "Ordered commit").
func TestLowestFirstAndPrefixCommit(t *testing.T) {
	s := New(3, 10)
	a, _ := s.Next()
	b, _ := s.Next()
	if a.Tx != 0 || b.Tx != 1 {
		t.Fatalf("dispatch order %d, %d; want 0, 1", a.Tx, b.Tx)
	}
	s.Finish(1, nil)
	if s.Committed() != 0 {
		t.Fatalf("tx 1 final before tx 0: committed %d", s.Committed())
	}
	s.Finish(0, nil)
	if s.Committed() != 2 {
		t.Fatalf("committed %d, want 2", s.Committed())
	}
	c, _ := s.Next()
	s.Finish(c.Tx, nil)
	if !s.Finished() {
		t.Fatal("not finished")
	}
}

// TestParkResumeInvalidate: a parked transaction resumes (not restarts)
// when its writer finishes; an invalidated one restarts as a new
// incarnation and the old one is no longer current.
func TestParkResumeInvalidate(t *testing.T) {
	s := New(2, 10)
	w, _ := s.Next()
	r, _ := s.Next()
	s.Park(r.Tx, w.Tx, true)
	if _, ok := s.Next(); ok {
		t.Fatal("parked transaction dispatched before its writer finished")
	}
	s.Finish(w.Tx, nil)
	again, ok := s.Next()
	if !ok || again.Tx != 1 || !again.Resume {
		t.Fatalf("want tx 1 resumed, got %+v ok=%v", again, ok)
	}
	s.Invalidate(1)
	if s.Current(1, again.Inc) {
		t.Fatal("old incarnation still current after invalidation")
	}
	fresh, _ := s.Next()
	if fresh.Resume || fresh.Inc != again.Inc+1 {
		t.Fatalf("want a fresh incarnation, got %+v", fresh)
	}
	s.Finish(1, nil)
	if !s.Finished() || s.Reexecutions != 1 || s.Parks != 1 {
		t.Fatalf("finished %v reexec %d parks %d", s.Finished(), s.Reexecutions, s.Parks)
	}
}

// TestRunsBounded: past MaxRuns the scheduler reports Exceeded so the
// driver falls back to serial execution (ARCHITECTURE.md, "Bounded").
func TestRunsBounded(t *testing.T) {
	s := New(1, 2)
	for i := 0; i < 3; i++ {
		s.Next()
		s.Invalidate(0)
	}
	if !s.Exceeded {
		t.Fatal("three runs of one transaction with MaxRuns 2 not reported")
	}
}

// TestIntHeap: the ready queue pops the smallest index first (the
// scheduler's lowest-first policy rests on it), under random pushes and
// pops; the seed is in the failure message.
func TestIntHeap(t *testing.T) {
	for seed := uint64(1); seed <= 200; seed++ {
		r := rand.New(rand.NewPCG(seed, 7))
		var h intHeap
		var ref []int
		for step := 0; step < 300; step++ {
			if len(ref) == 0 || r.IntN(3) > 0 {
				x := r.IntN(1000)
				h.push(x)
				ref = append(ref, x)
				continue
			}
			slices.Sort(ref)
			want := ref[0]
			ref = ref[1:]
			if got := h.pop(); got != want {
				t.Fatalf("seed %d step %d: pop %d, want %d", seed, step, got, want)
			}
		}
	}
}

// TestDepend: a transaction made to depend on an earlier one (known
// structure: its sender's previous transaction) is not handed out until
// that one finishes, and then starts fresh.
func TestDepend(t *testing.T) {
	s := New(3, 10)
	s.Depend(2, 0)
	a, _ := s.Next()
	b, _ := s.Next()
	if a.Tx != 0 || b.Tx != 1 {
		t.Fatalf("got %d, %d; want 0, 1", a.Tx, b.Tx)
	}
	if c, ok := s.Next(); ok {
		t.Fatalf("transaction %d handed out while 2 waits on 0", c.Tx)
	}
	s.Finish(1, nil)
	if c, ok := s.Next(); ok {
		t.Fatalf("transaction %d handed out after 1 finished; 2 waits on 0", c.Tx)
	}
	s.Finish(0, nil)
	c, ok := s.Next()
	if !ok || c.Tx != 2 || c.Resume {
		t.Fatalf("after 0 finished: got %+v, %v; want a fresh start of 2", c, ok)
	}
	s.Finish(2, nil)
	if !s.Finished() || s.Parks != 0 {
		t.Fatalf("finished %v, parks %d", s.Finished(), s.Parks)
	}
}

// TestInvalidateNotStarted: invalidating a transaction whose current
// incarnation has not started (several findings may name it, from stale
// runs too) counts no re-execution and leaves it where it is: a
// transaction waiting for its sender's previous one stays waiting.
func TestInvalidateNotStarted(t *testing.T) {
	s := New(3, 10)
	s.Depend(2, 0)
	a, _ := s.Next() // tx 0
	b, _ := s.Next() // tx 1
	s.Finish(b.Tx, nil)
	s.Finish(a.Tx, []int{1}) // tx 1 restarts: one re-execution
	s.Finish(a.Tx, []int{1}) // named again before it restarted
	s.Invalidate(2)          // never started
	if s.Reexecutions != 1 || s.Inc(1) != 1 || s.Inc(2) != 0 {
		t.Fatalf("reexecutions %d, inc(1) %d, inc(2) %d; want 1, 1, 0", s.Reexecutions, s.Inc(1), s.Inc(2))
	}
	var got []int
	for {
		x, ok := s.Next()
		if !ok {
			break
		}
		got = append(got, x.Tx)
	}
	if !slices.Equal(got, []int{1, 2}) {
		t.Fatalf("dispatched %v, want [1 2] (tx 2 released by tx 0's finish)", got)
	}
}

// TestBoost: a boosted transaction's first run starts before the lower
// ready ones (known structure: long transactions first); the boost is
// spent once that run starts, and a re-execution goes back to index order.
func TestBoost(t *testing.T) {
	s := New(6, 10)
	s.Boost(4)
	s.Boost(2)
	var order []int
	next := func() int {
		t.Helper()
		task, ok := s.Next()
		if !ok {
			t.Fatal("nothing ready")
		}
		order = append(order, task.Tx)
		return task.Tx
	}
	for range 3 {
		next()
	}
	if order[0] != 2 || order[1] != 4 || order[2] != 0 {
		t.Fatalf("order %v, want 2 and 4 (boosted, in index order) before 0", order)
	}
	s.Finish(4, nil)
	s.Invalidate(4) // runs again: no boost this time
	order = order[:0]
	for range 3 {
		next()
	}
	if order[0] != 1 || order[1] != 3 || order[2] != 4 {
		t.Fatalf("order %v after 4's invalidation, want 1 3 4", order)
	}
	// A boosted transaction parked on its sender's previous one (Depend)
	// is not taken early: it is not ready.
	s = New(3, 10)
	s.Depend(2, 1)
	s.Boost(2)
	if task, _ := s.Next(); task.Tx != 0 {
		t.Fatalf("first %d, want 0 (2 waits for 1)", task.Tx)
	}
}
