package fuzz

// The go-ethereum side, mirroring tests/state_test_util.go of v1.17.10
// (StateTest.RunNoVerify): a pre-state committed to a memory trie database,
// the txbytes signer check and the blob count check of the runner, the block
// context the runner builds, core.ApplyMessage, the zero-value coinbase
// touch, and Commit; chain configurations come from tests.Forks.

import (
	"errors"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/consensus/misc/eip4844"
	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/core/rawdb"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/tracing"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/core/vm"
	"github.com/ethereum/go-ethereum/params"
	"github.com/ethereum/go-ethereum/tests"
	"github.com/ethereum/go-ethereum/triedb"
	"github.com/ethereum/go-ethereum/triedb/hashdb"
	"github.com/holiman/uint256"
	"github.com/velarium/velarium/fork"
	"github.com/velarium/velarium/statetest"
)

func u64p(v uint64) *uint64 { return &v }

// gethForkNames are go-ethereum's tests.Forks names of the forks.
var gethForkNames = map[fork.ID]string{
	fork.Frontier: "Frontier", fork.Homestead: "Homestead", fork.TangerineWhistle: "EIP150",
	fork.SpuriousDragon: "EIP158", fork.Byzantium: "Byzantium", fork.Constantinople: "Constantinople",
	fork.Petersburg: "ConstantinopleFix", fork.Istanbul: "Istanbul", fork.Berlin: "Berlin",
	fork.London: "London", fork.Paris: "Paris", fork.Shanghai: "Shanghai", fork.Cancun: "Cancun",
	fork.Prague: "Prague", fork.Osaka: "Osaka",
}

var gethConfigs = func() map[fork.ID]*params.ChainConfig {
	m := map[fork.ID]*params.ChainConfig{}
	for _, f := range Forks {
		c, ok := tests.Forks[gethForkNames[f]]
		if !ok {
			panic("no go-ethereum config for " + f.String())
		}
		m[f] = c
	}
	return m
}()

// signedTx is the transaction as txbytes would carry it: legacy ones
// unprotected, typed ones signed for chain 1.
func signedTx(c *Case) (*types.Transaction, error) {
	t := &c.Tx
	var data types.TxData
	switch t.Type {
	case 0:
		data = &types.LegacyTx{Nonce: t.Nonce, GasPrice: t.GasPrice.ToBig(), Gas: t.Gas, To: t.To, Value: t.Value.ToBig(), Data: t.Data}
	case 1:
		data = &types.AccessListTx{ChainID: big.NewInt(1), Nonce: t.Nonce, GasPrice: t.GasPrice.ToBig(), Gas: t.Gas, To: t.To, Value: t.Value.ToBig(), Data: t.Data, AccessList: t.AccessList}
	case 2:
		data = &types.DynamicFeeTx{ChainID: big.NewInt(1), Nonce: t.Nonce, GasTipCap: t.GasTipCap.ToBig(), GasFeeCap: t.GasFeeCap.ToBig(), Gas: t.Gas, To: t.To, Value: t.Value.ToBig(), Data: t.Data, AccessList: t.AccessList}
	case 3:
		data = &types.BlobTx{ChainID: uint256.NewInt(1), Nonce: t.Nonce, GasTipCap: &t.GasTipCap, GasFeeCap: &t.GasFeeCap, Gas: t.Gas, To: *t.To, Value: &t.Value, Data: t.Data, AccessList: t.AccessList, BlobFeeCap: &t.BlobFeeCap, BlobHashes: t.BlobHashes}
	case 4:
		data = &types.SetCodeTx{ChainID: uint256.NewInt(1), Nonce: t.Nonce, GasTipCap: &t.GasTipCap, GasFeeCap: &t.GasFeeCap, Gas: t.Gas, To: *t.To, Value: &t.Value, Data: t.Data, AccessList: t.AccessList, AuthList: t.Auths}
	default:
		return nil, fmt.Errorf("type %d", t.Type)
	}
	signer := types.LatestSignerForChainID(big.NewInt(1))
	if t.Type == 0 {
		signer = types.HomesteadSigner{}
	}
	return types.SignNewTx(senderKey, signer, data)
}

// gethMessage builds the message as the runner's toMessage does.
func gethMessage(c *Case, baseFee *big.Int) *core.Message {
	t := &c.Tx
	msg := &core.Message{
		From: t.From, To: t.To, Nonce: t.Nonce, Value: new(uint256.Int).Set(&t.Value), GasLimit: t.Gas,
		Data: t.Data, AccessList: t.AccessList,
	}
	feeCap, tip := &t.GasPrice, &t.GasPrice
	if t.Type >= 2 {
		feeCap, tip = &t.GasFeeCap, &t.GasTipCap
	}
	msg.GasFeeCap, msg.GasTipCap = new(uint256.Int).Set(feeCap), new(uint256.Int).Set(tip)
	msg.GasPrice = new(uint256.Int).Set(feeCap)
	if baseFee != nil {
		p := new(big.Int).Add(tip.ToBig(), baseFee)
		if p.Cmp(feeCap.ToBig()) < 0 {
			msg.GasPrice = uint256.MustFromBig(p)
		}
	}
	if t.Type == 3 {
		msg.BlobHashes = append([]common.Hash{}, t.BlobHashes...) // non-nil: a blob transaction
		msg.BlobGasFeeCap = new(uint256.Int).Set(&t.BlobFeeCap)
	}
	if t.Type == 4 {
		msg.SetCodeAuthorizations = append([]types.SetCodeAuthorization{}, t.Auths...)
	}
	return msg
}

// RunGeth executes c on go-ethereum.
func RunGeth(c *Case) (out Outcome, err error) {
	defer func() {
		if x := recover(); x != nil {
			err = fmt.Errorf("go-ethereum panicked: %v", x)
		}
	}()
	config := gethConfigs[c.Fork]
	e := &c.Env
	number := new(big.Int).SetUint64(e.Number)
	isMerge := c.Fork >= fork.Paris
	rules := config.Rules(number, isMerge, e.Time)

	// Pre-state (tests.MakePreState with the hash scheme, no snapshot).
	db := rawdb.NewMemoryDatabase()
	tdb := triedb.NewDatabase(db, &triedb.Config{Preimages: true, HashDB: hashdb.Defaults})
	sdb := state.NewDatabase(tdb, nil)
	statedb, _ := state.New(types.EmptyRootHash, sdb)
	for _, a := range c.Pre {
		statedb.SetCode(a.Address, a.Code, tracing.CodeChangeUnspecified)
		statedb.SetNonce(a.Address, a.Nonce, tracing.NonceChangeUnspecified)
		statedb.SetBalance(a.Address, new(uint256.Int).Set(&a.Balance), tracing.BalanceChangeUnspecified)
		for k, v := range a.Storage {
			statedb.SetState(a.Address, k, v)
		}
	}
	root, err := statedb.Commit(params.Rules{}, 0)
	if err != nil {
		return out, err
	}
	defer tdb.Close()
	statedb, err = state.New(root, state.NewMPTDatabase(tdb, nil))
	if err != nil {
		return out, err
	}

	var baseFee *big.Int
	if config.IsLondon(new(big.Int)) {
		baseFee = e.BaseFee.ToBig()
	}
	msg := gethMessage(c, baseFee)
	if config.IsCancun(new(big.Int), e.Time) && len(msg.BlobHashes) > eip4844.MaxBlobsPerBlock(config, e.Time) {
		return Outcome{Invalid: errors.New("blob gas exceeds maximum")}, nil
	}
	tx, err := signedTx(c)
	if err != nil {
		return out, err
	}
	if _, err := types.Sender(types.LatestSigner(config), tx); err != nil {
		return Outcome{Invalid: err}, nil
	}

	ctx := vm.BlockContext{
		CanTransfer: core.CanTransfer,
		Transfer:    core.Transfer,
		GetHash:     statetest.TestBlockHash,
		Coinbase:    e.Coinbase,
		GasLimit:    e.GasLimit,
		BlockNumber: number,
		Time:        e.Time,
		Difficulty:  e.Difficulty.ToBig(),
		BaseFee:     baseFee,
	}
	if isMerge {
		rnd := e.Random
		ctx.Random = &rnd
		ctx.Difficulty = big.NewInt(0)
	}
	if config.IsCancun(new(big.Int), e.Time) {
		ctx.BlobBaseFee = eip4844.CalcBlobFee(config, &types.Header{Number: number, Time: e.Time, ExcessBlobGas: u64p(e.ExcessBlobGas)})
	}
	evm := vm.NewEVM(ctx, statedb, config, vm.Config{})
	snapshot := statedb.Snapshot()
	res, err := core.ApplyMessage(evm, msg, core.NewGasPool(e.GasLimit))
	if err != nil {
		statedb.RevertToSnapshot(snapshot)
		return Outcome{Invalid: err}, nil
	}
	statedb.AddBalance(e.Coinbase, new(uint256.Int), tracing.BalanceChangeUnspecified)
	post, err := statedb.Commit(rules, e.Number)
	if err != nil {
		return out, err
	}
	out = Outcome{Root: post, GasUsed: res.UsedGas, Status: 1, ReturnData: res.ReturnData, ExecErr: res.Err}
	if res.Failed() {
		out.Status = 0
		out.Reverted = errors.Is(res.Err, vm.ErrExecutionReverted)
	}
	if !rules.IsHomestead && errors.Is(res.Err, vm.ErrCodeStoreOutOfGas) {
		// Before Homestead a creation whose code deposit runs out of gas
		// stands (an account without code, gas kept): go-ethereum returns
		// the error but changes nothing for it, and an inner CREATE pushes
		// the address. Receipts had no status then; count it a success.
		out.Status, out.ExecErr = 1, nil
	}
	for _, l := range statedb.Logs() {
		out.Logs = append(out.Logs, Log{l.Address, l.Topics, l.Data})
	}
	return out, nil
}
