package statetest

import (
	"github.com/velarium/velarium/internal/fixtures"

	"fmt"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"
)

// TestFixtures runs every post entry of every state test under
// <fixtures>/statetests and fails for each failure not listed in
// known-failures.txt.
func TestFixtures(t *testing.T) { runFixtures(t, nil) }

func runFixtures(t *testing.T, opts *Options) {
	root := fixtures.Require(t, "statetests")
	files, err := fixtures.JSONFiles(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no state test files under %s", root)
	}
	known := DefaultKnownFailures()

	start := time.Now()
	workers := runtime.NumCPU()
	results := RunFiles(files, workers, opts, nil)

	var (
		passed, skipped, knownFail int
		unexpected, nowPassing     []*Result
		loadErrors                 []error
		groups                     = map[string]int{}
		example                    = map[string]*Result{}
	)
	for i := range results {
		fr := &results[i]
		if fr.Err != nil {
			loadErrors = append(loadErrors, fr.Err)
			continue
		}
		for j := range fr.Results {
			r := &fr.Results[j]
			reason, isKnown := known.Lookup(r.File, r.Test, r.Fork, r.Index)
			switch {
			case r.Skipped:
				skipped++
			case r.Pass:
				passed++
				if isKnown {
					nowPassing = append(nowPassing, r)
				}
			case isKnown:
				knownFail++
				r.Known = reason
			default:
				unexpected = append(unexpected, r)
				g := errorGroup(r.Error)
				groups[g]++
				if example[g] == nil {
					example[g] = r
				}
			}
		}
	}

	rel := func(r *Result) string {
		if p, err := filepath.Rel(root, r.File); err == nil {
			return fmt.Sprintf("%s %s %s %d", filepath.ToSlash(p), r.Test, r.Fork, r.Index)
		}
		return r.ID()
	}
	for _, err := range loadErrors {
		t.Errorf("cannot load: %v", err)
	}
	for _, r := range nowPassing {
		t.Logf("known failure now passes (remove it from known-failures.txt): %s", rel(r))
	}
	if len(unexpected) > 0 {
		// Group by cause first: one bug often fails thousands of entries.
		keys := make([]string, 0, len(groups))
		for g := range groups {
			keys = append(keys, g)
		}
		sort.Slice(keys, func(i, j int) bool {
			if groups[keys[i]] != groups[keys[j]] {
				return groups[keys[i]] > groups[keys[j]]
			}
			return keys[i] < keys[j]
		})
		var b strings.Builder
		fmt.Fprintf(&b, "%d unexpected failures, by cause:\n", len(unexpected))
		for i, g := range keys {
			if i == 15 {
				fmt.Fprintf(&b, "  ... and %d more causes\n", len(keys)-i)
				break
			}
			fmt.Fprintf(&b, "  %6d  %s  (e.g. %s)\n", groups[g], g, rel(example[g]))
		}
		t.Error(b.String())
		if s := example[keys[0]].Stack; s != "" {
			t.Logf("stack of the first panic of the largest group:\n%s", s)
		}
		const maxListed = 50
		for i, r := range unexpected {
			if i == maxListed {
				t.Errorf("... and %d more failures", len(unexpected)-maxListed)
				break
			}
			t.Errorf("FAIL %s: %s (root want %x got %x, logs want %x got %x)",
				rel(r), r.Error, r.ExpectedRoot, r.ActualRoot, r.ExpectedLogs, r.ActualLogs)
		}
	}
	summary := fmt.Sprintf("%d passed, %d failed, %d known", passed, len(unexpected), knownFail)
	if skipped > 0 {
		summary += fmt.Sprintf(", %d skipped", skipped)
	}
	t.Logf("%s (%d files, %d workers, %s)", summary, len(files), workers, time.Since(start).Round(time.Millisecond))
}

// errorGroup reduces an error message to its cause, dropping details that
// differ per entry (hex values, the panic site's line offsets).
func errorGroup(msg string) string {
	if len(msg) > 160 {
		msg = msg[:160]
	}
	var b strings.Builder
	for _, w := range strings.Fields(msg) {
		if strings.HasPrefix(w, "0x") && len(w) > 6 {
			w = "0x…"
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(w)
	}
	return b.String()
}
