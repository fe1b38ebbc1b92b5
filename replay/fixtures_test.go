package replay

import (
	"github.com/velarium/velarium/internal/fixtures"

	"runtime"
	"sort"
	"sync"
	"testing"
	"time"
)

// TestPevmFixtures loads and executes every block under
// <fixtures>/mainnet/pevm (blocks in parallel) and fails for each block
// that does not load or does not match its header.
func TestPevmFixtures(t *testing.T) {
	dirs, err := BlockDirs(fixtures.Require(t, "mainnet", "pevm"))
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) == 0 {
		t.Fatal("no block folders")
	}
	start := time.Now()
	loader := NewLoader()
	results := make([]*PevmResult, len(dirs))
	errs := make([]error, len(dirs))
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range runtime.NumCPU() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				pb, err := loader.Load(dirs[i])
				if err != nil {
					errs[i] = err
					continue
				}
				results[i] = RunPevm(pb)
			}
		}()
	}
	for i := range dirs {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	passed, txs := 0, 0
	var gas uint64
	for i, r := range results {
		switch {
		case errs[i] != nil:
			t.Errorf("cannot load %v", errs[i])
		case !r.Pass:
			t.Errorf("block %d (%s): %s", r.Number, r.Fork, r.Summary())
		default:
			passed++
			txs += r.Txs
			gas += r.GasUsed
		}
	}
	t.Logf("%d of %d blocks passed (%d txs, %.1f Mgas) in %v", passed, len(dirs), txs, float64(gas)/1e6, time.Since(start).Round(time.Millisecond))
}

// TestBlockTestFixtures runs every blockchain test under
// <fixtures>/blocktests and fails for each failure not listed in
// known-failures.txt (and for listed tests that now pass).
func TestBlockTestFixtures(t *testing.T) {
	files, err := fixtures.JSONFiles(fixtures.Require(t, "blocktests"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no .json files")
	}
	known := DefaultKnownFailures()
	start := time.Now()
	passed, failed, knownFailed, skipped := 0, 0, 0, 0
	var skippedNets []string
	for _, fr := range RunBlockTestFiles(files, runtime.NumCPU(), &BlockTestOptions{Known: known}, nil) {
		if fr.Err != nil {
			t.Errorf("cannot load %v", fr.Err)
			continue
		}
		for _, r := range fr.Results {
			_, listed := known.Lookup(r.Test)
			switch {
			case r.Skipped:
				skipped++
				skippedNets = append(skippedNets, r.Network)
			case r.Pass:
				passed++
				if listed {
					t.Errorf("%s %s passes but is listed in known-failures.txt: remove it", r.File, r.Test)
				}
			case r.Known != "":
				knownFailed++
			default:
				failed++
				t.Errorf("FAIL %s %s: %s", r.File, r.Test, r.Summary())
			}
		}
	}
	sort.Strings(skippedNets)
	if skipped > 0 {
		t.Logf("%d tests skipped (unknown networks %v)", skipped, skippedNets)
	}
	t.Logf("%d passed, %d failed, %d known failures, in %v", passed, failed, knownFailed, time.Since(start).Round(time.Millisecond))
}
