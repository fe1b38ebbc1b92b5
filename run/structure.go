package run

import (
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/velarium/velarium/chain"
	"github.com/velarium/velarium/mv"
	"github.com/velarium/velarium/sched"
)

// DefaultMinBound is the structural bound below which blocks run serially
// (see structure.bound): with a ceiling under 1.5x no schedule repays the
// multi-version bookkeeping.
const DefaultMinBound = 1.5

// structure is what is known of a block before execution, from its
// senders alone (one pass over the transactions).
type structure struct {
	// bound is the most any number of cores can speed the block up: a
	// sender's transactions run one after another (each reads the nonce
	// the previous one wrote), so the gas limits of the heaviest sender's
	// transactions bound the critical path from below, and total gas
	// limit / that sum bounds the speedup. Gas limits stand in for the
	// unknown gas used. A payout block (one account paying hundreds of
	// recipients) has a bound near 1.
	bound    float64
	heaviest common.Address // that sender
	share    int            // and its number of transactions
	// prev[i] is the previous transaction of i's sender, or -1.
	prev []int32
	// next[i]: a later transaction of i's sender exists.
	next []bool
}

func blockStructure(txs []*chain.Message) *structure {
	st := &structure{bound: 1, prev: make([]int32, len(txs)), next: make([]bool, len(txs))}
	if len(txs) == 0 {
		return st
	}
	type chainOf struct {
		gas  uint64
		n    int
		last int32
	}
	per := make(map[common.Address]*chainOf, len(txs))
	chains := make([]chainOf, 0, len(txs)) // backs per's values: one allocation
	var total uint64
	var top *chainOf
	for i, m := range txs {
		c := per[m.From]
		if c == nil {
			chains = append(chains, chainOf{last: -1})
			c = &chains[len(chains)-1]
			per[m.From] = c
		}
		st.prev[i] = c.last
		if c.last >= 0 {
			st.next[c.last] = true
		}
		c.last = int32(i)
		g := max(m.Gas, 1)
		total += g
		c.gas += g
		c.n++
		if top == nil || c.gas > top.gas || (c.gas == top.gas && m.From.Cmp(st.heaviest) < 0) {
			top, st.heaviest = c, m.From
		}
	}
	st.bound, st.share = float64(total)/float64(top.gas), top.n
	return st
}

// serialWhy reports why the block should run serially by known structure
// ("" when it should not: its bound is at least minBound, or minBound is
// 0).
func (st *structure) serialWhy(n int, minBound float64) string {
	if minBound <= 0 || st.bound >= minBound {
		return ""
	}
	return fmt.Sprintf("known structure: sender %s has %d of %d transactions; no schedule beats %.2fx", st.heaviest.Hex(), st.share, n, st.bound)
}

// apply hands the known structure to a batch:
//   - each transaction waits to start until the previous transaction of its
//     sender has finished: its first read is the nonce that one writes, so
//     starting it earlier only parks it;
//   - a transaction whose sender sends again later declares its writes of
//     the sender's nonce and balance (mv.Store.PredictMessage), so that
//     nothing reads them before they are final. A lone sender's account is
//     read by no other transaction of nearly every block: declaring it
//     would cost two element versions per transaction before any runs and
//     protect nothing (a reader that does come is invalidated by the one
//     rule instead).
func (st *structure) apply(store *mv.Store, sc *sched.Sched, txs []*chain.Message) {
	for i, m := range txs {
		if st.prev[i] >= 0 {
			sc.Depend(i, int(st.prev[i]))
		}
		if st.next[i] {
			store.PredictMessage(i, m)
		}
	}
}
