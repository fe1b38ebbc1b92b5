package mv

import (
	"testing"

	"github.com/holiman/uint256"
	"github.com/velarium/velarium/state"
	"pgregory.net/rapid"
)

// genB draws a balance or delta: small, or near 2^128 (where fees to the
// fee sink end, isSinkCredit), 2^254, 2^255 or 2^256.
func genB(t *rapid.T, l string) *uint256.Int {
	two255 := new(uint256.Int).Lsh(uint256.NewInt(1), 255)
	two128 := new(uint256.Int).Lsh(uint256.NewInt(1), 128)
	k := uint256.NewInt(rapid.Uint64Range(0, 200).Draw(t, l+"k"))
	switch rapid.IntRange(0, 7).Draw(t, l+"kind") {
	case 6:
		return new(uint256.Int).Sub(two128, k)
	case 7:
		return new(uint256.Int).Add(two128, k)
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
func TestPredicateReaderNeverMissed(t *testing.T) { checkPredicateReader(t, false, false) }

// TestPredicatePendingWriters: a predicate reader whose value is blocked
// by a pending writer is left registered (check), so it must be
// invalidated before it could become final: whenever nothing below the
// reader is pending, a registered, never-invalidated reader holds. Adds
// MarkPending and Predict to the writes above; rapid prints the failing
// seed.
func TestPredicatePendingWriters(t *testing.T) { checkPredicateReader(t, true, false) }

// TestPredicateOnFeeSink: the same reader on the fee sink (SetFeeSink)
// before the final prefix reaches it. Credits below 2^128 are fees, kept
// apart from the versions; the reader's funds check is answered on the
// balance without them (a lower bound: fees only add), or waits for the
// final prefix (AwaitPrefix) exactly when that bound is below x or 2^254
// or more. A yes must hold on the real balance, fees included, at once
// and after any later change while nothing below is pending (the
// coinbase's own debits are versions, so the one rule sees them). rapid
// prints the failing seed.
func TestPredicateOnFeeSink(t *testing.T) { checkPredicateReader(t, true, true) }

// checkPredicateReader drives one predicate reader (transaction R) over
// random writes by the transactions around it, against a model of the
// versions; with pending, writers also turn pending (MarkPending,
// Predict) and the reader is judged whenever none below it is; with sink,
// the account is the fee sink.
func checkPredicateReader(t *testing.T, pending, sink bool) {
	rapid.Check(t, func(t *rapid.T) {
		base := state.NewMem()
		b0 := genB(t, "base")
		base.SetAccount(acct, state.Account{Balance: *b0})
		const R, N = 8, 12
		s := New(base, 16)
		if sink {
			s.SetFeeSink(acct)
		}
		kb := Key{Kind: Balance, Addr: acct}
		var model [N]mw
		var pend [N]bool
		var predicted [N]bool // a version by Predict, until tx finishes
		two128 := new(uint256.Int).Lsh(uint256.NewInt(1), 128)
		// fee reports whether tx's write is a fee to the sink, kept apart
		// from the versions.
		fee := func(j int) bool { return sink && model[j].has && model[j].credit && model[j].v.Lt(two128) }
		// walk mirrors valueAt: the value transaction tx sees (without the
		// fees: the sink's lower bound), or blocked.
		walk := func(tx int, fees bool) (uint256.Int, bool) {
			var sum uint256.Int
			for j := tx - 1; j >= 0; j-- {
				if pend[j] && (predicted[j] || model[j].has && !fee(j)) {
					return sum, true
				}
				if !model[j].has || fee(j) && !fees {
					continue
				}
				sum.Add(&sum, &model[j].v)
				if !model[j].credit {
					return sum, false
				}
			}
			sum.Add(&sum, b0)
			return sum, false
		}
		below := func(tx int) (uint256.Int, bool) { return walk(tx, true) }
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
			if blocked != (blk >= 0 && blk != AwaitPrefix) {
				t.Fatalf("blocked %v blk %d", blocked, blk)
			}
			if blocked {
				return
			}
			want := !v.Lt(x) && v.Lt(two255)
			if sink {
				lb, _ := walk(R, false)
				two254 := new(uint256.Int).Rsh(two255, 1)
				if wait := lb.Lt(x) || !lb.Lt(two254); wait != (blk == AwaitPrefix) || !wait && !ok {
					t.Fatalf("sink: answer %v blk %d, want a wait %v (bound %v x %v)", ok, blk, wait, &lb, x)
				}
				if ok && !want {
					t.Fatalf("sink: yes on balance %v (x %v)", &v, x)
				}
			} else if ok != want {
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
				pend[tx], predicted[tx] = true, true
				continue
			}
			pend[tx], predicted[tx] = false, false
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
				// A full write of the value below is dropped by the store
				// (on the sink, only where that value is known: below the
				// final prefix, which is 0 here).
				if was, blocked := below(tx); !blocked && was.Eq(v) && (!sink || tx == 0) {
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
