package run_test

import (
	"testing"
	"time"

	"github.com/velarium/velarium/chain"
	"github.com/velarium/velarium/replay"
	"github.com/velarium/velarium/run"
)

// BenchmarkMainnetBlocks executes the mainnet blocks with transactions
// (chain.ExecuteBlock) three ways, interleaved block by block in an
// order that rotates (the machine's speed drifts, so sub-benchmarks run
// one after another would compare different machines): serially; on 2
// workers with the block diff returned and applied (run.Executor); and
// on 2 workers with the diff layered onto the block's overlay
// (run.BlockOptions: run.ExecutorOnto). One op is every block once each
// way; the metrics are each way's milliseconds per op and the speedups.
//
//	go test ./run -run '^$' -bench MainnetBlocks -benchtime 10x -count 3
func BenchmarkMainnetBlocks(b *testing.B) {
	var blocks []*replay.PevmBlock
	for _, pb := range mainnetBlocks(b) {
		if len(pb.Block.Txs) > 0 {
			blocks = append(blocks, pb)
		}
	}
	opt := run.DefaultOptions(2)
	ways := []chain.BlockOptions{
		{},
		{Executor: run.Executor(opt, nil), Workers: 2},
		run.BlockOptions(opt, nil),
	}
	var spent [3]time.Duration
	turn := 0
	for b.Loop() {
		for _, pb := range blocks {
			turn++
			for k := range ways {
				i := (k + turn) % len(ways)
				t0 := time.Now()
				res, err := chain.ExecuteBlock(chain.Mainnet, pb.Block, pb.Pre, ways[i])
				spent[i] += time.Since(t0)
				if err != nil {
					b.Fatalf("block %d: %v", pb.Number, err)
				}
				if res.GasUsed != pb.GasUsed {
					b.Fatalf("block %d, way %d: gas used %d, header %d", pb.Number, i, res.GasUsed, pb.GasUsed)
				}
			}
		}
	}
	ms := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e6 / float64(b.N) }
	b.ReportMetric(ms(spent[0]), "serial-ms/op")
	b.ReportMetric(ms(spent[1]), "2w-diff-ms/op")
	b.ReportMetric(ms(spent[2]), "2w-onto-ms/op")
	b.ReportMetric(float64(spent[0])/float64(spent[1]), "speedup-diff")
	b.ReportMetric(float64(spent[0])/float64(spent[2]), "speedup-onto")
}
