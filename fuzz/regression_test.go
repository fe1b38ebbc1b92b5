package fuzz

import (
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/holiman/uint256"
	"github.com/velarium/velarium/fork"
)

// manual builds a case: the sender funded, C0..C(n-1) with the given code
// (hex, spaces ignored), and a transaction to C0 (or a creation when create is set).
func manual(f fork.ID, codes ...string) *Case {
	c := &Case{Fork: f}
	e := &c.Env
	e.Coinbase, e.GasLimit, e.Number, e.Time = CoinbaseAddr, 30_000_000, 1000, 1000
	e.Difficulty.SetUint64(0x20000)
	rules := fork.Get(f)
	if rules.Paris {
		e.Difficulty.Clear()
		e.Random = common.HexToHash("0x01")
	}
	if rules.London {
		e.BaseFee.SetUint64(10)
	}
	sender := Account{Address: SenderAddr}
	sender.Balance.SetUint64(1e18)
	c.Pre = append(c.Pre, sender)
	for i, code := range codes {
		b, err := hex.DecodeString(strings.ReplaceAll(code, " ", ""))
		if err != nil {
			panic(err)
		}
		acc := Account{Address: ContractAddrs[i], Nonce: 1, Code: b}
		acc.Balance.SetUint64(5)
		c.Pre = append(c.Pre, acc)
	}
	to := ContractAddrs[0]
	c.Tx = Tx{From: SenderAddr, To: &to, Gas: 1_000_000}
	c.Tx.GasPrice.SetUint64(20)
	return c
}

// recurse calls itself with all but 1000 gas, then logs the call's
// success: CALL(GAS-1000, ADDRESS, 0, 0, 0, 0, 0) LOG1(0, 0, success).
const recurse = "6000 6000 6000 6000 6000 30 6103e8 5a 03 f1 6000 6000 a1 00"

func logCount(n int) func(o *Outcome) string {
	return func(o *Outcome) string {
		if o.Status != 1 || len(o.Logs) != n {
			return fmt.Sprintf("want success with %d logs", n)
		}
		return ""
	}
}

// TestRegressions holds the divergences the fuzzer found (harness or
// implementation), minimised, and hand-made cases for corners where
// go-ethereum is known to be peculiar. Both sides must agree on each.
func TestRegressions(t *testing.T) {
	tests := []struct {
		name string
		c    func() *Case
		// wantInvalid: both sides must reject the transaction.
		wantInvalid bool
		// post, when set, checks Velarium's post-state (which go-ethereum's
		// root then confirms) and says what is wrong with it.
		post func(o *Outcome) string
	}{
		{
			// Found by the fuzzer. Before Homestead a creation whose code
			// deposit runs out of gas stands, with empty code and the gas
			// kept; go-ethereum still reports ErrCodeStoreOutOfGas in its
			// ExecutionResult while Velarium reports success. Same root and
			// gas: not a consensus difference (no receipt status before
			// Byzantium, EIP-658); RunGeth normalises it.
			name: "frontier create code deposit out of gas",
			c: func() *Case {
				c := manual(fork.Frontier)
				c.Tx.To = nil
				c.Tx.Gas = 100_000
				c.Tx.Data = []byte{0x61, 0x60, 0x00, 0x60, 0x00, 0xf3} // RETURN(0, 0x6000)
				return c
			},
		},
		{
			// Found by the fuzzer (a harness bug): a blob transaction with
			// an empty blob hash list is invalid (EIP-4844); go-ethereum only
			// sees a blob transaction when Message.BlobHashes is non-nil.
			name: "cancun blob transaction without blob hashes",
			c: func() *Case {
				c := manual(fork.Cancun, "00")
				c.Tx.Type = 3
				c.Tx.GasFeeCap.SetUint64(20)
				c.Tx.BlobFeeCap.SetUint64(1e9)
				return c
			},
			wantInvalid: true,
		},
		{
			// The RIPEMD-160 precompile exists as an empty account and a
			// call to it runs out of gas: go-ethereum keeps it touched (the
			// mainnet block 2675119 quirk) and EIP-161 deletes it.
			name: "byzantium empty ripemd touched by failing call",
			c: func() *Case {
				c := manual(fork.Byzantium, "600060006000600060006003600 1f100")
				c.Pre = append(c.Pre, Account{Address: common.BytesToAddress([]byte{3})})
				return c
			},
			post: func(o *Outcome) string {
				if o.Post.Exists(common.BytesToAddress([]byte{3})) {
					return "0x03 still exists"
				}
				return ""
			},
		},
		{
			name: "london coinbase self-destructs before being paid",
			c: func() *Case {
				c := manual(fork.London, "73000000000000000000000000000000000000dead"+"ff")
				c.Env.Coinbase = ContractAddrs[0]
				c.Tx.Type = 2
				c.Tx.GasFeeCap.SetUint64(100)
				c.Tx.GasTipCap.SetUint64(10)
				return c
			},
		},
		{
			// EIP-6780: a contract created and destroyed in the same
			// transaction is deleted (its balance burnt when it is its own
			// beneficiary); a pre-existing one sending to itself keeps it.
			name: "cancun selfdestruct in creation and to self",
			c: func() *Case {
				return manual(fork.Cancun, "6130ff60005260026 01e6003f05030ff")
			},
		},
		{
			name: "shanghai selfdestruct in creation and to self",
			c: func() *Case {
				return manual(fork.Shanghai, "6130ff60005260026 01e6003f05030ff")
			},
		},
		{
			// Recursion to the call depth limit without EIP-150's 63/64:
			// every frame logs whether its call succeeded.
			name: "frontier recursion to depth 1024",
			c: func() *Case {
				c := manual(fork.Frontier, recurse)
				c.Tx.Gas = 2_000_000
				return c
			},
			post: logCount(1025), // the transaction's frame and 1024 nested calls
		},
		{
			name: "homestead recursion to depth 1024",
			c: func() *Case {
				c := manual(fork.Homestead, recurse)
				c.Tx.Gas = 2_000_000
				return c
			},
			post: logCount(1025), // the transaction's frame and 1024 nested calls
		},
		{
			// EIP-1283 (Constantinople only) versus Petersburg metering of
			// 0->1->0 and 1->2->1.
			name: "constantinople net gas metering",
			c: func() *Case {
				c := manual(fork.Constantinople, "6001600055600060005560026001556001600155 00")
				c.Pre[1].Storage = map[common.Hash]common.Hash{common.HexToHash("0x01"): common.HexToHash("0x01")}
				return c
			},
		},
		{
			name: "petersburg net gas metering",
			c: func() *Case {
				c := manual(fork.Petersburg, "6001600055600060005560026001556001600155 00")
				c.Pre[1].Storage = map[common.Hash]common.Hash{common.HexToHash("0x01"): common.HexToHash("0x01")}
				return c
			},
		},
		{
			// EIP-7825: 2^24 is allowed, 2^24+1 is not.
			name: "osaka transaction gas at the cap",
			c: func() *Case {
				c := manual(fork.Osaka, "00")
				c.Tx.Gas = 1 << 24
				return c
			},
			post: func(o *Outcome) string {
				if o.Status != 1 {
					return "failed"
				}
				return ""
			},
		},
		{
			name: "osaka transaction gas above the cap",
			c: func() *Case {
				c := manual(fork.Osaka, "00")
				c.Tx.Gas = 1<<24 + 1
				return c
			},
			wantInvalid: true,
		},
		{
			// EIP-7702: the sender delegates to C1 in its own transaction
			// (authorization nonce = tx nonce + 1) and calls itself.
			name: "prague self-sponsored delegation",
			c: func() *Case {
				c := manual(fork.Prague, "00", "600160005500")
				c.Tx.Type = 4
				c.Tx.GasFeeCap.SetUint64(20)
				to := SenderAddr
				c.Tx.To = &to
				auth, err := types.SignSetCode(senderKey, types.SetCodeAuthorization{
					ChainID: *uint256.NewInt(1), Address: ContractAddrs[1], Nonce: 1,
				})
				if err != nil {
					panic(err)
				}
				c.Tx.Auths = []types.SetCodeAuthorization{auth}
				return c
			},
			post: func(o *Outcome) string {
				if v, _ := o.Post.Storage(SenderAddr, common.Hash{}); v != common.HexToHash("0x01") {
					return "the delegated code did not run in the sender"
				}
				return ""
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.c()
			if d := Compare(c); d != "" {
				t.Fatalf("%s\n\ncase:\n%s%s", d, c, disasmAll(c))
			}
			o, err := RunOurs(c)
			if err != nil {
				t.Fatal(err)
			}
			if (o.Invalid != nil) != tt.wantInvalid {
				t.Fatalf("invalid: %v, want invalid %v", o.Invalid, tt.wantInvalid)
			}
			if tt.post != nil {
				if msg := tt.post(&o); msg != "" {
					t.Fatalf("%s (%s)", msg, o.summary())
				}
			}
		})
	}
}
