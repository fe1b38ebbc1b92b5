package bench

import (
	"fmt"
	"os"
	"runtime/pprof"
	"sort"
	"time"

	"github.com/google/pprof/profile"
)

// HotFunc is one line of `pprof -top`: a function's own (flat) CPU time
// and its time including callees (cum), as shares of the profile.
type HotFunc struct {
	Name    string  `json:"name"`
	FlatPct float64 `json:"flatPct"`
	CumPct  float64 `json:"cumPct"`
}

// ProfileSummary is the top of one CPU profile.
type ProfileSummary struct {
	File    string    `json:"file"`
	Seconds float64   `json:"seconds"` // CPU time sampled
	Calls   int       `json:"calls"`
	Top     []HotFunc `json:"top"`
}

// ProfileRun writes a CPU profile of fn, called repeatedly for at least
// d (and at least once), to path and returns its topN functions by flat
// time.
func ProfileRun(fn func() error, d time.Duration, path string, topN int) (*ProfileSummary, *profile.Profile, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, nil, err
	}
	calls := 0
	start := time.Now()
	var runErr error
	for calls == 0 || time.Since(start) < d {
		if runErr = fn(); runErr != nil {
			break
		}
		calls++
	}
	pprof.StopCPUProfile()
	if err := f.Close(); err != nil {
		return nil, nil, err
	}
	if runErr != nil {
		return nil, nil, runErr
	}
	p, err := readProfile(path)
	if err != nil {
		return nil, nil, err
	}
	s := Summarize(p, topN)
	s.File, s.Calls = path, calls
	return s, p, nil
}

func readProfile(path string) (*profile.Profile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return profile.Parse(f)
}

// Summarize returns the topN functions of p by flat CPU time, as
// `go tool pprof -top` ranks them (inlined functions count as
// themselves).
func Summarize(p *profile.Profile, topN int) *ProfileSummary {
	vi := len(p.SampleType) - 1 // cpu nanoseconds
	for i, st := range p.SampleType {
		if st.Type == "cpu" {
			vi = i
		}
	}
	flat := map[string]int64{}
	cum := map[string]int64{}
	var total int64
	for _, s := range p.Sample {
		v := s.Value[vi]
		total += v
		seen := map[string]bool{}
		for li, loc := range s.Location {
			for k, ln := range loc.Line {
				name := "?"
				if ln.Function != nil {
					name = ln.Function.Name
				}
				if li == 0 && k == 0 {
					flat[name] += v
				}
				if !seen[name] {
					seen[name] = true
					cum[name] += v
				}
			}
		}
	}
	names := make([]string, 0, len(flat))
	for n := range flat {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		if flat[names[i]] != flat[names[j]] {
			return flat[names[i]] > flat[names[j]]
		}
		return names[i] < names[j]
	})
	s := &ProfileSummary{Seconds: float64(total) / 1e9}
	for _, n := range names[:min(topN, len(names))] {
		s.Top = append(s.Top, HotFunc{Name: n, FlatPct: pct(flat[n], total), CumPct: pct(cum[n], total)})
	}
	return s
}

func pct(v, total int64) float64 {
	if total == 0 {
		return 0
	}
	return 100 * float64(v) / float64(total)
}

// MergeProfiles merges profiles (all from this process) for an overall
// summary; nil when there are none or they do not merge.
func MergeProfiles(ps []*profile.Profile) (*profile.Profile, error) {
	if len(ps) == 0 {
		return nil, fmt.Errorf("no profiles")
	}
	return profile.Merge(ps)
}
