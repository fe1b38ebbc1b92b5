package run

import (
	"sort"
	"sync"

	"github.com/ethereum/go-ethereum/common"
	"github.com/velarium/velarium/chain"
	"github.com/velarium/velarium/fork"
	"github.com/velarium/velarium/mv"
	"github.com/velarium/velarium/sched"
	"github.com/velarium/velarium/state"
)

// History is the learned layer of concurrency control: the storage slots
// and balances that invalidated readers, by contract. A transaction calling
// a contract is predicted to write that contract's hot elements, so later
// readers wait for it instead of speculating on an older value. Learned
// within a block (as soon as a conflict is met) and across blocks (when the
// same History is passed again). Safe for concurrent use.
type History struct {
	mu  sync.Mutex
	hot map[common.Address]map[mv.Key]int
	// MaxPerContract bounds what is remembered per contract.
	MaxPerContract int
}

// NewHistory returns an empty history.
func NewHistory() *History {
	return &History{hot: make(map[common.Address]map[mv.Key]int), MaxPerContract: 16}
}

func (h *History) add(k mv.Key, n int) {
	m := h.hot[k.Addr]
	if m == nil {
		m = make(map[mv.Key]int)
		h.hot[k.Addr] = m
	}
	if _, ok := m[k]; !ok && len(m) >= h.MaxPerContract {
		return
	}
	m[k] += n
}

// Learn records the conflicts a finished batch met (not on the fee sink's
// balance: see learnNow).
func (h *History) Learn(s *mv.Store) {
	if h == nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for k, c := range s.Conflicts() {
		if c.Invalidations > 0 && (k.Kind == mv.Slot || k.Kind == mv.Balance) && !s.IsFeeSink(k) {
			h.add(k, c.Invalidations)
		}
	}
}

// predictions returns the hot elements of contract to, in a fixed order.
func (h *History) predictions(to common.Address) []mv.Key {
	h.mu.Lock()
	defer h.mu.Unlock()
	m := h.hot[to]
	if len(m) == 0 {
		return nil
	}
	out := make([]mv.Key, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

// predictAll declares, before execution, the learned writes of every
// transaction that calls a contract with hot elements.
func (h *History) predictAll(store *mv.Store, txs []*chain.Message) {
	if h == nil {
		return
	}
	for i, m := range txs {
		if m.To != nil {
			if keys := h.predictions(*m.To); len(keys) > 0 {
				store.Predict(i, keys...)
			}
		}
	}
}

// learnNow applies the conflicts just met (hot: store.Hot after a Finish)
// to the transactions of this batch that have not started yet: those
// calling the same contract are predicted to write the hot element. The
// caller serialises its calls. finishing, when not nil, holds the locks
// that serialise each transaction's writing calls: a transaction whose
// new incarnation has not started may still be recording the writes of
// its stale run.
func (h *History) learnNow(store *mv.Store, sc *sched.Sched, txs []*chain.Message, from int, hot []mv.Key, finishing []spinLock) {
	if h == nil || len(hot) == 0 {
		return
	}
	for _, k := range hot {
		if k.Kind != mv.Slot && k.Kind != mv.Balance || store.IsFeeSink(k) {
			// The fee sink's readers are funds checks on a bound that
			// only its own debits change (mv.Store.SetFeeSink): a
			// transaction calling the coinbase is no writer to wait for.
			continue
		}
		h.mu.Lock()
		h.add(k, 1)
		h.mu.Unlock()
		for j := from; j < len(txs); j++ {
			if m := txs[j]; m.To != nil && *m.To == k.Addr && sc.Fresh(j) {
				if finishing != nil {
					finishing[j].Lock()
				}
				store.Predict(j, k)
				if finishing != nil {
					finishing[j].Unlock()
				}
			}
		}
	}
}

// newBatch sets up the multi-version state and the scheduler of a batch
// for cores workers, with what the first two layers of concurrency control
// know: the block's structure (st, see structure.apply; long transactions
// first, boostLong) and learned history.
func newBatch(rules *fork.Rules, env *chain.BlockEnv, src state.Source, txs []*chain.Message, st *structure, maxRuns, cores int, h *History) (*mv.Store, *sched.Sched, error) {
	store := mv.New(src, len(txs))
	store.SetFeeSink(env.Coinbase)
	sc := sched.New(len(txs), maxRuns)
	if err := st.apply(store, sc, rules, env, txs); err != nil {
		store.Release()
		return nil, nil, err
	}
	h.predictAll(store, txs)
	boostLong(sc, txs, cores)
	return store, sc, nil
}

// boostLong starts the long transactions of a batch first on 4 or more
// cores (sched.Boost): of the transactions with a gas limit of at least
// twice the batch's mean, the cores-1 longest, so that the lowest
// transaction always finds a core. Taken in index order, a long
// transaction late in the block starts when the cores are nearly through
// and ends the block alone; starting long jobs first is the classic cure
// for that tail (list scheduling). The gas limit is the cost known before
// execution. Simulated on the 50 mainnet blocks (velarium replay
// --sim-cores, 2026-11-25; see bench/FINDINGS.md). On 2 cores the mean
// was level and the total worse (1.54 -> 1.49x): a long transaction
// started early there more often runs on stale state and runs again, and
// the tail it saves is short. Boosting every long transaction, however
// many, let a block whose long transactions conflict with one another
// (overstated gas limits on one hot contract) waste a wave of runs before
// anything became final, and the adaptive rule then gave up (a review's
// test: 2.63x -> 0.97x at 4 cores).
func boostLong(sc *sched.Sched, txs []*chain.Message, cores int) {
	if cores < boostMinCores || len(txs) == 0 {
		return
	}
	var total float64
	for _, m := range txs {
		total += float64(m.Gas)
	}
	long := 2 * total / float64(len(txs))
	var picked []int
	for i, m := range txs {
		if float64(m.Gas) >= long {
			picked = append(picked, i)
		}
	}
	if len(picked) > cores-1 {
		// The longest; the lower index among equals.
		sort.SliceStable(picked, func(a, b int) bool { return txs[picked[a]].Gas > txs[picked[b]].Gas })
		picked = picked[:cores-1]
	}
	for _, i := range picked {
		sc.Boost(i)
	}
}

// boostMinCores is the fewest cores on which boostLong applies.
var boostMinCores = 4 // a variable for tests
