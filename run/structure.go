package run

import (
	"fmt"
	"hash/maphash"

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
		n    int32
		last int32
		from common.Address
	}
	// An open-addressing table of indices into chains, seeded so that no
	// choice of sender addresses makes its probes long. This pass runs
	// before any worker starts, so its cost adds to every block's wall
	// time (a Go map took twice as long here).
	size := 1
	for size < 2*len(txs) {
		size <<= 1
	}
	table := make([]int32, size)
	seed := maphash.MakeSeed()
	chains := make([]chainOf, 0, len(txs))
	var total uint64
	top := -1
	for i, m := range txs {
		j := int(maphash.Bytes(seed, m.From[:])) & (size - 1)
		var ci int32
		for {
			ci = table[j] - 1
			if ci < 0 {
				ci = int32(len(chains))
				chains = append(chains, chainOf{last: -1, from: m.From})
				table[j] = ci + 1
				break
			}
			if chains[ci].from == m.From {
				break
			}
			j = (j + 1) & (size - 1)
		}
		c := &chains[ci]
		st.prev[i] = c.last
		if c.last >= 0 {
			st.next[c.last] = true
		}
		c.last = int32(i)
		g := max(m.Gas, 1)
		total += g
		c.gas += g
		c.n++
		// Ties go to the sender that reached the sum first.
		if top < 0 || c.gas > chains[top].gas {
			top = int(ci)
		}
	}
	heavy := &chains[top]
	st.bound, st.share, st.heaviest = float64(total)/float64(heavy.gas), int(heavy.n), txs[heavy.last].From
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
//   - a transaction whose sender sends more than once in the block
//     declares its write of the sender's balance (mv.Store.PredictMessage),
//     so that nothing reads it before it is final. Its nonce is not
//     declared: the next transaction of the sender waits anyway (above),
//     and the other readers of the account keep its nonce as a class
//     (state.NonceSource), which a rise does not change (an exchange's
//     hot wallet sends several withdrawals and receives many deposits:
//     at 32 simulated cores mainnet block 16146267 had 47 invalidations
//     of such deposits by the wallet's last withdrawal when deposits read
//     the nonce exactly, and 51 waits when it was declared). A lone
//     sender's balance is read by no other transaction of nearly every
//     block: declaring it would cost an element version per transaction
//     before any runs and protect nothing (a reader that does come is
//     invalidated by the one rule instead).
func (st *structure) apply(store *mv.Store, sc *sched.Sched, txs []*chain.Message) {
	for i, m := range txs {
		if st.prev[i] >= 0 {
			sc.Depend(i, int(st.prev[i]))
		}
		if st.predicts(i) {
			store.PredictMessage(i, m)
		}
	}
}

// predicts reports whether transaction i declares its sender's nonce and
// balance writes (see apply): its sender sends more than once.
func (st *structure) predicts(i int) bool { return st.next[i] || st.prev[i] >= 0 }
