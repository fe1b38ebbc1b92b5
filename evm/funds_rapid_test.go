package evm

import (
	"fmt"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/holiman/uint256"
	"github.com/velarium/velarium/state"
	"pgregory.net/rapid"
)

// genBig draws an amount: small, or near 2^254, 2^255 or 2^256, or any.
func genBig(t *rapid.T, label string) *uint256.Int {
	two255 := new(uint256.Int).Lsh(uint256.NewInt(1), 255)
	k := uint256.NewInt(rapid.Uint64Range(0, 300).Draw(t, label+"k"))
	switch rapid.IntRange(0, 7).Draw(t, label+"kind") {
	case 0, 1:
		return k
	case 2:
		return new(uint256.Int).Sub(two255, k)
	case 3:
		return new(uint256.Int).Add(two255, k)
	case 4:
		return new(uint256.Int).Sub(new(uint256.Int), k) // 2^256 - k
	case 5:
		h := new(uint256.Int).Rsh(two255, 1)
		return new(uint256.Int).Add(h, k) // ~2^254
	case 6:
		h := new(uint256.Int).Rsh(two255, 1)
		return new(uint256.Int).Sub(h, k)
	default:
		var b [32]byte
		for i := range b {
			b[i] = rapid.Byte().Draw(t, fmt.Sprint(label, "b", i))
		}
		return new(uint256.Int).SetBytes32(b[:])
	}
}

// TestFundsLazyEqualsSerial: one account's balance driven by random
// credits, value checks (with debits), snapshots and reverts, reads,
// creation, code and nonce changes, with amounts near 2^255 and 2^256:
// the State over a FundsSource (balance unread, checks as predicates)
// answers every check as the State over the plain source (serial
// execution, balances mod 2^256) does, and ends with the same balance and
// the same EIP-161 emptiness. rapid prints the failing seed.
func TestFundsLazyEqualsSerial(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		c := common.Address{0xc}
		start := genBig(t, "start")
		mem := state.NewMem()
		// Nonce 0 and no code: emptiness depends on the balance alone.
		mem.SetAccount(c, state.Account{Nonce: uint64(rapid.IntRange(0, 1).Draw(t, "nonce")), Balance: *start})
		src := &fundsSource{Mem: mem}
		L := NewState(src)
		P := NewState(mem)
		defer L.Release()
		defer P.Release()
		if err := L.Load(c); err != nil {
			t.Fatal(err)
		}
		if err := P.Load(c); err != nil {
			t.Fatal(err)
		}
		var snaps [][2]int
		n := rapid.IntRange(1, 40).Draw(t, "n")
		for i := 0; i < n; i++ {
			switch op := rapid.IntRange(0, 9).Draw(t, "op"); op {
			case 0, 1:
				v := genBig(t, "add")
				L.AddBalance(c, v)
				P.AddBalance(c, v)
			case 2, 3, 4:
				v := genBig(t, "chk")
				if rapid.Bool().Draw(t, "zero") {
					v = new(uint256.Int)
				}
				if err := L.PrepareFunds(c, v); err != nil {
					t.Fatal(err)
				}
				hl, hp := L.HasFunds(c, v), P.HasFunds(c, v)
				if hl != hp {
					b, _ := P.Balance(c)
					t.Fatalf("HasFunds(%v): lazy %v serial %v (serial balance %v)", v, hl, hp, b)
				}
				if hp && rapid.Bool().Draw(t, "debit") {
					L.SubBalance(c, v)
					P.SubBalance(c, v)
				}
			case 5:
				snaps = append(snaps, [2]int{L.Snapshot(), P.Snapshot()})
			case 6:
				if len(snaps) > 0 {
					j := rapid.IntRange(0, len(snaps)-1).Draw(t, "rev")
					L.RevertTo(snaps[j][0])
					P.RevertTo(snaps[j][1])
					snaps = snaps[:j]
				}
			case 7:
				if rapid.IntRange(0, 3).Draw(t, "obs") == 0 {
					if err := L.ObserveBalance(c); err != nil {
						t.Fatal(err)
					}
				}
			case 8:
				// jAccount / jCode / jNonce entries
				switch rapid.IntRange(0, 2).Draw(t, "acc") {
				case 0:
					L.CreateContract(c)
					P.CreateContract(c)
				case 1:
					L.SetCode(c, []byte{byte(i)})
					P.SetCode(c, []byte{byte(i)})
				case 2:
					nn := uint64(i + 2)
					L.SetNonce(c, nn)
					P.SetNonce(c, nn)
				}
			case 9:
				// PrepareFunds then a HasFunds for CREATE with v maybe 0 without debit
				v := uint256.NewInt(rapid.Uint64Range(0, 3).Draw(t, "smallv"))
				if err := L.PrepareFunds(c, v); err != nil {
					t.Fatal(err)
				}
				if L.HasFunds(c, v) != P.HasFunds(c, v) {
					t.Fatalf("small HasFunds(%v) differ", v)
				}
			}
		}
		// Diff (EIP-161 on): lazy delta + start == serial balance, and the
		// same emptiness.
		if err := L.PrepareDiff(); err != nil {
			t.Fatal(err)
		}
		if err := P.PrepareDiff(); err != nil {
			t.Fatal(err)
		}
		var dl, dp *state.AccountDiff
		dL := L.Diff(true)
		dP := P.Diff(true)
		dl, dp = dL[c], dP[c]
		if (dl == nil) != (dp == nil) || (dl != nil && dl.Deleted != dp.Deleted) {
			t.Fatalf("diff presence or deletion differ: lazy %+v serial %+v", dl, dp)
		}
		if dl != nil && !dl.Deleted {
			got := dl.Balance
			if dl.BalanceDelta {
				got.Add(&got, start)
			}
			if !got.Eq(&dp.Balance) {
				t.Fatalf("final balance lazy %v serial %v", &got, &dp.Balance)
			}
		}
		if err := L.ObserveBalance(c); err != nil {
			t.Fatal(err)
		}
		bl, _ := L.Balance(c)
		bp, _ := P.Balance(c)
		if !bl.Eq(bp) {
			t.Fatalf("observed balance lazy %v serial %v", bl, bp)
		}
	})
}
