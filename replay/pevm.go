package replay

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto/kzg4844"
	"github.com/ethereum/go-ethereum/params"
	"github.com/holiman/uint256"
	"github.com/velarium/velarium/chain"
	"github.com/velarium/velarium/fork"
	"github.com/velarium/velarium/state"
)

// Files of a pevm block folder and of the folders above it.
const (
	BlockFile       = "block.json"
	PreStateFile    = "pre_state.json"
	BytecodesFile   = "bytecodes.json"
	BlockHashesFile = "block_hashes.json"
)

// sharedLevels is how many folders above a block folder are searched for
// bytecodes.json and block_hashes.json.
const sharedLevels = 3

// PevmBlock is a loaded pevm block: the block to execute, its partial
// pre-state and what its header says the execution must give.
type PevmBlock struct {
	Dir    string
	Number uint64
	Hash   common.Hash
	Rules  *fork.Rules
	Block  *chain.Block
	Pre    *state.Mem
	// Expected values from the header.
	GasUsed      uint64
	Bloom        types.Bloom
	ReceiptsRoot common.Hash
	// LoadTime is the time spent reading and decoding the block's own
	// files and recovering the senders (not the shared files, which a
	// Loader reads once).
	LoadTime time.Duration
}

// Loader loads pevm blocks, reading each shared bytecodes.json and
// block_hashes.json only once. Safe for concurrent use.
type Loader struct {
	mu     sync.Mutex
	shared map[string]*sharedFile
	kzg    time.Duration
}

type sharedFile struct {
	once   sync.Once
	codes  map[common.Hash][]byte
	hashes map[uint64]common.Hash
	dur    time.Duration
	err    error
}

// NewLoader returns a Loader with an empty cache.
func NewLoader() *Loader { return &Loader{shared: make(map[string]*sharedFile)} }

// SetupTime is the time spent so far outside the blocks' own loading:
// reading the shared files, and the KZG setup (see WarmUpKZG).
func (l *Loader) SetupTime() time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	d := l.kzg
	for _, f := range l.shared {
		d += f.dur
	}
	return d
}

func (l *Loader) file(path string, parse func(f *sharedFile, data []byte) error) (*sharedFile, error) {
	l.mu.Lock()
	f := l.shared[path]
	if f == nil {
		f = &sharedFile{}
		l.shared[path] = f
	}
	l.mu.Unlock()
	f.once.Do(func() {
		start := time.Now()
		defer func() { f.dur = time.Since(start) }()
		data, err := os.ReadFile(path)
		if err != nil {
			f.err = err
			return
		}
		if err := parse(f, data); err != nil {
			f.err = fmt.Errorf("%s: %w", path, err)
		}
	})
	return f, f.err
}

func parseBytecodes(f *sharedFile, data []byte) error {
	var raw map[string]string
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	f.codes = make(map[common.Hash][]byte, len(raw))
	for k, v := range raw {
		h, err := parseHash(k)
		if err != nil {
			return fmt.Errorf("key %s: %w", truncate(k, 80), err)
		}
		code, err := parseBytes(v)
		if err != nil {
			return fmt.Errorf("code of %s: %w", k, err)
		}
		f.codes[h] = code
	}
	return nil
}

func parseBlockHashes(f *sharedFile, data []byte) error {
	var raw map[string]string
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	f.hashes = make(map[uint64]common.Hash, len(raw))
	for k, v := range raw {
		n, err := strconv.ParseUint(k, 10, 64)
		if err != nil {
			return fmt.Errorf("key %q: not a decimal block number", truncate(k, 80))
		}
		h, err := parseHash(v)
		if err != nil {
			return fmt.Errorf("block %d: %w", n, err)
		}
		f.hashes[n] = h
	}
	return nil
}

// findUp returns the first file called name in dir or up to sharedLevels
// folders above it ("" when there is none).
func findUp(dir, name string) string {
	d, err := filepath.Abs(dir)
	if err != nil {
		d = dir
	}
	for range sharedLevels + 1 {
		p := filepath.Join(d, name)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p
		}
		parent := filepath.Dir(d)
		if parent == d {
			break
		}
		d = parent
	}
	return ""
}

// ---- JSON ----

type rpcBlock struct {
	Hash                  string            `json:"hash"`
	ParentHash            string            `json:"parentHash"`
	Miner                 string            `json:"miner"`
	Number                string            `json:"number"`
	GasLimit              string            `json:"gasLimit"`
	GasUsed               string            `json:"gasUsed"`
	Timestamp             string            `json:"timestamp"`
	Difficulty            string            `json:"difficulty"`
	MixHash               string            `json:"mixHash"`
	LogsBloom             string            `json:"logsBloom"`
	ReceiptsRoot          string            `json:"receiptsRoot"`
	BaseFeePerGas         *string           `json:"baseFeePerGas"`
	ExcessBlobGas         *string           `json:"excessBlobGas"`
	ParentBeaconBlockRoot *string           `json:"parentBeaconBlockRoot"`
	Withdrawals           []rpcWithdrawal   `json:"withdrawals"`
	Uncles                []string          `json:"uncles"`
	Transactions          []json.RawMessage `json:"transactions"`
}

type rpcWithdrawal struct {
	Index          string `json:"index"`
	ValidatorIndex string `json:"validatorIndex"`
	Address        string `json:"address"`
	Amount         string `json:"amount"`
}

type rpcTx struct {
	Hash                 *string           `json:"hash"`
	Type                 *string           `json:"type"`
	From                 *string           `json:"from"`
	To                   *string           `json:"to"`
	Nonce                *string           `json:"nonce"`
	Value                *string           `json:"value"`
	Gas                  *string           `json:"gas"`
	GasPrice             *string           `json:"gasPrice"`
	MaxFeePerGas         *string           `json:"maxFeePerGas"`
	MaxPriorityFeePerGas *string           `json:"maxPriorityFeePerGas"`
	MaxFeePerBlobGas     *string           `json:"maxFeePerBlobGas"`
	Input                *string           `json:"input"`
	ChainID              *string           `json:"chainId"`
	AccessList           *types.AccessList `json:"accessList"`
	BlobVersionedHashes  []common.Hash     `json:"blobVersionedHashes"`
	V                    *string           `json:"v"`
	R                    *string           `json:"r"`
	S                    *string           `json:"s"`
	YParity              *string           `json:"yParity"`
}

type preAccount struct {
	Balance  string            `json:"balance"`
	Nonce    uint64            `json:"nonce"`
	CodeHash *string           `json:"code_hash"`
	Storage  map[string]string `json:"storage"`
}

// fields parses named JSON strings in order, stopping at the first error.
type fields struct{ err error }

func (f *fields) req(name, s string) string {
	if f.err == nil && s == "" {
		f.err = fmt.Errorf("missing field %s", name)
	}
	return s
}

func (f *fields) u64(name, s string) uint64 {
	if f.err != nil || f.req(name, s) == "" {
		return 0
	}
	v, err := parseU64(s)
	if err != nil {
		f.err = fieldErr(name, err)
	}
	return v
}

func (f *fields) u256(name, s string) *uint256.Int {
	if f.err != nil || f.req(name, s) == "" {
		return new(uint256.Int)
	}
	v, err := parseU256(s)
	if err != nil {
		f.err = fieldErr(name, err)
		return new(uint256.Int)
	}
	return v
}

func (f *fields) big(name, s string) *big.Int { return f.u256(name, s).ToBig() }

func (f *fields) hash(name, s string) common.Hash {
	if f.err != nil || f.req(name, s) == "" {
		return common.Hash{}
	}
	v, err := parseHash(s)
	if err != nil {
		f.err = fieldErr(name, err)
	}
	return v
}

func (f *fields) addr(name, s string) common.Address {
	if f.err != nil || f.req(name, s) == "" {
		return common.Address{}
	}
	v, err := parseAddress(s)
	if err != nil {
		f.err = fieldErr(name, err)
	}
	return v
}

func (f *fields) bytes(name, s string) []byte {
	if f.err != nil {
		return nil
	}
	v, err := parseBytes(s)
	if err != nil {
		f.err = fieldErr(name, err)
	}
	return v
}

func opt(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// ---- loading ----

// LoadPevmBlock loads one pevm block folder with a fresh Loader.
func LoadPevmBlock(dir string) (*PevmBlock, error) { return NewLoader().Load(dir) }

// Load reads the block folder dir (block.json, pre_state.json, and the
// shared bytecodes.json and block_hashes.json found in dir or the folders
// above it), recovers the senders and builds the block and its
// pre-state. Errors name the file, the block and, where it applies, the
// transaction index or the account.
func (l *Loader) Load(dir string) (*PevmBlock, error) {
	start := time.Now()
	var shared time.Duration
	blockPath := filepath.Join(dir, BlockFile)
	data, err := os.ReadFile(blockPath)
	if err != nil {
		return nil, err
	}
	var rb rpcBlock
	if err := json.Unmarshal(data, &rb); err != nil {
		return nil, fmt.Errorf("%s: %w", blockPath, err)
	}
	pb, err := convertBlock(&rb)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", blockPath, err)
	}
	pb.Dir = dir

	if err := pb.recoverTxs(rb.Transactions); err != nil {
		return nil, fmt.Errorf("%s: block %d: %w", blockPath, pb.Number, err)
	}

	// Pre-state.
	prePath := filepath.Join(dir, PreStateFile)
	data, err = os.ReadFile(prePath)
	if err != nil {
		return nil, err
	}
	var pre map[string]preAccount
	if err := json.Unmarshal(data, &pre); err != nil {
		return nil, fmt.Errorf("%s: %w", prePath, err)
	}
	var codes map[common.Hash][]byte
	codesPath := ""
	needCode := false
	for _, a := range pre {
		if a.CodeHash != nil {
			needCode = true
			break
		}
	}
	if needCode {
		codesPath = findUp(dir, BytecodesFile)
		if codesPath == "" {
			return nil, fmt.Errorf("%s: block %d: accounts have code but there is no %s in %s or the %d folders above it", prePath, pb.Number, BytecodesFile, dir, sharedLevels)
		}
		t0 := time.Now()
		f, err := l.file(codesPath, parseBytecodes)
		shared += time.Since(t0)
		if err != nil {
			return nil, err
		}
		codes = f.codes
	}
	mem := state.NewMem()
	addrs := make([]string, 0, len(pre))
	for a := range pre {
		addrs = append(addrs, a)
	}
	sort.Strings(addrs)
	for _, a := range addrs {
		acc := pre[a]
		addr, err := parseAddress(a)
		if err != nil {
			return nil, fmt.Errorf("%s: block %d: account %s: %w", prePath, pb.Number, truncate(a, 80), err)
		}
		where := func(err error) error {
			return fmt.Errorf("%s: block %d: account %s: %w", prePath, pb.Number, addr.Hex(), err)
		}
		var f fields
		acct := state.Account{Nonce: acc.Nonce, Balance: *f.u256("balance", acc.Balance)}
		if f.err != nil {
			return nil, where(f.err)
		}
		if acc.CodeHash != nil {
			h, err := parseHash(*acc.CodeHash)
			if err != nil {
				return nil, where(fieldErr("code_hash", err))
			}
			if h != state.EmptyCodeHash && h != (common.Hash{}) {
				code, ok := codes[h]
				if !ok {
					return nil, where(fmt.Errorf("code hash %s not found in %s", h.Hex(), codesPath))
				}
				if got := mem.AddCode(code); got != h {
					return nil, where(fmt.Errorf("code for hash %s in %s hashes to %s", h.Hex(), codesPath, got.Hex()))
				}
			}
			acct.CodeHash = h
		}
		mem.SetAccount(addr, acct)
		for k, v := range acc.Storage {
			slot, err := parseSlot(k)
			if err != nil {
				return nil, where(fmt.Errorf("storage key: %w", err))
			}
			val, err := parseSlot(v)
			if err != nil {
				return nil, where(fmt.Errorf("storage %s: %w", k, err))
			}
			mem.SetStorage(addr, slot, val)
		}
	}
	if hp := findUp(dir, BlockHashesFile); hp != "" {
		t0 := time.Now()
		f, err := l.file(hp, parseBlockHashes)
		shared += time.Since(t0)
		if err != nil {
			return nil, err
		}
		for n, h := range f.hashes {
			if n < pb.Number {
				mem.SetBlockHash(n, h)
			}
		}
	}
	pb.Pre = mem
	if pb.Rules.Cancun {
		// The first KZG point evaluation builds go-eth-kzg's context (seconds):
		// do it here, outside the timed execution, and count it as setup.
		t0 := time.Now()
		WarmUpKZG()
		d := time.Since(t0)
		shared += d
		l.mu.Lock()
		l.kzg += d
		l.mu.Unlock()
	}
	pb.LoadTime = time.Since(start) - shared
	return pb, nil
}

func convertBlock(rb *rpcBlock) (*PevmBlock, error) {
	var f fields
	pb := &PevmBlock{}
	pb.Number = f.u64("number", rb.Number)
	h := chain.Header{
		Number:     pb.Number,
		ParentHash: f.hash("parentHash", rb.ParentHash),
		Time:       f.u64("timestamp", rb.Timestamp),
		GasLimit:   f.u64("gasLimit", rb.GasLimit),
		Coinbase:   f.addr("miner", rb.Miner),
		Difficulty: *f.u256("difficulty", rb.Difficulty),
	}
	pb.Hash = f.hash("hash", rb.Hash)
	pb.GasUsed = f.u64("gasUsed", rb.GasUsed)
	if rb.MixHash != "" {
		h.MixDigest = f.hash("mixHash", rb.MixHash)
	}
	if f.req("logsBloom", rb.LogsBloom) != "" && f.err == nil {
		b, err := parseFixed(rb.LogsBloom, types.BloomByteLength)
		if err != nil {
			f.err = fieldErr("logsBloom", err)
		}
		pb.Bloom = types.BytesToBloom(b)
	}
	pb.ReceiptsRoot = f.hash("receiptsRoot", rb.ReceiptsRoot)
	if rb.BaseFeePerGas != nil {
		h.BaseFee = f.u256("baseFeePerGas", *rb.BaseFeePerGas)
	}
	if rb.ExcessBlobGas != nil {
		v := f.u64("excessBlobGas", *rb.ExcessBlobGas)
		h.ExcessBlobGas = &v
	}
	if rb.ParentBeaconBlockRoot != nil {
		v := f.hash("parentBeaconBlockRoot", *rb.ParentBeaconBlockRoot)
		h.ParentBeaconRoot = &v
	}
	if f.err != nil {
		if rb.Number != "" && pb.Number != 0 {
			return nil, fmt.Errorf("block %d: %w", pb.Number, f.err)
		}
		return nil, f.err
	}
	b := &chain.Block{Header: h}
	if rb.Withdrawals != nil {
		b.Withdrawals = make([]chain.Withdrawal, len(rb.Withdrawals))
		for i, w := range rb.Withdrawals {
			b.Withdrawals[i] = chain.Withdrawal{
				Index:     f.u64("index", w.Index),
				Validator: f.u64("validatorIndex", w.ValidatorIndex),
				Address:   f.addr("address", w.Address),
				Amount:    f.u64("amount", w.Amount),
			}
			if f.err != nil {
				return nil, fmt.Errorf("block %d: withdrawal %d: %w", pb.Number, i, f.err)
			}
		}
	}
	// block.json names uncles by hash only: their numbers and coinbases are
	// unknown, so they are left out (pevm blocks run without rewards).
	pb.Rules = chain.Mainnet.Rules(h.Number, h.Time)
	pb.Block = b
	return pb, nil
}

// recoverTxs decodes the transactions, checks their hashes, recovers
// their senders in parallel and fills pb.Block.Txs.
func (pb *PevmBlock) recoverTxs(raws []json.RawMessage) error {
	h := &pb.Block.Header
	signer := types.MakeSigner(params.MainnetChainConfig, new(big.Int).SetUint64(h.Number), h.Time)
	txs := make([]*chain.Message, len(raws))
	err := parallel(len(raws), func(i int) error {
		m, err := decodeRPCTx(raws[i], signer, h.BaseFee)
		if err != nil {
			return fmt.Errorf("transaction %d: %w", i, err)
		}
		txs[i] = m
		return nil
	})
	if err != nil {
		return err
	}
	pb.Block.Txs = txs
	return nil
}

// decodeRPCTx builds the signed transaction of a JSON-RPC transaction
// object, checks its hash, recovers its sender (checking it against
// "from") and converts it.
func decodeRPCTx(raw json.RawMessage, signer types.Signer, baseFee *uint256.Int) (*chain.Message, error) {
	if t := bytes.TrimSpace(raw); len(t) > 0 && t[0] != '{' {
		return nil, errors.New("not a transaction object (block.json must hold full transactions: eth_getBlockByNumber(N, true))")
	}
	var j rpcTx
	if err := json.Unmarshal(raw, &j); err != nil {
		return nil, err
	}
	var f fields
	typ := uint64(0)
	if j.Type != nil {
		typ = f.u64("type", *j.Type)
		if f.err != nil {
			return nil, f.err
		}
	}
	var to *common.Address
	if j.To != nil {
		a := f.addr("to", *j.To)
		to = &a
	}
	nonce := f.u64("nonce", opt(j.Nonce))
	gas := f.u64("gas", opt(j.Gas))
	value := f.u256("value", opt(j.Value))
	input := f.bytes("input", opt(j.Input))
	r := f.u256("r", opt(j.R))
	s := f.u256("s", opt(j.S))
	var v *uint256.Int
	if typ != types.LegacyTxType && j.YParity != nil {
		v = f.u256("yParity", *j.YParity)
	} else {
		v = f.u256("v", opt(j.V))
	}
	var al types.AccessList
	if j.AccessList != nil {
		al = *j.AccessList
	}
	var inner types.TxData
	switch typ {
	case types.LegacyTxType:
		inner = &types.LegacyTx{Nonce: nonce, GasPrice: f.big("gasPrice", opt(j.GasPrice)), Gas: gas, To: to,
			Value: value.ToBig(), Data: input, V: v.ToBig(), R: r.ToBig(), S: s.ToBig()}
	case types.AccessListTxType:
		inner = &types.AccessListTx{ChainID: f.big("chainId", opt(j.ChainID)), Nonce: nonce,
			GasPrice: f.big("gasPrice", opt(j.GasPrice)), Gas: gas, To: to, Value: value.ToBig(), Data: input,
			AccessList: al, V: v.ToBig(), R: r.ToBig(), S: s.ToBig()}
	case types.DynamicFeeTxType:
		inner = &types.DynamicFeeTx{ChainID: f.big("chainId", opt(j.ChainID)), Nonce: nonce,
			GasTipCap: f.big("maxPriorityFeePerGas", opt(j.MaxPriorityFeePerGas)),
			GasFeeCap: f.big("maxFeePerGas", opt(j.MaxFeePerGas)), Gas: gas, To: to, Value: value.ToBig(),
			Data: input, AccessList: al, V: v.ToBig(), R: r.ToBig(), S: s.ToBig()}
	case types.BlobTxType:
		if to == nil && f.err == nil {
			f.err = errors.New("blob transaction without \"to\"")
		}
		var toAddr common.Address
		if to != nil {
			toAddr = *to
		}
		inner = &types.BlobTx{ChainID: f.u256("chainId", opt(j.ChainID)), Nonce: nonce,
			GasTipCap: f.u256("maxPriorityFeePerGas", opt(j.MaxPriorityFeePerGas)),
			GasFeeCap: f.u256("maxFeePerGas", opt(j.MaxFeePerGas)), Gas: gas, To: toAddr, Value: value,
			Data: input, AccessList: al, BlobFeeCap: f.u256("maxFeePerBlobGas", opt(j.MaxFeePerBlobGas)),
			BlobHashes: j.BlobVersionedHashes, V: v, R: r, S: s}
	default:
		return nil, fmt.Errorf("unknown transaction type %#x (supported: 0x0 to 0x3)", typ)
	}
	if f.err != nil {
		return nil, f.err
	}
	tx := types.NewTx(inner)
	if j.Hash != nil {
		want, err := parseHash(*j.Hash)
		if err != nil {
			return nil, fieldErr("hash", err)
		}
		if got := tx.Hash(); got != want {
			return nil, fmt.Errorf("hash mismatch: JSON %s, recomputed %s", want.Hex(), got.Hex())
		}
	}
	from, err := types.Sender(signer, tx)
	if err != nil {
		return nil, fmt.Errorf("recovering sender: %w", err)
	}
	if j.From != nil {
		want, err := parseAddress(*j.From)
		if err != nil {
			return nil, fieldErr("from", err)
		}
		if want != from {
			return nil, fmt.Errorf("sender mismatch: JSON from %s, recovered %s", want.Hex(), from.Hex())
		}
	}
	return messageOf(tx, from, baseFee)
}

var kzgOnce sync.Once

// WarmUpKZG initialises go-ethereum's KZG library (the trusted setup used
// by the point evaluation precompile), which otherwise happens inside the
// first block that calls it. Safe to call many times.
func WarmUpKZG() {
	kzgOnce.Do(func() {
		_ = kzg4844.VerifyProof(kzg4844.Commitment{}, kzg4844.Point{}, kzg4844.Claim{}, kzg4844.Proof{})
	})
}

// ---- finding and running ----

// BlockDirs returns the pevm block folders at path: path itself when it
// holds a block.json, else every folder below it that does, in block
// number order (numeric folder names; others after, by path).
func BlockDirs(path string) ([]string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("%s is not a folder", path)
	}
	if _, err := os.Stat(filepath.Join(path, BlockFile)); err == nil {
		return []string{path}, nil
	}
	var out []string
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && d.Name() == BlockFile {
			out = append(out, filepath.Dir(p))
		}
		return nil
	})
	SortBlockDirs(out)
	return out, err
}

// SortBlockDirs sorts block folders by their (decimal) name, folders with
// other names last by path.
func SortBlockDirs(dirs []string) {
	num := func(p string) (uint64, bool) {
		n, err := strconv.ParseUint(filepath.Base(p), 10, 64)
		return n, err == nil
	}
	sort.SliceStable(dirs, func(i, j int) bool {
		a, aok := num(dirs[i])
		b, bok := num(dirs[j])
		switch {
		case aok && bok:
			if a != b {
				return a < b
			}
			return dirs[i] < dirs[j]
		case aok != bok:
			return aok
		}
		return dirs[i] < dirs[j]
	})
}

// PevmResult is the outcome of one pevm block.
type PevmResult struct {
	Dir         string   `json:"dir"`
	Number      uint64   `json:"number"`
	Fork        string   `json:"fork"`
	Txs         int      `json:"txs"`
	GasUsed     uint64   `json:"gasUsed"` // as executed (the header's when execution failed)
	LoadSeconds float64  `json:"loadSeconds"`
	ExecSeconds float64  `json:"execSeconds"`
	MgasPerSec  float64  `json:"mgasPerSec"`
	Pass        bool     `json:"pass"`
	Diffs       []string `json:"diffs,omitempty"`
	// Error is why the block could not be executed (an invalid
	// transaction: block and index) or loaded.
	Error string `json:"error,omitempty"`
	// LoadFailed: the block's files could not be read or decoded.
	LoadFailed bool `json:"loadFailed,omitempty"`
}

// Summary returns "OK" or what differs.
func (r *PevmResult) Summary() string {
	if r.Pass {
		return "OK"
	}
	s := ""
	if r.Error != "" {
		s = r.Error
	}
	for _, d := range r.Diffs {
		if s != "" {
			s += "; "
		}
		s += d
	}
	return "FAIL: " + s
}

// RunPevm executes the block as pevm does (chain.Mainnet, no rewards,
// withdrawals or system calls) and checks gasUsed, logsBloom and, from
// Byzantium on, receiptsRoot against the header.
func RunPevm(pb *PevmBlock) *PevmResult { return RunPevmWith(pb, nil) }

// RunPevmWith is RunPevm with the transactions executed by exec (a
// parallel or simulated executor; nil: serial).
func RunPevmWith(pb *PevmBlock, exec chain.TxExecutor) *PevmResult {
	return RunPevmOpts(pb, chain.BlockOptions{Executor: exec})
}

// RunPevmOpts is RunPevm with the executor and workers of opt (its
// SkipSystem is set: pevm's replay).
func RunPevmOpts(pb *PevmBlock, opt chain.BlockOptions) *PevmResult {
	opt.SkipSystem = true
	r := &PevmResult{Dir: pb.Dir, Number: pb.Number, Fork: pb.Rules.Name, Txs: len(pb.Block.Txs),
		GasUsed: pb.GasUsed, LoadSeconds: pb.LoadTime.Seconds()}
	start := time.Now()
	res, err := executeBlock(chain.Mainnet, pb.Block, pb.Pre, opt)
	elapsed := time.Since(start)
	r.ExecSeconds = elapsed.Seconds()
	if err != nil {
		r.Error = err.Error()
		var te *chain.TxError
		if !errors.As(err, &te) {
			r.Error = fmt.Sprintf("block %d: %v", pb.Number, err)
		}
		return r
	}
	r.GasUsed = res.GasUsed
	if elapsed > 0 {
		r.MgasPerSec = float64(res.GasUsed) / 1e6 / elapsed.Seconds()
	}
	if res.GasUsed != pb.GasUsed {
		r.Diffs = append(r.Diffs, fmt.Sprintf("gasUsed: header %d, got %d", pb.GasUsed, res.GasUsed))
	}
	if res.Bloom != pb.Bloom {
		r.Diffs = append(r.Diffs, "logsBloom differs")
	}
	if pb.Rules.Byzantium && res.ReceiptsRoot != pb.ReceiptsRoot {
		r.Diffs = append(r.Diffs, fmt.Sprintf("receiptsRoot: header %s, got %s", pb.ReceiptsRoot.Hex(), res.ReceiptsRoot.Hex()))
	}
	r.Pass = len(r.Diffs) == 0
	return r
}
