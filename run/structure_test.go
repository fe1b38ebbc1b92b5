package run

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/holiman/uint256"
	"github.com/velarium/velarium/chain"
	"github.com/velarium/velarium/evm"
	"github.com/velarium/velarium/fork"
	"github.com/velarium/velarium/mv"
	"github.com/velarium/velarium/state"
)

// TestSenderChainBound: the known-structure bound is total gas limit over
// the heaviest sender's gas limits; a payout block (one sender) is bound
// at 1x and runs serially under the default MinBound, distinct senders
// are not.
func TestSenderChainBound(t *testing.T) {
	mk := func(senders ...int) []*chain.Message {
		var txs []*chain.Message
		for _, s := range senders {
			txs = append(txs, &chain.Message{From: eoa(s), Gas: 21000})
		}
		return txs
	}
	cases := []struct {
		senders []int
		want    float64
		serial  bool
	}{
		{[]int{0, 0, 0, 0}, 1, true},
		{[]int{0, 1, 2, 3}, 4, false},
		{[]int{0, 0, 0, 1}, 4.0 / 3, true},
		{[]int{0, 0, 1, 1, 2, 2}, 3, false},
	}
	for _, c := range cases {
		st := blockStructure(mk(c.senders...), 8)
		if st.bound != c.want {
			t.Errorf("senders %v: bound %v, want %v", c.senders, st.bound, c.want)
		}
		if why := st.serialWhy(len(c.senders), DefaultMinBound); (why != "") != c.serial {
			t.Errorf("senders %v: serial %v, want %v", c.senders, !c.serial, c.serial)
		}
	}
	// Gas limits weigh: one heavy transaction of a sender among light ones.
	txs := mk(0, 1, 2)
	txs[0].Gas = 10 * 21000
	if st := blockStructure(txs, 8); st.heaviest != eoa(0) || st.share != 1 || st.bound != 12.0/10 {
		t.Errorf("heavy sender: bound %v, sender %v (%d txs)", st.bound, st.heaviest, st.share)
	}
	// Each transaction waits for its sender's previous one; the
	// transactions of senders that send more than once, the last one
	// included, predict their writes.
	st := blockStructure(mk(0, 1, 0, 2, 0), 8)
	if want := []int32{-1, -1, 0, -1, 2}; !slices.Equal(st.prev, want) {
		t.Errorf("prev %v, want %v", st.prev, want)
	}
	if want := []bool{true, false, true, false, false}; !slices.Equal(st.next, want) {
		t.Errorf("next %v, want %v", st.next, want)
	}
	for i, want := range []bool{true, false, true, false, true} {
		if st.predicts(i) != want {
			t.Errorf("transaction %d predicts %v, want %v", i, !want, want)
		}
	}
}

// TestBoostBounded: long transactions start first (boostLong), but at
// most cores-1 of them: a block whose long transactions (overstated gas
// limits) all write one hot slot must not spend a wave of conflicting
// runs before anything is final, which made the adaptive rule give up
// (a review's case: 2.63x -> 0.97x at 4 simulated cores when every long
// transaction was boosted). With the bound, boosting costs such a block
// little against not boosting, and the block does not fall back.
func TestBoostBounded(t *testing.T) {
	rules := fork.Get(fork.Cancun)
	pre := state.NewMem()
	pre.SetAccount(hot, state.Account{})
	pre.SetCode(hot, hotCode)
	var txs []*chain.Message
	for i := 0; i < 64; i++ {
		a := eoa(i)
		pre.SetAccount(a, state.Account{Balance: *uint256.NewInt(1e18)})
		m := &chain.Message{From: a}
		m.GasPrice.SetUint64(11)
		if i%3 == 1 { // long limit, short run, one hot slot
			to := hot
			m.To, m.Gas = &to, 500000
			m.Data = append(word(1), word(1)...)
		} else {
			to := eoa(1000 + i)
			m.To, m.Gas = &to, 21000
			m.Value.SetUint64(1)
		}
		txs = append(txs, m)
	}
	want, wantDiff := serialValid(t, "boost", rules, txs, pre)
	defer func(v int) { boostMinCores = v }(boostMinCores)
	for _, cores := range []int{4, 8, 16} {
		var speedup [2]float64
		for i, minCores := range []int{1 << 30, 4} { // without, with the boost
			boostMinCores = minCores
			rep := simulatedAsSerial(t, "boost", rules, testEnv(), txs, pre, SimOptions{Cores: cores, Adaptive: true, MinTxs: 16}, want, wantDiff)
			if rep.SerialFrom >= 0 {
				t.Fatalf("%d cores, boost %v: fell back to serial from %d (%d re-executions)", cores, i == 1, rep.SerialFrom, rep.Reexecutions)
			}
			speedup[i] = rep.Speedup
		}
		t.Logf("%d cores: %.2fx without the boost, %.2fx with", cores, speedup[0], speedup[1])
		if speedup[1] < 0.85*speedup[0] {
			t.Fatalf("%d cores: %.2fx with the boost, %.2fx without", cores, speedup[1], speedup[0])
		}
	}
}

// TestPayoutRunsInParallel: one account paying many recipients (plain
// payments; an exchange's or a pool's payout) is not a chain: each
// payment's writes to the payer are expected (structure.apply,
// mv.Store.ExpectPayment), so the next one reads its nonce and funds at
// once. On 8 simulated cores such a block neither waits nor runs anything
// twice and goes several times faster than serially (chained, it could
// not beat 1x); recipients with code (gas unknown ahead: a pessimistic
// debit) and a poor payer (the pessimistic balance does not cover the
// later payments: they wait, or run again) and a nonce gap (every later
// payment is invalid) give serial's results too.
func TestPayoutRunsInParallel(t *testing.T) {
	rules := fork.Get(fork.Cancun)
	for _, tc := range []struct {
		name    string
		balance uint64
		toCode  bool
		fast    bool
		workers []int
		gap     bool // payment 10 skips a nonce: it and every later one are invalid
		pool    bool // the payer is the coinbase
	}{
		{"payout", 1e18, false, true, []int{2, 4, 8}, false, false},
		{"payout to contracts", 1e18, true, true, []int{4}, false, false},
		{"poor payer", 48 * 21000 * 12, false, false, []int{4, 8}, false, false},
		{"nonce gap", 1e18, false, false, []int{4, 8}, true, false},
		// A pool paying from its coinbase: each payment credits the payer
		// its own fee, and every funds check is answered on the balance
		// without the fees (mv.Store.BalanceAtLeast).
		{"pool payout", 1e18, false, true, []int{4, 8}, false, true},
		{"poor pool", 48 * 21000 * 12, false, false, []int{4, 8}, false, true},
	} {
		env := testEnv()
		if tc.pool {
			env.Coinbase = eoa(0)
		}
		pre := state.NewMem()
		pre.SetAccount(eoa(0), state.Account{Nonce: 3, Balance: *uint256.NewInt(tc.balance)})
		var txs []*chain.Message
		for i := range 48 {
			to := eoa(100 + i)
			if tc.toCode {
				pre.SetAccount(to, state.Account{})
				pre.SetCode(to, []byte{0x00}) // STOP
			}
			m := &chain.Message{From: eoa(0), To: &to, Nonce: 3 + uint64(i), Gas: 50000}
			if tc.gap && i >= 10 {
				m.Nonce++
			}
			m.GasPrice.SetUint64(12)
			m.Value.SetUint64(uint64(1 + i))
			txs = append(txs, m)
		}
		want, wantDiff, err := Serial(rules, env, txs, pre)
		if err != nil {
			t.Fatal(err)
		}
		rep := simulatedAsSerial(t, tc.name, rules, env, txs, pre, SimOptions{Cores: 8, MinTxs: 16, MinBound: DefaultMinBound, Adaptive: true}, want, wantDiff)
		if tc.fast && (rep.Serial || rep.Parks != 0 || rep.Reexecutions != 0 || rep.Speedup < 3) {
			t.Errorf("%s on 8 simulated cores: speedup %.2f, %d parks, %d re-executions (serially: %v), want > 3 without either", tc.name, rep.Speedup, rep.Parks, rep.Reexecutions, rep.Serial)
		}
		for _, w := range tc.workers {
			got, gotDiff, err := Parallel(rules, env, txs, pre, DefaultOptions(w), nil)
			if err != nil {
				t.Fatal(err)
			}
			compareResults(t, fmt.Sprintf("%s, %d workers", tc.name, w), want, got, wantDiff, gotDiff)
		}
	}
}

// TestSimPoolCriticalPath: the simulator's critical path for a pool's
// funds checks on its coinbase (the fee sink). One answered on the lower
// bound, before the final prefix reached it, depends on no fee and no
// other payment's debit (depAtLeast, as for any payer): a rich pool's
// payout has a short critical path. One answered after the final prefix
// (a pool too poor to pay without the block's fees) depends on every fee
// and debit below it (depValue): the payments form a chain, several times
// longer. Either way the speedup stays within the bound the path gives
// (efficiency <= 1: the path is one).
func TestSimPoolCriticalPath(t *testing.T) {
	rules := fork.Get(fork.Cancun)
	pool := eoa(0)
	share := map[bool]float64{}
	for _, rich := range []bool{true, false} {
		name := map[bool]string{true: "rich pool", false: "poor pool"}[rich]
		pre := state.NewMem()
		if rich {
			pre.SetAccount(pool, state.Account{Balance: *uint256.NewInt(1e18)})
		}
		env := testEnv()
		env.Coinbase = pool
		var txs []*chain.Message
		for i := range 24 {
			// Another sender's payment, paying the pool a tip (30 - 10)
			// of 420000: what a poor pool lives on.
			from := eoa(100 + i)
			pre.SetAccount(from, state.Account{Balance: *uint256.NewInt(1e18)})
			to := eoa(200 + i)
			m := &chain.Message{From: from, To: &to, Gas: 21000}
			m.GasPrice.SetUint64(30)
			txs = append(txs, m)
			// The pool's payment: its gas at the base fee, and 1 wei.
			to2 := eoa(300 + i)
			p := &chain.Message{From: pool, To: &to2, Nonce: uint64(i), Gas: 21000}
			p.GasPrice.SetUint64(12)
			p.Value.SetUint64(1)
			txs = append(txs, p)
		}
		want, wantDiff, err := Serial(rules, env, txs, pre)
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range want {
			if r.Err != nil {
				t.Fatalf("%s: transaction %d invalid serially: %v", name, i, r.Err)
			}
		}
		// Without the receipts root and the diff after the block (a
		// tail both share).
		m := *DefaultCostModel
		m.RootPerByte, m.WalkPerEntry, m.MergePerEntry, m.ApplyPerEntry = 0, 0, 0, 0
		rep := simulatedAsSerial(t, name, rules, env, txs, pre, SimOptions{Cores: 8, MinTxs: 16, MinBound: DefaultMinBound, Model: &m}, want, wantDiff)
		share[rich] = rep.CriticalPath / rep.TotalWork
		if rep.Efficiency > 1.0001 {
			t.Errorf("%s: speedup %.2f above the bound %.2f: the critical path %.0f is not one", name, rep.Speedup, rep.Bound, rep.CriticalPath)
		}
		if rich && rep.Speedup < 3 {
			t.Errorf("%s: speedup %.2f, want > 3x", name, rep.Speedup)
		}
	}
	if share[false] < 3*share[true] {
		t.Errorf("critical path: %.1f%% of the work for the poor pool, %.1f%% for the rich one: want the poor pool's payments chained", 100*share[false], 100*share[true])
	}
}

// TestSimRootTail: the simulator charges the receipts root after the
// block's last transaction (CostModel.RootPerByte), its subtries
// (chain.ReceiptsRootTasks) on the cores: against the same model without
// it, the serial time and the work grow by the root's cost, the makespan
// by its time on the cores (no less than its share of them or its
// largest subtrie, no more than all of it, all of it on one core), and
// the critical path by the largest subtrie of the finest cut, so that
// many cores cannot hide it (Amdahl).
func TestSimRootTail(t *testing.T) {
	rules := fork.Get(fork.Cancun)
	pre := state.NewMem()
	var txs []*chain.Message
	for i := range 64 {
		pre.SetAccount(eoa(i), state.Account{Balance: *uint256.NewInt(1e18)})
		to := eoa(100 + i)
		m := &chain.Message{From: eoa(i), To: &to, Gas: 21000}
		m.GasPrice.SetUint64(12)
		txs = append(txs, m)
	}
	want, wantDiff, err := Serial(rules, testEnv(), txs, pre)
	if err != nil {
		t.Fatal(err)
	}
	root := DefaultCostModel.RootPerByte * ReceiptBytes(want)
	each := root / float64(len(txs)) // the receipts are alike (no logs)
	largest := func(n, cores int) float64 {
		m := 0
		for _, tk := range chain.ReceiptsRootTasks(n, cores) {
			m = max(m, len(tk))
		}
		return float64(m) * each
	}
	// Both without the diff's tail (TestSimDiffTail), a serial part that
	// would hold the speedup below the root's own parallelism.
	full := *DefaultCostModel
	full.WalkPerEntry, full.MergePerEntry, full.ApplyPerEntry = 0, 0, 0
	bare := full
	bare.RootPerByte = 0
	eq := func(a, b float64) bool { return math.Abs(a-b) <= 1e-6*root }
	for _, cores := range []int{1, 2, 8, 32} {
		with := simulatedAsSerial(t, "with the root", rules, testEnv(), txs, pre, SimOptions{Cores: cores, Model: &full}, want, wantDiff)
		without := simulatedAsSerial(t, "without", rules, testEnv(), txs, pre, SimOptions{Cores: cores, Model: &bare}, want, wantDiff)
		if d := with.SerialTime - without.SerialTime; !eq(d, root) {
			t.Errorf("%d cores: serial time grew by %.0f, want the root's %.0f", cores, d, root)
		}
		span := with.Makespan - without.Makespan
		switch {
		case cores == 1 && !eq(span, root):
			t.Errorf("1 core: makespan grew by %.0f, want all of the root, %.0f", span, root)
		case cores > 1 && (span < root/float64(cores)-1e-6*root || span < largest(len(txs), cores)-1e-6*root || span > root-each):
			t.Errorf("%d cores: makespan grew by %.0f: want from max(%.0f / cores, largest subtrie %.0f) to below %.0f", cores, span, root, largest(len(txs), cores), root)
		}
		if d := with.TotalWork - without.TotalWork; !eq(d, root) {
			t.Errorf("%d cores: work grew by %.0f, want the root's %.0f", cores, d, root)
		}
		if d := with.CriticalPath - without.CriticalPath; !eq(d, largest(len(txs), len(txs))) {
			t.Errorf("%d cores: critical path grew by %.0f, want the finest cut's largest subtrie, %.0f", cores, d, largest(len(txs), len(txs)))
		}
		// With more cores than subtries the root lowers the speedup
		// (with fewer it runs as parallel as the rest).
		if with.Efficiency > 1.0001 || cores > 1 && cores > len(chain.ReceiptsRootTasks(len(txs), cores)) && with.Speedup >= without.Speedup {
			t.Errorf("%d cores: speedup %.2f (without the root %.2f), efficiency %.3f", cores, with.Speedup, without.Speedup, with.Efficiency)
		}
	}
	// A block run serially by its known structure (one sender's calls):
	// the root after it still runs on the cores, as chain.ExecuteBlock
	// runs it for a declined block.
	var chained []*chain.Message
	for i := range 64 {
		to := eoa(100 + i)
		m := &chain.Message{From: eoa(0), To: &to, Gas: 30000, Nonce: uint64(i), Data: []byte{1}}
		m.GasPrice.SetUint64(12)
		chained = append(chained, m)
	}
	want, wantDiff, err = Serial(rules, testEnv(), chained, pre)
	if err != nil {
		t.Fatal(err)
	}
	root = DefaultCostModel.RootPerByte * ReceiptBytes(want)
	rep := simulatedAsSerial(t, "one sender", rules, testEnv(), chained, pre, SimOptions{Cores: 32, MinTxs: 16, MinBound: DefaultMinBound}, want, wantDiff)
	if span := rep.Makespan - (rep.SerialTime - root); !rep.Serial || span < root/32 || span >= root || rep.Speedup <= 1 {
		t.Errorf("one sender: serially %v, the root took %.0f of %.0f after the transactions (want less, on the cores), speedup %.3f", rep.Serial, span, root, rep.Speedup)
	}
}

// TestRootTailHeavyReceipt: the receipts root's time on the cores is that
// of its subtries (chain.ReceiptsRootTasks), not an even share of its
// bytes: a receipt with a large log keeps its subtrie, and the root, that
// long however many cores there are; and rootLeast, the critical path's
// share, is no less than that receipt.
func TestRootTailHeavyReceipt(t *testing.T) {
	rs := make([]*chain.Result, 64)
	for i := range rs {
		rs[i] = &chain.Result{Status: 1}
	}
	rs[5].Logs = []chain.Log{{Data: make([]byte, 100_000)}}
	m := DefaultCostModel
	heavy := m.RootPerByte * float64(receiptBytes(rs[5]))
	cost, _ := rootTail(m, rs, 1)
	for _, cores := range []int{2, 8, 32} {
		c, span := rootTail(m, rs, cores)
		if c != cost || span < heavy || span < cost/float64(cores) || span >= cost {
			t.Errorf("%d cores: the root %.0f took %.0f, want at least the heavy receipt's %.0f and less than all", cores, c, span, heavy)
		}
	}
	if least := rootLeast(m, rs); least < heavy || least >= cost {
		t.Errorf("the root's least %.0f, want from the heavy receipt's %.0f to below %.0f", least, heavy, cost)
	}
}

// TestSimDiffTail: a block run on the multi-version state pays, after its
// last transaction, for gathering its diff onto the block's overlay, per
// account and slot of the block diff (CostModel.WalkPerEntry, split over
// the cores as mv's DiffPart is over the workers, at most one part per
// shard; ApplyPerEntry, mv's ApplyParts, on one core): against the same
// model without them the serial time is unchanged, the work and the busy
// time grow by entries × (Walk + Apply), the makespan by entries × (Walk /
// min(cores, shards) + Apply), and both critical paths by entries × (Walk
// / shards + Apply). A block run serially by its structure pays nothing
// (ExecuteBlock runs it without the store).
func TestSimDiffTail(t *testing.T) {
	rules := fork.Get(fork.Cancun)
	pre := state.NewMem()
	// A contract that sets storage[caller] = 1: one slot per caller.
	store := eoa(900)
	pre.SetCode(store, []byte{evm.PUSH1, 1, evm.CALLER, evm.SSTORE, evm.STOP})
	var txs, slots, chained []*chain.Message
	for i := range 64 {
		pre.SetAccount(eoa(i), state.Account{Balance: *uint256.NewInt(1e18)})
		to := eoa(100 + i)
		m := &chain.Message{From: eoa(i), To: &to, Gas: 21000}
		m.GasPrice.SetUint64(12)
		m.Value.SetUint64(1)
		txs = append(txs, m)
		w := &chain.Message{From: eoa(i), To: &store, Gas: 60000}
		w.GasPrice.SetUint64(12)
		slots = append(slots, w)
		c := &chain.Message{From: eoa(0), To: &to, Gas: 30000, Nonce: uint64(i), Data: []byte{1}}
		c.GasPrice.SetUint64(12)
		chained = append(chained, c)
	}
	bare := *DefaultCostModel
	bare.WalkPerEntry, bare.MergePerEntry, bare.ApplyPerEntry = 0, 0, 0
	dm := DefaultCostModel
	walk, rest := dm.WalkPerEntry, dm.ApplyPerEntry
	if walk <= 0 || rest <= 0 {
		t.Fatal("the default model charges no diff tail")
	}
	per := walk + rest
	for _, blk := range []struct {
		name   string
		txs    []*chain.Message
		serial bool
	}{{"transfers", txs, false}, {"slots", slots, false}, {"one sender", chained, true}} {
		want, wantDiff, err := Serial(rules, testEnv(), blk.txs, pre)
		if err != nil {
			t.Fatal(err)
		}
		entries, nslots := 0, 0
		for _, ad := range wantDiff {
			entries += 1 + len(ad.Storage)
			nslots += len(ad.Storage)
		}
		if blk.name == "slots" && nslots != len(blk.txs) {
			t.Fatalf("slots: %d slots in the diff, want %d", nslots, len(blk.txs))
		}
		e := float64(entries)
		if blk.serial {
			e = 0
		}
		eq := func(a, b float64) bool { return math.Abs(a-b) <= 1e-6*per*float64(entries) }
		for _, cores := range []int{2, 8, 32, 128} {
			work, span, least := e*per, e*(walk/float64(min(cores, mv.Shards))+rest), e*(walk/mv.Shards+rest)
			opt := SimOptions{Cores: cores, MinTxs: 16, MinBound: DefaultMinBound}
			with := simulatedAsSerial(t, blk.name, rules, testEnv(), blk.txs, pre, opt, want, wantDiff)
			opt.Model = &bare
			without := simulatedAsSerial(t, blk.name, rules, testEnv(), blk.txs, pre, opt, want, wantDiff)
			if with.Serial != blk.serial {
				t.Fatalf("%s, %d cores: serially %v, want %v", blk.name, cores, with.Serial, blk.serial)
			}
			for _, c := range []struct {
				what      string
				got, want float64
			}{
				{"serial time", with.SerialTime - without.SerialTime, 0},
				{"makespan", with.Makespan - without.Makespan, span},
				{"tail", with.Tail - without.Tail, span},
				{"work", with.TotalWork - without.TotalWork, work},
				{"critical path", with.CriticalPath - without.CriticalPath, least},
				{"transaction-level critical path", with.TxCriticalPath - without.TxCriticalPath, least},
				// Utilisation is busy time over cores × makespan.
				{"busy time", with.Utilisation*float64(cores)*with.Makespan - without.Utilisation*float64(cores)*without.Makespan, work},
			} {
				if !eq(c.got, c.want) {
					t.Errorf("%s, %d cores: %s grew by %.0f, want %.0f (%d entries)", blk.name, cores, c.what, c.got, c.want, entries)
				}
			}
		}
	}
}
