package bench

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/holiman/uint256"
	"github.com/velarium/velarium/chain"
	"github.com/velarium/velarium/fork"
	"github.com/velarium/velarium/state"
	"github.com/velarium/velarium/statetest"
)

// Suite names of the single-transaction cases.
const (
	SuiteEVMBenchmarks = "evm-benchmarks"
	SuiteEvmoneLegacy  = "evmone-legacy"
	SuitePevmContracts = "pevm-contracts"
)

// Case is one transaction to measure: the same pre-state, block environment
// and message are given to both engines.
type Case struct {
	Suite string
	Name  string // e.g. "snailtracer/benchmark"
	Note  string
	Rules *fork.Rules
	Env   *chain.BlockEnv
	Msg   *chain.Message
	// Alloc is the pre-state (go-ethereum builds its StateDB from it);
	// Pre is the same pre-state as a Velarium state.Mem.
	Alloc types.GenesisAlloc
	Pre   *state.Mem
	// Checks beyond "both engines agree" (nil / zero: not checked).
	WantOut    []byte
	CheckOut   bool
	WantRoot   *common.Hash // post-state root from the fixture
	WantStatus *uint64
}

// ID is "suite/name".
func (c *Case) ID() string { return c.Suite + "/" + c.Name }

func preFromAlloc(alloc types.GenesisAlloc) *state.Mem {
	return (&statetest.Test{Pre: alloc}).PreState()
}

// LoadEVMBenchmarks loads evm-benchmarks' state tests (benchmarks/main and
// benchmarks/micro), one case per labelled input of the London post entries.
func LoadEVMBenchmarks(root string) ([]*Case, error) {
	var out []*Case
	for _, sub := range []string{"main", "micro"} {
		dir := filepath.Join(root, "evmbench", "evm-benchmarks", "benchmarks", sub)
		files, err := filepath.Glob(filepath.Join(dir, "*.json"))
		if err != nil {
			return nil, err
		}
		if len(files) == 0 {
			return nil, fmt.Errorf("no state tests in %s", dir)
		}
		sort.Strings(files)
		for _, f := range files {
			cs, err := loadStateTestCases(f, sub)
			if err != nil {
				return nil, err
			}
			out = append(out, cs...)
		}
	}
	return out, nil
}

func loadStateTestCases(path, sub string) ([]*Case, error) {
	tests, err := statetest.LoadFile(path)
	if err != nil {
		return nil, err
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var info map[string]struct {
		Info struct {
			Labels map[string]string `json:"labels"`
		} `json:"_info"`
	}
	if err := json.Unmarshal(raw, &info); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var out []*Case
	for _, t := range tests {
		rules := fork.Get(fork.London)
		posts := t.Post["London"]
		if len(posts) == 0 {
			return nil, fmt.Errorf("%s: test %s has no London post entries", path, t.Name)
		}
		env := t.BlockEnv(rules)
		pre := t.PreState()
		for i := range posts {
			p := &posts[i]
			msg, err := t.Message(p, env.BaseFee)
			if err != nil {
				return nil, fmt.Errorf("%s: %s[%d]: %w", path, t.Name, i, err)
			}
			label := info[t.Name].Info.Labels[strconv.Itoa(p.Indexes.Data)]
			if label == "" {
				label = fmt.Sprintf("d%d", p.Indexes.Data)
			}
			root := p.Root
			out = append(out, &Case{
				Suite: SuiteEVMBenchmarks, Name: t.Name + "/" + label, Note: sub,
				Rules: rules, Env: env, Msg: msg, Alloc: t.Pre, Pre: pre, WantRoot: &root,
			})
		}
	}
	return out, nil
}

// Addresses of the synthetic cases.
var (
	benchSender   = common.HexToAddress("0x5e4de7000000000000000000000000000000a11c")
	benchCoinbase = common.HexToAddress("0xc014ba5e00000000000000000000000000000000")
	benchContract = common.HexToAddress("0xbe7c43a580000000000000000000000000000001")
)

// syntheticEnv is the block of the synthetic cases: number 1, 30M gas,
// base fee 10 wei; Random is set from Paris on, the excess blob gas from
// Cancun on.
func syntheticEnv(rules *fork.Rules, gasLimit uint64) *chain.BlockEnv {
	env := &chain.BlockEnv{Coinbase: benchCoinbase, GasLimit: gasLimit, Number: 1, Time: 1000}
	env.ChainID.SetUint64(statetest.ChainID)
	if rules.London {
		env.BaseFee = uint256.NewInt(10)
	}
	if rules.Paris {
		r := crypto.Keccak256Hash([]byte("velabench prevrandao"))
		env.Random = &r
	} else {
		env.Difficulty.SetUint64(0x20000)
	}
	if rules.Cancun {
		var x uint64
		env.ExcessBlobGas = &x
	}
	return env
}

// callMsg is a legacy transaction from benchSender (nonce 0) paying 10 wei
// per gas (the synthetic base fee) unless price is set.
func callMsg(to common.Address, data []byte, gas uint64, value, price *uint256.Int) *chain.Message {
	m := &chain.Message{Type: 0, From: benchSender, To: &to, Gas: gas, Data: data}
	if value != nil {
		m.Value = *value
	}
	if price == nil {
		price = uint256.NewInt(10)
	}
	m.GasPrice, m.GasFeeCap, m.GasTipCap = *price, *price, *price
	return m
}

func eth(n int64) *big.Int { return new(big.Int).Mul(big.NewInt(n), big.NewInt(1e18)) }

// LoadEvmoneLegacy loads the older evmone benchmark set: every
// <name>.bin-runtime with each input of <name>.inputs (or once with empty
// calldata), under London rules. The beginsub* codes are left out: EIP-2315
// never shipped, and their opcodes are TLOAD/TSTORE/MCOPY from Cancun on.
func LoadEvmoneLegacy(root string) ([]*Case, error) {
	var out []*Case
	rules := fork.Get(fork.London)
	const gas = 1_000_000_000
	env := syntheticEnv(rules, gas)
	for _, sub := range []string{"main", "micro"} {
		dir := filepath.Join(root, "evmbench", "evmone-legacy", sub)
		files, err := filepath.Glob(filepath.Join(dir, "*.bin-runtime"))
		if err != nil {
			return nil, err
		}
		if len(files) == 0 {
			return nil, fmt.Errorf("no .bin-runtime files in %s", dir)
		}
		sort.Strings(files)
		for _, f := range files {
			name := strings.TrimSuffix(filepath.Base(f), ".bin-runtime")
			if strings.HasPrefix(name, "beginsub") {
				continue
			}
			src, err := os.ReadFile(f)
			if err != nil {
				return nil, err
			}
			code, err := expandHex(string(src))
			if err != nil {
				return nil, fmt.Errorf("%s: %w", f, err)
			}
			alloc := types.GenesisAlloc{
				benchSender:   {Balance: eth(1000)},
				benchContract: {Balance: big.NewInt(0), Code: code, Nonce: 1},
			}
			pre := preFromAlloc(alloc)
			inputs, err := readInputs(strings.TrimSuffix(f, ".bin-runtime") + ".inputs")
			if err != nil {
				return nil, err
			}
			note := sub
			if len(code) > 0 && code[0] == 0 {
				note += "; code starts with STOP (an analysis benchmark in evmone: measures per-tx overhead here)"
			}
			if inputs == nil {
				out = append(out, &Case{Suite: SuiteEvmoneLegacy, Name: name, Note: note, Rules: rules, Env: env,
					Msg: callMsg(benchContract, nil, gas, nil, nil), Alloc: alloc, Pre: pre})
				continue
			}
			for _, in := range inputs {
				out = append(out, &Case{Suite: SuiteEvmoneLegacy, Name: name + "/" + in.name, Note: note, Rules: rules, Env: env,
					Msg: callMsg(benchContract, in.data, gas, nil, nil), Alloc: alloc, Pre: pre,
					WantOut: in.want, CheckOut: true})
			}
		}
	}
	return out, nil
}

type benchInput struct {
	name       string
	data, want []byte
}

// readInputs parses an evmone .inputs file: groups of three lines (name,
// calldata, expected output; the last two may be empty) separated by
// blank lines. A missing file gives nil.
func readInputs(path string) ([]benchInput, error) {
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		lines = append(lines, strings.TrimRight(sc.Text(), "\r"))
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	var out []benchInput
	for i := 0; i < len(lines); {
		if strings.TrimSpace(lines[i]) == "" {
			i++
			continue
		}
		in := benchInput{name: strings.TrimSpace(lines[i])}
		get := func(k int) string {
			if i+k < len(lines) {
				return lines[i+k]
			}
			return ""
		}
		if in.data, err = expandHex(get(1)); err != nil {
			return nil, fmt.Errorf("%s: input %s calldata: %w", path, in.name, err)
		}
		if in.want, err = expandHex(get(2)); err != nil {
			return nil, fmt.Errorf("%s: input %s expected output: %w", path, in.name, err)
		}
		out = append(out, in)
		i += 3
	}
	return out, nil
}

// ---- pevm contracts: ERC-20, WETH9, Uniswap V3 ----

// Solidity storage helpers (as pevm's tests lay the contracts out).

func u256Hash(v *uint256.Int) common.Hash { return common.Hash(v.Bytes32()) }

func addrWord(a common.Address) common.Hash { return common.BytesToHash(a[:]) }

func intWord(v int64) common.Hash {
	var u uint256.Int
	if v < 0 {
		u.SetUint64(uint64(-v))
		u.Neg(&u)
	} else {
		u.SetUint64(uint64(v))
	}
	return u256Hash(&u)
}

func uintWord(v uint64) common.Hash { return u256Hash(uint256.NewInt(v)) }

func bigWord(b *big.Int) common.Hash { return common.BigToHash(b) }

// mapSlot is the slot of mapping[k1][k2]... declared at slot.
func mapSlot(slot common.Hash, keys ...common.Hash) common.Hash {
	h := slot
	for _, k := range keys {
		h = crypto.Keccak256Hash(k[:], h[:])
	}
	return h
}

func addSlot(h common.Hash, i uint64) common.Hash {
	v := new(uint256.Int).SetBytes32(h[:])
	v.Add(v, uint256.NewInt(i))
	return u256Hash(v)
}

// shortString is Solidity's in-place encoding of a string under 32 bytes.
func shortString(s string) common.Hash {
	var h common.Hash
	copy(h[:], s)
	h[31] = byte(2 * len(s))
	return h
}

func contractCode(root, file string, replace ...string) ([]byte, error) {
	raw, err := os.ReadFile(filepath.Join(root, "evmbench", "pevm-contracts", file))
	if err != nil {
		return nil, err
	}
	s := strings.ToLower(strings.TrimSpace(string(raw)))
	for i := 0; i+1 < len(replace); i += 2 {
		if !strings.Contains(s, replace[i]) {
			return nil, fmt.Errorf("%s: placeholder %s not found", file, replace[i])
		}
		s = strings.ReplaceAll(s, replace[i], strings.ToLower(replace[i+1]))
	}
	return expandHex(s)
}

func hexAddr(a common.Address) string { return strings.TrimPrefix(strings.ToLower(a.Hex()), "0x") }

// LoadPevmContracts builds the ERC-20 transfer, WETH deposit and withdrawal
// and Uniswap V3 swap cases on pevm's contract code, with the pre-state laid
// out in storage as pevm's own tests do (Cancun rules).
func LoadPevmContracts(root string) ([]*Case, error) {
	rules := fork.Get(fork.Cancun)
	env := syntheticEnv(rules, 30_000_000)
	var out []*Case
	status1 := uint64(1)

	// ERC-20 transfer to a fresh holder.
	token := common.HexToAddress("0x7070000000000000000000000000000000000020")
	erc20, err := contractCode(root, "ERC20Token.hex")
	if err != nil {
		return nil, err
	}
	tokenStorage := func(name string, supply *big.Int) map[common.Hash]common.Hash {
		return map[common.Hash]common.Hash{
			uintWord(2): bigWord(supply),
			uintWord(3): shortString(name),
			uintWord(4): shortString(name),
			uintWord(5): uintWord(18),
		}
	}
	{
		st := tokenStorage("Token", eth(1_000_000))
		st[mapSlot(uintWord(0), addrWord(benchSender))] = bigWord(eth(1000))
		alloc := types.GenesisAlloc{
			benchSender: {Balance: eth(1000)},
			token:       {Balance: big.NewInt(0), Nonce: 1, Code: erc20, Storage: st},
		}
		recipient := common.HexToAddress("0x4ec1913400000000000000000000000000000001")
		data := append(mustHex("a9059cbb"), addrWord(recipient).Bytes()...)
		data = append(data, bigWord(eth(1)).Bytes()...)
		out = append(out, &Case{Suite: SuitePevmContracts, Name: "erc20_transfer", Note: "transfer(address,uint256) to a fresh holder",
			Rules: rules, Env: env, Msg: callMsg(token, data, 100_000, nil, nil), Alloc: alloc, Pre: preFromAlloc(alloc),
			WantStatus: &status1})
	}

	// WETH9 deposit and withdrawal.
	weth := common.HexToAddress("0x7e7e000000000000000000000000000000000009")
	wethCode, err := contractCode(root, "WETH9.hex")
	if err != nil {
		return nil, err
	}
	wethStorage := func() map[common.Hash]common.Hash {
		return map[common.Hash]common.Hash{
			uintWord(0): shortString("Wrapped Ether"),
			uintWord(1): shortString("WETH"),
			uintWord(2): uintWord(18),
		}
	}
	{
		alloc := types.GenesisAlloc{
			benchSender: {Balance: eth(1000)},
			weth:        {Balance: big.NewInt(0), Nonce: 1, Code: wethCode, Storage: wethStorage()},
		}
		out = append(out, &Case{Suite: SuitePevmContracts, Name: "weth_deposit", Note: "deposit() with 1 ether",
			Rules: rules, Env: env, Msg: callMsg(weth, mustHex("d0e30db0"), 100_000, uint256.MustFromBig(eth(1)), nil),
			Alloc: alloc, Pre: preFromAlloc(alloc), WantStatus: &status1})
	}
	{
		st := wethStorage()
		st[mapSlot(uintWord(3), addrWord(benchSender))] = bigWord(eth(10))
		alloc := types.GenesisAlloc{
			benchSender: {Balance: eth(1000)},
			weth:        {Balance: eth(10), Nonce: 1, Code: wethCode, Storage: st},
		}
		data := append(mustHex("2e1a7d4d"), bigWord(eth(1)).Bytes()...)
		out = append(out, &Case{Suite: SuitePevmContracts, Name: "weth_withdraw", Note: "withdraw(1 ether) of a 10 ether balance",
			Rules: rules, Env: env, Msg: callMsg(weth, data, 100_000, nil, nil),
			Alloc: alloc, Pre: preFromAlloc(alloc), WantStatus: &status1})
	}

	// Uniswap V3: SingleSwap -> SwapRouter -> pool, as in pevm's uniswap test.
	uni, err := uniswapAlloc(root, token, erc20, weth, wethCode, tokenStorage)
	if err != nil {
		return nil, err
	}
	for _, v := range []struct {
		name, note string
		data       []byte
	}{
		{"uniswap_v3_swap/sellToken0", "SingleSwap.sellToken0(2000): exactInputSingle via SwapRouter", append(mustHex("c92b0891"), uintWord(2000).Bytes()...)},
		{"uniswap_v3_swap/buyToken1", "SingleSwap.buyToken1(1000,2000): exactOutputSingle via SwapRouter", append(append(mustHex("b2db18a2"), uintWord(1000).Bytes()...), uintWord(2000).Bytes()...)},
	} {
		out = append(out, &Case{Suite: SuitePevmContracts, Name: v.name, Note: v.note,
			Rules: rules, Env: env, Msg: callMsg(uni.singleSwap, v.data, 500_000, nil, uint256.NewInt(0xb2d05e07)),
			Alloc: uni.alloc, Pre: preFromAlloc(uni.alloc), WantStatus: &status1})
	}
	return out, nil
}

type uniswapSetup struct {
	alloc      types.GenesisAlloc
	singleSwap common.Address
}

// uniswapAlloc lays out a DAI/USDC pool (fee 3000, one full-range-ish
// position between ticks -600000 and 600000) with its factory, the
// SwapRouter, WETH9 and pevm's SingleSwap helper, the storage values being
// those of pevm's uniswap test.
func uniswapAlloc(root string, _ common.Address, erc20 []byte, weth common.Address, wethCode []byte,
	tokenStorage func(string, *big.Int) map[common.Hash]common.Hash) (*uniswapSetup, error) {
	const fee = 3000
	const tickSpacing = 60
	dai := common.HexToAddress("0x0da1000000000000000000000000000000000001")
	usdc := common.HexToAddress("0x0da1000000000000000000000000000000000002") // dai < usdc
	factory := common.HexToAddress("0xfac7000000000000000000000000000000000003")
	router := common.HexToAddress("0x5747000000000000000000000000000000000004")
	single := common.HexToAddress("0x5195000000000000000000000000000000000005")
	npm := common.HexToAddress("0x0e9e000000000000000000000000000000000006") // position owner
	owner := common.HexToAddress("0x0e9e000000000000000000000000000000000007")
	initCodeHash := crypto.Keccak256Hash([]byte("velabench uniswap v3 pool init code hash"))
	person := benchSender

	salt := crypto.Keccak256(addrWord(dai).Bytes(), addrWord(usdc).Bytes(), uintWord(fee).Bytes())
	pool := common.BytesToAddress(crypto.Keccak256([]byte{0xff}, factory[:], salt, initCodeHash[:])[12:])

	factoryCode, err := contractCode(root, "UniswapV3Factory.hex", "0b748751e6f8b1a38c9386a19d9f8966b3593a9e", hexAddr(factory))
	if err != nil {
		return nil, err
	}
	poolCode, err := contractCode(root, "UniswapV3Pool.hex",
		"261d8c5e9742e6f7f1076fa1f560894524e19cad", hexAddr(dai),
		"ce3478a9e0167a6bc5716dc39dbbbfac38f27623", hexAddr(usdc),
		"cba6b9a951749b8735c603e7ffc5151849248772", hexAddr(factory),
		"d495d5e5cab2567777fff988c4fcd71328b17c9d", hexAddr(pool))
	if err != nil {
		return nil, err
	}
	routerCode, err := contractCode(root, "SwapRouter.hex",
		"6509f2a854ba7441039fce3b959d5badd2ffcfcd", hexAddr(weth),
		"d787a42ee3ac477c46dd6c912e7af795d44453d5", hexAddr(factory),
		"636fcf59d7fdf3a03833dba1c6d936c9d7c6730057c8c4c8e5059feaeab60e04", strings.TrimPrefix(initCodeHash.Hex(), "0x"))
	if err != nil {
		return nil, err
	}
	singleCode, err := contractCode(root, "SingleSwap.hex", "e7cfcccb38ce07ba9d8d13431afe8cf6172de031", hexAddr(router))
	if err != nil {
		return nil, err
	}

	tok := func(name string) map[common.Hash]common.Hash {
		st := tokenStorage(name, new(big.Int).Mul(big.NewInt(222_222), big.NewInt(1e18)))
		st[mapSlot(uintWord(0), addrWord(pool))] = bigWord(new(big.Int).Mul(big.NewInt(111_111), big.NewInt(1e18)))
		st[mapSlot(uintWord(0), addrWord(person))] = bigWord(eth(1))
		st[mapSlot(uintWord(1), addrWord(person), addrWord(single))] = bigWord(eth(1))
		return st
	}

	fst := map[common.Hash]common.Hash{
		uintWord(3):                                                        addrWord(owner),
		mapSlot(uintWord(4), uintWord(500)):                                uintWord(10),
		mapSlot(uintWord(4), uintWord(3000)):                               uintWord(60),
		mapSlot(uintWord(4), uintWord(10000)):                              uintWord(200),
		mapSlot(uintWord(5), addrWord(dai), addrWord(usdc), uintWord(fee)): addrWord(pool),
		mapSlot(uintWord(5), addrWord(usdc), addrWord(dai), uintWord(fee)): addrWord(pool),
	}

	pst := map[common.Hash]common.Hash{
		uintWord(0): common.HexToHash("0x0001000001000100000000000000000000000001000000000000000000000000"),
		uintWord(4): bigWord(func() *big.Int { v, _ := new(big.Int).SetString("111111000000010412955141", 10); return v }()),
		uintWord(8): common.HexToHash("0x0100000000000000000000000000000000000000000000000000000000000001"),
	}
	setMany := func(base common.Hash, vals ...common.Hash) {
		for i, v := range vals {
			if v != (common.Hash{}) {
				pst[addSlot(base, uint64(i))] = v
			}
		}
	}
	tick3 := func(t int64) []byte { w := intWord(t); return w[29:32] }
	posKey := crypto.Keccak256Hash(npm[:], tick3(-600000), tick3(600000))
	setMany(mapSlot(uintWord(7), posKey), common.HexToHash("0x00000000000000000000000000000000000000000000178756e190b388651605"))
	bitmap := map[int64]*uint256.Int{}
	addTick := func(t int64, vals ...common.Hash) {
		setMany(mapSlot(uintWord(5), intWord(t)), vals...)
		idx := int32(t / tickSpacing)
		word := int64(idx >> 8)
		bit := uint(idx & 0xff)
		if bitmap[word] == nil {
			bitmap[word] = new(uint256.Int)
		}
		bitmap[word].Or(bitmap[word], new(uint256.Int).Lsh(uint256.NewInt(1), bit))
	}
	addTick(-600000,
		common.HexToHash("0x000000000000178756e190b388651605000000000000178756e190b388651605"), common.Hash{}, common.Hash{},
		common.HexToHash("0x0100000001000000000000000000000000000000000000000000000000000000"))
	addTick(600000,
		common.HexToHash("0xffffffffffffe878a91e6f4c779ae9fb000000000000178756e190b388651605"), common.Hash{}, common.Hash{},
		common.HexToHash("0x0100000000000000000000000000000000000000000000000000000000000000"))
	for w, v := range bitmap {
		pst[mapSlot(uintWord(6), intWord(w))] = u256Hash(v)
	}

	sst := map[common.Hash]common.Hash{
		uintWord(0): addrWord(dai),
		uintWord(1): u256Hash(new(uint256.Int).Or(new(uint256.Int).SetBytes(usdc[:]), new(uint256.Int).Lsh(uint256.NewInt(fee), 160))),
	}
	rst := map[common.Hash]common.Hash{uintWord(0): common.HexToHash("0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff")}
	wst := map[common.Hash]common.Hash{
		uintWord(0): shortString("Wrapped Ether"), uintWord(1): shortString("WETH"), uintWord(2): uintWord(18),
	}
	alloc := types.GenesisAlloc{
		person:  {Balance: eth(4567)},
		weth:    {Balance: big.NewInt(0), Nonce: 1, Code: wethCode, Storage: wst},
		dai:     {Balance: big.NewInt(0), Nonce: 1, Code: erc20, Storage: tok("DAI")},
		usdc:    {Balance: big.NewInt(0), Nonce: 1, Code: erc20, Storage: tok("USDC")},
		factory: {Balance: big.NewInt(0), Nonce: 1, Code: factoryCode, Storage: fst},
		pool:    {Balance: big.NewInt(0), Nonce: 1, Code: poolCode, Storage: pst},
		router:  {Balance: big.NewInt(0), Nonce: 1, Code: routerCode, Storage: rst},
		single:  {Balance: big.NewInt(0), Nonce: 1, Code: singleCode, Storage: sst},
	}
	return &uniswapSetup{alloc: alloc, singleSwap: single}, nil
}

// LoadCases loads the cases of the named suites.
func LoadCases(root string, suites []string) ([]*Case, error) {
	var out []*Case
	for _, s := range suites {
		var cs []*Case
		var err error
		switch s {
		case SuiteEVMBenchmarks:
			cs, err = LoadEVMBenchmarks(root)
		case SuiteEvmoneLegacy:
			cs, err = LoadEvmoneLegacy(root)
		case SuitePevmContracts:
			cs, err = LoadPevmContracts(root)
		default:
			return nil, fmt.Errorf("unknown suite %q", s)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, cs...)
	}
	return out, nil
}
