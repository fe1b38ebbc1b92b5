package run

import (
	"fmt"
	"hash/maphash"

	"github.com/ethereum/go-ethereum/common"
	"github.com/holiman/uint256"
	"github.com/velarium/velarium/chain"
	"github.com/velarium/velarium/fork"
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
	// pos[i] is i's place among its sender's transactions (0: the first).
	pos []int32
	// payout[i]: i's sender sends more than once, and only plain payments
	// (see plainPayment). Its transactions are not chained: each one's
	// writes to the sender are expected ahead (apply), so the next one
	// reads its nonce and funds at once, and an exchange paying hundreds
	// of recipients runs in parallel. Its chain does not count in bound.
	payout []bool
}

// payoutMinCores is the fewest cores on which payouts run in parallel.
// On 2 real workers they lost (velabench, 2026-11-25: 13287210, 1414
// payments from one account, 1.03x declined -> 0.71x in parallel; 2179522
// 1.00 -> 0.89x; 2641321 0.98 -> 0.81x): a payment costs about 8 us, and
// the multi-version bookkeeping on the payer's two elements, which every
// payment reads and writes, costs the two workers more than they gain.
// From 4 cores on they are simulated only (no larger machine was at
// hand): 20-27x at 32 cores on those blocks.
var payoutMinCores = 4 // a variable for tests

// plainPayment reports whether m is a plain payment: a call without data
// of a legacy, access-list or dynamic-fee transaction. What it does to
// its sender can nearly always be told ahead: the nonce rises by one and
// the balance falls by paymentDebit. Not always: the payment may be
// invalid (no writes), its recipient may have code or be a precompile
// (more gas), a delegated payer (EIP-7702) runs code that may send more or
// CREATE. An expectation that
// turns out wrong costs its readers a run: the one rule re-checks them
// against what the payment really writes. After an invalid payment every
// later one of the payout reads a nonce one off and runs again.
func plainPayment(m *chain.Message) bool {
	return m.To != nil && len(m.Data) == 0 && m.Type <= 2
}

// paymentDebit is what a plain payment to an account without code takes
// from its sender: its intrinsic gas (nothing else runs) at the price it
// pays (EIP-1559: the base fee and its tip, within its fee cap), and the
// value. Most payouts pay such accounts. A recipient with code, or a
// precompile, takes more gas: the funds checks that held on this balance
// are then re-checked on the real one, and held by a rich payer; exact
// readers of the payer's balance run again. (The gas limit instead would
// keep every held funds check held; on the 50 mainnet blocks both gave
// the same simulated figures. Reading each recipient's code to choose
// would be serial work before the workers start.) It is at most maxCost,
// which a payout's payments fit (blockStructure), so it does not overflow.
func paymentDebit(rules *fork.Rules, env *chain.BlockEnv, m *chain.Message) uint256.Int {
	price := m.GasPrice
	if m.Type >= 2 {
		price = m.GasFeeCap
		if env.BaseFee != nil {
			// EIP-1559: min(fee cap, base fee + tip).
			var p uint256.Int
			if _, over := p.AddOverflow(env.BaseFee, &m.GasTipCap); !over && p.Lt(&price) {
				price = p
			}
		}
	}
	g, floor := chain.IntrinsicGas(rules, m)
	var c uint256.Int
	c.SetUint64(min(max(g, floor), m.Gas))
	c.Mul(&c, &price)
	return *c.Add(&c, &m.Value)
}

// maxCost is the most a plain payment can take from its sender: the gas
// limit at the highest price it offers, and the value (false when that
// overflows).
func maxCost(m *chain.Message) (uint256.Int, bool) {
	price := &m.GasPrice
	if m.Type >= 2 {
		price = &m.GasFeeCap
	}
	var c uint256.Int
	c.SetUint64(m.Gas)
	if _, over := c.MulOverflow(&c, price); over {
		return c, false
	}
	if _, over := c.AddOverflow(&c, &m.Value); over {
		return c, false
	}
	return c, true
}

// blockStructure reads the structure of txs for a run on cores. Below
// payoutMinCores there are no payouts. The block's coinbase may be a
// payer too (a mining pool paying its members): its funds checks are
// answered on a lower bound of its balance, without the fees that every
// transaction credits it with (mv.Store.BalanceAtLeast).
func blockStructure(txs []*chain.Message, cores int) *structure {
	st := &structure{bound: 1, prev: make([]int32, len(txs)), next: make([]bool, len(txs)),
		pos: make([]int32, len(txs)), payout: make([]bool, len(txs))}
	if len(txs) == 0 {
		return st
	}
	type chainOf struct {
		gas, maxGas uint64
		n           int32
		last        int32
		from        common.Address
		plain       bool // every transaction a plain payment
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
	owner := make([]int32, len(txs)) // the chain of each transaction
	var total uint64
	top := -1
	for i, m := range txs {
		j := int(maphash.Bytes(seed, m.From[:])) & (size - 1)
		var ci int32
		for {
			ci = table[j] - 1
			if ci < 0 {
				ci = int32(len(chains))
				chains = append(chains, chainOf{last: -1, from: m.From, plain: cores >= payoutMinCores})
				table[j] = ci + 1
				break
			}
			if chains[ci].from == m.From {
				break
			}
			j = (j + 1) & (size - 1)
		}
		c := &chains[ci]
		st.prev[i], st.pos[i] = c.last, c.n
		if c.last >= 0 {
			st.next[c.last] = true
		}
		c.last = int32(i)
		g := max(m.Gas, 1)
		total += g
		c.gas += g
		c.maxGas = max(c.maxGas, g)
		c.n++
		c.plain = c.plain && plainPayment(m)
		if _, ok := maxCost(m); !ok {
			c.plain = false
		}
		owner[i] = ci
	}
	// A chain of plain payments is not run in order (payout): only its
	// longest transaction bounds the critical path. Ties go to the sender
	// seen first.
	seq := func(c *chainOf) uint64 {
		if c.plain && c.n > 1 {
			return c.maxGas
		}
		return c.gas
	}
	for ci := range chains {
		if top < 0 || seq(&chains[ci]) > seq(&chains[top]) {
			top = ci
		}
	}
	for i := range txs {
		c := &chains[owner[i]]
		st.payout[i] = c.plain && c.n > 1
	}
	heavy := &chains[top]
	st.bound, st.share, st.heaviest = float64(total)/float64(seq(heavy)), int(heavy.n), txs[heavy.last].From
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
//
// A payout's transactions (payout) are neither chained nor declared:
// their writes to the sender are expected instead (mv.Store.ExpectPayment:
// the nonce one higher, the balance lower by paymentDebit), values that
// readers take at once. The next payment's exact nonce read then finds
// the value the previous one will write, and its funds check ("balance >=
// need") holds on the expected balance; when a payment finishes, what it
// wrote replaces the expectation and the one rule re-checks those readers
// (an equal nonce and a balance still above the need invalidate none; a
// wrong expectation makes them run again, see plainPayment).
func (st *structure) apply(store *mv.Store, sc *sched.Sched, rules *fork.Rules, env *chain.BlockEnv, txs []*chain.Message) error {
	for i, m := range txs {
		if st.payout[i] {
			d := paymentDebit(rules, env, m)
			if err := store.ExpectPayment(i, int(st.pos[i]), m.From, &d); err != nil {
				return err
			}
			continue
		}
		if st.prev[i] >= 0 {
			sc.Depend(i, int(st.prev[i]))
		}
		if st.predicts(i) {
			store.PredictMessage(i, m)
		}
	}
	return nil
}

// predicts reports whether transaction i declares its sender's nonce and
// balance writes (see apply): its sender sends more than once.
func (st *structure) predicts(i int) bool { return st.next[i] || st.prev[i] >= 0 }
