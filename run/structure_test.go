package run

import (
	"slices"
	"testing"

	"github.com/velarium/velarium/chain"
)

// TestSenderChainBound: the known-structure bound is total gas limit over
// the heaviest sender's gas limits; a payout block (one sender) is bound
// at 1x and runs serially under the default MinBound, distinct senders
// are not.
func TestSenderChainBound(t *testing.T) {
	mk := func(senders ...int) []*chain.Message {
		var txs []*chain.Message
		for _, s := range senders {
			txs = append(txs, &chain.Message{From: eoa(s), Gas: 21000})
		}
		return txs
	}
	cases := []struct {
		senders []int
		want    float64
		serial  bool
	}{
		{[]int{0, 0, 0, 0}, 1, true},
		{[]int{0, 1, 2, 3}, 4, false},
		{[]int{0, 0, 0, 1}, 4.0 / 3, true},
		{[]int{0, 0, 1, 1, 2, 2}, 3, false},
	}
	for _, c := range cases {
		st := blockStructure(mk(c.senders...))
		if st.bound != c.want {
			t.Errorf("senders %v: bound %v, want %v", c.senders, st.bound, c.want)
		}
		if why := st.serialWhy(len(c.senders), DefaultMinBound); (why != "") != c.serial {
			t.Errorf("senders %v: serial %v, want %v", c.senders, !c.serial, c.serial)
		}
	}
	// Gas limits weigh: one heavy transaction of a sender among light ones.
	txs := mk(0, 1, 2)
	txs[0].Gas = 10 * 21000
	if st := blockStructure(txs); st.heaviest != eoa(0) || st.share != 1 || st.bound != 12.0/10 {
		t.Errorf("heavy sender: bound %v, sender %v (%d txs)", st.bound, st.heaviest, st.share)
	}
	// Each transaction waits for its sender's previous one; the
	// transactions of senders that send more than once, the last one
	// included, predict their writes.
	st := blockStructure(mk(0, 1, 0, 2, 0))
	if want := []int32{-1, -1, 0, -1, 2}; !slices.Equal(st.prev, want) {
		t.Errorf("prev %v, want %v", st.prev, want)
	}
	if want := []bool{true, false, true, false, false}; !slices.Equal(st.next, want) {
		t.Errorf("next %v, want %v", st.next, want)
	}
	for i, want := range []bool{true, false, true, false, true} {
		if st.predicts(i) != want {
			t.Errorf("transaction %d predicts %v, want %v", i, !want, want)
		}
	}
}
