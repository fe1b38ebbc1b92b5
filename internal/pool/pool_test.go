package pool

import (
	"errors"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"testing"
)

func TestPanicSite(t *testing.T) {
	var site string
	func() {
		defer func() {
			if x := recover(); x != nil {
				site = PanicSite(string(debug.Stack()))
			}
		}()
		panicHere()
	}()
	if !strings.Contains(site, "panicHere") || !strings.Contains(site, "pool_test.go:") {
		t.Fatalf("panic site %q", site)
	}
	if PanicSite("no panic here") != "" {
		t.Fatal("a stack without a panic gave a site")
	}
}

func panicHere() { panic(errors.New("boom")) }

// TestLargestFirst: every index runs exactly once and done follows each.
func TestLargestFirst(t *testing.T) {
	paths := []string{"pool.go", "pool_test.go", "missing", "pool.go"}
	runs := make([]atomic.Int32, len(paths))
	dones := 0
	LargestFirst(paths, 3, func(i int) { runs[i].Add(1) }, func(i int) {
		if runs[i].Load() != 1 {
			t.Errorf("done(%d) before its run", i)
		}
		dones++
	})
	for i := range runs {
		if runs[i].Load() != 1 {
			t.Errorf("path %d ran %d times", i, runs[i].Load())
		}
	}
	if dones != len(paths) {
		t.Errorf("done called %d times, want %d", dones, len(paths))
	}
}
