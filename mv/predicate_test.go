package mv

import (
	"testing"

	"github.com/holiman/uint256"
	"github.com/velarium/velarium/state"
	"pgregory.net/rapid"
)

// genB draws a balance or delta: small, or near 2^254, 2^255 or 2^256.
func genB(t *rapid.T, l string) *uint256.Int {
	two255 := new(uint256.Int).Lsh(uint256.NewInt(1), 255)
	k := uint256.NewInt(rapid.Uint64Range(0, 200).Draw(t, l+"k"))
	switch rapid.IntRange(0, 5).Draw(t, l+"kind") {
	case 0, 1:
		return k
	case 2:
		return new(uint256.Int).Sub(two255, k)
	case 3:
		return new(uint256.Int).Add(two255, k)
	case 4:
		return new(uint256.Int).Sub(new(uint256.Int), k)
	default:
		return new(uint256.Int).Rsh(two255, 1)
	}
}

// mw is the model of one transaction's write of the balance element.
type mw struct {
	has, credit bool
	v           uint256.Int
}

// TestPredicateReaderNeverMissed: the one rule for predicate readers
// (BalanceAtLeast, "x <= balance < 2^255"): after any sequence of credits,
// debits (credits mod 2^256), full writes and removed writes below the
// reader, the reader is invalidated whenever the balance it should see
// left the range, and its answers match a model of the versions. rapid
// prints the failing seed.
func TestPredicateReaderNeverMissed(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		base := state.NewMem()
		b0 := genB(t, "base")
		base.SetAccount(acct, state.Account{Balance: *b0})
		const R, N = 8, 12
		s := New(base, 16)
		kb := Key{Kind: Balance, Addr: acct}
		var model [N]mw
		val := func() uint256.Int {
			var sum uint256.Int
			for i := R - 1; i >= 0; i-- {
				if !model[i].has {
					continue
				}
				sum.Add(&sum, &model[i].v)
				if !model[i].credit {
					return sum
				}
			}
			sum.Add(&sum, b0)
			return sum
		}
		two255 := new(uint256.Int).Lsh(uint256.NewInt(1), 255)
		inc := 0
		var x *uint256.Int
		registered := false
		ask := func() {
			x = genB(t, "x")
			ok, blk, err := s.BalanceAtLeast(R, inc, acct, x)
			if err != nil || blk >= 0 {
				t.Fatalf("blk %d err %v", blk, err)
			}
			v := val()
			want := !v.Lt(x) && v.Lt(two255)
			if ok != want {
				t.Fatalf("answer %v want %v (v %v x %v)", ok, want, &v, x)
			}
			registered = ok
		}
		ask()
		n := rapid.IntRange(1, 30).Draw(t, "n")
		for i := 0; i < n; i++ {
			tx := rapid.IntRange(0, N-1).Draw(t, "tx")
			if tx == R {
				continue
			}
			var ws []KeyWrite
			switch rapid.IntRange(0, 2).Draw(t, "kind") {
			case 0:
				v := genB(t, "cv")
				if rapid.Bool().Draw(t, "neg") {
					v.Neg(v)
				}
				model[tx] = mw{true, true, *v}
				ws = []KeyWrite{{kb, Write{Val: BalanceValue(v), Credit: true}}}
			case 1:
				v := genB(t, "fv")
				model[tx] = mw{true, false, *v}
				ws = []KeyWrite{{kb, Write{Val: BalanceValue(v)}}}
			case 2:
				model[tx] = mw{}
			}
			// a full write equal to the value below is dropped by the store
			if model[tx].has && !model[tx].credit {
				// model: compute value below tx
				var sum uint256.Int
				below := func() uint256.Int {
					for j := tx - 1; j >= 0; j-- {
						if !model[j].has {
							continue
						}
						sum.Add(&sum, &model[j].v)
						if !model[j].credit {
							return sum
						}
					}
					sum.Add(&sum, b0)
					return sum
				}()
				if below.Eq(&model[tx].v) {
					model[tx] = mw{}
				}
			}
			inv := s.Finish(tx, ws, nil)
			hit := false
			for _, r := range inv {
				if r == R {
					hit = true
				}
			}
			v := val()
			inRange := !v.Lt(x) && v.Lt(two255)
			if registered && !hit && !inRange {
				t.Fatalf("missed: value %v x %v", &v, x)
			}
			if hit || (!registered && rapid.Bool().Draw(t, "reask")) {
				inc++
				s.Begin(R, inc)
				ask()
			}
		}
	})
}
