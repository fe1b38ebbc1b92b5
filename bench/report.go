package bench

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"time"
)

//go:embed assets/chart.umd.js
var chartJS string

// Env describes where and how the results were taken.
type Env struct {
	Date        string  `json:"date"`
	Host        string  `json:"host"`
	CPU         string  `json:"cpu"`
	NumCPU      int     `json:"numCPU"`
	GOMAXPROCS  int     `json:"gomaxprocs"`
	GoVersion   string  `json:"goVersion"`
	Geth        string  `json:"gethVersion"`
	Commit      string  `json:"velariumCommit"`
	LoadStart   string  `json:"loadAvgStart"`
	LoadEnd     string  `json:"loadAvgEnd"`
	Flags       string  `json:"flags"`
	WallSeconds float64 `json:"wallSeconds"`
}

// CurrentEnv fills what can be read now (LoadEnd and WallSeconds are set
// by the caller at the end).
func CurrentEnv(flags string) Env {
	e := Env{Date: time.Now().UTC().Format(time.RFC3339), NumCPU: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0),
		GoVersion: runtime.Version(), Flags: flags, LoadStart: LoadAvg()}
	e.Host, _ = os.Hostname()
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, ln := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(ln, "model name") {
				if i := strings.IndexByte(ln, ':'); i >= 0 {
					e.CPU = strings.TrimSpace(ln[i+1:])
					break
				}
			}
		}
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "github.com/ethereum/go-ethereum" {
				e.Geth = d.Version
			}
		}
	}
	// Read-only: the checkout's commit, for the record.
	if out, err := exec.Command("git", "rev-parse", "--short=12", "HEAD").Output(); err == nil {
		e.Commit = strings.TrimSpace(string(out))
		if st, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(st) > 0 {
			e.Commit += " (+ uncommitted changes)"
		}
	}
	return e
}

// LoadAvg is the 1, 5 and 15 minute load average ("" when unknown).
func LoadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

// SuiteSummary is the geometric mean of a suite's ratios.
type SuiteSummary struct {
	Suite    string  `json:"suite"`
	Cases    int     `json:"cases"`
	GeoRatio float64 `json:"geoMeanRatio"`
	// GeoRatioFresh is the same against geth-fresh.
	GeoRatioFresh float64 `json:"geoMeanRatioFresh"`
	// GeoMgas are the geometric means of each engine's Mgas/s.
	GeoMgasVelarium  float64 `json:"geoMeanMgasVelarium"`
	GeoMgasGeth      float64 `json:"geoMeanMgasGeth"`
	GeoMgasGethFresh float64 `json:"geoMeanMgasGethFresh"`
}

// Report is everything written to results.json.
type Report struct {
	Env          Env                `json:"env"`
	Cases        []*CaseResult      `json:"cases,omitempty"`
	Suites       []SuiteSummary     `json:"suites,omitempty"`
	Merged       [2]*ProfileSummary `json:"mergedProfiles,omitempty"`
	Blocks       *BlockSuiteResult  `json:"blocks,omitempty"`
	Parallel     *ParallelResult    `json:"parallel,omitempty"`
	Pevm8Source  string             `json:"pevmParallel8Source"`
	PevmLaterSrc string             `json:"pevmParallelLaterSource"`
	// MergedFrom lists the earlier runs some sections were taken from
	// (velabench -merge).
	MergedFrom []MergeNote `json:"mergedFrom,omitempty"`
}

// ParallelResult holds the parallel suites.
type ParallelResult struct {
	Blocks *ParBlockSuiteResult `json:"blocks,omitempty"`
	Demo   *DemoSuiteResult     `json:"demo,omitempty"`
}

// MergeNote records sections taken from an earlier run.
type MergeNote struct {
	File     string   `json:"file"`
	Sections []string `json:"sections"`
	Env      Env      `json:"env"`
}

// MergeFrom fills the sections this report lacks (single transactions,
// serial blocks, parallel blocks, demo) from the results.json at path, and
// records that it did.
func (r *Report) MergeFrom(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var old Report
	if err := json.Unmarshal(b, &old); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	var took []string
	if len(r.Cases) == 0 && len(old.Cases) > 0 {
		r.Cases, r.Suites, r.Merged = old.Cases, old.Suites, old.Merged
		took = append(took, "single transactions")
	}
	if r.Blocks == nil && old.Blocks != nil {
		r.Blocks = old.Blocks
		took = append(took, "serial blocks")
	}
	if old.Parallel != nil {
		if r.Parallel == nil {
			r.Parallel = &ParallelResult{}
		}
		if r.Parallel.Blocks == nil && old.Parallel.Blocks != nil {
			r.Parallel.Blocks = old.Parallel.Blocks
			took = append(took, "parallel blocks")
		}
		if r.Parallel.Demo == nil && old.Parallel.Demo != nil {
			r.Parallel.Demo = old.Parallel.Demo
			took = append(took, "parallel demo")
		}
	}
	if len(took) > 0 {
		// Notes of the earlier run's own merges stay attached to it.
		r.MergedFrom = append(r.MergedFrom, MergeNote{File: path, Sections: took, Env: old.Env})
		for _, n := range old.MergedFrom {
			r.MergedFrom = append(r.MergedFrom, n)
		}
	}
	return nil
}

// Summaries computes per-suite geometric means (cases that were measured)
// and one over all single-transaction cases ("all").
func Summaries(cases []*CaseResult) []SuiteSummary {
	var order []string
	by := map[string][]*CaseResult{}
	for _, c := range cases {
		if c.Velarium == nil {
			continue
		}
		if _, ok := by[c.Suite]; !ok {
			order = append(order, c.Suite)
		}
		by[c.Suite] = append(by[c.Suite], c)
		by["all"] = append(by["all"], c)
	}
	if len(order) > 1 {
		order = append(order, "all")
	}
	var out []SuiteSummary
	for _, s := range order {
		var r, rf, v, g, gf []float64
		for _, c := range by[s] {
			r = append(r, c.Ratio)
			rf = append(rf, c.RatioFresh)
			v = append(v, c.Velarium.MgasPerSec)
			g = append(g, c.Geth.MgasPerSec)
			gf = append(gf, c.GethFresh.MgasPerSec)
		}
		out = append(out, SuiteSummary{Suite: s, Cases: len(by[s]), GeoRatio: GeoMean(r), GeoRatioFresh: GeoMean(rf),
			GeoMgasVelarium: GeoMean(v), GeoMgasGeth: GeoMean(g), GeoMgasGethFresh: GeoMean(gf)})
	}
	return out
}

// WriteJSON writes r to path.
func (r *Report) WriteJSON(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// MarshalJSON keeps NaN out of the JSON (it is not valid JSON).
func (r *CaseResult) MarshalJSON() ([]byte, error) {
	type plain CaseResult
	c := plain(*r)
	c.Ratio, c.RatioMin, c.RatioMax = finite(c.Ratio), finite(c.RatioMin), finite(c.RatioMax)
	c.RatioFresh, c.RatioFreshMin, c.RatioFreshMax = finite(c.RatioFresh), finite(c.RatioFreshMin), finite(c.RatioFreshMax)
	return json.Marshal(c)
}

// MarshalJSON keeps NaN out of the JSON.
func (r *BlockResult) MarshalJSON() ([]byte, error) {
	type plain BlockResult
	c := plain(*r)
	c.Ratio, c.RatioE2E, c.RatioMin, c.RatioMax = finite(c.Ratio), finite(c.RatioE2E), finite(c.RatioMin), finite(c.RatioMax)
	return json.Marshal(c)
}

// MarshalJSON keeps NaN out of the JSON.
func (r *BlockSuiteResult) MarshalJSON() ([]byte, error) {
	type plain BlockSuiteResult
	c := plain(*r)
	c.Ratio, c.RatioE2E, c.GeoRatio = finite(c.Ratio), finite(c.RatioE2E), finite(c.GeoRatio)
	return json.Marshal(c)
}

// MarshalJSON keeps NaN out of the JSON.
func (s SuiteSummary) MarshalJSON() ([]byte, error) {
	type plain SuiteSummary
	c := plain(s)
	c.GeoRatio, c.GeoMgasVelarium, c.GeoMgasGeth = finite(c.GeoRatio), finite(c.GeoMgasVelarium), finite(c.GeoMgasGeth)
	c.GeoRatioFresh, c.GeoMgasGethFresh = finite(c.GeoRatioFresh), finite(c.GeoMgasGethFresh)
	return json.Marshal(c)
}

func finite(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return 0
	}
	return x
}

func fmtRatio(x float64) string {
	if math.IsNaN(x) || x == 0 {
		return "—"
	}
	return fmt.Sprintf("%.2f×", x)
}

func fmtMgas(x float64) string {
	if math.IsNaN(x) || x == 0 {
		return "—"
	}
	if x >= 100 {
		return fmt.Sprintf("%.0f", x)
	}
	return fmt.Sprintf("%.1f", x)
}

func fmtCount(x float64) string {
	if x >= 100 {
		return fmt.Sprintf("%.0f", x)
	}
	return fmt.Sprintf("%.1f", x)
}

func fmtBytes(x float64) string {
	switch {
	case x >= 1<<20:
		return fmt.Sprintf("%.1f MiB", x/(1<<20))
	case x >= 1<<10:
		return fmt.Sprintf("%.1f KiB", x/(1<<10))
	}
	return fmt.Sprintf("%.0f B", x)
}

func gasStr(g uint64) string {
	s := fmt.Sprint(g)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func mark(ok bool) string {
	if ok {
		return "yes"
	}
	return "**no**"
}

// Targets are the goals the results are reported against.
const (
	TargetSnail  = 2.0
	TargetGeo    = 2.0
	TargetBlocks = 1.5
)

func (r *Report) caseByName(suite, name string) *CaseResult {
	for _, c := range r.Cases {
		if c.Suite == suite && c.Name == name {
			return c
		}
	}
	return nil
}

// Markdown writes the results as markdown.
func (r *Report) Markdown(w io.Writer) {
	p := func(format string, a ...any) { fmt.Fprintf(w, format, a...) }
	e := r.Env
	p("# Velarium vs go-ethereum: benchmark results\n\n")
	p("Taken %s on %s (%s, %d logical CPUs, GOMAXPROCS %d), %s, go-ethereum %s, Velarium %s.  \n",
		e.Date, e.Host, e.CPU, e.NumCPU, e.GOMAXPROCS, e.GoVersion, e.Geth, e.Commit)
	p("Flags: `%s`. Wall time %.0f s. Load average (1/5/15 min) at start %s, at end %s.\n\n", e.Flags, e.WallSeconds, e.LoadStart, e.LoadEnd)
	for _, m := range r.MergedFrom {
		p("**Merged:** %s taken from an earlier run (%s, flags `%s`, Velarium %s, load %s → %s, %.0f s).\n\n",
			strings.Join(m.Sections, ", "), m.Env.Date, m.Env.Flags, m.Env.Commit, m.Env.LoadStart, m.Env.LoadEnd, m.Env.WallSeconds)
	}
	p("**Noise.** This machine has 2 cores shared with other builds. Each case runs the engines in one process, " +
		"interleaved in rounds whose order changes every round (V,G then G,V ...); times are medians over rounds, " +
		"the ratio is the median of the per-round ratios, and [min–max] of those ratios shows how much the rounds " +
		"disagreed. Treat differences under ~10%% as noise.\n\n")

	if len(r.Cases) > 0 || (r.Blocks != nil && r.Blocks.Gas > 0) {
		r.targetsMarkdown(w)
	}
	if len(r.Cases) > 0 {
		p("## Single transactions\n\n")
		p("Each case is one transaction. Velarium: `chain.Apply` on an immutable `state.Mem` (a fresh journaled " +
			"state per call). **geth**: `core.ApplyMessage` on one warm StateDB with snapshot/revert around each call " +
			"(go-ethereum's own state-test benchmark loop: state objects stay cached between calls). **geth-fresh**: " +
			"`core.ApplyMessage` on a new StateDB per call over a path-scheme in-memory database (every account and " +
			"slot loaded from the database). The three are interleaved. Gas used, status, output and post-state root " +
			"were checked equal (and against the fixture's root / expected output) before timing. " +
			"Mgas/s = gas used / median time. Ratio = Velarium throughput / that geth's throughput (> 1: Velarium " +
			"faster). allocs and bytes are heap allocations per call.\n\n")
		if len(r.Suites) > 0 {
			p("| suite | cases | geo-mean ratio vs geth | vs geth-fresh | geo-mean Mgas/s Velarium | geth | geth-fresh |\n|---|---:|---:|---:|---:|---:|---:|\n")
			for _, s := range r.Suites {
				p("| %s | %d | %s | %s | %s | %s | %s |\n", s.Suite, s.Cases, fmtRatio(s.GeoRatio), fmtRatio(s.GeoRatioFresh),
					fmtMgas(s.GeoMgasVelarium), fmtMgas(s.GeoMgasGeth), fmtMgas(s.GeoMgasGethFresh))
			}
			p("\n")
		}
		suite := ""
		for _, c := range r.Cases {
			if c.Suite != suite {
				suite = c.Suite
				p("### %s\n\n", suite)
				p("| case | gas used | Velarium | Mgas/s | geth | Mgas/s | ratio [min–max] | geth-fresh | ratio [min–max] | allocs V / G / Gf | bytes V / G / Gf |\n")
				p("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
			}
			if c.Velarium == nil {
				p("| %s | %s | ERROR: %s | | | | | | | | |\n", c.Name, gasStr(c.GasUsed), mdEscape(trunc(c.Error, 200)))
				continue
			}
			p("| %s | %s | %s | %s | %s | %s | %s [%.2f–%.2f] | %s | %s [%.2f–%.2f] | %s / %s / %s | %s / %s / %s |\n", c.Name, gasStr(c.GasUsed),
				fmtNs(c.Velarium.NsPerOp), fmtMgas(c.Velarium.MgasPerSec), fmtNs(c.Geth.NsPerOp), fmtMgas(c.Geth.MgasPerSec),
				fmtRatio(c.Ratio), c.RatioMin, c.RatioMax, fmtNs(c.GethFresh.NsPerOp), fmtRatio(c.RatioFresh), c.RatioFreshMin, c.RatioFreshMax,
				fmtCount(c.Velarium.AllocsPerOp), fmtCount(c.Geth.AllocsPerOp), fmtCount(c.GethFresh.AllocsPerOp),
				fmtBytes(c.Velarium.BytesPerOp), fmtBytes(c.Geth.BytesPerOp), fmtBytes(c.GethFresh.BytesPerOp))
			if c.Suite != "" && suiteEnd(r.Cases, c) {
				p("\n")
			}
		}
		p("\n")
	}

	if b := r.Blocks; b != nil {
		p("## Whole mainnet blocks (serial)\n\n")
		p("The 50 pevm blocks, transactions in order on the block's pre-state, no rewards / withdrawals / system calls "+
			"(as pevm). Velarium: `chain.ExecuteBlock(..., BlockOptions{SkipSystem: true})`. go-ethereum: per transaction "+
			"`core.ApplyMessage` + `StateDB.Finalise` + `core.MakeReceipt` on a fresh StateDB over a path-scheme "+
			"in-memory database, one EVM per block, shared jump-destination cache. Both compute the receipts and the "+
			"receipts root; neither computes state roots. Both reproduce gasUsed, logsBloom and (Byzantium+) "+
			"receiptsRoot of every block, checked before timing. **exec** = execution alone (block decoded, senders "+
			"known); **e2e** = decoding block.json + recovering senders (%d goroutines on both sides) + execution; "+
			"pre-state building is excluded from both.\n\n", runtime.NumCPU())
		p("| | gas | Velarium exec | geth exec | exec ratio | Velarium e2e | geth e2e | e2e ratio |\n|---|---:|---:|---:|---:|---:|---:|---:|\n")
		p("| **all blocks** (total gas / total median time) | %s | %s Mgas/s | %s Mgas/s | %s | %s Mgas/s | %s Mgas/s | %s |\n",
			gasStr(b.Gas), fmtMgas(b.ExecMgas[0]), fmtMgas(b.ExecMgas[1]), fmtRatio(b.Ratio),
			fmtMgas(b.E2EMgas[0]), fmtMgas(b.E2EMgas[1]), fmtRatio(b.RatioE2E))
		p("| geometric mean of per-block exec ratios | | | | %s | | | |\n\n", fmtRatio(b.GeoRatio))
		p("Shared setup outside the timing (bytecodes.json, block_hashes.json, KZG setup): %.1f s.\n\n", b.SharedLoadSeconds)
		p("| block | fork | txs | gas | Velarium exec | Mgas/s | geth exec | Mgas/s | ratio [min–max] | Velarium e2e Mgas/s | geth e2e Mgas/s | e2e ratio | allocs V / G |\n")
		p("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
		for _, x := range b.Blocks {
			if x.Exec[0] == nil {
				p("| %d | %s | %d | %s | ERROR: %s | | | | | | | | |\n", x.Number, x.Fork, x.Txs, gasStr(x.GasUsed), mdEscape(trunc(x.Error, 200)))
				continue
			}
			p("| %d | %s | %d | %s | %s | %s | %s | %s | %s [%.2f–%.2f] | %s | %s | %s | %s / %s |\n",
				x.Number, x.Fork, x.Txs, gasStr(x.GasUsed), fmtNs(x.Exec[0].NsPerOp), fmtMgas(x.Exec[0].MgasPerSec),
				fmtNs(x.Exec[1].NsPerOp), fmtMgas(x.Exec[1].MgasPerSec), fmtRatio(x.Ratio), x.RatioMin, x.RatioMax,
				fmtMgas(x.E2E[0].MgasPerSec), fmtMgas(x.E2E[1].MgasPerSec), fmtRatio(x.RatioE2E),
				fmtCount(x.Exec[0].AllocsPerOp), fmtCount(x.Exec[1].AllocsPerOp))
		}
		p("\n")
	}
	if r.Parallel != nil {
		r.parallelMarkdown(w)
	}

	if r.Merged[0] != nil || r.Merged[1] != nil {
		p("## Where the time goes\n\nCPU profiles of every single-transaction case (each ~equal time), merged; " +
			"flat = time in the function itself, cum = including callees. Per-case top 3: `profiles.md`.\n\n")
		for i, m := range r.Merged {
			if m == nil {
				continue
			}
			p("**%s** (%.1f s sampled):\n\n| function | flat | cum |\n|---|---:|---:|\n", EngineNames[i], m.Seconds)
			for _, h := range m.Top {
				p("| `%s` | %.1f%% | %.1f%% |\n", h.Name, h.FlatPct, h.CumPct)
			}
			p("\n")
		}
	}
}

// targetsMarkdown writes the targets table (serial comparisons).
func (r *Report) targetsMarkdown(w io.Writer) {
	p := func(format string, a ...any) { fmt.Fprintf(w, format, a...) }
	p("## Targets\n\nVelarium throughput / go-ethereum throughput (> 1: Velarium faster). Single transactions are " +
		"compared with geth on a warm StateDB (its own benchmark loop; the headline) and, in brackets, with geth on a " +
		"fresh StateDB per transaction (state loaded from the database, as Velarium's chain.Apply always does).\n\n")
	p("| measure | measured | target | met |\n|---|---|---|---|\n")
	if c := r.caseByName(SuiteEVMBenchmarks, "snailtracer/benchmark"); c != nil && c.Velarium != nil {
		p("| snailtracer (Mgas/s ratio) | %s (fresh: %s) | ≥ %.1f× | %s |\n", fmtRatio(c.Ratio), fmtRatio(c.RatioFresh), TargetSnail, mark(c.Ratio >= TargetSnail))
	}
	for _, s := range r.Suites {
		if s.Suite == SuiteEVMBenchmarks {
			p("| evm-benchmarks geometric mean | %s (fresh: %s) | ≥ %.1f× | %s |\n", fmtRatio(s.GeoRatio), fmtRatio(s.GeoRatioFresh), TargetGeo, mark(s.GeoRatio >= TargetGeo))
		}
	}
	for _, s := range r.Suites {
		if s.Suite == "all" {
			p("| all single-tx cases, geometric mean | %s (fresh: %s) | (≥ %.1f×) | %s |\n", fmtRatio(s.GeoRatio), fmtRatio(s.GeoRatioFresh), TargetGeo, mark(s.GeoRatio >= TargetGeo))
		}
	}
	if b := r.Blocks; b != nil && b.Gas > 0 {
		p("| mainnet blocks, serial, execution alone (total gas / total time) | %s | ≥ %.1f× | %s |\n", fmtRatio(b.Ratio), TargetBlocks, mark(b.Ratio >= TargetBlocks))
		p("| mainnet blocks, serial, geometric mean of per-block ratios | %s | (≥ %.1f×) | %s |\n", fmtRatio(b.GeoRatio), TargetBlocks, mark(b.GeoRatio >= TargetBlocks))
		p("| mainnet blocks, serial, end to end | %s | — | |\n", fmtRatio(b.RatioE2E))
	}
	p("\n")

}

func suiteEnd(cases []*CaseResult, c *CaseResult) bool {
	for i, x := range cases {
		if x == c {
			return i+1 == len(cases) || cases[i+1].Suite != c.Suite
		}
	}
	return false
}

func mdEscape(s string) string {
	return strings.NewReplacer("|", "\\|", "\n", " ").Replace(s)
}

// ProfilesMarkdown writes the per-case top-3 functions.
func (r *Report) ProfilesMarkdown(w io.Writer) {
	p := func(format string, a ...any) { fmt.Fprintf(w, format, a...) }
	p("# CPU profiles of the single-transaction cases\n\n")
	p("Each case ran alone under `runtime/pprof` for the profile time (Velarium side always, go-ethereum side, " +
		"warm StateDB, too unless -profile-geth=false). The three hottest functions by flat time, as `go tool pprof -top` " +
		"lists them (flat = samples in the function itself, inlined callees counted as themselves; cum = " +
		"including callees). The profiles are in `profiles/` (`go tool pprof -top results/profiles/FILE.pprof`).\n\n")
	for i, m := range r.Merged {
		if m == nil {
			continue
		}
		p("## All cases merged: %s (top 15)\n\n| function | flat | cum |\n|---|---:|---:|\n", EngineNames[i])
		for _, h := range m.Top {
			p("| `%s` | %.1f%% | %.1f%% |\n", h.Name, h.FlatPct, h.CumPct)
		}
		p("\n")
	}
	p("## Per case\n\n| case | ratio | engine | #1 | #2 | #3 |\n|---|---:|---|---|---|---|\n")
	for _, c := range r.Cases {
		if c.Velarium == nil {
			continue
		}
		for i, s := range []*SideResult{c.Velarium, c.Geth} {
			if s.Profile == nil {
				continue
			}
			cells := make([]string, 3)
			for k := range cells {
				cells[k] = "—"
				if k < len(s.Profile.Top) {
					h := s.Profile.Top[k]
					cells[k] = fmt.Sprintf("`%s` %.0f%% (cum %.0f%%)", shortFunc(h.Name), h.FlatPct, h.CumPct)
				}
			}
			name := c.ID()
			if i == Geth {
				name = ""
			}
			p("| %s | %s | %s | %s | %s | %s |\n", name, map[bool]string{true: fmtRatio(c.Ratio), false: ""}[i == Velarium], EngineNames[i], cells[0], cells[1], cells[2])
		}
	}
}

// shortFunc drops the module path prefix of a function name.
func shortFunc(name string) string {
	for _, pre := range []string{"github.com/velarium/velarium/", "github.com/ethereum/go-ethereum/", "github.com/holiman/"} {
		name = strings.TrimPrefix(name, pre)
	}
	return name
}

// ---- HTML ----

type chartData struct {
	Labels  []string  `json:"labels"`
	Ratios  []float64 `json:"ratios"`
	RatiosF []float64 `json:"ratiosFresh"`
	VMgas   []float64 `json:"vMgas"`
	GMgas   []float64 `json:"gMgas"`
	Suites  []string  `json:"suites"`
	BLabels []string  `json:"bLabels"`
	BV      []float64 `json:"bV"`
	BG      []float64 `json:"bG"`
	BRatio  []float64 `json:"bRatio"`
	BVe2e   []float64 `json:"bVe2e"`
	BGe2e   []float64 `json:"bGe2e"`
	// Par holds the parallel charts' data (nil without the parallel suites).
	Par *parallelChart `json:"par,omitempty"`
}

// WriteHTML writes a self-contained page (Chart.js inlined) with charts
// of the ratio per case and Mgas/s per block, and the markdown tables.
func (r *Report) WriteHTML(path string, mdTables string) error {
	var d chartData
	for _, c := range r.Cases {
		if c.Velarium == nil {
			continue
		}
		d.Labels = append(d.Labels, c.ID())
		d.Ratios = append(d.Ratios, round3(c.Ratio))
		d.RatiosF = append(d.RatiosF, round3(c.RatioFresh))
		d.VMgas = append(d.VMgas, round3(c.Velarium.MgasPerSec))
		d.GMgas = append(d.GMgas, round3(c.Geth.MgasPerSec))
		d.Suites = append(d.Suites, c.Suite)
	}
	if b := r.Blocks; b != nil {
		for _, x := range b.Blocks {
			if x.Exec[0] == nil || x.GasUsed == 0 {
				continue
			}
			d.BLabels = append(d.BLabels, fmt.Sprintf("%d %s", x.Number, x.Fork))
			d.BV = append(d.BV, round3(x.Exec[0].MgasPerSec))
			d.BG = append(d.BG, round3(x.Exec[1].MgasPerSec))
			d.BRatio = append(d.BRatio, round3(x.Ratio))
			d.BVe2e = append(d.BVe2e, round3(x.E2E[0].MgasPerSec))
			d.BGe2e = append(d.BGe2e, round3(x.E2E[1].MgasPerSec))
		}
	}
	d.Par = r.parallelChartData()
	hasPar, hasDemo, parH := false, false, 300
	if d.Par != nil {
		hasPar, hasDemo = len(d.Par.Labels) > 0, len(d.Par.DNames) > 0
		parH = max(300, 6*(2+len(d.Par.SimCores))*len(d.Par.Labels)+120)
	}
	data, err := json.Marshal(d)
	if err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return htmlTmpl.Execute(f, map[string]any{
		"ChartJS":   template.JS(chartJS),
		"Data":      template.JS(data),
		"Env":       r.Env,
		"Summary":   template.HTML(mdToHTML(mdTables)),
		"CaseH":     max(300, 16*len(d.Labels)+100),
		"BlockH":    max(300, 9*len(d.BLabels)+80),
		"HasCases":  len(d.Labels) > 0,
		"HasBlocks": len(d.BLabels) > 0,
		"HasPar":    hasPar,
		"HasDemo":   hasDemo,
		"ParH":      parH,
	})
}

func round3(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return 0
	}
	return math.Round(x*1000) / 1000
}

// mdToHTML converts the simple markdown this package writes (headings,
// paragraphs, pipe tables, **bold**, `code`) to HTML.
func mdToHTML(md string) string {
	var b strings.Builder
	esc := func(s string) string {
		s = template.HTMLEscapeString(s)
		s = inline(s, "**", "<b>", "</b>")
		s = inline(s, "`", "<code>", "</code>")
		return s
	}
	lines := strings.Split(md, "\n")
	inTable := false
	for i := 0; i < len(lines); i++ {
		ln := lines[i]
		switch {
		case strings.HasPrefix(ln, "|"):
			cells := splitRow(ln)
			if !inTable {
				b.WriteString("<table><thead><tr>")
				for _, c := range cells {
					b.WriteString("<th>" + esc(c) + "</th>")
				}
				b.WriteString("</tr></thead><tbody>\n")
				inTable = true
				if i+1 < len(lines) && strings.HasPrefix(lines[i+1], "|---") || i+1 < len(lines) && strings.HasPrefix(lines[i+1], "|--") {
					i++
				}
				continue
			}
			b.WriteString("<tr>")
			for _, c := range cells {
				b.WriteString("<td>" + esc(c) + "</td>")
			}
			b.WriteString("</tr>\n")
			continue
		default:
			if inTable {
				b.WriteString("</tbody></table>\n")
				inTable = false
			}
		}
		switch {
		case strings.HasPrefix(ln, "### "):
			b.WriteString("<h3>" + esc(ln[4:]) + "</h3>\n")
		case strings.HasPrefix(ln, "## "):
			b.WriteString("<h2>" + esc(ln[3:]) + "</h2>\n")
		case strings.HasPrefix(ln, "# "):
			b.WriteString("<h1>" + esc(ln[2:]) + "</h1>\n")
		case strings.TrimSpace(ln) == "":
		default:
			b.WriteString("<p>" + esc(strings.TrimSuffix(ln, "  ")) + "</p>\n")
		}
	}
	if inTable {
		b.WriteString("</tbody></table>\n")
	}
	return b.String()
}

func splitRow(ln string) []string {
	ln = strings.TrimSpace(ln)
	ln = strings.TrimPrefix(ln, "|")
	ln = strings.TrimSuffix(ln, "|")
	var cells []string
	var cur strings.Builder
	for i := 0; i < len(ln); i++ {
		if ln[i] == '\\' && i+1 < len(ln) && ln[i+1] == '|' {
			cur.WriteByte('|')
			i++
			continue
		}
		if ln[i] == '|' {
			cells = append(cells, strings.TrimSpace(cur.String()))
			cur.Reset()
			continue
		}
		cur.WriteByte(ln[i])
	}
	return append(cells, strings.TrimSpace(cur.String()))
}

func inline(s, delim, open, close string) string {
	var b strings.Builder
	on := false
	for {
		i := strings.Index(s, delim)
		if i < 0 {
			b.WriteString(s)
			break
		}
		b.WriteString(s[:i])
		if on {
			b.WriteString(close)
		} else {
			b.WriteString(open)
		}
		on = !on
		s = s[i+len(delim):]
	}
	if on {
		b.WriteString(close)
	}
	return b.String()
}

var htmlTmpl = template.Must(template.New("report").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Velarium vs go-ethereum benchmarks</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px;color:#222;max-width:1400px}
h1{font-size:22px} h2{font-size:18px;margin-top:28px} h3{font-size:15px}
table{border-collapse:collapse;font-size:12px;margin:8px 0 16px}
th,td{border:1px solid #ccc;padding:3px 6px;text-align:right}
th:first-child,td:first-child{text-align:left}
th{background:#f3f3f3} code{font-size:11px}
.chart{position:relative;width:100%;margin-bottom:24px}
.note{color:#555;font-size:13px}
.grid{display:grid;grid-template-columns:1fr 1fr;gap:24px}
.grid h2{font-size:15px;margin-top:8px}
</style>
<script>{{.ChartJS}}</script>
</head><body>
<h1>Velarium vs go-ethereum</h1>
<p class="note">{{.Env.Date}} · {{.Env.CPU}} · {{.Env.NumCPU}} CPUs · {{.Env.GoVersion}} · go-ethereum {{.Env.Geth}} · Velarium {{.Env.Commit}} · load {{.Env.LoadStart}} → {{.Env.LoadEnd}}.
Shared 2-core machine: treat differences under ~10% as noise.</p>
<div class="grid">
{{if .HasCases}}<div><h2>Velarium / geth throughput, per single-transaction case</h2>
<p class="note">Right of the dashed 1× line: Velarium faster; red dashed line: the 2× target. Log scale.</p>
<div class="chart" style="height:{{.CaseH}}px"><canvas id="ratios"></canvas></div></div>{{end}}
{{if .HasBlocks}}<div><h2>Mgas/s per mainnet block (serial, execution alone)</h2>
<p class="note">Median over interleaved rounds; blocks in number order (fork in the label).</p>
<div class="chart" style="height:{{.BlockH}}px"><canvas id="blocks"></canvas></div>
<h2>Velarium / geth per mainnet block</h2>
<p class="note">Execution alone; red dashed line: the 1.5× target.</p>
<div class="chart" style="height:{{.BlockH}}px"><canvas id="bratios"></canvas></div></div>{{end}}
{{if .HasPar}}<div><h2>Parallel speedup over Velarium serial, per mainnet block</h2>
<p class="note">Simulated cores (model time, deterministic) and pevm's published 8-thread speedup for the same block
(revm on an i9-12900K; blank where its table does not list the block), with the real workers measured on this
shared 2-core machine (noisy). Fallbacks left blank.</p>
<div class="chart" style="height:{{.ParH}}px"><canvas id="pblocks"></canvas></div></div>{{end}}
{{if .HasDemo}}<div><h2>Demo workloads: speedup against cores</h2>
<p class="note">Lines: simulated cores; dots at 2: the real workers on this shared 2-core machine; dashed: ideal (speedup = cores). Log-log.</p>
<div class="chart" style="height:420px"><canvas id="pdemo"></canvas></div></div>{{end}}
</div>
<hr>
{{.Summary}}
<script>
const D = {{.Data}};
Chart.defaults.animation = false;
Chart.defaults.font.size = 10;
const refLines = {
  id: 'refLines',
  afterDatasetsDraw(chart, args, opts) {
    const x = chart.scales.x; if (!x) return;
    const ctx = chart.ctx; ctx.save();
    for (const v of (opts.values || [])) {
      const px = x.getPixelForValue(v);
      if (px < x.left || px > x.right) continue;
      ctx.strokeStyle = v === 1 ? '#444' : '#c00'; ctx.setLineDash([5, 4]); ctx.lineWidth = 1.5;
      ctx.beginPath(); ctx.moveTo(px, chart.chartArea.top); ctx.lineTo(px, chart.chartArea.bottom); ctx.stroke();
    }
    ctx.restore();
  }
};
const nice = [0.1, 0.2, 0.3, 0.5, 0.7, 1, 1.5, 2, 3, 5, 7, 10, 20, 50];
const logTicks = { callback: v => nice.includes(Number(Number(v).toPrecision(2))) ? Number(v).toString() + '×' : '' };
if (D.labels && D.labels.length && document.getElementById('ratios')) new Chart(document.getElementById('ratios'), {
  type: 'bar', plugins: [refLines],
  data: { labels: D.labels, datasets: [
    { label: 'vs geth (warm StateDB)', data: D.ratios, backgroundColor: '#1565c0' },
    { label: 'vs geth-fresh (new StateDB per tx)', data: D.ratiosFresh, backgroundColor: '#9e9e9e' } ] },
  options: { indexAxis: 'y', maintainAspectRatio: false,
    scales: { x: { type: 'logarithmic', suggestedMin: 0.2, suggestedMax: 3, ticks: logTicks, title: { display: true, text: 'ratio (log scale)' } }, y: { ticks: { autoSkip: false } } },
    plugins: { legend: { display: true, position: 'top' }, refLines: { values: [1, 2] },
      tooltip: { callbacks: { afterLabel: c => 'Velarium ' + D.vMgas[c.dataIndex] + ' Mgas/s, geth ' + D.gMgas[c.dataIndex] + ' Mgas/s' } } } }
});
if (D.bLabels && D.bLabels.length && document.getElementById('blocks')) {
  new Chart(document.getElementById('blocks'), {
    type: 'bar',
    data: { labels: D.bLabels, datasets: [
      { label: 'Velarium', data: D.bV, backgroundColor: '#1565c0' },
      { label: 'go-ethereum', data: D.bG, backgroundColor: '#ef6c00' } ] },
    options: { indexAxis: 'y', maintainAspectRatio: false,
      scales: { x: { title: { display: true, text: 'Mgas/s' } }, y: { ticks: { autoSkip: false } } } }
  });
  new Chart(document.getElementById('bratios'), {
    type: 'bar', plugins: [refLines],
    data: { labels: D.bLabels, datasets: [{ label: 'Velarium / geth (exec)', data: D.bRatio, backgroundColor: D.bRatio.map(r => r >= 1.5 ? '#2e7d32' : (r >= 1 ? '#81c784' : '#e57373')) }] },
    options: { indexAxis: 'y', maintainAspectRatio: false,
      scales: { x: { type: 'logarithmic', suggestedMin: 0.3, suggestedMax: 3, ticks: logTicks, title: { display: true, text: 'ratio (log scale)' } }, y: { ticks: { autoSkip: false } } },
      plugins: { legend: { display: false }, refLines: { values: [1, 1.5] } } }
  });
}
const P = D.par;
if (P && P.labels && P.labels.length && document.getElementById('pblocks')) {
  const cols = ['#1565c0', '#64b5f6'];
  const ds = P.simCores.map((c, i) => ({ label: 'Velarium, simulated ' + c + ' cores', data: P.sim[i], backgroundColor: cols[i % 2] }));
  ds.push({ label: 'pevm, 8 threads (published)', data: P.pevm8, backgroundColor: '#ef6c00' });
  ds.push({ label: 'Velarium, ' + P.workers + ' real workers (this machine)', data: P.real, backgroundColor: '#9e9e9e' });
  new Chart(document.getElementById('pblocks'), {
    type: 'bar', plugins: [refLines],
    data: { labels: P.labels, datasets: ds },
    options: { indexAxis: 'y', maintainAspectRatio: false,
      scales: { x: { beginAtZero: true, title: { display: true, text: 'speedup over serial' } }, y: { ticks: { autoSkip: false } } },
      plugins: { legend: { display: true, position: 'top' }, refLines: { values: [1] } } }
  });
}
if (P && P.dNames && P.dNames.length && document.getElementById('pdemo')) {
  const cols = ['#1565c0', '#c62828', '#2e7d32', '#ef6c00', '#6a1b9a', '#00838f'];
  const maxC = Math.max(...P.dCores);
  const pow2 = [0.5, 1, 2, 4, 8, 16, 32, 64, 128, 256];
  const ds = P.dNames.map((n, i) => ({ type: 'line', label: n + ' (simulated)', borderColor: cols[i % cols.length], backgroundColor: cols[i % cols.length],
    data: P.dCores.map((c, k) => ({ x: c, y: P.dSim[i][k] })).filter(p => p.y !== null), tension: 0 }));
  P.dNames.forEach((n, i) => ds.push({ type: 'scatter', label: n + ' (' + P.dWorkers + ' real workers)', data: [{ x: P.dWorkers, y: P.dReal[i] }],
    borderColor: cols[i % cols.length], backgroundColor: cols[i % cols.length], pointStyle: 'rectRot', pointRadius: 6 }));
  ds.push({ type: 'line', label: 'ideal', data: [{ x: 1, y: 1 }, { x: maxC, y: maxC }], borderColor: '#888', borderDash: [5, 4], pointRadius: 0, borderWidth: 1 });
  new Chart(document.getElementById('pdemo'), {
    type: 'line', data: { datasets: ds },
    options: { maintainAspectRatio: false, parsing: true,
      scales: { x: { type: 'logarithmic', min: 1, max: maxC, title: { display: true, text: 'cores / workers (log)' },
                     afterBuildTicks: ax => { ax.ticks = pow2.filter(v => v >= 1 && v <= maxC).map(v => ({ value: v })); },
                     ticks: { callback: v => String(v) } },
                y: { type: 'logarithmic', min: 0.5, max: maxC, title: { display: true, text: 'speedup over serial (log)' },
                     afterBuildTicks: ax => { ax.ticks = pow2.filter(v => v <= maxC).map(v => ({ value: v })); },
                     ticks: { callback: v => String(v) + '×' } } },
      plugins: { legend: { display: true, position: 'top', labels: { boxWidth: 12 } } } }
  });
}
</script>
</body></html>
`))

// WriteAll writes results.md, profiles.md, results.json and
// results.html into dir and returns the markdown.
func (r *Report) WriteAll(dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	var md strings.Builder
	r.Markdown(&md)
	if err := os.WriteFile(filepath.Join(dir, "results.md"), []byte(md.String()), 0o644); err != nil {
		return "", err
	}
	if len(r.Cases) > 0 {
		var pm strings.Builder
		r.ProfilesMarkdown(&pm)
		if err := os.WriteFile(filepath.Join(dir, "profiles.md"), []byte(pm.String()), 0o644); err != nil {
			return "", err
		}
	}
	if err := r.WriteJSON(filepath.Join(dir, "results.json")); err != nil {
		return "", err
	}
	if err := r.WriteHTML(filepath.Join(dir, "results.html"), md.String()); err != nil {
		return "", err
	}
	return md.String(), nil
}
