package bench

import (
	"math"
	"runtime"
	"slices"
	"time"
)

// Engines, in the order of the engine slices below (single transactions
// measure all three, blocks the first two).
const (
	Velarium  = 0
	Geth      = 1 // single transactions: warm StateDB, snapshot/revert
	GethFresh = 2 // single transactions: fresh StateDB per call
)

// EngineNames are the display names of the engines.
var EngineNames = []string{"velarium", "geth", "geth-fresh"}

// Timing is the measurement of one engine on one case.
type Timing struct {
	// NsPerOp is the time per call of each round.
	NsPerOp []float64 `json:"nsPerOpRounds"`
	// Median and Min of NsPerOp.
	Median float64 `json:"nsPerOpMedian"`
	Min    float64 `json:"nsPerOpMin"`
	// Iters is the number of calls in each round.
	Iters int `json:"itersPerRound"`
	// AllocsPerOp and BytesPerOp are heap allocations per call
	// (runtime.MemStats deltas over a separate batch).
	AllocsPerOp float64 `json:"allocsPerOp"`
	BytesPerOp  float64 `json:"bytesPerOp"`
}

// Pair is the interleaved measurement of several engines on one case
// (engine 0 is Velarium).
type Pair struct {
	T []*Timing
	// Ratios[i] (i > 0) are engine i's time per call over engine 0's in
	// each round (every round runs all engines back to back): Velarium's
	// throughput over engine i's.
	Ratios [][]float64
}

// Ratio is the median of the per-round ratios of engine i.
func (p *Pair) Ratio(i int) float64 { return median(p.Ratios[i]) }

// MeasureOptions control Interleave.
type MeasureOptions struct {
	Count  int           // rounds (default 5)
	Target time.Duration // time per engine per round (default 100ms)
	// MaxIters caps the calls per round (default 1e6).
	MaxIters int
}

func (o *MeasureOptions) defaults() MeasureOptions {
	r := MeasureOptions{Count: 5, Target: 100 * time.Millisecond, MaxIters: 1_000_000}
	if o != nil {
		if o.Count > 0 {
			r.Count = o.Count
		}
		if o.Target > 0 {
			r.Target = o.Target
		}
		if o.MaxIters > 0 {
			r.MaxIters = o.MaxIters
		}
	}
	return r
}

// roundOrder is the order of the engines in round r: rotated by r and
// reversed every other cycle, so that every engine runs in every position
// and right after every other one.
func roundOrder(n, r int) []int {
	order := make([]int, n)
	for i := range order {
		order[i] = (i + r) % n
	}
	if (r/n)%2 == 1 {
		slices.Reverse(order)
	}
	return order
}

// Interleave measures the engines fns in alternating rounds in this
// process: each round runs a batch of calls of every engine back to back,
// in an order that changes every round (for two engines: V,G then G,V
// ...), so that noise from other work on the machine hits all of them. A
// garbage collection runs before every batch (outside the timing) so one
// engine's garbage is not collected on another's time.
func Interleave(fns []func() error, o *MeasureOptions) (*Pair, error) {
	opt := o.defaults()
	n := len(fns)
	est := make([]float64, n)
	// Warm up (caches, code analysis) and estimate the time per call.
	for i, fn := range fns {
		if err := fn(); err != nil {
			return nil, err
		}
		k := 0
		start := time.Now()
		for k < 1 || (time.Since(start) < opt.Target/10 && k < 1000) {
			if err := fn(); err != nil {
				return nil, err
			}
			k++
		}
		est[i] = float64(time.Since(start).Nanoseconds()) / float64(k)
	}
	p := &Pair{T: make([]*Timing, n), Ratios: make([][]float64, n)}
	for i := range fns {
		iters := int(float64(opt.Target.Nanoseconds()) / max(est[i], 1))
		iters = max(1, min(iters, opt.MaxIters))
		p.T[i] = &Timing{Iters: iters}
	}
	ns := make([]float64, n)
	for r := 0; r < opt.Count; r++ {
		for _, i := range roundOrder(n, r) {
			runtime.GC()
			t := p.T[i]
			start := time.Now()
			for k := 0; k < t.Iters; k++ {
				if err := fns[i](); err != nil {
					return nil, err
				}
			}
			ns[i] = float64(time.Since(start).Nanoseconds()) / float64(t.Iters)
			t.NsPerOp = append(t.NsPerOp, ns[i])
		}
		for i := 1; i < n; i++ {
			p.Ratios[i] = append(p.Ratios[i], ns[i]/ns[0])
		}
	}
	for i, fn := range fns {
		t := p.T[i]
		t.Median, t.Min = median(t.NsPerOp), slices.Min(t.NsPerOp)
		a, b, err := allocs(fn, max(1, min(t.Iters, 200)))
		if err != nil {
			return nil, err
		}
		t.AllocsPerOp, t.BytesPerOp = a, b
	}
	return p, nil
}

// allocs returns the heap allocations and bytes per call over n calls.
func allocs(fn func() error, n int) (float64, float64, error) {
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for k := 0; k < n; k++ {
		if err := fn(); err != nil {
			return 0, 0, err
		}
	}
	runtime.ReadMemStats(&after)
	return float64(after.Mallocs-before.Mallocs) / float64(n), float64(after.TotalAlloc-before.TotalAlloc) / float64(n), nil
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// GeoMean is the geometric mean of the positive values.
func GeoMean(xs []float64) float64 {
	var sum float64
	n := 0
	for _, x := range xs {
		if x > 0 && !math.IsInf(x, 0) && !math.IsNaN(x) {
			sum += math.Log(x)
			n++
		}
	}
	if n == 0 {
		return math.NaN()
	}
	return math.Exp(sum / float64(n))
}

// mgas is gas / ns in millions of gas per second.
func mgas(gas uint64, ns float64) float64 {
	if ns <= 0 {
		return 0
	}
	return float64(gas) / ns * 1e3
}
