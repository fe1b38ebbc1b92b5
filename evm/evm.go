// Package evm is Velarium's Ethereum Virtual Machine: every opcode and gas
// rule from Frontier to Osaka, with call frames kept as data so that a
// transaction can suspend at any state access and resume later.
//
// Resumability contract: every opcode that reads state first makes sure the
// values it needs are in the transaction's State cache; only that step can
// return state.ErrNotReady, and it happens before the opcode changes anything
// (stack, memory, gas, state). Run then returns the error with the frame's pc
// still at that opcode; calling Run again re-executes the opcode from its start.
package evm

import (
	"errors"
	"sync"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/holiman/uint256"
	"github.com/velarium/velarium/evm/precompile"
	"github.com/velarium/velarium/fork"
	"github.com/velarium/velarium/state"
)

// Execution errors. All but ErrExecutionReverted consume the frame's gas.
var (
	ErrOutOfGas                 = errors.New("out of gas")
	ErrCodeStoreOutOfGas        = errors.New("contract creation code storage out of gas")
	ErrDepth                    = errors.New("max call depth exceeded")
	ErrInsufficientBalance      = errors.New("insufficient balance for transfer")
	ErrContractAddressCollision = errors.New("contract address collision")
	ErrExecutionReverted        = errors.New("execution reverted")
	ErrMaxCodeSizeExceeded      = errors.New("max code size exceeded")
	ErrMaxInitCodeSizeExceeded  = errors.New("max initcode size exceeded")
	ErrInvalidJump              = errors.New("invalid jump destination")
	ErrWriteProtection          = errors.New("write protection")
	ErrReturnDataOutOfBounds    = errors.New("return data out of bounds")
	ErrGasUintOverflow          = errors.New("gas uint64 overflow")
	ErrInvalidCode              = errors.New("invalid code: must not begin with 0xef")
	ErrNonceUintOverflow        = errors.New("nonce uint64 overflow")
	ErrStackUnderflow           = errors.New("stack underflow")
	ErrStackOverflow            = errors.New("stack overflow")
	ErrInvalidOpcode            = errors.New("invalid opcode")
	ErrPrecompileFailed         = errors.New("precompile failed")
)

const maxCallDepth = 1024

// BlockContext is the block-level environment of execution.
type BlockContext struct {
	Coinbase    common.Address
	GasLimit    uint64
	Number      uint64
	Time        uint64
	Difficulty  uint256.Int
	Random      common.Hash // PREVRANDAO from Paris on
	BaseFee     uint256.Int
	BlobBaseFee uint256.Int
	ChainID     uint256.Int
}

// TxContext is the transaction-level environment.
type TxContext struct {
	Origin     common.Address
	GasPrice   uint256.Int
	BlobHashes []common.Hash
}

type frame struct {
	ci      *codeInfo
	pc      uint64
	gas     uint64
	st      *stack
	mem     memory
	caller  common.Address
	address common.Address // storage and balance context
	value   uint256.Int
	input   []byte
	static  bool
	retData []byte
	depth   int // 1 for the outermost frame

	isCreate bool
	snapshot int
	// where a finished child's output goes in this frame's memory
	retOff, retSize uint64
	skipCharge      bool // resuming a suspended op: its constant gas is paid

	err    error // how the frame halted (nil: STOP/RETURN/SELFDESTRUCT)
	output []byte
}

// EVM executes one transaction's frames. Create one per transaction.
type EVM struct {
	Rules  *fork.Rules
	table  *opTable
	Block  *BlockContext
	Tx     TxContext
	State  *State
	Tracer Tracer

	frames []*frame
	pool   []*frame // reusable frames by depth (stacks are 32 KiB)
	hasher crypto.KeccakState
	hbuf   common.Hash

	// outcome of the outermost frame
	done    bool
	output  []byte
	gasLeft uint64
	err     error
}

var evmPool = sync.Pool{New: func() any { return &EVM{hasher: crypto.NewKeccakState()} }}

// New returns an EVM for one transaction, reusing one given back by
// Release when there is one.
func New(rules *fork.Rules, block *BlockContext, tx TxContext, st *State) *EVM {
	e := evmPool.Get().(*EVM)
	e.Rules, e.table, e.Block, e.Tx, e.State = rules, opTables[rules.ID], block, tx, st
	return e
}

// Release gives e back for reuse by New; e (and its Result) must not be
// used afterwards. An EVM that has not finished keeps its frames out of
// the pool (they are dropped).
func (e *EVM) Release() {
	clear(e.frames)
	clear(e.pool)
	*e = EVM{frames: e.frames[:0], pool: e.pool[:0], hasher: e.hasher}
	evmPool.Put(e)
}

// Done reports whether the outermost frame has finished.
func (e *EVM) Done() bool { return e.done }

// Result returns the outermost frame's output, the gas it left and its error
// (nil on success, ErrExecutionReverted on REVERT).
func (e *EVM) Result() ([]byte, uint64, error) { return e.output, e.gasLeft, e.err }

// framePool recycles frames (their 32 KiB stacks and memory buffers)
// between transactions.
var framePool = sync.Pool{New: func() any { return &frame{st: new(stack)} }}

// maxPooledMem bounds the memory buffer a pooled frame keeps.
const maxPooledMem = 1 << 20

func (e *EVM) newFrame(depth int) *frame {
	for len(e.pool) <= depth {
		e.pool = append(e.pool, nil)
	}
	f := e.pool[depth]
	if f == nil {
		f = framePool.Get().(*frame)
		st, mem := f.st, f.mem
		*f = frame{st: st, mem: mem}
		f.st.sp = 0
		f.mem.reset()
		e.pool[depth] = f
	} else {
		st, mem := f.st, f.mem
		*f = frame{st: st, mem: mem}
		f.st.sp = 0
		f.mem.reset()
	}
	f.depth = depth
	return f
}

func (e *EVM) finishTop(output []byte, gas uint64, err error) {
	e.done, e.output, e.gasLeft, e.err = true, output, gas, err
	for _, f := range e.pool {
		if f == nil {
			continue
		}
		if cap(f.mem.store) > maxPooledMem {
			f.mem.store = nil
		}
		f.input, f.retData, f.output, f.ci = nil, nil, nil, nil
		framePool.Put(f)
	}
	clear(e.pool)
	e.pool = e.pool[:0]
	if e.Tracer != nil {
		e.Tracer.OnEnd(output, gas, err)
	}
}

// ParseDelegation returns the address an EIP-7702 delegation designator
// (0xef0100 ++ address) points to.
func ParseDelegation(code []byte) (common.Address, bool) {
	if len(code) != 23 || code[0] != 0xef || code[1] != 0x01 || code[2] != 0x00 {
		return common.Address{}, false
	}
	return common.BytesToAddress(code[3:]), true
}

// DelegationCode returns the EIP-7702 designator for addr.
func DelegationCode(addr common.Address) []byte {
	return append([]byte{0xef, 0x01, 0x00}, addr.Bytes()...)
}

// callKind distinguishes the message-call opcodes.
type callKind uint8

const (
	kCall callKind = iota
	kCallCode
	kDelegate
	kStatic
)

// loadCallTarget brings into the cache what a call to addr needs: the
// account, its code and, under EIP-7702, the delegated account and its code.
func (e *EVM) loadCallTarget(addr common.Address) error {
	code, err := e.State.Code(addr)
	if err != nil {
		return err
	}
	if e.Rules.Prague {
		if d, ok := ParseDelegation(code); ok {
			if _, err := e.State.Code(d); err != nil {
				return err
			}
		}
	}
	return nil
}

// resolveCode returns the code a call to addr executes and its hash
// (following an EIP-7702 delegation). loadCallTarget must have run.
func (e *EVM) resolveCode(addr common.Address) ([]byte, common.Hash) {
	a := e.State.loaded(addr)
	if e.Rules.Prague {
		if d, ok := ParseDelegation(a.code); ok {
			da := e.State.loaded(d)
			return da.code, da.codeHash
		}
	}
	return a.code, a.codeHash
}

// callResult is the outcome of a call that finished without a child frame.
type callResult struct {
	ok     bool
	output []byte
	gas    uint64
	err    error
}

// startCall begins a message call. Target loads must be done. It either
// pushes a child frame (returning nil) or finishes at once.
func (e *EVM) startCall(kind callKind, parent *frame, caller, addr common.Address, input []byte, gas uint64, value *uint256.Int, static bool, depth int) *callResult {
	if depth > maxCallDepth+1 {
		return &callResult{gas: gas, err: ErrDepth}
	}
	if (kind == kCall || kind == kCallCode) && !value.IsZero() {
		if !e.State.HasFunds(caller, value) {
			return &callResult{gas: gas, err: ErrInsufficientBalance}
		}
	}
	snap := e.State.Snapshot()
	pc, isPre := precompile.Get(e.Rules, addr)
	switch kind {
	case kCall:
		a := e.State.loaded(addr)
		if !a.exists {
			if !isPre && e.Rules.EIP158 && value.IsZero() {
				return &callResult{ok: true, gas: gas}
			}
		}
		e.State.SubBalance(caller, value)
		e.State.AddBalance(addr, value)
	case kStatic:
		// A zero-value touch, as every client does (EIP-161 deletes it if empty).
		e.State.AddBalance(addr, new(uint256.Int))
	}
	if isPre {
		cost := pc.RequiredGas(input)
		if cost > gas {
			e.State.RevertTo(snap)
			return &callResult{gas: 0, err: ErrOutOfGas}
		}
		if e.Tracer != nil {
			if pt, ok := e.Tracer.(PrecompileTracer); ok {
				pt.OnPrecompile(addr, cost)
			}
		}
		out, err := pc.Run(input)
		if err != nil {
			e.State.RevertTo(snap)
			return &callResult{gas: 0, err: ErrPrecompileFailed}
		}
		return &callResult{ok: true, output: out, gas: gas - cost}
	}
	code, hash := e.resolveCode(addr)
	if len(code) == 0 {
		return &callResult{ok: true, gas: gas}
	}
	f := e.newFrame(depth)
	f.ci = codeCache.get(hash, code, e.Rules.ID)
	f.gas = gas
	f.input = input
	f.static = static
	f.snapshot = snap
	switch kind {
	case kCall, kStatic:
		f.caller, f.address, f.value = caller, addr, *value
	case kCallCode:
		f.caller, f.address, f.value = caller, caller, *value
	case kDelegate:
		f.caller, f.address, f.value = parent.caller, parent.address, parent.value
	}
	e.frames = append(e.frames, f)
	return nil
}

// startCreate begins a contract creation at addr, whose account must be
// loaded. It pushes the init code frame (returning nil) or finishes at once.
func (e *EVM) startCreate(caller, addr common.Address, initcode []byte, gas uint64, value *uint256.Int, depth int) *callResult {
	if depth > maxCallDepth+1 {
		return &callResult{gas: gas, err: ErrDepth}
	}
	ca := e.State.loaded(caller)
	if !e.State.HasFunds(caller, value) {
		return &callResult{gas: gas, err: ErrInsufficientBalance}
	}
	nonce := ca.exactNonce(caller)
	if nonce+1 < nonce {
		return &callResult{gas: gas, err: ErrNonceUintOverflow}
	}
	e.State.SetNonce(caller, nonce+1)
	if e.Rules.Berlin {
		e.State.WarmAddress(addr)
	}
	ta := e.State.loaded(addr)
	if ta.nonce != 0 || (ta.codeHash != state.EmptyCodeHash && ta.codeHash != (common.Hash{})) {
		return &callResult{gas: 0, err: ErrContractAddressCollision}
	}
	snap := e.State.Snapshot()
	e.State.CreateContract(addr)
	if e.Rules.EIP158 {
		e.State.SetNonce(addr, 1)
	}
	e.State.SubBalance(caller, value)
	e.State.AddBalance(addr, value)
	f := e.newFrame(depth)
	f.ci = analyze(initcode, e.table)
	f.gas = gas
	f.caller, f.address, f.value = caller, addr, *value
	f.isCreate = true
	f.snapshot = snap
	if len(initcode) == 0 {
		// Nothing to run: finish the creation as if the code returned nothing.
		return e.completeCreate(f)
	}
	e.frames = append(e.frames, f)
	return nil
}

// completeCreate applies the code deposit rules to a finished init frame.
func (e *EVM) completeCreate(f *frame) *callResult {
	err := f.err
	gas := f.gas
	code := f.output
	if err == nil {
		switch {
		case e.Rules.EIP170 && len(code) > e.Rules.MaxCodeSize:
			err = ErrMaxCodeSizeExceeded
		case e.Rules.London && len(code) > 0 && code[0] == 0xef:
			err = ErrInvalidCode // EIP-3541
		default:
			cost := uint64(len(code)) * 200
			if gas >= cost {
				gas -= cost
				e.State.SetCode(f.address, code)
			} else if e.Rules.Homestead {
				err = ErrCodeStoreOutOfGas // EIP-2
			}
			// Frontier: the account is created without code and the gas kept.
		}
	}
	if err != nil {
		e.State.RevertTo(f.snapshot)
		if err != ErrExecutionReverted {
			gas = 0
		}
		if err == ErrExecutionReverted {
			return &callResult{gas: gas, err: err, output: f.output}
		}
		return &callResult{gas: gas, err: err}
	}
	return &callResult{ok: true, gas: gas}
}

// completeCall finishes a call frame.
func (e *EVM) completeCall(f *frame) *callResult {
	if f.err != nil {
		e.State.RevertTo(f.snapshot)
		if f.err == ErrExecutionReverted {
			return &callResult{gas: f.gas, err: f.err, output: f.output}
		}
		return &callResult{gas: 0, err: f.err}
	}
	return &callResult{ok: true, gas: f.gas, output: f.output}
}

// Call starts the outermost message call of a transaction. It loads the
// target first and may return state.ErrNotReady, having changed nothing.
// The value transfer is part of the call (undone if it fails).
func (e *EVM) Call(caller, to common.Address, input []byte, gas uint64, value *uint256.Int) error {
	if err := e.State.Load(caller); err != nil {
		return err
	}
	if err := e.loadCallTarget(to); err != nil {
		return err
	}
	if r := e.startCall(kCall, nil, caller, to, input, gas, value, false, 1); r != nil {
		e.finishTop(r.output, r.gas, r.err)
	}
	return nil
}

// Create starts the outermost contract creation of a transaction at addr.
// It may return state.ErrNotReady, having changed nothing.
func (e *EVM) Create(caller, addr common.Address, initcode []byte, gas uint64, value *uint256.Int) error {
	if err := e.State.Load(caller); err != nil {
		return err
	}
	if err := e.State.Load(addr); err != nil {
		return err
	}
	if r := e.startCreate(caller, addr, initcode, gas, value, 1); r != nil {
		e.finishTop(r.output, r.gas, r.err)
	}
	return nil
}

// Run executes frames until the outermost one finishes (nil) or a state
// access cannot be served (the source's error, typically state.ErrNotReady).
// After a suspension, call Run again to resume at the same access.
func (e *EVM) Run() error {
	for len(e.frames) > 0 {
		f := e.frames[len(e.frames)-1]
		if err := e.interpret(f); err != nil {
			return err
		}
		if e.frames[len(e.frames)-1] != f {
			continue // a child frame was pushed
		}
		e.frames = e.frames[:len(e.frames)-1]
		var r *callResult
		if f.isCreate {
			r = e.completeCreate(f)
		} else {
			r = e.completeCall(f)
		}
		if len(e.frames) == 0 {
			e.finishTop(r.output, r.gas, r.err)
			return nil
		}
		parent := e.frames[len(e.frames)-1]
		if f.isCreate {
			e.returnCreate(parent, f.address, r)
		} else {
			e.returnCall(parent, r)
		}
	}
	return nil
}

// returnCall hands a finished call's result to the calling frame.
func (e *EVM) returnCall(p *frame, r *callResult) {
	p.gas += r.gas
	p.retData = r.output
	if r.err == nil || r.err == ErrExecutionReverted {
		n := min(p.retSize, uint64(len(r.output)))
		if n > 0 {
			copy(p.mem.store[p.retOff:p.retOff+n], r.output)
		}
	}
	if r.ok {
		p.st.pushU64(1)
	} else {
		p.st.pushU64(0)
	}
}

// returnCreate hands a finished creation's result to the creating frame.
func (e *EVM) returnCreate(p *frame, addr common.Address, r *callResult) {
	p.gas += r.gas
	if r.ok {
		p.retData = nil
		var v uint256.Int
		v.SetBytes20(addr[:])
		p.st.push(&v)
	} else {
		if r.err == ErrExecutionReverted {
			p.retData = r.output
		} else {
			p.retData = nil
		}
		p.st.pushU64(0)
	}
}
