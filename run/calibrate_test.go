package run_test

import (
	"flag"
	"fmt"
	"math"
	"sort"
	"testing"
	"time"

	"github.com/velarium/velarium/chain"
	"github.com/velarium/velarium/run"
)

var calibrate = flag.Bool("calibrate", false, "TestCalibrateCostModel: fit the cost model to this machine's serial times of the mainnet blocks")

// TestCalibrateCostModel is the tool that fitted run.DefaultCostModel, not
// a check (it skips unless -calibrate is given):
//
//	go test ./run -run CalibrateCostModel -calibrate -v
//
// For each mainnet block with 10 or more transactions it measures serial
// execution (chain.ExecuteBlock, best of 7) and splits the default model's
// serial time into its terms: W (opcodes and state accesses), n (the
// transactions: TxSetup + Commit each), P (precompiles) and L (logged
// addresses and topics). The receipts root, which the simulator charges
// after the transactions (CostModel.RootPerByte), is timed apart
// (chain.ReceiptsRootN on one goroutine, best of 7) and its cost per byte
// printed; the rest of the measured time is fitted as measured = a·W +
// b·n + c·P + d·L by least squares of the relative error, and it prints
// the fit, the measured / model ratios under the default model and under
// the fit, and each block.
// a, c near 1, b near the model's own per-transaction charge and d near
// 0 (W holds the model's per-item charge of the LOG opcodes already; d is
// what remains) mean the default model fits this machine.
func TestCalibrateCostModel(t *testing.T) {
	if !*calibrate {
		t.Skip("a tool: run with -calibrate")
	}
	type row struct {
		num                 uint64
		n, w, p, l, o, meas float64
		root, bytes         float64 // the receipts root: measured, and the bytes it hashes
	}
	def := run.DefaultCostModel
	perTx := def.TxSetup + def.Commit
	var rows []row
	for _, pb := range mainnetBlocks(t) {
		if len(pb.Block.Txs) < 10 {
			continue
		}
		env := chain.Mainnet.Env(&pb.Block.Header)
		bare := *def
		bare.TxSetup, bare.Commit = 0, 0
		bare.Precompile, bare.PrecompileOther, bare.RootPerByte = [0x12]float64{}, 0, 0
		w, err := run.SerialModelTime(pb.Rules, env, pb.Block.Txs, pb.Pre, &bare)
		if err != nil {
			t.Fatal(err)
		}
		full, err := run.SerialModelTime(pb.Rules, env, pb.Block.Txs, pb.Pre, def)
		if err != nil {
			t.Fatal(err)
		}
		n := float64(len(pb.Block.Txs))
		res, _, err := run.Serial(pb.Rules, env, pb.Block.Txs, pb.Pre)
		if err != nil {
			t.Fatal(err)
		}
		var l float64
		for _, r := range res {
			for _, lg := range r.Logs {
				l += float64(1 + len(lg.Topics))
			}
		}
		best, root := math.Inf(1), math.Inf(1)
		for range 7 {
			start := time.Now()
			br, err := chain.ExecuteBlock(chain.Mainnet, pb.Block, pb.Pre, chain.BlockOptions{SkipSystem: true})
			if err != nil {
				t.Fatal(err)
			}
			best = min(best, float64(time.Since(start).Nanoseconds()))
			start = time.Now()
			chain.ReceiptsRootN(br.Receipts, 1)
			root = min(root, float64(time.Since(start).Nanoseconds()))
		}
		bytes := run.ReceiptBytes(res)
		rootModel := def.RootPerByte * bytes
		rows = append(rows, row{num: pb.Number, n: n, w: w, p: full - rootModel - w - n*perTx, l: l, o: full, meas: best - root, root: root, bytes: bytes})
	}
	// The receipts root, measured apart (the simulator charges it after
	// the transactions): its cost per byte.
	var rootSum, bytesSum float64
	for _, r := range rows {
		rootSum += r.root
		bytesSum += r.bytes
	}
	t.Logf("receipts root: %.3f ns per receipt byte (model %.3f), %.1f ms over %d blocks", rootSum/bytesSum, def.RootPerByte, rootSum/1e6, len(rows))
	// Normal equations of the relative error: sum over blocks of
	// (x·sol / meas - 1)^2.
	var a [4][4]float64
	var b [4]float64
	for _, r := range rows {
		x := [4]float64{r.w, r.n, r.p, r.l}
		for i := range x {
			for j := range x {
				a[i][j] += x[i] * x[j] / (r.meas * r.meas)
			}
			b[i] += x[i] / r.meas
		}
	}
	sol, ok := solve4(a, b)
	if !ok {
		t.Fatal("singular fit (a term is zero on every block)")
	}
	fit := func(r row) float64 { return sol[0]*r.w + sol[1]*r.n + sol[2]*r.p + sol[3]*r.l }
	quantiles := func(model func(r row) float64) string {
		var q []float64
		for _, r := range rows {
			q = append(q, r.meas/model(r))
		}
		sort.Float64s(q)
		return fmt.Sprintf("median %.2f, p10 %.2f, p90 %.2f, min %.2f, max %.2f", q[len(q)/2], q[len(q)/10], q[len(q)*9/10], q[0], q[len(q)-1])
	}
	t.Logf("fit over %d blocks: a = %.3f (opcodes, accesses), b = %.0f ns per transaction (model %.0f), c = %.3f (precompiles), d = %.0f ns per logged item",
		len(rows), sol[0], sol[1], perTx, sol[2], sol[3])
	t.Logf("measured / default model: %s", quantiles(func(r row) float64 { return r.o - def.RootPerByte*r.bytes }))
	t.Logf("measured / fit:           %s", quantiles(fit))
	for _, r := range rows {
		o := r.o - def.RootPerByte*r.bytes // the measured time leaves the root out too
		t.Logf("block %d: %4.0f txs, W %.0f, P %.0f, L %.0f: measured %.0f ns (root apart: %.0f), model %.0f (%.2f), fit %.2f", r.num, r.n, r.w, r.p, r.l, r.meas, r.root, o, r.meas/o, r.meas/fit(r))
	}
}

// solve4 solves a·x = b by Gauss-Jordan elimination with partial pivoting.
func solve4(a [4][4]float64, b [4]float64) ([4]float64, bool) {
	for i := range 4 {
		p := i
		for k := i + 1; k < 4; k++ {
			if math.Abs(a[k][i]) > math.Abs(a[p][i]) {
				p = k
			}
		}
		if a[p][i] == 0 {
			return b, false
		}
		a[i], a[p] = a[p], a[i]
		b[i], b[p] = b[p], b[i]
		for k := range 4 {
			if k == i {
				continue
			}
			f := a[k][i] / a[i][i]
			for j := i; j < 4; j++ {
				a[k][j] -= f * a[i][j]
			}
			b[k] -= f * b[i]
		}
	}
	for i := range 4 {
		b[i] /= a[i][i]
	}
	return b, true
}
