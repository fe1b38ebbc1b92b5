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
func TestPredicateReaderNeverMissed(t *testing.T) { checkPredicateReader(t, false) }

// TestPredicatePendingWriters: a predicate reader whose value is blocked
// by a pending writer is left registered (check), so it must be
// invalidated before it could become final: whenever nothing below the
// reader is pending, a registered, never-invalidated reader holds. Adds
// MarkPending and Predict to the writes above; rapid prints the failing
// seed.
func TestPredicatePendingWriters(t *testing.T) { checkPredicateReader(t, true) }

// checkPredicateReader drives one predicate reader (transaction R) over
// random writes by the transactions around it, against a model of the
// versions; with pending, writers also turn pending (MarkPending,
// Predict) and the reader is judged whenever none below it is.
func checkPredicateReader(t *testing.T, pending bool) {
	rapid.Check(t, func(t *rapid.T) {
		base := state.NewMem()
		b0 := genB(t, "base")
		base.SetAccount(acct, state.Account{Balance: *b0})
		const R, N = 8, 12
		s := New(base, 16)
		kb := Key{Kind: Balance, Addr: acct}
		var model [N]mw
		var pend [N]bool
		// below mirrors valueAt: the value transaction tx sees, or blocked.
		below := func(tx int) (uint256.Int, bool) {
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
			v, blocked := below(R)
			if blocked != (blk >= 0) {
				t.Fatalf("blocked %v blk %d", blocked, blk)
			}
			if blocked {
				return
			}
			if want := !v.Lt(x) && v.Lt(two255); ok != want {
				t.Fatalf("answer %v want %v (v %v x %v)", ok, want, &v, x)
			}
			registered = ok
		}
		ask()
		maxOp := 3
		if pending {
			maxOp = 5
		}
		n := rapid.IntRange(1, 40).Draw(t, "n")
		for i := 0; i < n; i++ {
			tx := rapid.IntRange(0, N-1).Draw(t, "tx")
			if tx == R {
				continue
			}
			op := rapid.IntRange(0, maxOp).Draw(t, "op")
			switch op {
			case 4:
				s.MarkPending(tx)
				pend[tx] = true
				continue
			case 5:
				s.Predict(tx, kb)
				if !model[tx].has {
					model[tx] = mw{has: true}
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
				model[tx] = mw{true, true, *v}
				ws = []KeyWrite{{kb, Write{Val: BalanceValue(v), Credit: true}}}
			case 1:
				v := genB(t, "fv")
				model[tx] = mw{true, false, *v}
				ws = []KeyWrite{{kb, Write{Val: BalanceValue(v)}}}
				// A full write of the value below is dropped by the store.
				if was, blocked := below(tx); !blocked && was.Eq(v) {
					model[tx] = mw{}
				}
			case 2:
				model[tx] = mw{}
			}
			hit := false
			for _, r := range s.Finish(tx, ws, nil) {
				hit = hit || r == R
			}
			if hit {
				inc++
				s.Begin(R, inc)
				registered = false
			}
			if !anyPendBelow() {
				v, _ := below(R)
				if registered && !(!v.Lt(x) && v.Lt(two255)) {
					t.Fatalf("missed: value %v x %v", &v, x)
				}
				if !registered && (hit || rapid.Bool().Draw(t, "reask")) {
					inc++
					s.Begin(R, inc)
					ask()
				}
			}
		}
	})
}
