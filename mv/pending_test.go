package mv

import (
	"testing"

	"github.com/holiman/uint256"
	"github.com/velarium/velarium/state"
	"pgregory.net/rapid"
)

// pw is the model of one transaction's write of the balance element.
type pw struct {
	has, credit bool
	v           uint256.Int
}

// TestPredicatePendingWriters: a predicate reader whose value is blocked
// by a pending writer is left registered (check), so it must be
// invalidated before it could become final: whenever nothing below the
// reader is pending, a registered, never-invalidated reader holds. Mixes
// MarkPending, Predict, credits, debits, full writes and removals; rapid
// prints the failing seed.
func TestPredicatePendingWriters(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		base := state.NewMem()
		b0 := genB(t, "base")
		base.SetAccount(acct, state.Account{Balance: *b0})
		const R, N = 8, 12
		s := New(base, 16)
		kb := Key{Kind: Balance, Addr: acct}
		var model [N]pw
		var pend [N]bool
		// valueBelow mirrors valueAt: value at tx, or blocked.
		valueBelow := func(tx int) (uint256.Int, bool) {
			var sum uint256.Int
			for j := tx - 1; j >= 0; j-- {
				if !model[j].has {
					continue
				}
				if pend[j] {
					return sum, true
				}
				sum.Add(&sum, &model[j].v)
				if !model[j].credit {
					return sum, false
				}
			}
			sum.Add(&sum, b0)
			return sum, false
		}
		anyPendBelow := func() bool {
			for j := 0; j < R; j++ {
				if pend[j] {
					return true
				}
			}
			return false
		}
		two255 := new(uint256.Int).Lsh(uint256.NewInt(1), 255)
		inc := 0
		var x *uint256.Int
		registered := false
		ask := func() {
			registered = false
			x = genB(t, "x")
			ok, blk, err := s.BalanceAtLeast(R, inc, acct, x)
			if err != nil {
				t.Fatal(err)
			}
			v, blocked := valueBelow(R)
			if blocked != (blk >= 0) {
				t.Fatalf("blocked %v blk %d", blocked, blk)
			}
			if blocked {
				return
			}
			want := !v.Lt(x) && v.Lt(two255)
			if ok != want {
				t.Fatalf("answer %v want %v", ok, want)
			}
			registered = ok
		}
		ask()
		n := rapid.IntRange(1, 40).Draw(t, "n")
		for i := 0; i < n; i++ {
			tx := rapid.IntRange(0, N-1).Draw(t, "tx")
			if tx == R {
				continue
			}
			op := rapid.IntRange(0, 5).Draw(t, "op")
			if op == 4 {
				s.MarkPending(tx)
				pend[tx] = true
				continue
			}
			if op == 5 {
				if !model[tx].has {
					s.Predict(tx, kb)
					model[tx] = pw{has: true}
				} else {
					s.Predict(tx, kb)
				}
				pend[tx] = true
				continue
			}
			pend[tx] = false
			var ws []KeyWrite
			switch op % 3 {
			case 0:
				v := genB(t, "cv")
				if rapid.Bool().Draw(t, "neg") {
					v.Neg(v)
				}
				model[tx] = pw{true, true, *v}
				ws = []KeyWrite{{kb, Write{Val: BalanceValue(v), Credit: true}}}
			case 1:
				v := genB(t, "fv")
				model[tx] = pw{true, false, *v}
				ws = []KeyWrite{{kb, Write{Val: BalanceValue(v)}}}
				if below, blocked := valueBelow(tx); !blocked && below.Eq(v) {
					model[tx] = pw{}
				}
			case 2:
				model[tx] = pw{}
			}
			inv := s.Finish(tx, ws, nil)
			hit := false
			for _, r := range inv {
				if r == R {
					hit = true
				}
			}
			if hit {
				inc++
				s.Begin(R, inc)
				registered = false
			}
			if !anyPendBelow() {
				v, _ := valueBelow(R)
				inRange := !v.Lt(x) && v.Lt(two255)
				if registered && !inRange {
					t.Fatalf("missed: value %v x %v", &v, x)
				}
				if !registered && rapid.Bool().Draw(t, "reask") {
					inc++
					s.Begin(R, inc)
					ask()
				}
			}
		}
	})
}
