package bench

import (
	"path/filepath"
	"testing"

	"github.com/velarium/velarium/replay"
)

func BenchmarkTmpBlock15537394(b *testing.B) {
	root := fixtures(b)
	l := replay.NewLoader()
	blk, err := PrepareBlock(l, filepath.Join(root, "mainnet", "pevm", "blocks", "15537394"), b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer blk.Close()
	b.Run("velarium", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			blk.VelaExec()
		}
	})
	b.Run("geth", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			blk.GethExec()
		}
	})
}
