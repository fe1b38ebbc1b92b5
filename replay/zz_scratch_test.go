package replay

import (
	"testing"
	"time"
)

func TestScratchPevm(t *testing.T) {
	dirs, err := BlockDirs("/work/shared/fixtures/mainnet/pevm")
	if err != nil {
		t.Fatal(err)
	}
	l := NewLoader()
	var tot time.Duration
	for _, d := range dirs {
		pb, err := l.Load(d)
		if err != nil {
			t.Errorf("load: %v", err)
			continue
		}
		r := RunPevm(pb)
		tot += time.Duration(r.ExecSeconds * 1e9)
		t.Logf("%d %s %d txs %.3fms load %.3fms %s", r.Number, r.Fork, r.Txs, r.ExecSeconds*1e3, r.LoadSeconds*1e3, r.Summary())
	}
	t.Logf("exec total %v shared %v", tot, l.SetupTime())
}
