package replay

import (
	"testing"
	"time"
)

func TestScratchBT(t *testing.T) {
	files, err := JSONFiles("/work/shared/fixtures/blocktests")
	if err != nil {
		t.Fatal(err)
	}
	s := time.Now()
	pass, failn, skip := 0, 0, 0
	blocks, txs, gas := 0, 0, uint64(0)
	RunBlockTestFiles(files, 2, nil, func(fr *BlockTestFileResult) {
		if fr.Err != nil {
			t.Errorf("load %v", fr.Err)
			return
		}
		for _, r := range fr.Results {
			switch {
			case r.Skipped:
				skip++
			case r.Pass:
				pass++; blocks += r.Blocks; txs += r.Txs; gas += r.Gas
			default:
				failn++
				t.Logf("FAIL %s %s: %s", r.File, r.Test, r.Summary())
			}
		}
	})
	t.Logf("blocks %d txs %d gas %d", blocks, txs, gas)
	t.Logf("%d pass %d fail %d skip in %v", pass, failn, skip, time.Since(s))
}
