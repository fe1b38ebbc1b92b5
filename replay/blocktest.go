package replay

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/holiman/uint256"
	"github.com/velarium/velarium/chain"
	"github.com/velarium/velarium/fork"
	"github.com/velarium/velarium/internal/pool"
	"github.com/velarium/velarium/state"
)

// BlockTestChainID is the chain id blockchain tests run under.
const BlockTestChainID = 1

// BlockTest is one test of a BlockchainTests file.
type BlockTest struct {
	File    string
	Name    string
	Network string
	j       *btJSON
	// cfg, when set, replaces the network's configuration (tests).
	cfg *chain.ChainConfig
}

type btJSON struct {
	Network            string             `json:"network"`
	SealEngine         string             `json:"sealEngine"`
	Pre                types.GenesisAlloc `json:"pre"`
	GenesisBlockHeader *btHeader          `json:"genesisBlockHeader"`
	GenesisRLP         string             `json:"genesisRLP"`
	Blocks             []btBlock          `json:"blocks"`
	LastBlockHash      string             `json:"lastblockhash"`
	PostState          types.GenesisAlloc `json:"postState"`
	PostStateHash      *string            `json:"postStateHash"`
}

type btHeader struct {
	Hash      string `json:"hash"`
	StateRoot string `json:"stateRoot"`
	Number    string `json:"number"`
}

type btBlock struct {
	RLP             string    `json:"rlp"`
	ExpectException string    `json:"expectException"`
	BlockHeader     *btHeader `json:"blockHeader"`
	BlockNumber     string    `json:"blocknumber"`
}

// LoadBlockTestFile reads a BlockchainTests JSON file (an object of
// tests). Errors name the file and, for a malformed test, the test.
func LoadBlockTestFile(path string) ([]*BlockTest, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	tests, err := ParseBlockTests(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	for _, t := range tests {
		t.File = path
	}
	return tests, nil
}

// ParseBlockTests parses the tests of one BlockchainTests file, sorted by
// name.
func ParseBlockTests(data []byte) ([]*BlockTest, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, err
	}
	names := make([]string, 0, len(raw))
	for n := range raw {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make([]*BlockTest, 0, len(names))
	for _, n := range names {
		var j btJSON
		if err := json.Unmarshal(raw[n], &j); err != nil {
			return nil, fmt.Errorf("test %s: %w", n, err)
		}
		if j.GenesisBlockHeader == nil && j.GenesisRLP == "" {
			return nil, fmt.Errorf("test %s: no genesisBlockHeader or genesisRLP", n)
		}
		out = append(out, &BlockTest{Name: n, Network: j.Network, j: &j})
	}
	return out, nil
}

// transition matches the names of fork transition networks:
// "XToYAtN" (by block number) and "XToYAtTimeN" (by timestamp); N may end
// in k (thousands).
var transition = regexp.MustCompile(`^([A-Za-z0-9]+?)To([A-Za-z0-9]+)At(Time)?([0-9]+)(k?)$`)

// NetworkConfig returns the chain configuration of a blockchain test
// network: one fork from genesis, or a transition "XToYAtN" /
// "XToYAtTimeN" (Y may be "DAO" after Homestead). ok is false for an
// unknown network.
func NetworkConfig(network string) (c *chain.ChainConfig, ok bool) {
	if f, ok := fork.ByName(network); ok {
		return chain.SingleFork(f, BlockTestChainID), true
	}
	m := transition.FindStringSubmatch(network)
	if m == nil {
		return nil, false
	}
	from, ok := fork.ByName(m[1])
	if !ok {
		return nil, false
	}
	n, err := strconv.ParseUint(m[4], 10, 64)
	if err != nil {
		return nil, false
	}
	if m[5] == "k" {
		n *= 1000
	}
	c = chain.SingleFork(from, BlockTestChainID)
	if strings.EqualFold(m[2], "DAO") {
		if m[3] != "" {
			return nil, false
		}
		c.DAOForkBlock = &n
		return c, true
	}
	to, ok := fork.ByName(m[2])
	if !ok || to <= from {
		return nil, false
	}
	if m[3] != "" {
		c.ByTime = map[fork.ID]uint64{to: n}
	} else {
		c.ByBlock[to] = n
	}
	return c, true
}

// TestResult is the outcome of one blockchain test.
type TestResult struct {
	File    string  `json:"file"`
	Test    string  `json:"test"`
	Network string  `json:"network"`
	Pass    bool    `json:"pass"`
	Skipped bool    `json:"skipped,omitempty"`
	Blocks  int     `json:"blocks"` // blocks imported
	Txs     int     `json:"txs"`
	Gas     uint64  `json:"gas"`
	Seconds float64 `json:"seconds"`
	// Failures says what differs: which field of which block, or which
	// accounts of the final state.
	Failures []string `json:"failures,omitempty"`
	// Known is the reason from the known-failures list, when listed.
	Known string `json:"known,omitempty"`
}

// Summary joins the failures on one line.
func (r *TestResult) Summary() string { return strings.Join(r.Failures, "; ") }

type btNode struct {
	number uint64
	hash   common.Hash
	mem    *state.Mem
}

// RunBlockTest imports the test's blocks, each on top of its parent's
// post-state (side chains included), checking gasUsed, logsBloom,
// receiptTrie (from Byzantium on), stateRoot and blobGasUsed of every
// block against its header, then compares the state of lastblockhash with postState (or
// postStateHash). A block with expectException must fail to import.
func RunBlockTest(t *BlockTest) (res *TestResult) { return RunBlockTestWith(t, nil) }

// RunBlockTestWith is RunBlockTest with the transactions of every block
// executed by exec (a parallel or simulated executor; nil: serial).
func RunBlockTestWith(t *BlockTest, exec chain.TxExecutor) (res *TestResult) {
	return RunBlockTestOpts(t, chain.BlockOptions{Executor: exec})
}

// RunBlockTestOpts is RunBlockTest with every block executed under opt
// (its Executor or ExecutorOnto, Workers; the rest as RunBlockTest sets
// it).
func RunBlockTestOpts(t *BlockTest, opt chain.BlockOptions) (res *TestResult) {
	start := time.Now()
	r := &TestResult{File: t.File, Test: t.Name, Network: t.Network}
	defer func() {
		if p := recover(); p != nil {
			r.Failures = append(r.Failures, fmt.Sprintf("panic: %v", p))
			r.Pass = false
		}
		r.Seconds = time.Since(start).Seconds()
		res = r
	}()
	fail := func(format string, args ...any) { r.Failures = append(r.Failures, fmt.Sprintf(format, args...)) }
	cfg, ok := t.cfg, t.cfg != nil
	if !ok {
		cfg, ok = NetworkConfig(t.Network)
	}
	if !ok {
		r.Skipped = true
		return r
	}
	j := t.j
	pre := allocToMem(j.Pre)

	// Genesis.
	var gen btNode
	gen.mem = pre
	var genRoot common.Hash
	switch {
	case j.GenesisRLP != "":
		raw, err := parseBytes(j.GenesisRLP)
		if err != nil {
			fail("genesisRLP: %v", err)
			return r
		}
		var gb types.Block
		if err := rlp.DecodeBytes(raw, &gb); err != nil {
			fail("genesisRLP: %v", err)
			return r
		}
		gen.number, gen.hash, genRoot = gb.NumberU64(), gb.Hash(), gb.Root()
	default:
		var f fields
		gen.hash = f.hash("genesisBlockHeader.hash", j.GenesisBlockHeader.Hash)
		genRoot = f.hash("genesisBlockHeader.stateRoot", j.GenesisBlockHeader.StateRoot)
		if j.GenesisBlockHeader.Number != "" {
			gen.number = f.u64("genesisBlockHeader.number", j.GenesisBlockHeader.Number)
		}
		if f.err != nil {
			fail("%v", f.err)
			return r
		}
	}
	if got := pre.Root(); got != genRoot {
		fail("genesis: stateRoot header %s, pre-state %s", genRoot.Hex(), got.Hex())
		return r
	}
	nodes := map[common.Hash]*btNode{gen.hash: &gen}

	for i := range j.Blocks {
		jb := &j.Blocks[i]
		label := fmt.Sprintf("blocks[%d]", i)
		n, stats, err := importBlock(cfg, nodes, jb, opt)
		if jb.ExpectException != "" {
			if err == nil {
				fail("%s: expected exception %s, but the block was imported", label, jb.ExpectException)
				delete(nodes, n.hash)
			}
			continue
		}
		if err != nil {
			fail("%s: %v", label, err)
			return r // later blocks build on this one
		}
		r.Blocks++
		r.Txs += stats.txs
		r.Gas += stats.gas
	}

	lastHash, err := parseHash(j.LastBlockHash)
	if err != nil {
		fail("lastblockhash: %v", err)
		return r
	}
	last := nodes[lastHash]
	if last == nil {
		fail("lastblockhash %s was not imported", lastHash.Hex())
		return r
	}
	switch {
	case j.PostState != nil:
		for _, d := range compareAlloc(last.mem, j.PostState, 10) {
			fail("postState: %s", d)
		}
	case j.PostStateHash != nil:
		want, err := parseHash(*j.PostStateHash)
		if err != nil {
			fail("postStateHash: %v", err)
		} else if got := last.mem.Root(); got != want {
			fail("postStateHash %s, got %s", want.Hex(), got.Hex())
		}
	default:
		fail("no postState or postStateHash")
	}
	r.Pass = len(r.Failures) == 0
	return r
}

type blockStats struct {
	txs int
	gas uint64
}

// importBlock decodes, executes and checks one block; on success it is
// added to nodes.
func importBlock(cfg *chain.ChainConfig, nodes map[common.Hash]*btNode, jb *btBlock, opt chain.BlockOptions) (*btNode, blockStats, error) {
	var stats blockStats
	raw, err := parseBytes(jb.RLP)
	if err != nil {
		return nil, stats, fmt.Errorf("decoding block RLP: %v", err)
	}
	var gb types.Block
	if err := rlp.DecodeBytes(raw, &gb); err != nil {
		return nil, stats, fmt.Errorf("decoding block RLP: %v", err)
	}
	h := gb.Header()
	num := h.Number.Uint64()
	if jb.BlockHeader != nil && jb.BlockHeader.Hash != "" {
		if want, err := parseHash(jb.BlockHeader.Hash); err == nil && want != gb.Hash() {
			return nil, stats, fmt.Errorf("hash of the decoded header %s differs from blockHeader.hash %s", gb.Hash().Hex(), want.Hex())
		}
	}
	parent := nodes[h.ParentHash]
	if parent == nil {
		return nil, stats, fmt.Errorf("unknown parent %s", h.ParentHash.Hex())
	}
	rules := cfg.Rules(num, h.Time)
	cb, err := convertGethBlock(&gb, rules)
	if err != nil {
		return nil, stats, fmt.Errorf("block %d: %w", num, err)
	}
	mem := parent.mem.Copy()
	// The parent's copy holds its own ancestors' hashes; add the parent's.
	mem.SetBlockHash(parent.number, parent.hash)
	res, err := executeBlock(cfg, cb, mem, chain.BlockOptions{Executor: opt.Executor, ExecutorOnto: opt.ExecutorOnto, Workers: opt.Workers})
	if err != nil {
		var te *chain.TxError
		if errors.As(err, &te) {
			return nil, stats, err
		}
		return nil, stats, fmt.Errorf("block %d: %w", num, err)
	}
	mem.Apply(res.Diff)

	var diffs []string
	if res.GasUsed != h.GasUsed {
		diffs = append(diffs, fmt.Sprintf("gasUsed: header %d, got %d", h.GasUsed, res.GasUsed))
	}
	if res.Bloom != h.Bloom {
		diffs = append(diffs, "logsBloom differs")
	}
	// Before Byzantium receipts hold the state root after each
	// transaction, which ExecuteBlock does not compute: not checked.
	if rules.Byzantium && res.ReceiptsRoot != h.ReceiptHash {
		diffs = append(diffs, fmt.Sprintf("receiptTrie: header %s, got %s", h.ReceiptHash.Hex(), res.ReceiptsRoot.Hex()))
	}
	if rules.Cancun {
		var blobGas uint64
		for _, m := range cb.Txs {
			blobGas += uint64(len(m.BlobHashes)) * (1 << 17)
		}
		switch {
		case h.BlobGasUsed == nil:
			diffs = append(diffs, "header has no blobGasUsed")
		case *h.BlobGasUsed != blobGas:
			diffs = append(diffs, fmt.Sprintf("blobGasUsed: header %d, transactions %d", *h.BlobGasUsed, blobGas))
		}
		if max := rules.Blob.Max * (1 << 17); blobGas > max {
			diffs = append(diffs, fmt.Sprintf("blob gas %d above the block limit %d", blobGas, max))
		}
	}
	if h.RequestsHash != nil {
		if got := types.CalcRequestsHash(res.Requests); got != *h.RequestsHash {
			diffs = append(diffs, fmt.Sprintf("requestsHash: header %s, got %s", h.RequestsHash.Hex(), got.Hex()))
		}
	}
	if got := mem.Root(); got != h.Root {
		diffs = append(diffs, fmt.Sprintf("stateRoot: header %s, got %s", h.Root.Hex(), got.Hex()))
	}
	if len(diffs) > 0 {
		return nil, stats, fmt.Errorf("block %d: %s", num, strings.Join(diffs, ", "))
	}
	n := &btNode{number: num, hash: gb.Hash(), mem: mem}
	nodes[n.hash] = n
	stats.txs, stats.gas = len(cb.Txs), res.GasUsed
	return n, stats, nil
}

// convertGethBlock recovers the senders of a decoded block (in parallel)
// and converts it into a chain.Block.
func convertGethBlock(gb *types.Block, rules *fork.Rules) (*chain.Block, error) {
	h := gb.Header()
	ch := chain.Header{ParentHash: h.ParentHash, Number: h.Number.Uint64(), Time: h.Time, GasLimit: h.GasLimit,
		Coinbase: h.Coinbase, MixDigest: h.MixDigest, ExcessBlobGas: h.ExcessBlobGas, ParentBeaconRoot: h.ParentBeaconRoot}
	var err error
	if ch.Difficulty, err = bigToU256("difficulty", h.Difficulty); err != nil {
		return nil, err
	}
	if h.BaseFee != nil {
		bf, err := bigToU256("base fee", h.BaseFee)
		if err != nil {
			return nil, err
		}
		ch.BaseFee = &bf
	}
	b := &chain.Block{Header: ch}
	for _, u := range gb.Uncles() {
		b.Uncles = append(b.Uncles, chain.Uncle{Number: u.Number.Uint64(), Coinbase: u.Coinbase})
	}
	if ws := gb.Withdrawals(); ws != nil {
		b.Withdrawals = make([]chain.Withdrawal, len(ws))
		for i, w := range ws {
			b.Withdrawals[i] = chain.Withdrawal{Index: w.Index, Validator: w.Validator, Address: w.Address, Amount: w.Amount}
		}
	}
	txs := gb.Transactions()
	signer := signerFor(rules, BlockTestChainID)
	b.Txs = make([]*chain.Message, len(txs))
	err = parallel(len(txs), func(i int) error {
		from, err := types.Sender(signer, txs[i])
		if err != nil {
			return fmt.Errorf("transaction %d: recovering sender: %w", i, err)
		}
		m, err := messageOf(txs[i], from, ch.BaseFee)
		if err != nil {
			return fmt.Errorf("transaction %d: %w", i, err)
		}
		b.Txs[i] = m
		return nil
	})
	if err != nil {
		return nil, err
	}
	return b, nil
}

// allocToMem builds a state from a genesis allocation.
func allocToMem(alloc types.GenesisAlloc) *state.Mem {
	m := state.NewMem()
	for addr, a := range alloc {
		acct := state.Account{Nonce: a.Nonce, CodeHash: m.AddCode(a.Code)}
		if a.Balance != nil {
			acct.Balance.SetFromBig(a.Balance)
		}
		m.SetAccount(addr, acct)
		for k, v := range a.Storage {
			m.SetStorage(addr, k, v)
		}
	}
	return m
}

// compareAlloc lists the differences between mem and the expected
// allocation (balance, nonce, code, storage, missing and extra accounts),
// at most limit of them (then a count of the rest).
func compareAlloc(mem *state.Mem, want types.GenesisAlloc, limit int) []string {
	var out []string
	more := 0
	add := func(format string, args ...any) {
		if len(out) < limit {
			out = append(out, fmt.Sprintf(format, args...))
		} else {
			more++
		}
	}
	addrs := make([]common.Address, 0, len(want))
	for a := range want {
		addrs = append(addrs, a)
	}
	sort.Slice(addrs, func(i, j int) bool { return bytes.Compare(addrs[i][:], addrs[j][:]) < 0 })
	for _, addr := range addrs {
		w := want[addr]
		got, ok, _ := mem.Account(addr)
		if !ok {
			add("account %s missing", addr.Hex())
			continue
		}
		var wb uint256.Int
		if w.Balance != nil {
			wb.SetFromBig(w.Balance)
		}
		if !got.Balance.Eq(&wb) {
			add("account %s: balance want %s got %s", addr.Hex(), wb.Dec(), got.Balance.Dec())
		}
		if got.Nonce != w.Nonce {
			add("account %s: nonce want %d got %d", addr.Hex(), w.Nonce, got.Nonce)
		}
		if code := mem.CodeAt(addr); !bytes.Equal(code, w.Code) {
			add("account %s: code want %d bytes (%s) got %d bytes (%s)", addr.Hex(), len(w.Code),
				crypto.Keccak256Hash(w.Code).Hex(), len(code), got.CodeHash.Hex())
		}
		gotSlots := map[common.Hash]common.Hash{}
		mem.ForEachStorage(addr, func(k, v common.Hash) bool { gotSlots[k] = v; return true })
		keys := make([]common.Hash, 0, len(w.Storage))
		for k := range w.Storage {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool { return bytes.Compare(keys[i][:], keys[j][:]) < 0 })
		for _, k := range keys {
			wv := w.Storage[k]
			if gv := gotSlots[k]; gv != wv {
				add("account %s: storage %s want %s got %s", addr.Hex(), k.Hex(), wv.Hex(), gv.Hex())
			}
			delete(gotSlots, k)
		}
		extra := make([]common.Hash, 0, len(gotSlots))
		for k := range gotSlots {
			extra = append(extra, k)
		}
		sort.Slice(extra, func(i, j int) bool { return bytes.Compare(extra[i][:], extra[j][:]) < 0 })
		for _, k := range extra {
			add("account %s: storage %s want 0 got %s", addr.Hex(), k.Hex(), gotSlots[k].Hex())
		}
	}
	for _, addr := range mem.Addresses() {
		if _, ok := want[addr]; !ok {
			a, _, _ := mem.Account(addr)
			add("unexpected account %s (nonce %d, balance %s)", addr.Hex(), a.Nonce, a.Balance.Dec())
		}
	}
	if more > 0 {
		out = append(out, fmt.Sprintf("and %d more differences", more))
	}
	return out
}

// ---- running files ----

// BlockTestOptions select what RunBlockTestFiles runs.
type BlockTestOptions struct {
	// Run, when set, runs only the tests whose name matches.
	Run *regexp.Regexp
	// Known marks the listed failures (TestResult.Known).
	Known *KnownFailures
	// Executor, when set, executes the transactions (parallel or simulated).
	Executor chain.TxExecutor
	// ExecutorOnto, when set, executes them instead, layering their diff
	// onto the block's overlay (chain.BlockOptions.ExecutorOnto).
	ExecutorOnto chain.TxExecutorOnto
}

// BlockTestFileResult is the outcome of one file.
type BlockTestFileResult struct {
	Path    string
	Results []*TestResult
	Err     error // the file could not be read or parsed
}

// RunBlockTestFile loads a file and runs the tests opts selects.
func RunBlockTestFile(path string, opts *BlockTestOptions) ([]*TestResult, error) {
	tests, err := LoadBlockTestFile(path)
	if err != nil {
		return nil, err
	}
	var out []*TestResult
	for _, t := range tests {
		if opts != nil && opts.Run != nil && !opts.Run.MatchString(t.Name) {
			continue
		}
		var bo chain.BlockOptions
		if opts != nil {
			bo.Executor, bo.ExecutorOnto = opts.Executor, opts.ExecutorOnto
		}
		r := RunBlockTestOpts(t, bo)
		if opts != nil && !r.Pass && !r.Skipped {
			if reason, ok := opts.Known.Lookup(r.Test); ok {
				r.Known = reason
			}
		}
		out = append(out, r)
	}
	return out, nil
}

// RunBlockTestFiles runs files on workers goroutines, largest first, and
// returns one result per path in the order of paths. done, when set, is
// called (one call at a time) as each file finishes.
func RunBlockTestFiles(paths []string, workers int, opts *BlockTestOptions, done func(*BlockTestFileResult)) []BlockTestFileResult {
	out := make([]BlockTestFileResult, len(paths))
	run := func(i int) {
		res, err := RunBlockTestFile(paths[i], opts)
		out[i] = BlockTestFileResult{Path: paths[i], Results: res, Err: err}
	}
	var report func(int)
	if done != nil {
		report = func(i int) { done(&out[i]) }
	}
	pool.LargestFirst(paths, workers, run, report)
	return out
}
