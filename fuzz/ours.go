package fuzz

import (
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/holiman/uint256"
	"github.com/velarium/velarium/chain"
	"github.com/velarium/velarium/evm"
	"github.com/velarium/velarium/fork"
	"github.com/velarium/velarium/state"
	"github.com/velarium/velarium/statetest"
)

// Log is a log as compared.
type Log struct {
	Address common.Address
	Topics  []common.Hash
	Data    []byte
}

// Outcome is what one implementation made of a case.
type Outcome struct {
	// Invalid is the validity error, if the transaction was invalid; the
	// other fields are then unset.
	Invalid    error
	Root       common.Hash
	GasUsed    uint64
	Status     uint64
	Reverted   bool // execution ended in REVERT (return data is the revert data)
	ReturnData []byte
	Logs       []Log
	ExecErr    error
	// Post is Velarium's post-state (nil on the go-ethereum side).
	Post *state.Mem
}

// RunOurs executes c on Velarium.
func RunOurs(c *Case) (out Outcome, err error) {
	defer func() {
		if x := recover(); x != nil {
			err = fmt.Errorf("velarium panicked: %v", x)
		}
	}()
	rules := fork.Get(c.Fork)
	mem := state.NewMem()
	mem.BlockHashFn = statetest.TestBlockHash
	for _, a := range c.Pre {
		mem.SetAccount(a.Address, state.Account{Nonce: a.Nonce, Balance: a.Balance, CodeHash: mem.AddCode(a.Code)})
		for k, v := range a.Storage {
			mem.SetStorage(a.Address, k, v)
		}
	}
	e := &c.Env
	env := &chain.BlockEnv{
		Coinbase: e.Coinbase, GasLimit: e.GasLimit, Number: e.Number, Time: e.Time,
		Difficulty: e.Difficulty,
	}
	env.ChainID.SetUint64(1)
	if rules.Paris {
		rnd := e.Random
		env.Random = &rnd
		env.Difficulty.Clear()
	}
	if rules.London {
		bf := e.BaseFee
		env.BaseFee = &bf
	}
	if rules.Cancun {
		x := e.ExcessBlobGas
		env.ExcessBlobGas = &x
	}
	msg := ourMessage(c, env.BaseFee)

	// The state test runner's pre-check (statetest.validate).
	if rules.Cancun && uint64(len(msg.BlobHashes)) > rules.Blob.Max {
		return Outcome{Invalid: errors.New("blob gas exceeds maximum")}, nil
	}
	res, err := chain.Apply(rules, env, msg, mem, chain.Config{})
	if err != nil {
		return out, err
	}
	if res.Err != nil {
		return Outcome{Invalid: res.Err}, nil
	}
	mem.Apply(res.Diff)
	out = Outcome{
		Root: mem.Root(), GasUsed: res.GasUsed, Status: res.Status, ReturnData: res.ReturnData,
		ExecErr: res.ExecErr, Reverted: errors.Is(res.ExecErr, evm.ErrExecutionReverted),
		Post: mem,
	}
	for _, l := range res.Logs {
		out.Logs = append(out.Logs, Log{l.Address, l.Topics, l.Data})
	}
	return out, nil
}

// ourMessage builds the chain.Message the way statetest.Test.Message does.
func ourMessage(c *Case, baseFee *uint256.Int) *chain.Message {
	t := &c.Tx
	msg := &chain.Message{
		Type: t.Type, From: t.From, To: t.To, Nonce: t.Nonce, Value: t.Value, Gas: t.Gas,
		Data: t.Data, AccessList: t.AccessList, BlobFeeCap: t.BlobFeeCap, BlobHashes: t.BlobHashes,
	}
	if t.Type < 2 {
		msg.GasPrice, msg.GasFeeCap, msg.GasTipCap = t.GasPrice, t.GasPrice, t.GasPrice
	} else {
		msg.GasFeeCap, msg.GasTipCap = t.GasFeeCap, t.GasTipCap
		msg.GasPrice = t.GasFeeCap
		if baseFee != nil {
			eff, overflow := new(uint256.Int).AddOverflow(&t.GasTipCap, baseFee)
			if !overflow && eff.Lt(&t.GasFeeCap) {
				msg.GasPrice = *eff
			}
		}
	}
	for _, a := range t.Auths {
		o := chain.Authorization{ChainID: a.ChainID, Address: a.Address, Nonce: a.Nonce, V: a.V, R: a.R, S: a.S}
		if auth, err := a.Authority(); err == nil {
			o.Authority = &auth
		}
		msg.AuthList = append(msg.AuthList, o)
	}
	return msg
}
