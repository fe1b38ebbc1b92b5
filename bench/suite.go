package bench

import (
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"time"

	"github.com/google/pprof/profile"
	"github.com/velarium/velarium/replay"
)

// SideResult is one engine's numbers on one case or block.
type SideResult struct {
	NsPerOp     float64         `json:"nsPerOp"` // median over rounds
	MinNs       float64         `json:"nsPerOpMin"`
	Rounds      []float64       `json:"nsPerOpRounds"`
	Iters       int             `json:"itersPerRound"`
	MgasPerSec  float64         `json:"mgasPerSec"` // gas / median time
	AllocsPerOp float64         `json:"allocsPerOp"`
	BytesPerOp  float64         `json:"bytesPerOp"`
	Profile     *ProfileSummary `json:"profile,omitempty"`
}

// CaseResult is the result of one single-transaction case.
type CaseResult struct {
	Suite   string `json:"suite"`
	Name    string `json:"name"`
	Note    string `json:"note,omitempty"`
	GasUsed uint64 `json:"gasUsed"`
	Status  uint64 `json:"status"`
	// Error is set when the engines disagree or a run fails; the case is
	// then not timed.
	Error     string      `json:"error,omitempty"`
	Velarium  *SideResult `json:"velarium,omitempty"`
	Geth      *SideResult `json:"geth,omitempty"`      // warm StateDB
	GethFresh *SideResult `json:"gethFresh,omitempty"` // fresh StateDB per call
	// Ratio is Velarium's throughput over geth's (warm): the median over
	// rounds of geth's time per call divided by Velarium's in the same
	// round; RatioMin and RatioMax are the extreme rounds.
	Ratio    float64 `json:"ratio"`
	RatioMin float64 `json:"ratioMin"`
	RatioMax float64 `json:"ratioMax"`
	// RatioFresh is the same against geth-fresh.
	RatioFresh    float64 `json:"ratioFresh"`
	RatioFreshMin float64 `json:"ratioFreshMin"`
	RatioFreshMax float64 `json:"ratioFreshMax"`
}

// ID is "suite/name".
func (r *CaseResult) ID() string { return r.Suite + "/" + r.Name }

// EVMOptions control RunEVMSuite.
type EVMOptions struct {
	Measure MeasureOptions
	Filter  *regexp.Regexp // on "suite/name"; nil: all
	// ProfileDir, when set, receives a CPU profile per case and engine
	// (<dir>/<suite>__<name>.<engine>.pprof), each ProfileTime long.
	ProfileDir  string
	ProfileTime time.Duration
	ProfileGeth bool
	Log         io.Writer
}

func sideResult(t *Timing, gas uint64) *SideResult {
	return &SideResult{NsPerOp: t.Median, MinNs: t.Min, Rounds: t.NsPerOp, Iters: t.Iters,
		MgasPerSec: mgas(gas, t.Median), AllocsPerOp: t.AllocsPerOp, BytesPerOp: t.BytesPerOp}
}

func fileName(s string) string {
	return strings.NewReplacer("/", "__", " ", "_", ":", "_").Replace(s)
}

// EVMSuiteResult is the outcome of RunEVMSuite.
type EVMSuiteResult struct {
	Cases []*CaseResult
	// Merged profiles over all cases, per engine (nil when not profiled).
	Merged [2]*ProfileSummary
}

// RunEVMSuite verifies and measures every case.
func RunEVMSuite(cases []*Case, o *EVMOptions) *EVMSuiteResult {
	logw := o.Log
	if logw == nil {
		logw = io.Discard
	}
	out := &EVMSuiteResult{}
	var profs [2][]*profile.Profile // Velarium and geth (warm)
	for _, c := range cases {
		if o.Filter != nil && !o.Filter.MatchString(c.ID()) {
			continue
		}
		r := &CaseResult{Suite: c.Suite, Name: c.Name, Note: c.Note, Ratio: math.NaN(), RatioFresh: math.NaN()}
		out.Cases = append(out.Cases, r)
		ps := runCase(c, r, o, logw)
		for i, p := range ps {
			if p != nil {
				profs[i] = append(profs[i], p)
			}
		}
	}
	for i := range profs {
		if len(profs[i]) == 0 {
			continue
		}
		if m, err := MergeProfiles(profs[i]); err == nil {
			out.Merged[i] = Summarize(m, 15)
			if o.ProfileDir != "" {
				path := filepath.Join(o.ProfileDir, "ALL."+EngineNames[i]+".pprof")
				if f, err := os.Create(path); err == nil {
					m.Write(f)
					f.Close()
					out.Merged[i].File = path
				}
			}
		}
	}
	return out
}

// runCase verifies and measures one case into r and returns the CPU
// profiles taken (Velarium, geth), nil where none.
func runCase(c *Case, r *CaseResult, o *EVMOptions, logw io.Writer) (profs [2]*profile.Profile) {
	v := NewVelaRunner(c)
	g, err := NewGethRunner(c)
	if err != nil {
		r.Error = err.Error()
		fmt.Fprintf(logw, "%-55s ERROR %v\n", c.ID(), err)
		return profs
	}
	defer g.Close()
	oc, err := Verify(c, v, g)
	if oc != nil {
		r.GasUsed, r.Status = oc.GasUsed, oc.Status
	}
	if err != nil {
		r.Error = err.Error()
		fmt.Fprintf(logw, "%-55s MISMATCH %v\n", c.ID(), err)
		return profs
	}
	fns := []func() error{
		func() error { _, err := v.Run(); return err },
		func() error { _, err := g.Run(); return err },
		func() error { _, err := g.RunFresh(); return err },
	}
	p, err := Interleave(fns, &o.Measure)
	if err != nil {
		r.Error = err.Error()
		fmt.Fprintf(logw, "%-55s ERROR %v\n", c.ID(), err)
		return profs
	}
	r.Velarium, r.Geth, r.GethFresh = sideResult(p.T[Velarium], r.GasUsed), sideResult(p.T[Geth], r.GasUsed), sideResult(p.T[GethFresh], r.GasUsed)
	r.Ratio, r.RatioFresh = p.Ratio(Geth), p.Ratio(GethFresh)
	r.RatioMin, r.RatioMax = minMax(p.Ratios[Geth])
	r.RatioFreshMin, r.RatioFreshMax = minMax(p.Ratios[GethFresh])
	if o.ProfileDir != "" {
		for i, side := range []*SideResult{r.Velarium, r.Geth} {
			if i == Geth && !o.ProfileGeth {
				continue
			}
			path := filepath.Join(o.ProfileDir, fileName(c.ID())+"."+EngineNames[i]+".pprof")
			s, prof, err := ProfileRun(fns[i], o.ProfileTime, path, 3)
			if err != nil {
				fmt.Fprintf(logw, "%-55s profile %s: %v\n", c.ID(), EngineNames[i], err)
				continue
			}
			side.Profile = s
			profs[i] = prof
		}
	}
	fmt.Fprintf(logw, "%-50s gas %11d  velarium %11s %7.1f Mgas/s  geth %11s %7.1f Mgas/s  ratio %.2f [%.2f-%.2f]  geth-fresh %11s ratio %.2f\n",
		c.ID(), r.GasUsed, fmtNs(r.Velarium.NsPerOp), r.Velarium.MgasPerSec, fmtNs(r.Geth.NsPerOp), r.Geth.MgasPerSec,
		r.Ratio, r.RatioMin, r.RatioMax, fmtNs(r.GethFresh.NsPerOp), r.RatioFresh)
	return profs
}

func minMax(xs []float64) (float64, float64) {
	if len(xs) == 0 {
		return math.NaN(), math.NaN()
	}
	lo, hi := xs[0], xs[0]
	for _, x := range xs {
		lo, hi = min(lo, x), max(hi, x)
	}
	return lo, hi
}

func fmtNs(ns float64) string {
	switch {
	case ns >= 1e9:
		return fmt.Sprintf("%.3f s", ns/1e9)
	case ns >= 1e6:
		return fmt.Sprintf("%.3f ms", ns/1e6)
	case ns >= 1e3:
		return fmt.Sprintf("%.2f µs", ns/1e3)
	}
	return fmt.Sprintf("%.0f ns", ns)
}

// ---- whole blocks ----

// BlockResult is the result of one mainnet block.
type BlockResult struct {
	Number  uint64 `json:"number"`
	Fork    string `json:"fork"`
	Txs     int    `json:"txs"`
	GasUsed uint64 `json:"gasUsed"`
	Error   string `json:"error,omitempty"`
	// Exec is execution alone (decoded block, senders known); E2E adds
	// decoding block.json and recovering the senders.
	Exec     [2]*SideResult `json:"exec"`
	E2E      [2]*SideResult `json:"e2e"`
	Ratio    float64        `json:"ratio"`    // exec: median of per-round geth/velarium time
	RatioE2E float64        `json:"ratioE2E"` // end to end
	RatioMin float64        `json:"ratioMin"`
	RatioMax float64        `json:"ratioMax"`
	// Pevm8 and PevmLater are pevm's published parallel results for this
	// block (nil when its table does not list it).
	Pevm8     *PevmRef `json:"pevm8,omitempty"`
	PevmLater *PevmRef `json:"pevmLater,omitempty"`
}

// BlockOptions control RunBlockSuite.
type BlockOptions struct {
	Measure MeasureOptions
	Filter  *regexp.Regexp // on the decimal block number
	Log     io.Writer
}

// BlockSuiteResult is the outcome of RunBlockSuite.
type BlockSuiteResult struct {
	Blocks []*BlockResult `json:"blocks"`
	// Totals over the blocks that were measured: total gas over the sum
	// of the median times, per engine, for both columns.
	Gas               uint64     `json:"gas"`
	ExecNs            [2]float64 `json:"execNs"`
	E2ENs             [2]float64 `json:"e2eNs"`
	ExecMgas          [2]float64 `json:"execMgasPerSec"`
	E2EMgas           [2]float64 `json:"e2eMgasPerSec"`
	Ratio             float64    `json:"ratio"`    // total-time ratio, execution alone
	RatioE2E          float64    `json:"ratioE2E"` // total-time ratio, end to end
	GeoRatio          float64    `json:"geoMeanRatio"`
	SharedLoadSeconds float64    `json:"sharedSetupSeconds"`
}

// RunBlockSuite verifies and measures the pevm blocks under dir, one
// block at a time (each is loaded, measured and released).
func RunBlockSuite(dir string, o *BlockOptions) (*BlockSuiteResult, error) {
	logw := o.Log
	if logw == nil {
		logw = io.Discard
	}
	dirs, err := replay.BlockDirs(dir)
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "velabench-blocks-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	l := replay.NewLoader()
	out := &BlockSuiteResult{}
	var ratios []float64
	for _, d := range dirs {
		if o.Filter != nil && !o.Filter.MatchString(filepath.Base(d)) {
			continue
		}
		b, err := PrepareBlock(l, d, tmp)
		if err != nil {
			out.Blocks = append(out.Blocks, &BlockResult{Error: err.Error(), Fork: filepath.Base(d)})
			fmt.Fprintf(logw, "block %s: ERROR %v\n", filepath.Base(d), err)
			continue
		}
		r := &BlockResult{Number: b.Number, Fork: b.Fork, Txs: b.Txs, GasUsed: b.GasUsed, Ratio: math.NaN(), RatioE2E: math.NaN()}
		if ref, ok := PevmParallel8[b.Number]; ok {
			r.Pevm8 = &ref
		}
		if ref, ok := PevmParallelLater[b.Number]; ok {
			r.PevmLater = &ref
		}
		out.Blocks = append(out.Blocks, r)
		if err := b.VerifyBlock(l); err != nil {
			r.Error = err.Error()
			fmt.Fprintf(logw, "block %d: MISMATCH %v\n", b.Number, err)
			b.Close()
			continue
		}
		exec := []func() error{
			func() error { _, err := b.VelaExec(); return err },
			func() error { _, err := b.GethExec(); return err },
		}
		e2e := []func() error{
			func() error { _, err := b.VelaE2E(l); return err },
			func() error { _, err := b.GethE2E(); return err },
		}
		p, err := Interleave(exec, &o.Measure)
		if err == nil {
			var q *Pair
			q, err = Interleave(e2e, &o.Measure)
			if err == nil {
				for i := range 2 {
					r.Exec[i] = sideResult(p.T[i], b.GasUsed)
					r.E2E[i] = sideResult(q.T[i], b.GasUsed)
				}
				r.Ratio, r.RatioE2E = p.Ratio(Geth), q.Ratio(Geth)
				r.RatioMin, r.RatioMax = minMax(p.Ratios[Geth])
			}
		}
		b.Close()
		if err != nil {
			r.Error = err.Error()
			fmt.Fprintf(logw, "block %d: ERROR %v\n", b.Number, err)
			continue
		}
		out.Gas += b.GasUsed
		for i := range 2 {
			out.ExecNs[i] += r.Exec[i].NsPerOp
			out.E2ENs[i] += r.E2E[i].NsPerOp
		}
		if b.GasUsed > 0 {
			ratios = append(ratios, r.Ratio)
		}
		fmt.Fprintf(logw, "block %9d %-16s %5d txs %11d gas  exec: velarium %10s %7.1f Mgas/s  geth %10s %7.1f Mgas/s  ratio %.2f | e2e ratio %.2f\n",
			b.Number, b.Fork, b.Txs, b.GasUsed, fmtNs(r.Exec[0].NsPerOp), r.Exec[0].MgasPerSec,
			fmtNs(r.Exec[1].NsPerOp), r.Exec[1].MgasPerSec, r.Ratio, r.RatioE2E)
		runtime.GC()
	}
	for i := range 2 {
		out.ExecMgas[i] = mgas(out.Gas, out.ExecNs[i])
		out.E2EMgas[i] = mgas(out.Gas, out.E2ENs[i])
	}
	out.Ratio = out.ExecNs[Geth] / out.ExecNs[Velarium]
	out.RatioE2E = out.E2ENs[Geth] / out.E2ENs[Velarium]
	out.GeoRatio = GeoMean(ratios)
	out.SharedLoadSeconds = l.SetupTime().Seconds()
	return out, nil
}
