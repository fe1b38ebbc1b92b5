package replay

import (
	"testing"
	"time"
)

func TestScratchSlow(t *testing.T) {
	pb, err := LoadPevmBlock("/work/shared/fixtures/mainnet/pevm/blocks/19932703")
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		s := time.Now()
		r := RunPevm(pb)
		t.Logf("%v %s", time.Since(s), r.Summary())
	}
}
