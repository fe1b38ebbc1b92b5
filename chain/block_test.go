package chain_test

import (
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/holiman/uint256"
	"github.com/velarium/velarium/chain"
	"github.com/velarium/velarium/fork"
	"github.com/velarium/velarium/state"
)

// TestExecuteBlockStateRoot: with the full pre-state, ExecuteBlock returns
// the post-state root, equal to applying its diff; a transaction over the
// block's gas limit is a TxError naming the block and index.
func TestExecuteBlockStateRoot(t *testing.T) {
	from, to := common.HexToAddress("0x1000"), common.HexToAddress("0x2000")
	pre := state.NewMem()
	pre.SetAccount(from, state.Account{Balance: *uint256.NewInt(1e18)})
	msg := &chain.Message{From: from, To: &to, Gas: 21000}
	msg.GasPrice.SetUint64(10)
	msg.Value.SetUint64(5)
	b := &chain.Block{Header: chain.Header{Number: 1, GasLimit: 30_000_000, BaseFee: uint256.NewInt(7), Coinbase: common.HexToAddress("0xc0")}, Txs: []*chain.Message{msg}}
	c := chain.SingleFork(fork.Cancun, 1)
	res, err := chain.ExecuteBlock(c, b, pre, chain.BlockOptions{FullState: true})
	if err != nil {
		t.Fatal(err)
	}
	post := pre.Copy()
	post.Apply(res.Diff)
	if res.StateRoot == nil || *res.StateRoot != post.Root() || post.Root() == pre.Root() {
		t.Fatalf("state root %v, want %x (pre %x)", res.StateRoot, post.Root(), pre.Root())
	}
	if res.GasUsed != 21000 || len(res.Receipts) != 1 || res.Receipts[0].Status != 1 {
		t.Fatalf("gas %d, receipts %d", res.GasUsed, len(res.Receipts))
	}
	b.Header.GasLimit = 20000
	_, err = chain.ExecuteBlock(c, b, pre, chain.BlockOptions{})
	te, ok := err.(*chain.TxError)
	if !ok || te.Block != 1 || te.Index != 0 {
		t.Fatalf("want a TxError for block 1 tx 0, got %v", err)
	}
}
