package run

import (
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/holiman/uint256"
	"github.com/velarium/velarium/chain"
	"github.com/velarium/velarium/mv"
	"github.com/velarium/velarium/sched"
	"github.com/velarium/velarium/state"
)

// TestHistoryIgnoresFeeSink: a funds check on the coinbase answered on
// its lower bound (a pool's payment) is invalidated when a debit of the
// pool's below changes (mv.Store.SetFeeSink). That conflict is not
// learned (History.learnNow, Learn): learned, it would make every
// transaction calling the coinbase a predicted writer of its balance,
// and the pool's payments above it would wait for them.
func TestHistoryIgnoresFeeSink(t *testing.T) {
	cb := common.HexToAddress("0xc0")
	pre := state.NewMem()
	pre.SetAccount(cb, state.Account{Balance: *uint256.NewInt(100)})
	store := mv.New(pre, 3)
	defer store.Release()
	store.SetFeeSink(cb)
	if err := store.ExpectPayment(0, 0, cb, uint256.NewInt(30)); err != nil {
		t.Fatal(err)
	}
	for tx := range 3 {
		store.Begin(tx, 0)
	}
	if yes, blk, err := store.BalanceAtLeast(1, 0, cb, uint256.NewInt(60)); !yes || blk >= 0 || err != nil {
		t.Fatalf("funds check on the bound: %v, %d, %v", yes, blk, err)
	}
	var debit uint256.Int
	debit.Neg(uint256.NewInt(45))
	_, kb := mv.AccountKeys(cb)
	inv := store.Finish(0, []mv.KeyWrite{{Key: kb, Write: mv.Write{Val: mv.BalanceValue(&debit), Credit: true}}}, nil)
	if len(inv) != 1 || inv[0] != 1 || len(store.Hot) != 1 || store.Hot[0] != kb {
		t.Fatalf("the larger debit invalidated %v (hot %v), want transaction 1 by the coinbase's balance", inv, store.Hot)
	}
	txs := []*chain.Message{{From: cb}, {From: cb}, {From: eoa(1), To: &cb}}
	h := NewHistory()
	h.learnNow(store, sched.New(3, 8), txs, 1, store.Hot, nil)
	h.Learn(store)
	if p := h.predictions(cb); len(p) != 0 {
		t.Fatalf("learned %v", p)
	}
}
