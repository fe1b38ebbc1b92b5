package chain

import (
	"math/big"
	"sync"
	"sync/atomic"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/holiman/uint256"
	"github.com/velarium/velarium/evm"
	"github.com/velarium/velarium/evm/precompile"
	"github.com/velarium/velarium/fork"
	"github.com/velarium/velarium/state"
)

// Result is the outcome of one transaction.
type Result struct {
	// Err is the validity error of a transaction that could not be included
	// (see errors.go); nothing else is set and the state is unchanged.
	Err error
	// Status is 1 for success, 0 for a failed (reverted, out of gas...) execution.
	Status  uint64
	GasUsed uint64 // gas charged to the sender, after refunds and the EIP-7623 floor
	Logs    []Log
	// ReturnData is the output of the outermost frame (revert data on revert).
	ReturnData      []byte
	ContractAddress *common.Address // for creation transactions
	// ExecErr is why execution failed when Status is 0 (nil on success).
	ExecErr error
	Diff    state.Diff
	// CoinbaseFee is the fee still to be credited to the coinbase, when
	// Config.DeferCoinbase applied (nil otherwise).
	CoinbaseFee *uint256.Int
	// LogsBloom is the bloom filter of Logs when the executor computed it
	// (SetBloom; a parallel executor does it in the worker that ran the
	// transaction), nil otherwise: ExecuteBlock computes it then.
	LogsBloom *types.Bloom
}

// SetBloom computes LogsBloom (left nil without logs: an empty bloom).
func (r *Result) SetBloom() {
	if len(r.Logs) > 0 {
		b := LogsBloom(r.Logs)
		r.LogsBloom = &b
	}
}

// Config holds optional execution settings.
type Config struct {
	Tracer evm.Tracer
	// DeferCoinbase: when the transaction itself never read the coinbase
	// account and the fee is not zero, do not read it to pay the fee;
	// return the fee in Result.CoinbaseFee instead (left out of Diff), for
	// the caller to apply as a commutative credit. Parallel executors use
	// this so that transactions do not all conflict on the coinbase.
	DeferCoinbase bool
	// NoDiff: leave Result.Diff nil; the caller reads the changes with
	// Exec.EachChange before Exec.Release (parallel executors turn them
	// into element writes directly).
	NoDiff bool
}

// Gas constants of transaction processing.
const (
	txGas               = 21000
	txDataZeroGas       = 4
	txAccessListAddrGas = 2400  // EIP-2930
	txAccessListKeyGas  = 1900  // EIP-2930
	txAuthGas           = 25000 // EIP-7702 PER_EMPTY_ACCOUNT_COST
	authBaseGas         = 12500 // EIP-7702 PER_AUTH_BASE_COST
	initCodeWordGas     = 2     // EIP-3860
	floorTokenGas       = 10    // EIP-7623 TOTAL_COST_FLOOR_PER_TOKEN
	blobGasPerBlob      = 1 << 17
)

// Apply executes msg against src to completion. src must always be ready:
// a state.ErrNotReady from it is returned as an error.
func Apply(rules *fork.Rules, env *BlockEnv, msg *Message, src state.Source, cfg Config) (*Result, error) {
	x := NewExec(rules, env, msg, src, cfg)
	res, err := x.Step()
	x.Release()
	return res, err
}

// ApplyOnto executes msg over src and, when it is valid (Result.Err nil),
// layers its changes onto dst directly, as dst.Apply(Result.Diff) would,
// without building the per-transaction diff (Result.Diff stays nil).
// Serial loops, where src is dst or reads through it, use this: building
// the diff's maps and applying them took about 30% of an ERC-20
// transfer's serial time.
func ApplyOnto(rules *fork.Rules, env *BlockEnv, msg *Message, src state.Source, dst *state.Overlay, cfg Config) (*Result, error) {
	cfg.NoDiff = true
	x := NewExec(rules, env, msg, src, cfg)
	res, err := x.Step()
	if err == nil && res.Err == nil {
		x.EachChange(dst.ApplyAccount)
	}
	x.Release()
	return res, err
}

// IntrinsicGas returns the gas a transaction costs before execution, and
// its EIP-7623 floor (0 before Prague).
func IntrinsicGas(rules *fork.Rules, msg *Message) (gas, floor uint64) {
	gas = txGas
	if msg.To == nil && rules.Homestead {
		gas = rules.TxCreateGas
	}
	var zeros uint64
	for _, b := range msg.Data {
		if b == 0 {
			zeros++
		}
	}
	nz := uint64(len(msg.Data)) - zeros
	gas += zeros*txDataZeroGas + nz*rules.TxDataNonZeroGas
	if msg.To == nil && rules.Shanghai {
		gas += initCodeWordGas * ((uint64(len(msg.Data)) + 31) / 32)
	}
	for _, t := range msg.AccessList {
		gas += txAccessListAddrGas + uint64(len(t.StorageKeys))*txAccessListKeyGas
	}
	gas += uint64(len(msg.AuthList)) * txAuthGas
	if rules.Prague {
		floor = txGas + floorTokenGas*(zeros+4*nz)
	}
	return gas, floor
}

// BlobBaseFee computes the EIP-4844 blob base fee from the excess blob gas.
func BlobBaseFee(rules *fork.Rules, excess uint64) *uint256.Int {
	v := blobBaseFeeValue(rules, excess)
	return &v
}

// blobBaseFeeValue is BlobBaseFee by value. Every transaction of a block
// asks for the same value: the last one computed is kept.
func blobBaseFeeValue(rules *fork.Rules, excess uint64) uint256.Int {
	if c := lastBlobFee.Load(); c != nil && c.fraction == rules.Blob.UpdateFraction && c.excess == excess {
		return c.fee
	}
	v := blobBaseFee(rules.Blob.UpdateFraction, excess)
	lastBlobFee.Store(&blobFeeMemo{fraction: rules.Blob.UpdateFraction, excess: excess, fee: *v})
	return *v
}

// blobFeeMemo is the last blob base fee computed (see BlobBaseFee).
type blobFeeMemo struct {
	fraction, excess uint64
	fee              uint256.Int
}

var lastBlobFee atomic.Pointer[blobFeeMemo]

func blobBaseFee(fraction, excess uint64) *uint256.Int {
	// fake_exponential(MIN_BASE_FEE_PER_BLOB_GAS=1, excess, fraction)
	fr := new(big.Int).SetUint64(fraction)
	num := new(big.Int).SetUint64(excess)
	out := new(big.Int)
	acc := new(big.Int).Mul(big.NewInt(1), fr)
	for i := int64(1); acc.Sign() > 0; i++ {
		out.Add(out, acc)
		acc.Mul(acc, num)
		acc.Div(acc, new(big.Int).Mul(fr, big.NewInt(i)))
	}
	out.Div(out, fr)
	v, overflow := uint256.FromBig(out)
	if overflow {
		return new(uint256.Int).SetAllOne()
	}
	return v
}

// phases of a transaction
const (
	phLoad = iota
	phValidate
	phStart
	phRun
	phFinish
	phDone
)

// Exec is one transaction in progress. Step runs it until it finishes or a
// state access cannot be served; after state.ErrNotReady call Step again to
// resume from that access. Not safe for concurrent use.
type Exec struct {
	rules *fork.Rules
	env   *BlockEnv
	msg   *Message
	cfg   Config
	phase int

	st   *evm.State
	vm   *evm.EVM
	bctx evm.BlockContext
	res  *Result

	intrinsic, floor uint64
	price            uint256.Int // effective gas price
	need             uint256.Int // the funds check's amount (fundsNeed), mod 2^256
	needOverflow     bool
	blobFee          uint256.Int
	created          common.Address
}

// NewExec prepares msg for execution over src.
func NewExec(rules *fork.Rules, env *BlockEnv, msg *Message, src state.Source, cfg Config) *Exec {
	x := execPool.Get().(*Exec)
	*x = Exec{rules: rules, env: env, msg: msg, cfg: cfg, st: evm.NewState(src)}
	return x
}

// execPool keeps released Execs: one per transaction run otherwise.
var execPool = sync.Pool{New: func() any { return new(Exec) }}

// EachChange calls fn for every account the finished transaction changed,
// as its Diff would hold it (see evm.State.EachChange: fn must not keep
// the AccountDiff). Call before Release.
func (x *Exec) EachChange(fn func(common.Address, *state.AccountDiff)) {
	x.st.EachChange(x.rules.EIP158, fn)
}

// Release gives the transaction's Exec, EVM and state back for reuse by
// later transactions. The result stays valid; x must not be used
// afterwards (a later NewExec may return the same pointer).
func (x *Exec) Release() {
	if x.vm != nil {
		x.vm.Release()
		x.vm = nil
	}
	if x.st != nil {
		x.st.Release()
		x.st = nil
	}
	*x = Exec{}
	execPool.Put(x)
}

// State returns the transaction's journaled state.
func (x *Exec) State() *evm.State { return x.st }

// Step advances the transaction. It returns the result when done, or
// (nil, err) when the source returned err (state.ErrNotReady: call Step
// again later; anything else: the transaction cannot proceed).
func (x *Exec) Step() (*Result, error) {
	for {
		var err error
		switch x.phase {
		case phLoad:
			err = x.load()
			if err == nil {
				x.phase = phValidate
			}
		case phValidate:
			if verr := x.validate(); verr != nil {
				x.res = &Result{Err: verr}
				x.phase = phDone
				return x.res, nil
			}
			x.prepare()
			x.phase = phStart
		case phStart:
			err = x.start()
			if err == nil {
				x.phase = phRun
			}
		case phRun:
			err = x.vm.Run()
			if err == nil {
				x.phase = phFinish
			}
		case phFinish:
			err = x.finish()
			if err == nil {
				x.phase = phDone
			}
		case phDone:
			return x.res, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// fundsNeed returns what the sender's balance must cover: gas * fee cap
// + value + blob gas * blob fee cap (mod 2^256), and whether that
// overflowed.
func fundsNeed(m *Message) (uint256.Int, bool) {
	feeCap := &m.GasFeeCap
	if m.Type < 2 {
		feeCap = &m.GasPrice
	}
	var need uint256.Int // a value: this runs for every transaction
	need.SetUint64(m.Gas)
	_, o1 := need.MulOverflow(&need, feeCap)
	_, o2 := need.AddOverflow(&need, &m.Value)
	if m.Type == 3 && len(m.BlobHashes) > 0 {
		var bg uint256.Int
		bg.SetUint64(uint64(len(m.BlobHashes)) * blobGasPerBlob)
		_, o3 := bg.MulOverflow(&bg, &m.BlobFeeCap)
		_, o4 := need.AddOverflow(&need, &bg)
		o2 = o2 || o3 || o4
	}
	return need, o1 || o2
}

// load brings in everything validation and preparation read.
func (x *Exec) load() error {
	m := x.msg
	// The sender's nonce is checked and raised: loaded exactly (first,
	// so that one read does it; see state.NonceSource).
	if err := x.st.ObserveNonce(m.From); err != nil {
		return err
	}
	if err := x.st.LoadCode(m.From); err != nil {
		return err
	}
	// The funds check: "balance >= need" only (a predicate where the
	// source keeps one, so that credits to the sender from transactions
	// below commute with it); the exact balance when need overflows.
	x.need, x.needOverflow = fundsNeed(m)
	if x.needOverflow {
		if err := x.st.ObserveBalance(m.From); err != nil {
			return err
		}
	} else if err := x.st.PrepareFunds(m.From, &x.need); err != nil {
		return err
	}
	if m.To != nil {
		if err := x.st.LoadCode(*m.To); err != nil {
			return err
		}
	}
	if x.rules.Prague {
		for i := range m.AuthList {
			if a := m.AuthList[i].Authority; a != nil {
				if err := x.st.ObserveNonce(*a); err != nil { // EIP-7702: checked and raised
					return err
				}
				if err := x.st.LoadCode(*a); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func typeSupported(r *fork.Rules, t uint8) bool {
	switch t {
	case 0:
		return true
	case 1:
		return r.Berlin
	case 2:
		return r.London
	case 3:
		return r.Cancun
	case 4:
		return r.Prague
	}
	return false
}

// validate checks every validity rule; nothing is modified.
func (x *Exec) validate() error {
	r, m, env, st := x.rules, x.msg, x.env, x.st
	if r.Cancun {
		x.blobFee = envBlobBaseFee(r, env)
	}
	if !typeSupported(r, m.Type) {
		return errorf(ErrTxTypeNotSupported, "type %d under %s", m.Type, r.Name)
	}
	if r.MaxTxGas != 0 && m.Gas > r.MaxTxGas {
		return errorf(ErrGasLimitTooHigh, "gas %d, cap %d", m.Gas, r.MaxTxGas)
	}
	nonce, _ := st.Nonce(m.From)
	switch {
	case m.Nonce < nonce:
		return errorf(ErrNonceTooLow, "tx %d, state %d", m.Nonce, nonce)
	case m.Nonce > nonce:
		return errorf(ErrNonceTooHigh, "tx %d, state %d", m.Nonce, nonce)
	case nonce == ^uint64(0):
		return errorf(ErrNonceMax, "nonce %d", nonce)
	}
	if code, _ := st.Code(m.From); len(code) > 0 {
		if _, ok := evm.ParseDelegation(code); !ok || !r.Prague {
			return errorf(ErrSenderNoEOA, "%s has code", m.From)
		}
	}
	feeCap, tip := &m.GasFeeCap, &m.GasTipCap
	if m.Type < 2 {
		feeCap, tip = &m.GasPrice, &m.GasPrice
	}
	if r.London {
		if feeCap.Lt(tip) {
			return errorf(ErrTipAboveFeeCap, "tip %s, fee cap %s", tip, feeCap)
		}
		if env.BaseFee != nil && feeCap.Lt(env.BaseFee) {
			return errorf(ErrFeeCapTooLow, "fee cap %s, base fee %s", feeCap, env.BaseFee)
		}
	}
	if m.Type == 3 {
		if m.To == nil {
			return ErrBlobTxCreate
		}
		if len(m.BlobHashes) == 0 {
			return ErrMissingBlobHashes
		}
		for i, h := range m.BlobHashes {
			if h[0] != 0x01 {
				return errorf(ErrInvalidBlobHashVersion, "hash %d has version %d", i, h[0])
			}
		}
		n := uint64(len(m.BlobHashes))
		if n > r.Blob.Max || (r.Blob.MaxPerTx != 0 && n > r.Blob.MaxPerTx) {
			return errorf(ErrTooManyBlobs, "%d blobs", n)
		}
		if m.BlobFeeCap.Lt(&x.blobFee) {
			return errorf(ErrBlobFeeCapTooLow, "cap %s, blob base fee %s", &m.BlobFeeCap, &x.blobFee)
		}
	}
	if m.Type == 4 {
		if m.To == nil {
			return ErrSetCodeTxCreate
		}
		if len(m.AuthList) == 0 {
			return ErrEmptyAuthList
		}
	}
	if m.Gas > env.GasLimit {
		return errorf(ErrGasLimitReached, "gas %d, block limit %d", m.Gas, env.GasLimit)
	}
	// Funds (computed by load: fundsNeed).
	if x.needOverflow || !st.HasFunds(m.From, &x.need) {
		// Known now: PrepareFunds read it when the predicate said no.
		have := "?"
		if bal, err := st.Balance(m.From); err == nil {
			have = bal.Dec()
		}
		return errorf(ErrInsufficientFunds, "address %s have %s want %s", m.From, have, x.need.Dec())
	}
	x.intrinsic, x.floor = IntrinsicGas(r, m)
	if m.Gas < x.intrinsic {
		return errorf(ErrIntrinsicGas, "have %d, want %d", m.Gas, x.intrinsic)
	}
	if m.Gas < x.floor {
		return errorf(ErrFloorDataGas, "have %d, want %d", m.Gas, x.floor)
	}
	if m.To == nil && r.Shanghai && len(m.Data) > r.MaxInitCodeSize {
		return errorf(ErrMaxInitCodeSizeExceeded, "size %d, limit %d", len(m.Data), r.MaxInitCodeSize)
	}
	// Effective gas price.
	if r.London && env.BaseFee != nil {
		p := new(uint256.Int).Add(env.BaseFee, tip)
		if p.Gt(feeCap) {
			p = feeCap
		}
		x.price = *p
	} else {
		x.price = *feeCap
	}
	return nil
}

// envBlobBaseFee is the EIP-4844 blob base fee of a block.
// blobExcess is the block's excess blob gas (0 before Cancun).
func blobExcess(env *BlockEnv) uint64 {
	if env.ExcessBlobGas == nil {
		return 0
	}
	return *env.ExcessBlobGas
}

func envBlobBaseFee(r *fork.Rules, env *BlockEnv) uint256.Int {
	if env.ExcessBlobGas == nil {
		return blobBaseFeeValue(r, 0)
	}
	return blobBaseFeeValue(r, *env.ExcessBlobGas)
}

// prepare buys gas, bumps the nonce, fills the access list and applies
// EIP-7702 authorizations. Everything it reads was loaded by load.
func (x *Exec) prepare() {
	r, m, st := x.rules, x.msg, x.st
	cost := new(uint256.Int).SetUint64(m.Gas)
	cost.Mul(cost, &x.price)
	if m.Type == 3 {
		bf := new(uint256.Int).SetUint64(uint64(len(m.BlobHashes)) * blobGasPerBlob)
		bf.Mul(bf, &x.blobFee)
		cost.Add(cost, bf)
	}
	st.SubBalance(m.From, cost)
	if m.To != nil {
		n, _ := st.Nonce(m.From)
		st.SetNonce(m.From, n+1)
	}
	if r.Berlin {
		st.WarmAddress(m.From)
		if m.To != nil {
			st.WarmAddress(*m.To)
		}
		st.WarmPrecompiles(precompile.Active(r))
		for _, t := range m.AccessList {
			st.WarmAddress(t.Address)
			for _, k := range t.StorageKeys {
				st.WarmSlot(t.Address, k)
			}
		}
		if r.Shanghai {
			st.WarmAddress(x.env.Coinbase) // EIP-3651
		}
	}
	if r.Prague {
		for i := range m.AuthList {
			x.applyAuth(&m.AuthList[i])
		}
		if m.To != nil {
			code, _ := st.Code(*m.To)
			if d, ok := evm.ParseDelegation(code); ok {
				st.WarmAddress(d)
			}
		}
	}
}

// applyAuth applies one EIP-7702 authorization; invalid ones are skipped.
func (x *Exec) applyAuth(a *Authorization) {
	st := x.st
	if !a.ChainID.IsZero() && !a.ChainID.Eq(&x.env.ChainID) {
		return
	}
	if a.Nonce == ^uint64(0) || a.Authority == nil {
		return
	}
	auth := *a.Authority
	st.WarmAddress(auth)
	code, _ := st.Code(auth)
	if len(code) > 0 {
		if _, ok := evm.ParseDelegation(code); !ok {
			return
		}
	}
	if n, _ := st.Nonce(auth); n != a.Nonce {
		return
	}
	if ok, _ := st.Exist(auth); ok {
		st.AddRefund(txAuthGas - authBaseGas)
	}
	if a.Address == (common.Address{}) {
		st.SetCode(auth, nil)
	} else {
		st.SetCode(auth, evm.DelegationCode(a.Address))
	}
	st.SetNonce(auth, a.Nonce+1)
}

// blockContext is the EVM's view of env; blobFee is the block's blob base
// fee (used from Cancun on).
func blockContext(r *fork.Rules, env *BlockEnv, blobFee *uint256.Int) *evm.BlockContext {
	bc := new(evm.BlockContext)
	fillBlockContext(bc, r, env, blobFee)
	return bc
}

// fillBlockContext sets bc from the block environment.
func fillBlockContext(bc *evm.BlockContext, r *fork.Rules, env *BlockEnv, blobFee *uint256.Int) {
	*bc = evm.BlockContext{
		Coinbase: env.Coinbase, GasLimit: env.GasLimit, Number: env.Number, Time: env.Time,
		Difficulty: env.Difficulty, ChainID: env.ChainID,
	}
	if env.Random != nil {
		bc.Random = *env.Random
	}
	if env.BaseFee != nil {
		bc.BaseFee = *env.BaseFee
	}
	if r.Cancun {
		bc.BlobBaseFee = *blobFee
	}
}

// start begins the outermost call or creation.
func (x *Exec) start() error {
	m := x.msg
	if x.vm == nil {
		fillBlockContext(&x.bctx, x.rules, x.env, &x.blobFee)
		x.vm = evm.New(x.rules, &x.bctx, evm.TxContext{Origin: m.From, GasPrice: x.price, BlobHashes: m.BlobHashes}, x.st)
		x.vm.Tracer = x.cfg.Tracer
	}
	gas := m.Gas - x.intrinsic
	if m.To == nil {
		x.created = crypto.CreateAddress(m.From, m.Nonce)
		return x.vm.Create(m.From, x.created, m.Data, gas, &m.Value)
	}
	return x.vm.Call(m.From, *m.To, m.Data, gas, &m.Value)
}

// finish refunds gas, pays the coinbase and collects the result.
func (x *Exec) finish() error {
	r, m, st := x.rules, x.msg, x.st
	cb := x.env.Coinbase
	out, gasLeft, execErr := x.vm.Result()
	used := m.Gas - gasLeft
	refund := min(st.Refund(), used/r.RefundQuotient)
	gasLeft += refund
	used -= refund
	if used < x.floor { // EIP-7623
		used = x.floor
		gasLeft = m.Gas - used
	}
	back := new(uint256.Int).SetUint64(gasLeft)
	back.Mul(back, &x.price)
	tip := x.price
	if r.London && x.env.BaseFee != nil {
		tip.Sub(&tip, x.env.BaseFee)
	}
	fee := new(uint256.Int).SetUint64(used)
	fee.Mul(fee, &tip)
	// Decide and load before changing anything: a suspension here must
	// leave the state as it was, so that Step can run finish again.
	var deferred *uint256.Int
	if x.cfg.DeferCoinbase && !fee.IsZero() && !st.Cached(cb) {
		deferred = fee
	} else if err := st.Load(cb); err != nil {
		return err
	}
	// The EIP-161 emptiness checks see the credits below (an unread
	// balance's emptiness depends on them), so they come after; a
	// suspension in them takes the credits back.
	snap := st.Snapshot()
	st.AddBalance(m.From, back)
	if deferred == nil {
		st.AddBalance(cb, fee)
	}
	if err := st.PrepareDiff(); err != nil {
		st.RevertTo(snap)
		return err
	}

	res := &Result{GasUsed: used, ReturnData: out, ExecErr: execErr, CoinbaseFee: deferred}
	if execErr == nil {
		res.Status = 1
		logs := st.Logs()
		res.Logs = make([]Log, len(logs))
		copy(res.Logs, logs)
	}
	if m.To == nil {
		a := x.created
		res.ContractAddress = &a
	}
	if !x.cfg.NoDiff {
		res.Diff = st.Diff(r.EIP158)
	}
	x.res = res
	return nil
}
