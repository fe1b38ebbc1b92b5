package run

import (
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/holiman/uint256"
	"github.com/velarium/velarium/asm"
	"github.com/velarium/velarium/chain"
	"github.com/velarium/velarium/evm"
	"github.com/velarium/velarium/fork"
	"github.com/velarium/velarium/state"
	"pgregory.net/rapid"
)

// A "phoenix" contract, for storage resets (the mv Cleared element): C
// self-destructs and factory F re-creates it at the same CREATE2 address
// with fresh storage. Before Cancun (EIP-6780) SELFDESTRUCT deletes the
// account, so under Shanghai the pair gives resets mid-block. C's account
// after a re-creation (nonce 1, same code) equals the original, so a reader
// of C's untouched slot 1 learns of the reset only through the reset
// itself: the case mv's rescanSlots exists for.
//
// C's code, by the first calldata word x:
//
//	x == 0: slot0 += 1; LOG0(slot0)
//	x == 1: SELFDESTRUCT(COINBASE)
//	else:   LOG0(slot1)
var (
	phoenixF     = common.HexToAddress("0x00000000000000000000000000000000000f0f0")
	phoenixC     common.Address
	phoenixR     []byte // C's runtime code
	phoenixI     []byte // C's init code: slot0 = 7, return phoenixR
	phoenixFCode []byte
)

func init() {
	p := asm.New()
	p.Op(evm.PUSH0, evm.CALLDATALOAD, evm.DUP1, evm.ISZERO).JumpI("inc")
	p.Push(1).Op(evm.EQ).JumpI("sd")
	p.Push(1).Op(evm.SLOAD, evm.PUSH0, evm.MSTORE).Push(32).Op(evm.PUSH0, evm.LOG0, evm.STOP)
	p.Label("inc").Op(evm.POP, evm.PUSH0, evm.SLOAD).Push(1).Op(evm.ADD, evm.DUP1, evm.PUSH0, evm.SSTORE, evm.PUSH0, evm.MSTORE).Push(32).Op(evm.PUSH0, evm.LOG0, evm.STOP)
	p.Label("sd").Op(evm.COINBASE, evm.SELFDESTRUCT)
	phoenixR = p.MustBytes()
	// init: SSTORE(0, 7); CODECOPY the runtime after this 14-byte header; RETURN it.
	n := len(phoenixR)
	phoenixI = append([]byte{evm.PUSH1, 7, evm.PUSH0, evm.SSTORE,
		evm.PUSH1 + 1, byte(n >> 8), byte(n), evm.DUP1, evm.PUSH1, 14, evm.PUSH0, evm.CODECOPY, evm.PUSH0, evm.RETURN},
		phoenixR...)
	// F: copy the init code (appended after F's 17-byte body) to memory,
	// CREATE2 with salt 0, stop.
	m := len(phoenixI)
	body := []byte{evm.PUSH1 + 1, byte(m >> 8), byte(m), evm.PUSH1 + 1, 0, 17, evm.PUSH0, evm.CODECOPY,
		evm.PUSH0, evm.PUSH1 + 1, byte(m >> 8), byte(m), evm.PUSH0, evm.PUSH0, evm.CREATE2, evm.POP, evm.STOP}
	phoenixFCode = append(body, phoenixI...)
	phoenixC = crypto.CreateAddress2(phoenixF, common.Hash{}, crypto.Keccak256(phoenixI))
}

func genResets(t *rapid.T) genBlock {
	nAcc := rapid.IntRange(1, 5).Draw(t, "accounts")
	pre := state.NewMem()
	for i := 0; i < nAcc; i++ {
		pre.SetAccount(eoa(i), state.Account{Balance: *uint256.NewInt(1e18)})
	}
	pre.SetAccount(phoenixF, state.Account{Nonce: 1})
	pre.SetCode(phoenixF, phoenixFCode)
	pre.SetAccount(phoenixC, state.Account{Nonce: 1, Balance: *uint256.NewInt(5)})
	pre.SetCode(phoenixC, phoenixR)
	pre.SetStorage(phoenixC, common.Hash{}, common.BigToHash(uint256.NewInt(3).ToBig()))
	pre.SetStorage(phoenixC, common.Hash{31: 1}, common.BigToHash(uint256.NewInt(9).ToBig()))
	nTx := rapid.IntRange(0, 30).Draw(t, "txs")
	nonces := make([]uint64, nAcc)
	var txs []*chain.Message
	for i := 0; i < nTx; i++ {
		s := rapid.IntRange(0, nAcc-1).Draw(t, "sender")
		m := &chain.Message{From: eoa(s), Nonce: nonces[s], Gas: 200000}
		m.GasPrice.SetUint64(10)
		nonces[s]++
		switch rapid.IntRange(0, 5).Draw(t, "kind") {
		case 5: // a creation with empty init code: empty code is deployed
			// in the batch (a destroyed C re-created by value then has the
			// empty code's hash: no CodeChanged in a canonical diff)
		case 0: // re-create C (fails while C exists)
			to := phoenixF
			m.To = &to
		case 1: // destroy C
			to := phoenixC
			m.To, m.Data = &to, word(1)
		case 2: // increment C's slot 0
			to := phoenixC
			m.To, m.Data = &to, word(0)
		case 3: // log C's slot 1 (never written: only resets change it)
			to := phoenixC
			m.To, m.Data = &to, word(2)
		default: // value into C
			to := phoenixC
			m.To = &to
			m.Value.SetUint64(1)
			m.Data = word(2)
		}
		txs = append(txs, m)
	}
	return genBlock{pre: pre, txs: txs, env: testEnv()}
}

// TestResetsParallelEqualsSerial: blocks that destroy and re-create a
// contract (storage resets, Shanghai rules) give the serial results and
// state on 1, 2, 4 and 8 workers and on 8 and 32 simulated cores with
// random timings. Guards mv's rule for resets: a reset invalidates the
// readers of the account's slots above it (mv.Store.rescanSlots).
func TestResetsParallelEqualsSerial(t *testing.T) {
	rules := fork.Get(fork.Shanghai)
	var total Stats
	resets := 0
	defer func() {
		t.Logf("runs %d, re-executions %d, parks %d, blocks with a re-creation %d", total.Runs, total.Reexecutions, total.Parks, resets)
		if resets == 0 {
			t.Error("no block re-created the contract: the workload does not exercise resets")
		}
	}()
	rapid.Check(t, func(t *rapid.T) {
		g := genResets(t)
		want, wantDiff, err := Serial(rules, g.env, g.txs, g.pre)
		if err != nil {
			t.Fatal(err)
		}
		if recreates(t, rules, g) {
			resets++
		}
		for _, w := range []int{1, 2, 4, 8} {
			opt := Options{Workers: w, MinTxs: 0, MaxRuns: 1000, Force: true}
			var st Stats
			got, gotDiff, err := Parallel(rules, g.env, g.txs, g.pre, opt, &st)
			if err != nil {
				t.Fatalf("workers %d: %v", w, err)
			}
			compare(t, want, got, wantDiff, gotDiff, g.pre)
			total.Runs += st.Runs
			total.Reexecutions += st.Reexecutions
			total.Parks += st.Parks
		}
		seed := rapid.Int64().Draw(t, "scheduleSeed")
		for _, p := range []int{8, 32} {
			got, gotDiff, _, err := Simulate(rules, g.env, g.txs, g.pre, SimOptions{Cores: p, Seed: seed, MaxRuns: 1000})
			if err != nil {
				t.Fatalf("cores %d seed %d: %v", p, seed, err)
			}
			compare(t, want, got, wantDiff, gotDiff, g.pre)
		}
	})
}

// recreates reports whether a transaction of g re-created phoenixC (its
// own diff resets the storage). Serial no longer builds per-transaction
// diffs, so this runs the block again building them.
func recreates(t *rapid.T, rules *fork.Rules, g genBlock) bool {
	ov := state.NewOverlay(g.pre)
	for i, m := range g.txs {
		r, err := chain.Apply(rules, g.env, m, ov, chain.Config{})
		if err != nil {
			t.Fatalf("transaction %d: %v", i, err)
		}
		if r.Err != nil {
			continue
		}
		if d := r.Diff[phoenixC]; d != nil && d.StorageCleared {
			return true
		}
		ov.Apply(r.Diff)
	}
	return false
}
