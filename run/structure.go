package run

import (
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/velarium/velarium/chain"
	"github.com/velarium/velarium/sched"
)

// DefaultMinBound is the structural bound below which blocks run serially
// (see senderChainBound): with a ceiling under 1.5x no schedule repays the
// multi-version bookkeeping.
const DefaultMinBound = 1.5

// senderChainBound is the most any number of cores can speed txs up given
// only what is known before execution: a sender's transactions run one
// after another (each reads the nonce the previous one wrote), so the gas
// limits of the heaviest sender's transactions bound the critical path
// from below, and total gas limit / that sum bounds the speedup. It also
// returns that sender's share of the transactions. Gas limits stand in for
// the unknown gas used. A payout block (one account paying hundreds of
// recipients) has a bound near 1.
func senderChainBound(txs []*chain.Message) (bound float64, heaviest common.Address, share int) {
	if len(txs) == 0 {
		return 1, common.Address{}, 0
	}
	type chainOf struct {
		gas uint64
		n   int
	}
	per := make(map[common.Address]*chainOf, len(txs))
	var total uint64
	var top *chainOf
	for _, m := range txs {
		c := per[m.From]
		if c == nil {
			c = &chainOf{}
			per[m.From] = c
		}
		g := max(m.Gas, 1)
		total += g
		c.gas += g
		c.n++
		if top == nil || c.gas > top.gas || (c.gas == top.gas && m.From.Cmp(heaviest) < 0) {
			top, heaviest = c, m.From
		}
	}
	return float64(total) / float64(top.gas), heaviest, top.n
}

// structureSerial reports why txs should run serially by known structure
// ("" when they should not: their sender-chain bound, also returned, is at
// least minBound).
func structureSerial(txs []*chain.Message, minBound float64) (why string, bound float64) {
	if minBound <= 0 {
		return "", 0
	}
	b, who, k := senderChainBound(txs)
	if b >= minBound {
		return "", b
	}
	return fmt.Sprintf("known structure: sender %s has %d of %d transactions; no schedule beats %.2fx", who.Hex(), k, len(txs), b), b
}

// dependOnSenders makes each transaction wait to start until the previous
// transaction of its sender has finished: its first read is the nonce that
// one writes (known structure), so starting it earlier only parks it.
func dependOnSenders(sc *sched.Sched, txs []*chain.Message) {
	last := make(map[common.Address]int, len(txs))
	for i, m := range txs {
		if j, ok := last[m.From]; ok {
			sc.Depend(i, j)
		}
		last[m.From] = i
	}
}
