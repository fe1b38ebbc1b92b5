// Package demo generates synthetic blocks (no fixtures needed) and runs them
// serially, on real parallel workers and on simulated cores, checking that
// every parallel result equals the serial one.
//
// Every workload builds, deterministically from (size, seed), a pre-state,
// size transactions and a block environment (Cancun rules, coinbase and
// base fee set, so fees go to the coinbase).
package demo

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/holiman/uint256"
	"github.com/velarium/velarium/asm"
	"github.com/velarium/velarium/chain"
	"github.com/velarium/velarium/fork"
	"github.com/velarium/velarium/state"
)

// Block is one generated block: pre-state, transactions, environment.
type Block struct {
	Pre *state.Mem
	Txs []*chain.Message
	Env *chain.BlockEnv
}

// Workload is a named block generator.
type Workload struct {
	Name string
	Desc string
	// Gen builds a block of size transactions from seed, deterministically.
	Gen func(size int, seed int64) (*Block, error)
}

// Rules are the fork rules every workload runs under.
func Rules() *fork.Rules { return fork.Get(fork.Cancun) }

// Fixed addresses of the demo.
var (
	Coinbase = common.HexToAddress("0x00000000000000000000000000000000c01dbA5e")
	Token    = common.HexToAddress("0x00000000000000000000000000000000000E2C20")
	Minter   = common.HexToAddress("0x000000000000000000000000000000000000A1A7")
	Pool     = common.HexToAddress("0x00000000000000000000000000000000000000AA")
	Hasher   = common.HexToAddress("0x000000000000000000000000000000000000CAA1")
)

// Address roles (the first byte of generated EOAs).
const (
	roleSender    = 0x51
	roleRecipient = 0x52
)

// Account returns the i-th generated EOA of a role.
func Account(role byte, i int) common.Address {
	var a common.Address
	a[0] = role
	binary.BigEndian.PutUint64(a[12:], uint64(i)+1)
	return a
}

// Sender and Recipient are the i-th sender and recipient EOAs.
func Sender(i int) common.Address    { return Account(roleSender, i) }
func Recipient(i int) common.Address { return Account(roleRecipient, i) }

const gwei = 1_000_000_000

var (
	baseFee  = uint256.NewInt(1 * gwei)
	ethFunds = new(uint256.Int).Mul(uint256.NewInt(10), uint256.NewInt(1e18)) // 10 ETH
)

func newRand(seed int64, salt uint64) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(seed), salt))
}

// env returns the block environment for txs.
func env(txs []*chain.Message) *chain.BlockEnv {
	var gas uint64
	for _, m := range txs {
		gas += m.Gas
	}
	e := &chain.BlockEnv{
		Coinbase: Coinbase,
		GasLimit: max(30_000_000, gas),
		Number:   20_000_000,
		Time:     1_720_000_000,
		BaseFee:  new(uint256.Int).Set(baseFee),
	}
	e.ChainID.SetUint64(1)
	r := common.HexToHash("0x5eed")
	e.Random = &r
	excess := uint64(0)
	e.ExcessBlobGas = &excess
	return e
}

// dynTx is a type-2 transaction paying base fee + 1 gwei tip.
func dynTx(from common.Address, nonce uint64, to common.Address, gas uint64, data []byte) *chain.Message {
	t := to
	m := &chain.Message{Type: 2, From: from, To: &t, Nonce: nonce, Gas: gas, Data: data}
	m.GasTipCap.SetUint64(1 * gwei)
	m.GasFeeCap.SetUint64(3 * gwei)
	return m
}

func word(v *uint256.Int) []byte { b := v.Bytes32(); return b[:] }

func u(v uint64) *uint256.Int { return uint256.NewInt(v) }

func fund(pre *state.Mem, a common.Address) {
	pre.SetAccount(a, state.Account{Balance: *ethFunds})
}

// ERC20 token balances every sender starts with.
const erc20StartBalance = 1_000_000

// ERC20 is many transfers of one ERC-20 token among many accounts: size
// distinct senders send one transfer each to a recipient drawn among
// max(4096, 2*size) holders (half of them already hold tokens).
var ERC20 = Workload{
	Name: "erc20",
	Desc: "ERC-20 transfers, distinct senders, random recipients among thousands (low contention)",
	Gen: func(size int, seed int64) (*Block, error) {
		code, err := ERC20Code()
		if err != nil {
			return nil, err
		}
		rng := newRand(seed, 1)
		pre := state.NewMem()
		pre.SetCode(Token, code)
		holders := max(4096, 2*size)
		for i := 0; i < holders; i += 2 {
			pre.SetStorage(Token, asm.AddrMapSlot(Recipient(i), 0), common.Hash(u(uint64(1+rng.IntN(1000))).Bytes32()))
		}
		start := common.Hash(u(erc20StartBalance).Bytes32())
		txs := make([]*chain.Message, size)
		for i := range txs {
			s := Sender(i)
			fund(pre, s)
			pre.SetStorage(Token, asm.AddrMapSlot(s, 0), start)
			to := Recipient(rng.IntN(holders))
			amt := u(uint64(1 + rng.IntN(1000)))
			txs[i] = dynTx(s, 0, Token, 100_000, asm.Calldata(SigTransfer, to[:], word(amt)))
		}
		return &Block{Pre: pre, Txs: txs, Env: env(txs)}, nil
	},
}

// Mint is a mint rush: size distinct accounts call mint() on one contract;
// every call increments totalSupply (one hot slot).
var Mint = Workload{
	Name: "mint",
	Desc: "mint rush on one contract, every tx increments totalSupply (high contention)",
	Gen: func(size int, seed int64) (*Block, error) {
		code, err := MintCode()
		if err != nil {
			return nil, err
		}
		pre := state.NewMem()
		pre.SetCode(Minter, code)
		pre.SetStorage(Minter, common.Hash{31: 1}, common.Hash(u(uint64(1000+seed%1000)).Bytes32()))
		data := asm.Calldata(SigMint)
		txs := make([]*chain.Message, size)
		for i := range txs {
			s := Sender(i)
			fund(pre, s)
			txs[i] = dynTx(s, 0, Minter, 120_000, data)
		}
		return &Block{Pre: pre, Txs: txs, Env: env(txs)}, nil
	},
}

// AMM is size swaps on one constant-product pool; every swap reads and
// writes both reserves.
var AMM = Workload{
	Name: "amm",
	Desc: "swaps on one constant-product pool, every swap conflicts on the reserves",
	Gen: func(size int, seed int64) (*Block, error) {
		code, err := AMMCode()
		if err != nil {
			return nil, err
		}
		rng := newRand(seed, 3)
		pre := state.NewMem()
		pre.SetCode(Pool, code)
		e24 := new(uint256.Int).Exp(u(10), u(24))
		pre.SetStorage(Pool, common.Hash{31: SlotReserve0}, common.Hash(e24.Bytes32()))
		pre.SetStorage(Pool, common.Hash{31: SlotReserve1}, common.Hash(new(uint256.Int).Mul(e24, u(3)).Bytes32()))
		txs := make([]*chain.Message, size)
		for i := range txs {
			s := Sender(i)
			fund(pre, s)
			in := new(uint256.Int).Mul(u(uint64(1+rng.IntN(1000))), u(1e15))
			dir := u(uint64(rng.IntN(2)))
			txs[i] = dynTx(s, 0, Pool, 150_000, asm.Calldata(SigSwap, word(in), word(dir)))
		}
		return &Block{Pre: pre, Txs: txs, Env: env(txs)}, nil
	},
}

// ETH is size plain ETH transfers between distinct accounts (legacy
// transactions); half the recipients exist already.
var ETH = Workload{
	Name: "eth",
	Desc: "plain ETH transfers between distinct accounts (no contention)",
	Gen: func(size int, seed int64) (*Block, error) {
		rng := newRand(seed, 4)
		pre := state.NewMem()
		txs := make([]*chain.Message, size)
		for i := range txs {
			s, r := Sender(i), Recipient(i)
			fund(pre, s)
			if i%2 == 0 {
				fund(pre, r)
			}
			m := &chain.Message{Type: 0, From: s, To: &r, Gas: 21_000}
			m.GasPrice.SetUint64(2 * gwei)
			m.Value.Mul(u(uint64(1+rng.IntN(1000))), u(1e12))
			txs[i] = m
		}
		return &Block{Pre: pre, Txs: txs, Env: env(txs)}, nil
	},
}

// Chain is a fully dependent block: every transaction calls the hash-chain
// contract, which reads and rewrites the same slot (x = keccak^16(x)), so
// no two transactions can run in parallel.
var Chain = Workload{
	Name: "chain",
	Desc: "fully dependent chain: every tx does x = keccak(x) on one slot (no parallelism)",
	Gen: func(size int, seed int64) (*Block, error) {
		code, err := HashChainCode()
		if err != nil {
			return nil, err
		}
		pre := state.NewMem()
		pre.SetCode(Hasher, code)
		pre.SetStorage(Hasher, common.Hash{}, common.Hash(u(uint64(seed)+1).Bytes32()))
		txs := make([]*chain.Message, size)
		for i := range txs {
			s := Sender(i)
			fund(pre, s)
			txs[i] = dynTx(s, 0, Hasher, 100_000, nil)
		}
		return &Block{Pre: pre, Txs: txs, Env: env(txs)}, nil
	},
}

// All returns the workloads in their display order.
func All() []Workload { return []Workload{ERC20, Mint, AMM, ETH, Chain} }

// Names returns the workload names.
func Names() []string {
	var out []string
	for _, w := range All() {
		out = append(out, w.Name)
	}
	return out
}

// Lookup finds a workload by name.
func Lookup(name string) (Workload, error) {
	for _, w := range All() {
		if w.Name == name {
			return w, nil
		}
	}
	return Workload{}, fmt.Errorf("unknown workload %q (known: %s)", name, strings.Join(Names(), ", "))
}
