package bench

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/core/rawdb"
	gstate "github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/core/vm"
	"github.com/ethereum/go-ethereum/params"
	"github.com/ethereum/go-ethereum/tests"
	"github.com/ethereum/go-ethereum/trie"
	"github.com/velarium/velarium/chain"
	"github.com/velarium/velarium/replay"
	"github.com/velarium/velarium/state"
)

// BlockCase is one pevm mainnet block prepared for both engines: Velarium's
// block and pre-state come from the replay package; go-ethereum gets its
// own StateDB built from the same pre-state and its own decoding of
// block.json.
type BlockCase struct {
	Dir     string
	Number  uint64
	Fork    string
	Txs     int
	GasUsed uint64 // the header's

	PB *replay.PevmBlock

	// e2eDir holds a copy of block.json with an empty pre_state.json: the
	// end-to-end runs decode the block from there (pre-state building is
	// not part of block processing, see README).
	e2eDir string

	gcfg    *params.ChainConfig
	gst     *tests.StateTestState
	groot   common.Hash
	gctx    vm.BlockContext
	ghash   common.Hash
	gtxs    []*types.Transaction
	gmsgs   []*core.Message
	jumps   vm.JumpDestCache
	signer  types.Signer
	workers int
}

// PrepareBlock loads the pevm block in dir with l (Velarium side) and
// builds go-ethereum's side. tmp is a folder for the end-to-end copy.
func PrepareBlock(l *replay.Loader, dir, tmp string) (*BlockCase, error) {
	pb, err := l.Load(dir)
	if err != nil {
		return nil, err
	}
	b := &BlockCase{Dir: dir, Number: pb.Number, Fork: pb.Rules.Name, Txs: len(pb.Block.Txs), GasUsed: pb.GasUsed, PB: pb,
		gcfg: params.MainnetChainConfig, ghash: pb.Hash, jumps: core.NewJumpDestCache(), workers: runtime.NumCPU()}
	h := &pb.Block.Header
	b.signer = types.MakeSigner(b.gcfg, new(big.Int).SetUint64(h.Number), h.Time)

	// End-to-end copy: block.json beside an empty pre_state.json.
	b.e2eDir = filepath.Join(tmp, fmt.Sprint(pb.Number))
	if err := os.MkdirAll(b.e2eDir, 0o755); err != nil {
		return nil, err
	}
	raw, err := os.ReadFile(filepath.Join(dir, replay.BlockFile))
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(b.e2eDir, replay.BlockFile), raw, 0o644); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(b.e2eDir, replay.PreStateFile), []byte("{}"), 0o644); err != nil {
		return nil, err
	}

	// go-ethereum: its own decoding of the transactions, senders recovered
	// here (outside the execution-alone timing).
	txs, err := b.gethDecode(raw)
	if err != nil {
		return nil, fmt.Errorf("block %d: geth decoding: %w", b.Number, err)
	}
	if len(txs) != len(pb.Block.Txs) {
		return nil, fmt.Errorf("block %d: geth decoded %d transactions, replay %d", b.Number, len(txs), len(pb.Block.Txs))
	}
	b.gtxs = txs
	if b.gmsgs, err = b.gethMessages(txs); err != nil {
		return nil, err
	}
	for i, m := range b.gmsgs {
		if m.From != pb.Block.Txs[i].From {
			return nil, fmt.Errorf("block %d tx %d: geth sender %s, replay %s", b.Number, i, m.From, pb.Block.Txs[i].From)
		}
	}

	// go-ethereum's pre-state: the same accounts, in a path-scheme
	// database (flat state reads, as a synced node has).
	alloc := allocFromMem(pb.Pre)
	b.gst = ptr(tests.MakePreState(rawdb.NewMemoryDatabase(), alloc, false, rawdb.PathScheme))
	b.groot = b.gst.StateDB.IntermediateRoot(params.Rules{})
	if vr := pb.Pre.Root(); vr != b.groot {
		return nil, fmt.Errorf("block %d: pre-state roots differ: velarium %s, geth %s", b.Number, vr.Hex(), b.groot.Hex())
	}
	env := chain.Mainnet.Env(h)
	pre := pb.Pre
	b.gctx = gethBlockContext(b.gcfg, env, func(n uint64) common.Hash {
		hh, _ := pre.BlockHash(n)
		return hh
	})
	return b, nil
}

func ptr[T any](v T) *T { return &v }

// Close releases go-ethereum's database.
func (b *BlockCase) Close() {
	if b.gst != nil {
		b.gst.Close()
		b.gst = nil
	}
	if b.e2eDir != "" {
		os.RemoveAll(b.e2eDir)
	}
}

func allocFromMem(m *state.Mem) types.GenesisAlloc {
	alloc := types.GenesisAlloc{}
	m.ForEachAccount(func(addr common.Address, a state.Account) bool {
		ga := types.Account{Nonce: a.Nonce, Balance: a.Balance.ToBig(), Code: m.CodeAt(addr)}
		if n := m.StorageLen(addr); n > 0 {
			ga.Storage = make(map[common.Hash]common.Hash, n)
			m.ForEachStorage(addr, func(k, v common.Hash) bool {
				ga.Storage[k] = v
				return true
			})
		}
		alloc[addr] = ga
		return true
	})
	return alloc
}

// gethDecode decodes the transactions of a block.json (JSON-RPC block)
// with go-ethereum's own JSON decoding and recovers their senders (cached
// in the transactions) on as many goroutines as replay uses.
func (b *BlockCase) gethDecode(raw []byte) ([]*types.Transaction, error) {
	var blk struct {
		Transactions []*types.Transaction `json:"transactions"`
	}
	if err := json.Unmarshal(raw, &blk); err != nil {
		return nil, err
	}
	txs := blk.Transactions
	errs := make([]error, len(txs))
	var wg sync.WaitGroup
	next := make(chan int)
	for range min(b.workers, max(len(txs), 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				_, errs[i] = types.Sender(b.signer, txs[i])
			}
		}()
	}
	for i := range txs {
		next <- i
	}
	close(next)
	wg.Wait()
	return txs, errors.Join(errs...)
}

func (b *BlockCase) gethMessages(txs []*types.Transaction) ([]*core.Message, error) {
	var baseFee *big.Int
	if bf := b.PB.Block.Header.BaseFee; bf != nil {
		baseFee = bf.ToBig()
	}
	msgs := make([]*core.Message, len(txs))
	for i, tx := range txs {
		m, err := core.TransactionToMessage(tx, b.signer, baseFee)
		if err != nil {
			return nil, fmt.Errorf("block %d tx %d: %w", b.Number, i, err)
		}
		msgs[i] = m
	}
	return msgs, nil
}

// BlockOutcome is what a block's execution must reproduce.
type BlockOutcome struct {
	GasUsed      uint64
	Bloom        types.Bloom
	ReceiptsRoot common.Hash
	TxGas        []uint64
}

// VelaExec executes the block with chain.ExecuteBlock (no rewards,
// withdrawals or system calls, as pevm does).
func (b *BlockCase) VelaExec() (*BlockOutcome, error) {
	return velaExec(b.PB.Block, b.PB.Pre)
}

func velaExec(blk *chain.Block, pre *state.Mem) (*BlockOutcome, error) {
	res, err := chain.ExecuteBlock(chain.Mainnet, blk, pre, chain.BlockOptions{SkipSystem: true})
	if err != nil {
		return nil, err
	}
	o := &BlockOutcome{GasUsed: res.GasUsed, Bloom: res.Bloom, ReceiptsRoot: res.ReceiptsRoot, TxGas: make([]uint64, len(res.Receipts))}
	for i, r := range res.Receipts {
		o.TxGas[i] = r.GasUsed
	}
	return o, nil
}

// VelaE2E decodes block.json with the replay loader (JSON decoding,
// transaction hashes, sender recovery) and executes it.
func (b *BlockCase) VelaE2E(l *replay.Loader) (*BlockOutcome, error) {
	pb, err := l.Load(b.e2eDir)
	if err != nil {
		return nil, err
	}
	return velaExec(pb.Block, b.PB.Pre)
}

// GethExec executes the prepared messages the way core.StateProcessor
// does for each transaction (ApplyMessage, Finalise, a receipt with its
// bloom), on a fresh StateDB over the pre-state, with one EVM for the
// block and a shared jump-destination cache (as core.BlockChain passes
// one). Like Velarium, it computes no intermediate state roots (which
// go-ethereum does for receipts before Byzantium), no rewards and no
// system calls; it computes the receipts root and the block bloom.
func (b *BlockCase) GethExec() (*BlockOutcome, error) {
	return b.gethExec(b.gtxs, b.gmsgs)
}

func (b *BlockCase) gethExec(txs []*types.Transaction, msgs []*core.Message) (*BlockOutcome, error) {
	sdb, err := gstate.New(b.groot, b.gst.StateDB.Database())
	if err != nil {
		return nil, err
	}
	evm := vm.NewEVM(b.gctx, sdb, b.gcfg, vm.Config{})
	evm.SetJumpDestCache(b.jumps)
	rules := evm.GetRules()
	gp := core.NewGasPool(b.gctx.GasLimit)
	number, t := b.gctx.BlockNumber, b.gctx.Time
	receipts := make(types.Receipts, 0, len(txs))
	o := &BlockOutcome{TxGas: make([]uint64, len(txs))}
	for i, tx := range txs {
		sdb.SetTxContext(tx.Hash(), i, uint32(i+1))
		res, err := core.ApplyMessage(evm, msgs[i], gp)
		if err != nil {
			return nil, fmt.Errorf("block %d tx %d: %w", b.Number, i, err)
		}
		sdb.Finalise(rules)
		r := core.MakeReceipt(evm, res, sdb, number, b.ghash, t, tx, gp.CumulativeUsed(), nil)
		receipts = append(receipts, r)
		o.TxGas[i] = r.GasUsed
	}
	o.GasUsed = gp.CumulativeUsed()
	o.Bloom = types.MergeBloom(receipts)
	o.ReceiptsRoot = types.DeriveSha(receipts, trie.NewStackTrie(nil))
	return o, nil
}

// GethE2E decodes block.json with go-ethereum (JSON decoding, sender
// recovery on the same number of goroutines as replay uses, conversion to
// messages) and executes it like GethExec.
func (b *BlockCase) GethE2E() (*BlockOutcome, error) {
	raw, err := os.ReadFile(filepath.Join(b.e2eDir, replay.BlockFile))
	if err != nil {
		return nil, err
	}
	txs, err := b.gethDecode(raw)
	if err != nil {
		return nil, err
	}
	msgs, err := b.gethMessages(txs)
	if err != nil {
		return nil, err
	}
	return b.gethExec(txs, msgs)
}

// Check compares an outcome with the header (gasUsed, logsBloom, and from
// Byzantium on receiptsRoot).
func (b *BlockCase) Check(o *BlockOutcome) error {
	var errs []error
	if o.GasUsed != b.GasUsed {
		errs = append(errs, fmt.Errorf("gasUsed %d, header %d", o.GasUsed, b.GasUsed))
	}
	if o.Bloom != b.PB.Bloom {
		errs = append(errs, errors.New("logsBloom differs from the header"))
	}
	if b.PB.Rules.Byzantium && o.ReceiptsRoot != b.PB.ReceiptsRoot {
		errs = append(errs, fmt.Errorf("receiptsRoot %s, header %s", o.ReceiptsRoot.Hex(), b.PB.ReceiptsRoot.Hex()))
	}
	return errors.Join(errs...)
}

// VerifyBlock runs the block once on each engine (both paths) and checks
// both against the header and against each other, transaction by
// transaction.
func (b *BlockCase) VerifyBlock(l *replay.Loader) error {
	var errs []error
	var outs [4]*BlockOutcome
	for i, f := range []struct {
		name string
		fn   func() (*BlockOutcome, error)
	}{
		{"velarium", b.VelaExec}, {"geth", b.GethExec},
		{"velarium e2e", func() (*BlockOutcome, error) { return b.VelaE2E(l) }}, {"geth e2e", b.GethE2E},
	} {
		o, err := f.fn()
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", f.name, err))
			continue
		}
		if err := b.Check(o); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", f.name, err))
		}
		outs[i] = o
	}
	if outs[0] != nil && outs[1] != nil {
		for i := range outs[0].TxGas {
			if outs[0].TxGas[i] != outs[1].TxGas[i] {
				errs = append(errs, fmt.Errorf("tx %d gas used: velarium %d, geth %d", i, outs[0].TxGas[i], outs[1].TxGas[i]))
				break
			}
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("block %d: %w", b.Number, errors.Join(errs...))
	}
	return nil
}
