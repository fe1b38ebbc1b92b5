package mv

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"github.com/ethereum/go-ethereum/common"
	"github.com/holiman/uint256"
	"github.com/velarium/velarium/state"
	"pgregory.net/rapid"
)

var acct = common.HexToAddress("0xaa")

func slotKey(n int) Key {
	return Key{Kind: Slot, Addr: acct, Slot: common.BigToHash(uint256.NewInt(uint64(n)).ToBig())}
}

// TestRuleScripts runs testdata/rule.txt: each command's output must equal
// the "> " line that follows it.
func TestRuleScripts(t *testing.T) {
	base := state.NewMem()
	base.SetAccount(acct, state.Account{Nonce: 1})
	base.SetStorage(acct, slotKey(9).Slot, common.BigToHash(uint256.NewInt(7).ToBig()))
	s := New(base, 16)
	f, err := os.Open("testdata/rule.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	incs := map[int]int{}
	sc := bufio.NewScanner(f)
	line, got := 0, ""
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		if want, ok := strings.CutPrefix(text, "> "); ok {
			if got != want {
				t.Errorf("rule.txt:%d: want %q, got %q", line, want, got)
			}
			continue
		}
		f := strings.Fields(text)
		tx, _ := strconv.Atoi(f[1])
		switch f[0] {
		case "read":
			n, _ := strconv.Atoi(f[2])
			v, blk, err := s.Read(tx, incs[tx], slotKey(n))
			switch {
			case err != nil:
				got = "error " + err.Error()
			case blk >= 0:
				got = fmt.Sprintf("wait %d", blk)
			default:
				got = new(uint256.Int).SetBytes(v.Word[:]).Dec()
			}
		case "finish":
			var w []KeyWrite
			for _, kv := range f[2:] {
				k, v, _ := strings.Cut(kv, "=")
				n, _ := strconv.Atoi(k)
				x, _ := strconv.Atoi(v)
				w = append(w, KeyWrite{slotKey(n), Write{Val: Value{Word: common.BigToHash(uint256.NewInt(uint64(x)).ToBig())}}})
			}
			inv := s.Finish(tx, w, nil)
			for _, r := range inv {
				incs[r]++ // the driver restarts invalidated transactions
				s.Begin(r, incs[r])
			}
			if len(inv) == 0 {
				got = "none"
			} else {
				got = "invalidate " + strings.Trim(fmt.Sprint(inv), "[]")
			}
		case "pending":
			s.MarkPending(tx)
			got = ""
		default:
			t.Fatalf("rule.txt:%d: unknown command %q", line, f[0])
		}
	}
}

// TestCreditsCommute: commutative credits (the coinbase fee) stored as
// deltas conflict with nobody until the balance is observed; an observer
// sees the sum and is invalidated when a credit below it changes.
func TestCreditsCommute(t *testing.T) {
	base := state.NewMem()
	base.SetAccount(acct, state.Account{Balance: *uint256.NewInt(100)})
	s := New(base, 16)
	kb := Key{Kind: Balance, Addr: acct}
	credit := func(v uint64) []KeyWrite {
		return []KeyWrite{{kb, Write{Val: BalanceValue(uint256.NewInt(v)), Credit: true}}}
	}
	for tx := 0; tx < 3; tx++ {
		if inv := s.Finish(tx, credit(10), nil); len(inv) != 0 {
			t.Fatalf("credit by %d invalidated %v", tx, inv)
		}
	}
	v, blk, err := s.Read(5, 0, kb)
	if bal := v.Balance(); err != nil || blk >= 0 || bal.Uint64() != 130 {
		t.Fatalf("observer saw %v (blk %d, err %v), want 130", bal.Uint64(), blk, err)
	}
	if inv := s.Finish(1, credit(11), nil); len(inv) != 1 || inv[0] != 5 {
		t.Fatalf("changed credit below the observer: invalidated %v, want [5]", inv)
	}
	s.Begin(5, 1) // restarted after the invalidation
	if v, _, _ := s.Read(5, 1, kb); v.BalanceU64() != 131 {
		t.Fatalf("re-read saw %d, want 131", v.BalanceU64())
	}
	if inv := s.Finish(4, credit(1), nil); len(inv) != 1 || inv[0] != 5 {
		t.Fatalf("new credit below the (re-read) observer must invalidate it: %v", inv)
	}
}

// TestBalancePredicate: a funds check kept as "X <= balance < 2^255"
// (issue 5, item 3's stretch) is invalidated only when its answer flips:
// a credit below does not (unless it lifts the balance to 2^255), a debit
// below that leaves enough does not, one that leaves too little does; a
// false answer registers nothing.
func TestBalancePredicate(t *testing.T) {
	base := state.NewMem()
	base.SetAccount(acct, state.Account{Balance: *uint256.NewInt(100)})
	s := New(base, 16)
	kb := Key{Kind: Balance, Addr: acct}
	delta := func(v int64) []KeyWrite { // a credit (v > 0) or a debit (v < 0), mod 2^256
		d := uint256.NewInt(uint64(max(v, -v)))
		if v < 0 {
			d.Neg(d)
		}
		return []KeyWrite{{kb, Write{Val: BalanceValue(d), Credit: true}}}
	}
	x := uint256.NewInt(90)
	if ok, blk, err := s.BalanceAtLeast(8, 0, acct, x); !ok || blk >= 0 || err != nil {
		t.Fatalf("balance 100 >= 90: got %v (blk %d, err %v)", ok, blk, err)
	}
	if inv := s.Finish(2, delta(50), nil); len(inv) != 0 {
		t.Fatalf("a credit below invalidated %v", inv)
	}
	if inv := s.Finish(3, delta(-60), nil); len(inv) != 0 { // 100+50-60 = 90: still >= 90
		t.Fatalf("a debit leaving enough invalidated %v", inv)
	}
	if inv := s.Finish(2, delta(49), nil); len(inv) != 1 || inv[0] != 8 { // 89 < 90
		t.Fatalf("the answer flipped: invalidated %v, want [8]", inv)
	}
	s.Begin(8, 1)
	if ok, _, _ := s.BalanceAtLeast(8, 1, acct, x); ok {
		t.Fatal("balance 89 >= 90 answered true")
	}
	// The false answer registered nothing: restoring the credit reports no one.
	if inv := s.Finish(2, delta(50), nil); len(inv) != 0 {
		t.Fatalf("a false answer was registered: invalidated %v", inv)
	}
	// An exact read in the same run replaces the predicate: any change counts.
	if ok, _, _ := s.BalanceAtLeast(8, 1, acct, x); !ok {
		t.Fatal("balance 90 >= 90 answered false")
	}
	if v, _, _ := s.Read(8, 1, kb); v.BalanceU64() != 90 {
		t.Fatalf("exact read %d, want 90", v.BalanceU64())
	}
	if inv := s.Finish(4, delta(1), nil); len(inv) != 1 || inv[0] != 8 {
		t.Fatalf("a credit below an exact reader: invalidated %v, want [8]", inv)
	}
	// The range ends below 2^255 (so that the reader's own credits cannot
	// wrap): a balance that reaches it flips the answer.
	s.Begin(9, 1)
	if ok, _, _ := s.BalanceAtLeast(9, 1, acct, x); !ok {
		t.Fatal("balance 91 >= 90 answered false")
	}
	big := new(uint256.Int).Lsh(uint256.NewInt(1), 255)
	if inv := s.Finish(5, []KeyWrite{{kb, Write{Val: BalanceValue(big), Credit: true}}}, nil); len(inv) != 2 || inv[1] != 9 {
		t.Fatalf("a balance reaching 2^255: invalidated %v, want [8 9] (8: the exact reader above)", inv)
	}
	s.Begin(9, 2)
	if ok, _, _ := s.BalanceAtLeast(9, 2, acct, x); ok {
		t.Fatal("a balance of 2^255+91 answered true")
	}
}

// TestStaleReadRegistersNothing: a run that turned stale while it read
// (its transaction was restarted, Begin) gets ErrStale and is not
// registered as a reader, so a later change of the element does not
// invalidate the new run for a value it never saw; the new run's own read
// is registered and guarded by the one rule.
func TestStaleReadRegistersNothing(t *testing.T) {
	base := state.NewMem()
	base.SetAccount(acct, state.Account{Nonce: 1})
	k := slotKey(3)
	s := New(base, 4)
	s.Begin(2, 1) // tx 2 restarted: incarnation 0 is stale
	if _, _, err := s.Read(2, 0, k); !errors.Is(err, ErrStale) {
		t.Fatalf("stale read: err %v, want ErrStale", err)
	}
	w := func(x uint64) []KeyWrite {
		return []KeyWrite{{k, Write{Val: Value{Word: common.BigToHash(uint256.NewInt(x).ToBig())}}}}
	}
	if inv := s.Finish(0, w(5), nil); len(inv) != 0 {
		t.Fatalf("write below a stale read invalidated %v, want none", inv)
	}
	if v, blk, err := s.Read(2, 1, k); err != nil || blk >= 0 || v.Word[31] != 5 {
		t.Fatalf("current read: %x (blk %d, err %v), want 5", v.Word, blk, err)
	}
	if inv := s.Finish(1, w(6), nil); len(inv) != 1 || inv[0] != 2 {
		t.Fatalf("write below the current read invalidated %v, want [2]", inv)
	}
}

// BalanceU64 is a test shorthand for the low word of a balance value.
func (v Value) BalanceU64() uint64 { b := v.Balance(); return b.Uint64() }

// TestShardPadding: a shard fills two cache lines exactly, so that two
// workers locking neighbouring shards write different lines (see shard).
func TestShardPadding(t *testing.T) {
	if n := unsafe.Sizeof(shard{}); n != 128 {
		t.Fatalf("shard is %d bytes, want 128: adjust its padding", n)
	}
}

// TestKeyOrder: keyLess orders keys as their bytes (kind, address, slot)
// compare, and sortWrites sorts by it (Finish relies on the order for
// deterministic conflict attribution and for resets coming last).
func TestKeyOrder(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		gen := func(label string) Key {
			var k Key
			k.Kind = Kind(rapid.IntRange(0, 3).Draw(t, label+"kind"))
			// Few distinct bytes, so that equal prefixes are common.
			for i := range k.Addr {
				k.Addr[i] = byte(rapid.IntRange(0, 2).Draw(t, label+"a"))
			}
			for i := range k.Slot {
				k.Slot[i] = byte(rapid.IntRange(0, 2).Draw(t, label+"s"))
			}
			return k
		}
		bytesOf := func(k Key) []byte { return append(append([]byte{byte(k.Kind)}, k.Addr[:]...), k.Slot[:]...) }
		a, b := gen("a"), gen("b")
		if got, want := keyLess(&a, &b), bytes.Compare(bytesOf(a), bytesOf(b)) < 0; got != want {
			t.Fatalf("keyLess(%v, %v) = %v, want %v", a, b, got, want)
		}
		n := rapid.IntRange(0, 8).Draw(t, "n")
		w := make([]KeyWrite, n)
		for i := range w {
			w[i].Key = gen("w")
		}
		sortWrites(w)
		for i := 1; i < n; i++ {
			if bytes.Compare(bytesOf(w[i-1].Key), bytesOf(w[i].Key)) > 0 {
				t.Fatalf("not sorted at %d: %v", i, w)
			}
		}
	})
}

// TestBelow: element.below finds the highest version under tx, on short
// and long version lists (its scan of the tail and its search).
func TestBelow(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(0, 40).Draw(t, "n")
		var e element
		tx := 0
		for i := 0; i < n; i++ {
			tx += rapid.IntRange(1, 3).Draw(t, "gap")
			e.versions = append(e.versions, version{tx: tx})
		}
		q := rapid.IntRange(0, tx+2).Draw(t, "query")
		want := -1
		for i, v := range e.versions {
			if v.tx < q {
				want = i
			}
		}
		if got := e.below(q); got != want {
			t.Fatalf("below(%d) = %d, want %d (versions %v)", q, got, want, e.versions)
		}
	})
}

// TestResetThenSameValue: a transaction that resets an account's storage
// (re-creates a contract) and writes a slot with the value the slot held
// before keeps that write: above it the reset hides the old value, so the
// write is not "the value already there" (found by
// TestResetsParallelEqualsSerial with -rapid.checks=3000: the write was
// dropped and later readers saw 0).
func TestResetThenSameValue(t *testing.T) {
	base := state.NewMem()
	base.SetAccount(acct, state.Account{Nonce: 1})
	k := slotKey(9)
	seven := common.BigToHash(uint256.NewInt(7).ToBig())
	base.SetStorage(acct, k.Slot, seven)
	s := New(base, 4)
	if v, blk, err := s.Read(0, 0, k); err != nil || blk >= 0 || v.Word != seven {
		t.Fatalf("tx 0 read %x (blk %d, err %v)", v.Word, blk, err)
	}
	// Written in the order a transaction reports them (slot, then reset);
	// Finish sorts them anyway.
	s.Finish(0, []KeyWrite{
		{k, Write{Val: Value{Word: seven}}},
		{Key{Kind: Cleared, Addr: acct}, Write{Val: Value{Nonce: 1}}},
	}, nil)
	if v, blk, err := s.Read(1, 0, k); err != nil || blk >= 0 || v.Word != seven {
		t.Fatalf("above the re-creation the slot reads %x (blk %d, err %v), want 7", v.Word, blk, err)
	}
	// Another slot, not written by the re-creation, is gone.
	if v, _, _ := s.Read(1, 0, slotKey(8)); v.Word != (common.Hash{}) {
		t.Fatalf("unwritten slot reads %x after the reset, want 0", v.Word)
	}
}

// TestNonceClass: an account read that keeps its nonce as a class
// (state.NonceSource) is invalidated by a change of existence, of code,
// or of the nonce from non-zero to zero, and not by a non-zero nonce
// that changes to another: the payments to and calls of an account then
// commute with its own transactions (the one rule, with the value that
// reader depends on). An exact read in the same run makes it exact.
func TestNonceClass(t *testing.T) {
	base := state.NewMem()
	base.SetAccount(acct, state.Account{Nonce: 5, Balance: *uint256.NewInt(100)})
	s := New(base, 16)
	ka, _ := AccountKeys(acct)
	write := func(nonce uint64, code common.Hash) []KeyWrite {
		return []KeyWrite{{ka, Write{Val: Value{Exists: true, Nonce: nonce, Word: code}}}}
	}
	if a, ok, _, blk, err := s.ReadAccountLazy(8, 0, acct, true); !ok || blk >= 0 || err != nil || a.Nonce != 5 {
		t.Fatalf("read: %+v %v %d %v", a, ok, blk, err)
	}
	if inv := s.Finish(2, write(6, state.EmptyCodeHash), nil); len(inv) != 0 {
		t.Fatalf("nonce 5 -> 6 below a class reader invalidated %v", inv)
	}
	if n, blk, err := s.ObserveNonce(9, 0, acct); n != 6 || blk >= 0 || err != nil {
		t.Fatalf("exact nonce: %d %d %v, want 6", n, blk, err)
	}
	if inv := s.Finish(3, write(7, state.EmptyCodeHash), nil); len(inv) != 1 || inv[0] != 9 {
		t.Fatalf("nonce 6 -> 7 below an exact reader: invalidated %v, want [9]", inv)
	}
	s.Begin(9, 1)
	code := common.Hash{1}
	if inv := s.Finish(4, write(7, code), nil); len(inv) != 1 || inv[0] != 8 {
		t.Fatalf("a code change below a class reader: invalidated %v, want [8]", inv)
	}
	s.Begin(8, 1)
	if a, _, _, _, _ := s.ReadAccountLazy(8, 1, acct, true); a.Nonce != 7 || a.CodeHash != code {
		t.Fatalf("read again: %+v", a)
	}
	// The same run reading the nonce exactly: the reader becomes exact.
	if n, _, _ := s.ObserveNonce(8, 1, acct); n != 7 {
		t.Fatalf("exact nonce %d, want 7", n)
	}
	if inv := s.Finish(5, write(8, code), nil); len(inv) != 1 || inv[0] != 8 {
		t.Fatalf("nonce 7 -> 8 below a reader made exact: invalidated %v, want [8]", inv)
	}
	s.Begin(8, 2)
	// A nonce that becomes zero (the account deleted and made again, or
	// a write of a fresh account) leaves the class.
	s.Begin(10, 1)
	if a, _, _, _, _ := s.ReadAccountLazy(10, 1, acct, true); a.Nonce != 8 {
		t.Fatalf("read: %+v", a)
	}
	if inv := s.Finish(6, write(0, code), nil); len(inv) != 1 || inv[0] != 10 {
		t.Fatalf("nonce 8 -> 0 below a class reader: invalidated %v, want [10]", inv)
	}
	// A class read of nonce 0 is exact: 0 -> 1 leaves the class.
	s.Begin(10, 2)
	if a, _, _, _, _ := s.ReadAccountLazy(10, 2, acct, true); a.Nonce != 0 {
		t.Fatalf("read: %+v", a)
	}
	if inv := s.Finish(7, write(1, code), nil); len(inv) != 1 || inv[0] != 10 {
		t.Fatalf("nonce 0 -> 1 below a class reader: invalidated %v, want [10]", inv)
	}
}

// TestFoldFinalVersions: issue 5, item 2: versions below the final prefix
// fold into the value they lead to (a Balance element's credits and
// debits, which a sender's next transaction would otherwise walk one by
// one: quadratic in the sender's transactions). Reads above the fold,
// below it, and after writes above it see what the versions give.
func TestFoldFinalVersions(t *testing.T) {
	base := state.NewMem()
	base.SetAccount(acct, state.Account{Balance: *uint256.NewInt(100)})
	s := New(base, 32)
	_, kb := AccountKeys(acct)
	credit := func(v uint64) []KeyWrite {
		return []KeyWrite{{kb, Write{Val: BalanceValue(uint256.NewInt(v)), Credit: true}}}
	}
	read := func(tx int) uint64 {
		t.Helper()
		v, blk, err := s.Read(tx, 0, kb)
		if blk >= 0 || err != nil {
			t.Fatalf("read at %d: blocker %d, err %v", tx, blk, err)
		}
		return v.BalanceU64()
	}
	for tx := 0; tx < 10; tx++ {
		s.Finish(tx, credit(1), nil)
	}
	s.SetCommitted(10)
	if got := read(20); got != 110 {
		t.Fatalf("above ten final credits: %d, want 110", got)
	}
	if got := read(5); got != 105 { // below the fold: the versions walked
		t.Fatalf("at 5: %d, want 105", got)
	}
	s.Finish(12, credit(5), nil)
	if got := read(20); got != 115 {
		t.Fatalf("a credit above the fold: %d, want 115", got)
	}
	s.Finish(11, []KeyWrite{{kb, Write{Val: BalanceValue(uint256.NewInt(7))}}}, nil)
	if got := read(20); got != 12 {
		t.Fatalf("a full write above the fold: %d, want 7+5", got)
	}
	s.SetCommitted(13)
	if got := read(20); got != 12 {
		t.Fatalf("the full write folded: %d, want 12", got)
	}
	s.Finish(14, credit(1), nil)
	if got := read(20); got != 13 {
		t.Fatalf("a credit above the new fold: %d, want 13", got)
	}
	// The block's diff sees the same.
	s.SetCommitted(32)
	d, err := s.Diff()
	if err != nil {
		t.Fatal(err)
	}
	if ad := d[acct]; ad == nil || ad.Balance.Uint64() != 13 {
		t.Fatalf("diff: %+v, want balance 13", ad)
	}
}
