package bench

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/velarium/velarium/internal/fixtures"
	"github.com/velarium/velarium/replay"
)

var (
	casesOnce sync.Once
	allCases  []*Case
	casesErr  error
)

func loadAll(tb testing.TB) []*Case {
	root := fixtures.Require(tb)
	casesOnce.Do(func() {
		allCases, casesErr = LoadCases(root, []string{SuiteEVMBenchmarks, SuiteEvmoneLegacy, SuitePevmContracts})
	})
	if casesErr != nil {
		tb.Fatal(casesErr)
	}
	return allCases
}

func findCase(tb testing.TB, id string) *Case {
	for _, c := range loadAll(tb) {
		if c.ID() == id {
			return c
		}
	}
	tb.Fatalf("no case %s", id)
	return nil
}

// TestVerifyCases checks that both engines agree on every
// single-transaction case (gas, status, output, post-state root) and that
// the fixtures' expectations hold.
func TestVerifyCases(t *testing.T) {
	cs := loadAll(t)
	if len(cs) < 50 {
		t.Errorf("only %d cases loaded", len(cs))
	}
	for _, c := range cs {
		g, err := NewGethRunner(c)
		if err != nil {
			t.Errorf("%s: %v", c.ID(), err)
			continue
		}
		if _, err := Verify(c, NewVelaRunner(c), g); err != nil {
			t.Errorf("%s: %v", c.ID(), err)
		}
		g.Close()
	}
}

// TestVerifyBlocks checks a few mainnet blocks on both engines and both
// paths (all 50 with VELABENCH_ALL_BLOCKS=1; velabench checks all of them
// before timing).
func TestVerifyBlocks(t *testing.T) {
	root := fixtures.Require(t)
	dirs, err := replay.BlockDirs(filepath.Join(root, "mainnet", "pevm", "blocks"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"46147": true, "4370000": true, "13217637": true}
	l := replay.NewLoader()
	tmp := t.TempDir()
	for _, d := range dirs {
		if os.Getenv("VELABENCH_ALL_BLOCKS") != "1" && !want[filepath.Base(d)] {
			continue
		}
		b, err := PrepareBlock(l, d, tmp)
		if err != nil {
			t.Error(err)
			continue
		}
		if err := b.VerifyBlock(l); err != nil {
			t.Error(err)
		}
		b.Close()
	}
}

// TestParallelSuites runs the parallel suites briefly (three blocks, or all
// with VELABENCH_ALL_BLOCKS=1; demo workloads of 40 transactions): every
// real-parallel and simulated run must equal serial, and the report must
// render.
func TestParallelSuites(t *testing.T) {
	root := fixtures.Require(t)
	o := &ParallelOptions{Measure: MeasureOptions{Count: 1, Target: time.Millisecond}, DemoSize: 40}
	if os.Getenv("VELABENCH_ALL_BLOCKS") != "1" {
		o.Filter = regexp.MustCompile(`^(46147|5891667|19929064)$`)
	}
	pb, err := RunParallelBlocks(filepath.Join(root, "mainnet", "pevm", "blocks"), nil, o)
	if err != nil {
		t.Fatal(err)
	}
	if len(pb.Blocks) == 0 {
		t.Fatal("no blocks")
	}
	for _, b := range pb.Blocks {
		if b.Error != "" {
			t.Errorf("block %d: %s", b.Number, b.Error)
		} else if len(b.Sim) != len(BlockSimCores) {
			t.Errorf("block %d: %d simulated runs", b.Number, len(b.Sim))
		}
	}
	d := RunDemo(o)
	for _, w := range d.Workloads {
		if w.Error != "" {
			t.Errorf("demo %s: %s", w.Workload, w.Error)
		}
	}
	rep := &Report{Env: CurrentEnv("test"), Parallel: &ParallelResult{Blocks: pb, Demo: d}}
	md, err := rep.WriteAll(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md, "## Parallel execution") || !strings.Contains(md, "### Demo workloads") {
		t.Error("parallel sections missing from the markdown")
	}
}

func TestExpandHex(t *testing.T) {
	got, err := expandHex("60 (3x0a0b) 5b(2x00)")
	if err != nil {
		t.Fatal(err)
	}
	if want := "600a0b0a0b0a0b5b0000"; strings.TrimSpace(string(hexs(got))) != want {
		t.Fatalf("got %x, want %s", got, want)
	}
}

func hexs(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

// benchCase runs one case on each engine as sub-benchmarks "velarium",
// "geth" (warm StateDB) and "geth-fresh" (new StateDB per call), reporting
// Mgas/s. (Not interleaved: use velabench for ratios.)
func benchCase(b *testing.B, id string) {
	c := findCase(b, id)
	v := NewVelaRunner(c)
	g, err := NewGethRunner(c)
	if err != nil {
		b.Fatal(err)
	}
	defer g.Close()
	o, err := Verify(c, v, g)
	if err != nil {
		b.Fatal(err)
	}
	for _, e := range []struct {
		name string
		run  func() error
	}{
		{"velarium", func() error { _, err := v.Run(); return err }},
		{"geth", func() error { _, err := g.Run(); return err }},
		{"geth-fresh", func() error { _, err := g.RunFresh(); return err }},
	} {
		b.Run(e.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := e.run(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(o.GasUsed)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mgas/s")
		})
	}
}

func BenchmarkSnailtracer(b *testing.B) { benchCase(b, "evm-benchmarks/snailtracer/benchmark") }
func BenchmarkBlake2bShifts(b *testing.B) {
	benchCase(b, "evm-benchmarks/blake2b_shifts/8415nulls")
}
func BenchmarkSha1Divs(b *testing.B)     { benchCase(b, "evm-benchmarks/sha1_divs/5311") }
func BenchmarkWeierstrudel(b *testing.B) { benchCase(b, "evm-benchmarks/weierstrudel/15") }
func BenchmarkSwapMath(b *testing.B)     { benchCase(b, "evm-benchmarks/swap_math/spent") }
func BenchmarkERC20Transfer(b *testing.B) {
	benchCase(b, "pevm-contracts/erc20_transfer")
}
func BenchmarkWETHDeposit(b *testing.B)  { benchCase(b, "pevm-contracts/weth_deposit") }
func BenchmarkWETHWithdraw(b *testing.B) { benchCase(b, "pevm-contracts/weth_withdraw") }
func BenchmarkUniswapV3Swap(b *testing.B) {
	benchCase(b, "pevm-contracts/uniswap_v3_swap/sellToken0")
}

// BenchmarkBlock executes two mainnet blocks (execution alone) on each
// engine.
func BenchmarkBlock(b *testing.B) {
	root := fixtures.Require(b)
	l := replay.NewLoader()
	tmp := b.TempDir()
	for _, n := range []string{"4370000", "13217637"} {
		blk, err := PrepareBlock(l, filepath.Join(root, "mainnet", "pevm", "blocks", n), tmp)
		if err != nil {
			b.Fatal(err)
		}
		if err := blk.VerifyBlock(l); err != nil {
			b.Fatal(err)
		}
		for _, side := range []struct {
			name string
			fn   func() (*BlockOutcome, error)
		}{{"velarium", blk.VelaExec}, {"geth", blk.GethExec}} {
			b.Run(n+"/"+side.name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := side.fn(); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(blk.GasUsed)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mgas/s")
			})
		}
		blk.Close()
	}
}
