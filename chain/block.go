package chain

import (
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/params"
	"github.com/holiman/uint256"
	"github.com/velarium/velarium/evm"
	"github.com/velarium/velarium/fork"
	"github.com/velarium/velarium/state"
)

// ChainConfig says which fork rules apply at a block and which one-off
// events (the DAO fork) happen. Forks up to Paris activate by block number,
// later ones by timestamp.
type ChainConfig struct {
	ChainID uint64
	// ByBlock[f] is the first block of fork f (nil: not scheduled by number).
	ByBlock map[fork.ID]uint64
	// ByTime[f] is the first timestamp of fork f.
	ByTime map[fork.ID]uint64
	// DAOForkBlock is the block of the DAO irregular state change (nil: none).
	DAOForkBlock *uint64
	// DepositContract is the EIP-6110 deposit contract whose DepositEvent
	// logs become deposit requests from Prague on.
	DepositContract common.Address
}

// mainnetDepositContract is the beacon chain deposit contract on mainnet
// (also what the blockchain tests use).
var mainnetDepositContract = common.HexToAddress("0x00000000219ab540356cBB839Cbe05303d7705Fa")

// depositTopic is keccak256("DepositEvent(bytes,bytes,bytes,bytes,bytes)").
var depositTopic = common.HexToHash("0x649bbc62d0e31342afea4e5cd82d4049e7e1ee912fc0889aa790803be39038c5")

// Mainnet is Ethereum mainnet's schedule.
var Mainnet = &ChainConfig{
	ChainID: 1,
	ByBlock: map[fork.ID]uint64{
		fork.Frontier: 0, fork.Homestead: 1150000, fork.TangerineWhistle: 2463000,
		fork.SpuriousDragon: 2675000, fork.Byzantium: 4370000, fork.Constantinople: 7280000,
		fork.Petersburg: 7280000, fork.Istanbul: 9069000, fork.Berlin: 12244000,
		fork.London: 12965000, fork.Paris: 15537394,
	},
	ByTime: map[fork.ID]uint64{
		fork.Shanghai: 1681338455, fork.Cancun: 1710338135, fork.Prague: 1746612311, fork.Osaka: 1764798551,
	},
	DAOForkBlock:    func() *uint64 { v := uint64(1920000); return &v }(),
	DepositContract: mainnetDepositContract,
}

// SingleFork returns a chain where fork f applies from genesis (the
// blockchain tests' "network").
func SingleFork(f fork.ID, chainID uint64) *ChainConfig {
	return &ChainConfig{ChainID: chainID, ByBlock: map[fork.ID]uint64{f: 0}, DepositContract: mainnetDepositContract}
}

// Rules returns the fork rules at a block.
func (c *ChainConfig) Rules(number, time uint64) *fork.Rules {
	best := fork.Frontier
	for f, n := range c.ByBlock {
		if number >= n && f > best {
			best = f
		}
	}
	for f, t := range c.ByTime {
		if time >= t && f > best {
			best = f
		}
	}
	return fork.Get(best)
}

// Header is what block execution needs of a header.
type Header struct {
	ParentHash common.Hash
	Number     uint64
	Time       uint64
	GasLimit   uint64
	Coinbase   common.Address
	Difficulty uint256.Int
	MixDigest  common.Hash // PREVRANDAO from Paris on
	BaseFee    *uint256.Int
	// Cancun
	ExcessBlobGas    *uint64
	ParentBeaconRoot *common.Hash
}

// Uncle is what the uncle reward needs of an ommer header.
type Uncle struct {
	Number   uint64
	Coinbase common.Address
}

// Withdrawal is an EIP-4895 withdrawal (amount in gwei).
type Withdrawal struct {
	Index, Validator uint64
	Address          common.Address
	Amount           uint64
}

// Block is a block to execute: its header, transactions with senders
// known, ommers and withdrawals.
type Block struct {
	Header      Header
	Txs         []*Message
	Uncles      []Uncle
	Withdrawals []Withdrawal // nil before Shanghai
}

// Receipt is one transaction's receipt.
type Receipt struct {
	Type              uint8
	Status            uint64
	CumulativeGasUsed uint64
	GasUsed           uint64
	Logs              []Log
	Bloom             types.Bloom
	ContractAddress   *common.Address
}

// BlockResult is the outcome of a block.
type BlockResult struct {
	Receipts     []*Receipt
	GasUsed      uint64
	Bloom        types.Bloom
	ReceiptsRoot common.Hash
	// Requests are the EIP-7685 requests collected after the transactions
	// (Prague), each prefixed with its type byte.
	Requests [][]byte
	// Diff is the block's merged state diff (including rewards, withdrawals
	// and system calls).
	Diff state.Diff
	// StateRoot is the post-state root, when BlockOptions.FullState said
	// that src holds the full pre-state (a *state.Mem); nil otherwise.
	StateRoot *common.Hash
}

// TxError is an invalid transaction inside a block.
type TxError struct {
	Block uint64
	Index int
	Err   error
}

func (e *TxError) Error() string {
	return fmt.Sprintf("block %d, transaction %d: %v", e.Block, e.Index, e.Err)
}
func (e *TxError) Unwrap() error { return e.Err }

// BlockOptions are optional settings of ExecuteBlock.
type BlockOptions struct {
	// SkipSystem leaves out the pre-merge rewards, the DAO change,
	// withdrawals and the system calls (what pevm's replay does).
	SkipSystem bool
	Tracer     evm.Tracer
	// FullState: src is a *state.Mem holding the whole pre-state, so the
	// post-state root can be computed (BlockResult.StateRoot).
	FullState bool
	// Executor, when set, executes the transactions instead of the serial
	// loop (a parallel executor). It must return exactly what serial
	// execution gives: one result per transaction and their merged diff;
	// or ErrDeclined, and the serial loop runs them.
	Executor TxExecutor
	// ExecutorOnto, when set, is used instead of Executor: it layers the
	// transactions' merged diff onto the block's overlay itself, which
	// spares building that diff and applying it (a parallel executor
	// gathers it from its own state).
	ExecutorOnto TxExecutorOnto
	// Workers is how many goroutines the block's own work after the
	// transactions may use (the receipts root, ReceiptsRootN); <= 1: the
	// calling one. Set it to a parallel executor's workers.
	Workers int
}

// TxExecutor executes a block's transactions over src (which already holds
// the effects of the pre-transaction system calls) and returns each
// transaction's result and the merged state diff of all of them, or
// ErrDeclined to leave them to ExecuteBlock's serial loop.
type TxExecutor func(rules *fork.Rules, env *BlockEnv, txs []*Message, src state.Source) ([]*Result, state.Diff, error)

// TxExecutorOnto is a TxExecutor that layers the merged state diff of
// the transactions onto ov, the overlay it executes them over, instead of
// returning it (what ov.Apply of TxExecutor's diff gives). It returns
// ErrDeclined before changing ov; after any other error ov is undefined.
type TxExecutorOnto func(rules *fork.Rules, env *BlockEnv, txs []*Message, ov *state.Overlay) ([]*Result, error)

// ErrDeclined is what a TxExecutor returns to leave a block to
// ExecuteBlock's own serial loop: a parallel executor's answer for a block
// too small or too dependent to gain. Executing such a block serially
// itself costs more (its reads go through one more overlay, and its diff
// is applied after): 5-18% of the block on mainnet blocks.
var ErrDeclined = errors.New("chain: the executor declined the block")

// Env returns the transaction environment of a block.
func (c *ChainConfig) Env(h *Header) *BlockEnv {
	env := &BlockEnv{Coinbase: h.Coinbase, GasLimit: h.GasLimit, Number: h.Number, Time: h.Time,
		Difficulty: h.Difficulty, BaseFee: h.BaseFee, ExcessBlobGas: h.ExcessBlobGas}
	env.ChainID.SetUint64(c.ChainID)
	if c.Rules(h.Number, h.Time).Paris {
		r := h.MixDigest
		env.Random = &r
	}
	return env
}

// Block rewards before the merge (Yellow Paper; EIP-649, EIP-1234).
var (
	rewardFrontier       = uint256.NewInt(5e18)
	rewardByzantium      = uint256.NewInt(3e18)
	rewardConstantinople = uint256.NewInt(2e18)
)

// ExecuteBlock executes b over src. What it applies around the transactions:
//   - the DAO irregular state change at the DAO fork block (if configured);
//   - from Cancun, the EIP-4788 beacon root system call (when the header has
//     a parent beacon root); from Prague, the EIP-2935 parent hash call;
//   - the transactions, in order (an invalid one is a *TxError);
//   - from Prague, the EIP-7002 and EIP-7251 request calls;
//   - before Paris, the block and uncle rewards; from Shanghai, withdrawals.
//
// System calls run only when their contract has code, as the EIPs say.
func ExecuteBlock(c *ChainConfig, b *Block, src state.Source, opt BlockOptions) (*BlockResult, error) {
	h := &b.Header
	rules := c.Rules(h.Number, h.Time)
	env := c.Env(h)
	ov := state.NewOverlay(src)
	res := &BlockResult{}

	if !opt.SkipSystem {
		if c.DAOForkBlock != nil && h.Number == *c.DAOForkBlock {
			if err := daoChange(ov); err != nil {
				return nil, err
			}
		}
		if rules.Cancun && h.ParentBeaconRoot != nil {
			if _, err := systemCall(rules, env, ov, params.BeaconRootsAddress, h.ParentBeaconRoot[:], false); err != nil {
				return nil, err
			}
		}
		if rules.Prague {
			if _, err := systemCall(rules, env, ov, params.HistoryStorageAddress, h.ParentHash[:], false); err != nil {
				return nil, err
			}
		}
	}
	var cum, blobGas uint64
	var results []*Result
	if (opt.Executor != nil || opt.ExecutorOnto != nil) && len(b.Txs) > 0 {
		var rs []*Result
		var diff state.Diff
		var err error
		if opt.ExecutorOnto != nil {
			rs, err = opt.ExecutorOnto(rules, env, b.Txs, ov)
		} else {
			rs, diff, err = opt.Executor(rules, env, b.Txs, ov)
		}
		switch {
		case errors.Is(err, ErrDeclined):
			// The serial loop below runs the transactions.
		case err != nil:
			return nil, err
		default:
			for i, r := range rs {
				if r.Err != nil {
					return nil, &TxError{Block: h.Number, Index: i, Err: r.Err}
				}
			}
			results = rs
			ov.Apply(diff) // nil, so nothing, when ExecutorOnto layered it
		}
	}
	for i, msg := range b.Txs {
		if h.GasLimit-cum < msg.Gas {
			return nil, &TxError{Block: h.Number, Index: i, Err: errorf(ErrGasLimitReached, "gas %d, block gas left %d", msg.Gas, h.GasLimit-cum)}
		}
		if msg.Type == 3 {
			blobGas += uint64(len(msg.BlobHashes)) * blobGasPerBlob
			if blobGas > rules.Blob.Max*blobGasPerBlob {
				return nil, &TxError{Block: h.Number, Index: i, Err: errorf(ErrBlobGasLimitReached, "block blob gas %d, limit %d", blobGas, rules.Blob.Max*blobGasPerBlob)}
			}
		}
		var r *Result
		if results != nil {
			r = results[i]
		} else {
			var err error
			r, err = ApplyOnto(rules, env, msg, ov, ov, Config{Tracer: opt.Tracer})
			if err != nil {
				return nil, &TxError{Block: h.Number, Index: i, Err: err}
			}
			if r.Err != nil {
				return nil, &TxError{Block: h.Number, Index: i, Err: r.Err}
			}
		}
		cum += r.GasUsed
		rc := &Receipt{Type: msg.Type, Status: r.Status, CumulativeGasUsed: cum, GasUsed: r.GasUsed,
			Logs: r.Logs, ContractAddress: r.ContractAddress}
		switch {
		case r.LogsBloom != nil:
			rc.Bloom = *r.LogsBloom
		case len(r.Logs) > 0:
			rc.Bloom = LogsBloom(r.Logs)
		}
		res.Receipts = append(res.Receipts, rc)
		for k := range res.Bloom {
			res.Bloom[k] |= rc.Bloom[k]
		}
	}
	res.GasUsed = cum
	if !opt.SkipSystem {
		if rules.Prague {
			// EIP-6110: deposit requests from the deposit contract's logs.
			deposits := []byte{0x00}
			for i, rc := range res.Receipts {
				for _, l := range rc.Logs {
					if l.Address != c.DepositContract || len(l.Topics) == 0 || l.Topics[0] != depositTopic {
						continue
					}
					req, err := types.DepositLogToRequest(l.Data)
					if err != nil {
						return nil, &TxError{Block: h.Number, Index: i, Err: fmt.Errorf("deposit log: %w", err)}
					}
					deposits = append(deposits, req...)
				}
			}
			if len(deposits) > 1 {
				res.Requests = append(res.Requests, deposits)
			}
			// EIP-7002 and EIP-7251: the contracts must exist and the calls succeed.
			for _, rq := range []struct {
				typ  byte
				addr common.Address
			}{{0x01, params.WithdrawalQueueAddress}, {0x02, params.ConsolidationQueueAddress}} {
				out, err := systemCall(rules, env, ov, rq.addr, nil, true)
				if err != nil {
					return nil, fmt.Errorf("block %d: request system call to %s: %w", h.Number, rq.addr, err)
				}
				if len(out) > 0 {
					res.Requests = append(res.Requests, append([]byte{rq.typ}, out...))
				}
			}
		}
		if !rules.Paris {
			if err := applyRewards(rules, h, b.Uncles, ov); err != nil {
				return nil, err
			}
		}
		if rules.Shanghai {
			for _, w := range b.Withdrawals {
				amt := new(uint256.Int).Mul(uint256.NewInt(w.Amount), uint256.NewInt(1e9))
				if err := credit(ov, w.Address, amt, rules.EIP158); err != nil {
					return nil, err
				}
			}
		}
	}
	res.ReceiptsRoot = ReceiptsRootN(res.Receipts, opt.Workers)
	res.Diff = ov.Diff()
	if m, ok := src.(*state.Mem); ok && opt.FullState {
		post := m.Copy()
		post.Apply(res.Diff)
		root := post.Root()
		res.StateRoot = &root
	}
	return res, nil
}

// LogsBloom is the bloom filter of logs (a receipt's logsBloom).
func LogsBloom(logs []Log) types.Bloom {
	var bloom types.Bloom
	for _, l := range logs {
		bloom.Add(l.Address.Bytes())
		for _, t := range l.Topics {
			bloom.Add(t[:])
		}
	}
	return bloom
}

// ReceiptsRoot is the Merkle-Patricia root of the (typed, EIP-2718)
// receipts, as in the header's receiptsRoot from Byzantium on (see
// ReceiptsRootN).
func ReceiptsRoot(rs []*Receipt) common.Hash { return ReceiptsRootN(rs, 1) }

// credit adds amt to addr in the overlay, outside any transaction.
func credit(ov *state.Overlay, addr common.Address, amt *uint256.Int, eip158 bool) error {
	st := evm.NewState(ov)
	if err := st.Load(addr); err != nil {
		return err
	}
	st.AddBalance(addr, amt)
	ov.Apply(st.Diff(eip158))
	return nil
}

func applyRewards(r *fork.Rules, h *Header, uncles []Uncle, ov *state.Overlay) error {
	reward := rewardFrontier
	if r.Constantinople {
		reward = rewardConstantinople
	} else if r.Byzantium {
		reward = rewardByzantium
	}
	minerTotal := new(uint256.Int).Set(reward)
	for _, u := range uncles {
		// uncle miner: (uncle + 8 - number) * reward / 8; miner: reward / 32 per uncle
		ur := new(uint256.Int).SetUint64(u.Number + 8 - h.Number)
		ur.Mul(ur, reward)
		ur.Div(ur, uint256.NewInt(8))
		if err := credit(ov, u.Coinbase, ur, r.EIP158); err != nil {
			return err
		}
		minerTotal.Add(minerTotal, new(uint256.Int).Div(reward, uint256.NewInt(32)))
	}
	return credit(ov, h.Coinbase, minerTotal, r.EIP158)
}

// daoChange moves the balances of the DAO accounts to the refund contract
// (the irregular state change at block 1,920,000).
func daoChange(ov *state.Overlay) error {
	st := evm.NewState(ov)
	if err := st.Load(params.DAORefundContract); err != nil {
		return err
	}
	for _, a := range params.DAODrainList() {
		if err := st.Load(a); err != nil {
			return err
		}
		bal, _ := st.Balance(a)
		b := *bal
		st.AddBalance(params.DAORefundContract, &b)
		st.SetBalance(a, new(uint256.Int))
	}
	ov.Apply(st.Diff(false))
	return nil
}

// ErrSystemContract: a mandatory system contract (EIP-7002, EIP-7251) is
// missing or its call failed; the block is invalid.
var ErrSystemContract = errors.New("system contract missing or failed")

// systemCall runs a system call (EIP-4788 and successors): from the system
// address, 30M gas, no fee, no nonce. It returns the call's output. A
// missing contract is skipped unless strict, when it (and a failing call)
// is an error.
func systemCall(r *fork.Rules, env *BlockEnv, ov *state.Overlay, to common.Address, data []byte, strict bool) ([]byte, error) {
	st := evm.NewState(ov)
	code, err := st.Code(to)
	if err != nil {
		return nil, err
	}
	if len(code) == 0 {
		if strict {
			return nil, fmt.Errorf("%w: no code at %s", ErrSystemContract, to)
		}
		return nil, nil
	}
	vm := evm.New(r, blockContext(r, env, BlobBaseFee(r, blobExcess(env))), evm.TxContext{Origin: params.SystemAddress}, st)
	st.WarmAddress(to)
	if err := vm.Call(params.SystemAddress, to, data, 30_000_000, new(uint256.Int)); err != nil {
		return nil, err
	}
	if err := vm.Run(); err != nil {
		return nil, err
	}
	out, _, execErr := vm.Result()
	if strict && execErr != nil {
		return nil, fmt.Errorf("%w: %v", ErrSystemContract, execErr)
	}
	ov.Apply(st.Diff(true))
	return out, nil
}
