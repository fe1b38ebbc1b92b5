// Package pool runs per-file work on a few goroutines and reports where a
// recovered panic happened.
package pool

import (
	"os"
	"sort"
	"strings"
	"sync"
)

// LargestFirst calls run(i) for every path on workers goroutines, handing
// out the largest files first so that the slowest is not started last.
// done, when set, is called after run(i), one call at a time.
func LargestFirst(paths []string, workers int, run func(i int), done func(i int)) {
	workers = max(workers, 1)
	order := make([]int, len(paths))
	size := make([]int64, len(paths))
	for i, p := range paths {
		order[i] = i
		if fi, err := os.Stat(p); err == nil {
			size[i] = fi.Size()
		}
	}
	sort.SliceStable(order, func(a, b int) bool { return size[order[a]] > size[order[b]] })
	jobs := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				run(i)
				if done != nil {
					mu.Lock()
					done(i)
					mu.Unlock()
				}
			}
		}()
	}
	for _, i := range order {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
}

// PanicSite returns "function file:line" of the frame that panicked in a
// debug.Stack() taken inside a deferred recover, skipping runtime frames;
// "" when it cannot tell.
func PanicSite(stack string) string {
	lines := strings.Split(stack, "\n")
	i := 0
	for i < len(lines) && !strings.HasPrefix(lines[i], "panic(") {
		i++
	}
	for i += 2; i+1 < len(lines); i += 2 {
		fn := strings.TrimSpace(lines[i])
		if strings.HasPrefix(fn, "runtime.") || strings.HasPrefix(fn, "panic(") {
			continue
		}
		if fn == "" {
			return ""
		}
		if j := strings.LastIndexByte(fn, '('); j > 0 {
			fn = fn[:j]
		}
		loc := strings.TrimSpace(lines[i+1])
		if j := strings.LastIndex(loc, " +0x"); j > 0 {
			loc = loc[:j]
		}
		return fn + " " + loc
	}
	return ""
}
