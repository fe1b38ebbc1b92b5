package run

import (
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/holiman/uint256"
	"github.com/velarium/velarium/chain"
	"github.com/velarium/velarium/fork"
	"github.com/velarium/velarium/state"
)

// TestFundsCheckCommutes: issue 5, item 3 (stretch): a funds check that
// only needs "balance >= X" is kept as that predicate. Transaction 0
// pays account B; transaction 1, sent by B, starts at the same time on
// another simulated core, before the credit lands. With B's funds check
// a predicate (B has enough without the credit) the credit does not
// invalidate it: no re-execution, and the serial result. When B needs
// the credit to pay, its check fails without it, B's balance is read
// exactly, and the credit must invalidate transaction 1.
func TestFundsCheckCommutes(t *testing.T) {
	rules := fork.Get(fork.Cancun)
	a, b, c := eoa(0), eoa(1), eoa(2)
	for _, tc := range []struct {
		name       string
		bBalance   uint64
		wantReexec bool
	}{
		{"enough without the credit", 1e18, false},
		{"needs the credit", 1_000_000, true},
	} {
		pre := state.NewMem()
		pre.SetAccount(a, state.Account{Balance: *uint256.NewInt(1e18)})
		pre.SetAccount(b, state.Account{Balance: *uint256.NewInt(tc.bBalance)})
		pay := &chain.Message{From: a, To: &b, Gas: 21000}
		pay.GasPrice.SetUint64(10)
		pay.Value.SetUint64(1e15)
		spend := &chain.Message{From: b, To: &c, Gas: 21000}
		spend.GasPrice.SetUint64(10)
		spend.Value.SetUint64(1e6)
		txs := []*chain.Message{pay, spend}
		want, wantDiff := serialValid(t, tc.name, rules, txs, pre)
		rep := simulatedAsSerial(t, tc.name, rules, testEnv(), txs, pre, SimOptions{Cores: 2}, want, wantDiff)
		if (rep.Reexecutions > 0) != tc.wantReexec {
			t.Fatalf("%s: %d re-executions, want re-execution %v", tc.name, rep.Reexecutions, tc.wantReexec)
		}
	}
}

// TestCoinbaseFeePast2255: the coinbase exists with nonce 0, no code and
// a small, unread balance; the transaction pays it 1 wei, then the fee
// (a huge gas price) pushes its credits past 2^255. The EIP-161 emptiness
// check must see the fee credit (review finding: it ran before the fee
// and the diff then panicked on an unsettled balance). Parallel and
// simulated execution equal serial.
func TestCoinbaseFeePast2255(t *testing.T) {
	for _, name := range []string{"Berlin", "Cancun"} {
		var rules *fork.Rules
		env := testEnv()
		if name == "Berlin" {
			rules = fork.Get(fork.Berlin)
			env.BaseFee = nil
		} else {
			rules = fork.Get(fork.Cancun)
			env.BaseFee = uint256.NewInt(0)
		}
		a := eoa(0)
		pre := state.NewMem()
		var max uint256.Int
		max.SetAllOne()
		pre.SetAccount(a, state.Account{Balance: max})
		pre.SetAccount(coinbase, state.Account{Balance: *uint256.NewInt(5)})
		cb := coinbase
		m := &chain.Message{From: a, To: &cb, Gas: 21000}
		// price = ceil(2^255 / 21000)
		var p uint256.Int
		p.Lsh(uint256.NewInt(1), 255)
		p.Div(&p, uint256.NewInt(21000))
		p.AddUint64(&p, 1)
		m.GasPrice = p
		m.GasFeeCap = p
		m.GasTipCap = p
		if name == "Cancun" {
			m.Type = 2
		}
		m.Value.SetUint64(1)
		txs := []*chain.Message{m}
		want, wantDiff, err := Serial(rules, env, txs, pre)
		if err != nil {
			t.Fatal(err)
		}
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("%s: Simulate panicked: %v", name, r)
				}
			}()
			got, gotDiff, _, err := Simulate(rules, env, txs, pre, SimOptions{Cores: 2})
			if err != nil {
				t.Fatal(err)
			}
			compareResults(t, name+" simulated", want, got, wantDiff, gotDiff)
			got, gotDiff, err = Parallel(rules, env, txs, pre, Options{Workers: 2, Force: true}, nil)
			if err != nil {
				t.Fatal(err)
			}
			compareResults(t, name+" 2 workers", want, got, wantDiff, gotDiff)
		}()
	}
}

// compareResults fails t when got differs from the serial want.
func compareResults(t *testing.T, what string, want, got []*chain.Result, wantDiff, gotDiff state.Diff) {
	t.Helper()
	for i := range want {
		if (want[i].Err == nil) != (got[i].Err == nil) || want[i].GasUsed != got[i].GasUsed || want[i].Status != got[i].Status {
			t.Errorf("%s: transaction %d: err %v gas %d status %d, serial err %v gas %d status %d", what, i, got[i].Err, got[i].GasUsed, got[i].Status, want[i].Err, want[i].GasUsed, want[i].Status)
		}
	}
	if d := state.CompareDiffs(wantDiff, gotDiff); d != "" {
		t.Errorf("%s: state diff (serial / parallel): %s", what, d)
	}
}

// serialValid runs txs serially (testEnv) and fails t unless every one
// of them is valid.
func serialValid(t *testing.T, what string, rules *fork.Rules, txs []*chain.Message, pre state.Source) ([]*chain.Result, state.Diff) {
	t.Helper()
	want, wantDiff, err := Serial(rules, testEnv(), txs, pre)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range want {
		if r.Err != nil {
			t.Fatalf("%s: serial transaction %d is invalid: %v", what, i, r.Err)
		}
	}
	return want, wantDiff
}

// simulatedAsSerial simulates txs (testEnv) with opt, fails t unless the
// results and the state diff equal the serial ones, and returns the report.
func simulatedAsSerial(t *testing.T, what string, rules *fork.Rules, env *chain.BlockEnv, txs []*chain.Message, pre state.Source, opt SimOptions, want []*chain.Result, wantDiff state.Diff) *SimReport {
	t.Helper()
	got, gotDiff, rep, err := Simulate(rules, env, txs, pre, opt)
	if err != nil {
		t.Fatal(err)
	}
	compareResults(t, what+" simulated", want, got, wantDiff, gotDiff)
	if t.Failed() {
		t.FailNow()
	}
	return rep
}

// TestPaymentCommutesWithNonce: issue 5, item 1: an account's nonce is
// an element of its own in effect (state.NonceSource). Transaction 0 is
// B's only transaction (no prediction of its writes); transaction 1 pays
// B and starts at the same time on another simulated core, before B's
// nonce rises. Paying B needs B's existence and code, not its nonce: a
// non-zero nonce that rises does not invalidate it. A nonce of zero is
// its own class, and 0 -> 1 must invalidate it.
func TestPaymentCommutesWithNonce(t *testing.T) {
	rules := fork.Get(fork.Cancun)
	a, b, c := eoa(0), eoa(1), eoa(2)
	for _, tc := range []struct {
		name       string
		bNonce     uint64
		wantReexec bool
	}{
		{"nonce 3 -> 4", 3, false},
		{"nonce 0 -> 1", 0, true},
	} {
		pre := state.NewMem()
		pre.SetAccount(a, state.Account{Balance: *uint256.NewInt(1e18)})
		pre.SetAccount(b, state.Account{Nonce: tc.bNonce, Balance: *uint256.NewInt(1e18)})
		spend := &chain.Message{From: b, To: &c, Gas: 21000, Nonce: tc.bNonce}
		spend.GasPrice.SetUint64(10)
		spend.Value.SetUint64(1e6)
		pay := &chain.Message{From: a, To: &b, Gas: 21000}
		pay.GasPrice.SetUint64(10)
		pay.Value.SetUint64(1e15)
		txs := []*chain.Message{spend, pay}
		want, wantDiff := serialValid(t, tc.name, rules, txs, pre)
		// Transactions only: the receipts root and the diff after them
		// are no dependency.
		txsOnly := DefaultCostModel.NoRoot()
		txsOnly.WalkPerEntry, txsOnly.MergePerEntry = 0, 0
		rep := simulatedAsSerial(t, tc.name, rules, testEnv(), txs, pre, SimOptions{Cores: 2, Model: txsOnly}, want, wantDiff)
		if (rep.Reexecutions > 0) != tc.wantReexec {
			t.Fatalf("%s: %d re-executions, want re-execution %v", tc.name, rep.Reexecutions, tc.wantReexec)
		}
		// The critical path follows the same dependency: the payment
		// depends on B's transaction only when it changed B's class. (At
		// the level of transactions, a chain of the two is all the work.)
		if chained := rep.TxCriticalPath >= rep.TotalWork; chained != tc.wantReexec {
			t.Fatalf("%s: transaction-level critical path %.0f of work %.0f (segments: %.0f): want a chain %v", tc.name, rep.TxCriticalPath, rep.TotalWork, rep.CriticalPath, tc.wantReexec)
		}
	}
}

// TestDepositsDoNotWaitForWallet: a hot wallet sends several withdrawals
// among many deposits (mainnet block 16146267). The wallet's balance
// writes are declared (known structure), its nonce is not: deposits keep
// the wallet's nonce as a class and neither wait for the withdrawals nor
// run again when its nonce rises, and the result equals serial.
func TestDepositsDoNotWaitForWallet(t *testing.T) {
	rules := fork.Get(fork.Cancun)
	wallet := eoa(0)
	pre := state.NewMem()
	pre.SetAccount(wallet, state.Account{Nonce: 5, Balance: *uint256.NewInt(1e18)})
	var txs []*chain.Message
	nonce := uint64(5)
	for i := 1; i <= 60; i++ {
		var m *chain.Message
		if i%15 == 0 { // a withdrawal
			to := eoa(1000 + i)
			m = &chain.Message{From: wallet, To: &to, Gas: 21000, Nonce: nonce}
			nonce++
		} else { // a deposit
			pre.SetAccount(eoa(i), state.Account{Balance: *uint256.NewInt(1e18)})
			m = &chain.Message{From: eoa(i), To: &wallet, Gas: 21000}
		}
		m.GasPrice.SetUint64(11) // a tip: a zero fee would touch the coinbase
		m.Value.SetUint64(1e15)
		txs = append(txs, m)
	}
	want, wantDiff := serialValid(t, "deposits", rules, txs, pre)
	rep := simulatedAsSerial(t, "deposits", rules, testEnv(), txs, pre, SimOptions{Cores: 8}, want, wantDiff)
	if rep.Parks != 0 || rep.Reexecutions != 0 {
		t.Fatalf("%d parks, %d re-executions; want none (hot: %+v)", rep.Parks, rep.Reexecutions, rep.Hot)
	}
}

// TestSimulatorChargesPrecompiles: issue 5, item 4 (the cost model): a
// precompile's run is charged by the gas it charges at the model's cost
// per gas, not as an opcode: a transaction calling ecrecover costs the
// model at least 3000 gas at ecrecover's rate more than one calling the
// identity precompile with the same input.
func TestSimulatorChargesPrecompiles(t *testing.T) {
	rules := fork.Get(fork.Cancun)
	a := eoa(0)
	model := func(to byte) float64 {
		pre := state.NewMem()
		pre.SetAccount(a, state.Account{Balance: *uint256.NewInt(1e18)})
		dst := common.BytesToAddress([]byte{to})
		m := &chain.Message{From: a, To: &dst, Gas: 100000, Data: make([]byte, 128)}
		m.GasPrice.SetUint64(11)
		_, _, rep, err := Simulate(rules, testEnv(), []*chain.Message{m}, pre, SimOptions{Cores: 2})
		if err != nil {
			t.Fatal(err)
		}
		return rep.SerialTime
	}
	ec, id := model(0x01), model(0x04)
	if want := 3000 * DefaultCostModel.Precompile[0x01]; ec-id < want*0.9 {
		t.Fatalf("model time: ecrecover %.0f, identity %.0f; want a difference of about %.0f", ec, id, want)
	}
}
