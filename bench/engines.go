package bench

import (
	"bytes"
	"errors"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/consensus/misc/eip4844"
	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/core/rawdb"
	gstate "github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/tracing"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/core/vm"
	"github.com/ethereum/go-ethereum/params"
	"github.com/ethereum/go-ethereum/tests"
	"github.com/holiman/uint256"
	"github.com/velarium/velarium/chain"
	"github.com/velarium/velarium/fork"
	"github.com/velarium/velarium/statetest"
)

// Outcome is what both engines must agree on.
type Outcome struct {
	GasUsed uint64
	Status  uint64
	Output  []byte
	Root    common.Hash // post-state root (zero when not computed)
}

// ---- Velarium ----

// VelaRunner executes a case with chain.Apply on the case's immutable
// state.Mem: every call is an independent transaction over the same
// pre-state (Apply returns a diff and changes nothing).
type VelaRunner struct{ c *Case }

func NewVelaRunner(c *Case) *VelaRunner { return &VelaRunner{c: c} }

// Run executes the transaction once.
func (r *VelaRunner) Run() (*chain.Result, error) {
	c := r.c
	res, err := chain.Apply(c.Rules, c.Env, c.Msg, c.Pre, chain.Config{})
	if err != nil {
		return nil, err
	}
	if res.Err != nil {
		return nil, fmt.Errorf("invalid transaction: %w", res.Err)
	}
	return res, nil
}

// Outcome runs once and computes the post-state root too.
func (r *VelaRunner) Outcome() (*Outcome, error) {
	res, err := r.Run()
	if err != nil {
		return nil, err
	}
	post := r.c.Pre.Copy()
	post.Apply(res.Diff)
	return &Outcome{GasUsed: res.GasUsed, Status: res.Status, Output: res.ReturnData, Root: post.Root()}, nil
}

// ---- go-ethereum ----

// gethChainConfig is go-ethereum's configuration for rules, from its state
// test fork table.
func gethChainConfig(r *fork.Rules) (*params.ChainConfig, error) {
	name := r.ID.String()
	if r.ID == fork.Paris {
		name = "Merge"
	}
	cfg, ok := tests.Forks[name]
	if !ok {
		return nil, fmt.Errorf("go-ethereum has no state test config for %s", name)
	}
	return cfg, nil
}

// GethMessage converts a Velarium message into go-ethereum's.
func GethMessage(m *chain.Message) *core.Message {
	cp := func(v uint256.Int) *uint256.Int { return &v }
	gm := &core.Message{
		To: m.To, From: m.From, Nonce: m.Nonce, Value: cp(m.Value), GasLimit: m.Gas,
		GasPrice: cp(m.GasPrice), GasFeeCap: cp(m.GasFeeCap), GasTipCap: cp(m.GasTipCap),
		Data: m.Data, AccessList: m.AccessList,
	}
	if m.Type == types.BlobTxType {
		gm.BlobGasFeeCap, gm.BlobHashes = cp(m.BlobFeeCap), m.BlobHashes
	}
	for _, a := range m.AuthList {
		gm.SetCodeAuthorizations = append(gm.SetCodeAuthorizations, types.SetCodeAuthorization{
			ChainID: a.ChainID, Address: a.Address, Nonce: a.Nonce, V: a.V, R: a.R, S: a.S})
	}
	return gm
}

func u256Big(v *uint256.Int) *big.Int {
	if v == nil {
		return nil
	}
	return v.ToBig()
}

// gethBlockContext is go-ethereum's block context for a Velarium
// BlockEnv. getHash answers BLOCKHASH.
func gethBlockContext(cfg *params.ChainConfig, env *chain.BlockEnv, getHash vm.GetHashFunc) vm.BlockContext {
	ctx := vm.BlockContext{
		CanTransfer: core.CanTransfer, Transfer: core.Transfer, GetHash: getHash,
		Coinbase: env.Coinbase, GasLimit: env.GasLimit, BlockNumber: new(big.Int).SetUint64(env.Number),
		Time: env.Time, Difficulty: env.Difficulty.ToBig(), BaseFee: u256Big(env.BaseFee),
		CostPerStateByte: params.CostPerStateByte,
	}
	if env.Random != nil {
		r := *env.Random
		ctx.Random = &r
		ctx.Difficulty = new(big.Int)
	}
	if env.ExcessBlobGas != nil && cfg.IsCancun(ctx.BlockNumber, env.Time) {
		ctx.BlobBaseFee = eip4844.CalcBlobFee(cfg, &types.Header{Number: ctx.BlockNumber, Time: env.Time, ExcessBlobGas: env.ExcessBlobGas})
	}
	return ctx
}

// GethRunner executes a case with core.ApplyMessage on go-ethereum
// StateDBs built from the case's alloc by tests.MakePreState (as its state
// test runner does), two ways:
//
//   - Run ("geth", warm): one StateDB (hash scheme) and one EVM reused;
//     every call takes a snapshot, applies the message and reverts, the way
//     go-ethereum's own state test benchmark (tests/state_test.go) repeats a
//     message. State objects stay cached in the StateDB between calls.
//   - RunFresh ("geth-fresh"): a new StateDB per call (state.New over a
//     path-scheme in-memory database: flat state reads, as a synced node),
//     on one reused EVM; every account and slot is loaded from the
//     database as a transaction touching it first in a block would.
//
// Velarium's chain.Apply is always "fresh": a new journaled State over the
// immutable state.Mem per call.
type GethRunner struct {
	c     *Case
	cfg   *params.ChainConfig
	sdb   *gstate.StateDB
	evm   *vm.EVM
	msg   *core.Message
	rules params.Rules

	fst   *tests.StateTestState
	froot common.Hash
	fevm  *vm.EVM
}

func NewGethRunner(c *Case) (*GethRunner, error) {
	cfg, err := gethChainConfig(c.Rules)
	if err != nil {
		return nil, err
	}
	st := tests.MakePreState(rawdb.NewMemoryDatabase(), c.Alloc, false, rawdb.HashScheme)
	ctx := gethBlockContext(cfg, c.Env, statetest.TestBlockHash)
	evm := vm.NewEVM(ctx, st.StateDB, cfg, vm.Config{})
	r := &GethRunner{c: c, cfg: cfg, sdb: st.StateDB, evm: evm, msg: GethMessage(c.Msg)}
	r.rules = evm.GetRules()

	fst := tests.MakePreState(rawdb.NewMemoryDatabase(), c.Alloc, false, rawdb.PathScheme)
	r.fst = &fst
	r.froot = fst.StateDB.IntermediateRoot(params.Rules{})
	r.fevm = vm.NewEVM(ctx, fst.StateDB, cfg, vm.Config{})
	return r, nil
}

// Close releases the path-scheme database.
func (r *GethRunner) Close() {
	if r.fst != nil {
		r.fst.Close()
		r.fst = nil
	}
}

// RunFresh applies the message once on a new StateDB over the pre-state.
func (r *GethRunner) RunFresh() (*core.ExecutionResult, error) {
	sdb, err := gstate.New(r.froot, r.fst.StateDB.Database())
	if err != nil {
		return nil, err
	}
	r.fevm.StateDB = sdb
	return core.ApplyMessage(r.fevm, r.msg, core.NewGasPool(r.c.Env.GasLimit))
}

// Run applies the message once and reverts the state.
func (r *GethRunner) Run() (*core.ExecutionResult, error) {
	snap := r.sdb.Snapshot()
	res, err := core.ApplyMessage(r.evm, r.msg, core.NewGasPool(r.c.Env.GasLimit))
	r.sdb.RevertToSnapshot(snap)
	return res, err
}

// Outcome applies the message on a copy of the state and computes the
// post-state root as go-ethereum's state test runner does (touching the
// coinbase with a zero reward).
func (r *GethRunner) Outcome() (*Outcome, error) {
	sdb := r.sdb.Copy()
	evm := vm.NewEVM(r.evm.Context, sdb, r.cfg, vm.Config{})
	res, err := core.ApplyMessage(evm, r.msg, core.NewGasPool(r.c.Env.GasLimit))
	if err != nil {
		return nil, err
	}
	sdb.AddBalance(r.c.Env.Coinbase, new(uint256.Int), tracing.BalanceChangeUnspecified)
	root := sdb.IntermediateRoot(r.rules)
	o := &Outcome{GasUsed: res.UsedGas, Status: 1, Output: res.ReturnData, Root: root}
	if res.Failed() {
		o.Status = 0
	}
	return o, nil
}

// Verify runs the case once on each engine and checks that gas used,
// status, output and post-state root agree, and the case's own
// expectations (fixture root, expected output, expected status).
func Verify(c *Case, v *VelaRunner, g *GethRunner) (*Outcome, error) {
	vo, err := v.Outcome()
	if err != nil {
		return nil, fmt.Errorf("velarium: %w", err)
	}
	gO, err := g.Outcome()
	if err != nil {
		return nil, fmt.Errorf("geth: %w", err)
	}
	var errs []error
	if fr, err := g.RunFresh(); err != nil {
		errs = append(errs, fmt.Errorf("geth fresh: %w", err))
	} else if fr.UsedGas != gO.GasUsed || !bytes.Equal(fr.ReturnData, gO.Output) {
		errs = append(errs, fmt.Errorf("geth fresh-state run differs from the warm one: gas %d vs %d", fr.UsedGas, gO.GasUsed))
	}
	if vo.GasUsed != gO.GasUsed {
		errs = append(errs, fmt.Errorf("gas used: velarium %d, geth %d", vo.GasUsed, gO.GasUsed))
	}
	if vo.Status != gO.Status {
		errs = append(errs, fmt.Errorf("status: velarium %d, geth %d", vo.Status, gO.Status))
	}
	if !bytes.Equal(vo.Output, gO.Output) {
		errs = append(errs, fmt.Errorf("output: velarium %s, geth %s", trunc(fmt.Sprintf("%x", vo.Output), 80), trunc(fmt.Sprintf("%x", gO.Output), 80)))
	}
	if vo.Root != gO.Root {
		errs = append(errs, fmt.Errorf("post-state root: velarium %s, geth %s", vo.Root.Hex(), gO.Root.Hex()))
	}
	if c.WantRoot != nil && vo.Root != *c.WantRoot {
		errs = append(errs, fmt.Errorf("post-state root %s, fixture expects %s", vo.Root.Hex(), c.WantRoot.Hex()))
	}
	if c.CheckOut && !bytes.Equal(vo.Output, c.WantOut) {
		errs = append(errs, fmt.Errorf("output %s, expected %s", trunc(fmt.Sprintf("%x", vo.Output), 80), trunc(fmt.Sprintf("%x", c.WantOut), 80)))
	}
	if c.WantStatus != nil && vo.Status != *c.WantStatus {
		errs = append(errs, fmt.Errorf("status %d, expected %d (output %x)", vo.Status, *c.WantStatus, vo.Output))
	}
	return vo, errors.Join(errs...)
}
