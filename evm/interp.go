package evm

import (
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/holiman/uint256"
)

// actions of the complex op helpers
const (
	actNext  = iota // continue at f.pc (already advanced)
	actChild        // a child frame was pushed
	actHalt         // the frame halted with f.err / f.output
	actWait         // suspended: the state access could not be served
)

func words(n uint64) uint64 { return (n + 31) / 32 }

// memArgs converts an (offset, size) pair from the stack; false when it
// cannot be paid for in any case.
func memArgs(off, size *uint256.Int) (uint64, uint64, bool) {
	if size.IsZero() {
		return 0, 0, true
	}
	if !off.IsUint64() || !size.IsUint64() {
		return 0, 0, false
	}
	o, s := off.Uint64(), size.Uint64()
	if o+s < o {
		return 0, 0, false
	}
	return o, s, true
}

// u64Sat returns v as uint64, saturating.
func u64Sat(v *uint256.Int) uint64 {
	if v.IsUint64() {
		return v.Uint64()
	}
	return ^uint64(0)
}

func addrOf(v *uint256.Int) common.Address { return common.Address(v.Bytes20()) }

// readPadded returns a copy of memory [off, off+size), zeros past its end.
func (m *memory) readPadded(off, size uint64) []byte {
	out := make([]byte, size)
	if off < uint64(len(m.store)) {
		copy(out, m.store[off:])
	}
	return out
}

// interpret runs frame f until it halts, pushes a child, or suspends. It
// returns a non-nil error only when suspending on a state access.
func (e *EVM) interpret(f *frame) error {
	var (
		ci      = f.ci
		code    = ci.code
		st      = f.st
		pc      = f.pc
		gas     = f.gas
		tbl     = e.table
		tracing = e.Tracer != nil
		skip    = f.skipCharge
		herr    error
		serr    error
		out     []byte
		rules   = e.Rules
		s       = e.State
	)
	f.skipCharge = false
	// Constant gas is charged per straight-line run, at the run's first
	// instruction: on entering the frame (its start, or the instruction
	// after a finished CALL/CREATE), at each JUMPDEST, and after the ops
	// that end a run without jumping (JUMPI not taken, GAS, SSTORE, a call
	// that finished at once). A resumed suspension has paid already. With
	// a tracer the charge is per instruction instead, so traces show it.
	if !tracing && !skip && code[pc] != JUMPDEST {
		if c := uint64(ci.blockGas[pc]); c != 0 {
			if gas < c {
				goto oog
			}
			gas -= c
		}
	}
	for {
		op := code[pc]
		info := &tbl[op]
		if tracing {
			if skip {
				skip = false
			} else {
				e.trace(f, pc, op, gas, info.gas)
				if gas < info.gas {
					goto oog
				}
				gas -= info.gas
			}
		}
		if st.sp < info.minStack || st.sp > info.maxStack {
			switch {
			case !info.valid:
				herr = ErrInvalidOpcode
			case st.sp < info.minStack:
				herr = ErrStackUnderflow
			default:
				herr = ErrStackOverflow
			}
			goto halt
		}
		switch op {
		case STOP:
			goto halt
		case ADD:
			x := st.pop()
			y := st.peek()
			y.Add(x, y)
		case MUL:
			x := st.pop()
			y := st.peek()
			y.Mul(x, y)
		case SUB:
			x := st.pop()
			y := st.peek()
			y.Sub(x, y)
		case DIV:
			x := st.pop()
			y := st.peek()
			y.Div(x, y)
		case SDIV:
			x := st.pop()
			y := st.peek()
			y.SDiv(x, y)
		case MOD:
			x := st.pop()
			y := st.peek()
			y.Mod(x, y)
		case SMOD:
			x := st.pop()
			y := st.peek()
			y.SMod(x, y)
		case ADDMOD:
			x := st.pop()
			y := st.pop()
			z := st.peek()
			z.AddMod(x, y, z)
		case MULMOD:
			x := st.pop()
			y := st.pop()
			z := st.peek()
			z.MulMod(x, y, z)
		case EXP:
			base := st.pop()
			exp := st.peek()
			c := rules.ExpByteGas * uint64((exp.BitLen()+7)/8)
			if gas < c {
				goto oog
			}
			gas -= c
			exp.Exp(base, exp)
		case SIGNEXTEND:
			b := st.pop()
			x := st.peek()
			x.ExtendSign(x, b)
		case LT:
			x := st.pop()
			y := st.peek()
			if x.Lt(y) {
				y.SetOne()
			} else {
				y.Clear()
			}
		case GT:
			x := st.pop()
			y := st.peek()
			if x.Gt(y) {
				y.SetOne()
			} else {
				y.Clear()
			}
		case SLT:
			x := st.pop()
			y := st.peek()
			if x.Slt(y) {
				y.SetOne()
			} else {
				y.Clear()
			}
		case SGT:
			x := st.pop()
			y := st.peek()
			if x.Sgt(y) {
				y.SetOne()
			} else {
				y.Clear()
			}
		case EQ:
			x := st.pop()
			y := st.peek()
			if x.Eq(y) {
				y.SetOne()
			} else {
				y.Clear()
			}
		case ISZERO:
			x := st.peek()
			if x.IsZero() {
				x.SetOne()
			} else {
				x.Clear()
			}
		case AND:
			x := st.pop()
			y := st.peek()
			y.And(x, y)
		case OR:
			x := st.pop()
			y := st.peek()
			y.Or(x, y)
		case XOR:
			x := st.pop()
			y := st.peek()
			y.Xor(x, y)
		case NOT:
			x := st.peek()
			x.Not(x)
		case BYTE:
			i := st.pop()
			x := st.peek()
			x.Byte(i)
		case SHL:
			sh := st.pop()
			x := st.peek()
			if sh.LtUint64(256) {
				x.Lsh(x, uint(sh.Uint64()))
			} else {
				x.Clear()
			}
		case SHR:
			sh := st.pop()
			x := st.peek()
			if sh.LtUint64(256) {
				x.Rsh(x, uint(sh.Uint64()))
			} else {
				x.Clear()
			}
		case SAR:
			sh := st.pop()
			x := st.peek()
			if sh.GtUint64(255) {
				if x.Sign() >= 0 {
					x.Clear()
				} else {
					x.SetAllOne()
				}
			} else {
				x.SRsh(x, uint(sh.Uint64()))
			}
		case CLZ:
			x := st.peek()
			x.SetUint64(uint64(256 - x.BitLen()))
		case KECCAK256:
			o, n, ok := memArgs(st.back(0), st.back(1))
			if !ok {
				goto oog
			}
			c, ok := f.mem.expandCost(o, n)
			if !ok {
				goto oog
			}
			c += 6 * words(n)
			if gas < c {
				goto oog
			}
			gas -= c
			f.mem.resize(o, n)
			st.pop()
			e.hasher.Reset()
			if n > 0 {
				e.hasher.Write(f.mem.store[o : o+n])
			}
			e.hasher.Read(e.hbuf[:])
			st.peek().SetBytes32(e.hbuf[:])
		case ADDRESS:
			st.push(new(uint256.Int).SetBytes20(f.address[:]))
		case BALANCE:
			a := addrOf(st.peek())
			bal, err := s.Balance(a)
			if err != nil {
				serr = err
				goto suspend
			}
			if rules.Berlin && s.WarmAddress(a) {
				if gas < 2500 {
					goto oog
				}
				gas -= 2500
			}
			st.peek().Set(bal)
		case ORIGIN:
			st.push(new(uint256.Int).SetBytes20(e.Tx.Origin[:]))
		case CALLER:
			st.push(new(uint256.Int).SetBytes20(f.caller[:]))
		case CALLVALUE:
			st.push(&f.value)
		case CALLDATALOAD:
			x := st.peek()
			if x.IsUint64() && x.Uint64() < uint64(len(f.input)) {
				o := x.Uint64()
				var buf [32]byte
				copy(buf[:], f.input[o:])
				x.SetBytes32(buf[:])
			} else {
				x.Clear()
			}
		case CALLDATASIZE:
			st.pushU64(uint64(len(f.input)))
		case CALLDATACOPY, CODECOPY:
			o, n, ok := memArgs(st.back(0), st.back(2))
			if !ok {
				goto oog
			}
			c, ok := f.mem.expandCost(o, n)
			if !ok {
				goto oog
			}
			c += 3 * words(n)
			if gas < c {
				goto oog
			}
			gas -= c
			src := f.input
			if op == CODECOPY {
				src = code[:ci.size]
			}
			so := u64Sat(st.back(1))
			st.sp -= 3
			f.mem.resize(o, n)
			f.mem.setPadded(o, n, src, so)
		case CODESIZE:
			st.pushU64(uint64(ci.size))
		case GASPRICE:
			st.push(&e.Tx.GasPrice)
		case EXTCODESIZE:
			a := addrOf(st.peek())
			c, err := s.Code(a)
			if err != nil {
				serr = err
				goto suspend
			}
			if rules.Berlin && s.WarmAddress(a) {
				if gas < 2500 {
					goto oog
				}
				gas -= 2500
			}
			st.peek().SetUint64(uint64(len(c)))
		case EXTCODECOPY:
			a := addrOf(st.back(0))
			o, n, ok := memArgs(st.back(1), st.back(3))
			if !ok {
				goto oog
			}
			c, ok := f.mem.expandCost(o, n)
			if !ok {
				goto oog
			}
			c += 3 * words(n)
			if gas < c {
				goto oog
			}
			xc, err := s.Code(a)
			if err != nil {
				serr = err
				goto suspend
			}
			if rules.Berlin && s.WarmAddress(a) {
				c += 2500
				if gas < c {
					goto oog
				}
			}
			gas -= c
			so := u64Sat(st.back(2))
			st.sp -= 4
			f.mem.resize(o, n)
			f.mem.setPadded(o, n, xc, so)
		case RETURNDATASIZE:
			st.pushU64(uint64(len(f.retData)))
		case RETURNDATACOPY:
			o, n, ok := memArgs(st.back(0), st.back(2))
			if !ok {
				goto oog
			}
			so := st.back(1)
			if !so.IsUint64() || so.Uint64()+n < so.Uint64() || so.Uint64()+n > uint64(len(f.retData)) {
				herr = ErrReturnDataOutOfBounds
				goto halt
			}
			c, ok := f.mem.expandCost(o, n)
			if !ok {
				goto oog
			}
			c += 3 * words(n)
			if gas < c {
				goto oog
			}
			gas -= c
			from := so.Uint64()
			st.sp -= 3
			f.mem.resize(o, n)
			copy(f.mem.store[o:o+n], f.retData[from:from+n])
		case EXTCODEHASH:
			a := addrOf(st.peek())
			empty, err := s.Empty(a)
			if err != nil {
				serr = err
				goto suspend
			}
			if rules.Berlin && s.WarmAddress(a) {
				if gas < 2500 {
					goto oog
				}
				gas -= 2500
			}
			if empty {
				st.peek().Clear()
			} else {
				h := s.loaded(a).codeHash
				st.peek().SetBytes32(h[:])
			}
		case BLOCKHASH:
			x := st.peek()
			cur := e.Block.Number
			lo := uint64(0)
			if cur > 256 {
				lo = cur - 256
			}
			if x.IsUint64() && x.Uint64() < cur && x.Uint64() >= lo {
				h, err := s.BlockHash(x.Uint64())
				if err != nil {
					serr = err
					goto suspend
				}
				x.SetBytes32(h[:])
			} else {
				x.Clear()
			}
		case COINBASE:
			st.push(new(uint256.Int).SetBytes20(e.Block.Coinbase[:]))
		case TIMESTAMP:
			st.pushU64(e.Block.Time)
		case NUMBER:
			st.pushU64(e.Block.Number)
		case DIFFICULTY:
			if rules.Paris {
				st.push(new(uint256.Int).SetBytes32(e.Block.Random[:]))
			} else {
				st.push(&e.Block.Difficulty)
			}
		case GASLIMIT:
			st.pushU64(e.Block.GasLimit)
		case CHAINID:
			st.push(&e.Block.ChainID)
		case SELFBALANCE:
			bal, err := s.Balance(f.address)
			if err != nil {
				serr = err
				goto suspend
			}
			st.push(bal)
		case BASEFEE:
			st.push(&e.Block.BaseFee)
		case BLOBHASH:
			x := st.peek()
			if x.IsUint64() && x.Uint64() < uint64(len(e.Tx.BlobHashes)) {
				h := e.Tx.BlobHashes[x.Uint64()]
				x.SetBytes32(h[:])
			} else {
				x.Clear()
			}
		case BLOBBASEFEE:
			st.push(&e.Block.BlobBaseFee)
		case POP:
			st.sp--
		case MLOAD:
			x := st.peek()
			if !x.IsUint64() {
				goto oog
			}
			o := x.Uint64()
			c, ok := f.mem.expandCost(o, 32)
			if !ok || gas < c {
				goto oog
			}
			gas -= c
			f.mem.resize(o, 32)
			x.SetBytes32(f.mem.store[o : o+32])
		case MSTORE:
			x := st.pop()
			v := st.pop()
			if !x.IsUint64() {
				goto oog
			}
			o := x.Uint64()
			c, ok := f.mem.expandCost(o, 32)
			if !ok || gas < c {
				goto oog
			}
			gas -= c
			f.mem.resize(o, 32)
			f.mem.set32(o, v)
		case MSTORE8:
			x := st.pop()
			v := st.pop()
			if !x.IsUint64() {
				goto oog
			}
			o := x.Uint64()
			c, ok := f.mem.expandCost(o, 1)
			if !ok || gas < c {
				goto oog
			}
			gas -= c
			f.mem.resize(o, 1)
			f.mem.store[o] = byte(v.Uint64())
		case SLOAD:
			x := st.peek()
			slot := common.Hash(x.Bytes32())
			v, err := s.Storage(f.address, slot)
			if err != nil {
				serr = err
				goto suspend
			}
			if rules.Berlin && s.WarmSlot(f.address, slot) {
				if gas < 2000 {
					goto oog
				}
				gas -= 2000
			}
			x.SetBytes32(v[:])
		case SSTORE:
			if f.static {
				herr = ErrWriteProtection
				goto halt
			}
			if rules.Istanbul && gas <= 2300 {
				goto oog // EIP-2200: never with only the call stipend left
			}
			slot := common.Hash(st.back(0).Bytes32())
			cur, err := s.Storage(f.address, slot)
			if err != nil {
				serr = err
				goto suspend
			}
			orig, err := s.Committed(f.address, slot)
			if err != nil {
				serr = err
				goto suspend
			}
			nv := common.Hash(st.back(1).Bytes32())
			c := uint64(0)
			if rules.Berlin && s.WarmSlot(f.address, slot) {
				c = 2100 // EIP-2929 cold slot
			}
			c += e.sstoreCost(orig, cur, nv)
			if gas < c {
				goto oog
			}
			gas -= c
			st.sp -= 2
			s.SetStorage(f.address, slot, nv)
			pc++
			if !tracing && code[pc] != JUMPDEST {
				if c := uint64(ci.blockGas[pc]); c != 0 {
					if gas < c {
						goto oog
					}
					gas -= c
				}
			}
			continue
		case JUMP:
			d := st.pop()
			if !d.IsUint64() || !ci.validJump(d.Uint64()) {
				herr = ErrInvalidJump
				goto halt
			}
			pc = d.Uint64()
			continue
		case JUMPI:
			d := st.pop()
			cond := st.pop()
			if !cond.IsZero() {
				if !d.IsUint64() || !ci.validJump(d.Uint64()) {
					herr = ErrInvalidJump
					goto halt
				}
				pc = d.Uint64()
				continue
			}
			pc++
			if !tracing && code[pc] != JUMPDEST {
				if c := uint64(ci.blockGas[pc]); c != 0 {
					if gas < c {
						goto oog
					}
					gas -= c
				}
			}
			continue
		case PC:
			st.pushU64(pc)
		case MSIZE:
			st.pushU64(uint64(len(f.mem.store)))
		case GAS:
			st.pushU64(gas)
			pc++
			if !tracing && code[pc] != JUMPDEST {
				if c := uint64(ci.blockGas[pc]); c != 0 {
					if gas < c {
						goto oog
					}
					gas -= c
				}
			}
			continue
		case JUMPDEST:
			if !tracing {
				if c := uint64(ci.blockGas[pc]); c != 0 {
					if gas < c {
						goto oog
					}
					gas -= c
				}
			}
		case TLOAD:
			x := st.peek()
			v := s.Transient(f.address, common.Hash(x.Bytes32()))
			x.SetBytes32(v[:])
		case TSTORE:
			if f.static {
				herr = ErrWriteProtection
				goto halt
			}
			k := st.pop()
			v := st.pop()
			s.SetTransient(f.address, common.Hash(k.Bytes32()), common.Hash(v.Bytes32()))
		case MCOPY:
			n0 := st.back(2)
			d, n, ok := memArgs(st.back(0), n0)
			if !ok {
				goto oog
			}
			so, _, ok := memArgs(st.back(1), n0)
			if !ok {
				goto oog
			}
			c, ok := f.mem.expandCost(max(d, so), n)
			if !ok {
				goto oog
			}
			c += 3 * words(n)
			if gas < c {
				goto oog
			}
			gas -= c
			st.sp -= 3
			if n > 0 {
				f.mem.resize(max(d, so), n)
				copy(f.mem.store[d:d+n], f.mem.store[so:so+n])
			}
		case PUSH0:
			st.pushU64(0)
		case PUSH1:
			st.pushU64(uint64(code[pc+1]))
			pc += 2
			continue
		case 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f,
			0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x7b, 0x7c, 0x7d, 0x7e, 0x7f:
			n := uint64(op-PUSH1) + 1
			st.data[st.sp].SetBytes(code[pc+1 : pc+1+n])
			st.sp++
			pc += 1 + n
			continue
		case 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8b, 0x8c, 0x8d, 0x8e, 0x8f:
			st.data[st.sp] = st.data[st.sp-1-int(op-DUP1)]
			st.sp++
		case 0x90, 0x91, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0x9b, 0x9c, 0x9d, 0x9e, 0x9f:
			i := st.sp - 2 - int(op-SWAP1)
			st.data[st.sp-1], st.data[i] = st.data[i], st.data[st.sp-1]
		case LOG0, 0xa1, 0xa2, 0xa3, LOG4:
			if f.static {
				herr = ErrWriteProtection
				goto halt
			}
			o, n, ok := memArgs(st.back(0), st.back(1))
			if !ok {
				goto oog
			}
			c, ok := f.mem.expandCost(o, n)
			if !ok {
				goto oog
			}
			c += 8 * n
			if gas < c {
				goto oog
			}
			gas -= c
			st.sp -= 2
			nt := int(op - LOG0)
			topics := make([]common.Hash, nt)
			for i := range topics {
				topics[i] = common.Hash(st.pop().Bytes32())
			}
			f.mem.resize(o, n)
			data := make([]byte, n)
			if n > 0 {
				copy(data, f.mem.store[o:o+n])
			}
			s.AddLog(Log{Address: f.address, Topics: topics, Data: data})
		case RETURN, REVERT:
			o, n, ok := memArgs(st.back(0), st.back(1))
			if !ok {
				goto oog
			}
			c, ok := f.mem.expandCost(o, n)
			if !ok || gas < c {
				goto oog
			}
			gas -= c
			st.sp -= 2
			f.mem.resize(o, n)
			out = make([]byte, n)
			if n > 0 {
				copy(out, f.mem.store[o:o+n])
			}
			if op == REVERT {
				herr = ErrExecutionReverted
			}
			goto halt
		case CALL, CALLCODE, DELEGATECALL, STATICCALL, CREATE, CREATE2, SELFDESTRUCT:
			f.pc, f.gas = pc, gas
			var act int
			var err error
			switch op {
			case CREATE, CREATE2:
				act, err = e.opCreate(f, op)
			case SELFDESTRUCT:
				act, err = e.opSelfdestruct(f)
			default:
				act, err = e.opCall(f, op)
			}
			pc, gas = f.pc, f.gas
			switch act {
			case actNext:
				if !tracing && code[pc] != JUMPDEST {
					if c := uint64(ci.blockGas[pc]); c != 0 {
						if gas < c {
							goto oog
						}
						gas -= c
					}
				}
				continue
			case actChild:
				return nil
			case actHalt:
				herr, out = f.err, f.output
				goto halt
			case actWait:
				serr = err
				goto suspend
			}
		case INVALID:
			herr = ErrInvalidOpcode
			goto halt
		default:
			herr = ErrInvalidOpcode
			goto halt
		}
		pc++
	}
oog:
	herr = ErrOutOfGas
halt:
	f.pc, f.gas, f.err, f.output = pc, gas, herr, out
	return nil
suspend:
	f.pc, f.gas, f.skipCharge = pc, gas, true
	return serr
}

// sstoreCost returns the gas of an SSTORE (without the EIP-2929 cold
// surcharge) and updates the refund counter, per the fork's rules:
// legacy (Frontier..Byzantium, Petersburg), EIP-1283 (Constantinople),
// EIP-2200 (Istanbul), EIP-2929 (Berlin) and EIP-3529 (London).
func (e *EVM) sstoreCost(orig, cur, nv common.Hash) uint64 {
	r, s := e.Rules, e.State
	var zero common.Hash
	if !r.Istanbul && !r.NetSstore1283 {
		switch {
		case cur == zero && nv != zero:
			return 20000
		case cur != zero && nv == zero:
			s.AddRefund(r.SstoreClearsRefund)
			return 5000
		default:
			return 5000
		}
	}
	var readGas, resetGas uint64
	switch {
	case r.Berlin:
		readGas, resetGas = 100, 5000-2100
	case r.Istanbul:
		readGas, resetGas = 800, 5000
	default: // EIP-1283
		readGas, resetGas = 200, 5000
	}
	clears := r.SstoreClearsRefund
	if cur == nv {
		return readGas
	}
	if orig == cur {
		if orig == zero {
			return 20000
		}
		if nv == zero {
			s.AddRefund(clears)
		}
		return resetGas
	}
	if orig != zero {
		if cur == zero {
			s.SubRefund(clears)
		} else if nv == zero {
			s.AddRefund(clears)
		}
	}
	if orig == nv {
		if orig == zero {
			s.AddRefund(20000 - readGas)
		} else {
			s.AddRefund(resetGas - readGas)
		}
	}
	return readGas
}

func (e *EVM) trace(f *frame, pc uint64, op byte, gas, cost uint64) {
	c := OpContext{PC: pc, Op: op, Gas: gas, Cost: cost, Stack: f.st.data[:f.st.sp],
		MemSize: len(f.mem.store), Depth: f.depth, Refund: e.State.refund}
	e.Tracer.OnOp(&c)
}

// opCall implements CALL, CALLCODE, DELEGATECALL and STATICCALL.
func (e *EVM) opCall(f *frame, op byte) (int, error) {
	st, s, r := f.st, e.State, e.Rules
	var kind callKind
	var value uint256.Int
	base := 2
	switch op {
	case CALL:
		kind, base = kCall, 3
		value = *st.back(2)
	case CALLCODE:
		kind, base = kCallCode, 3
		value = *st.back(2)
	case DELEGATECALL:
		kind = kDelegate
	default:
		kind = kStatic
	}
	addr := addrOf(st.back(1))
	if kind == kCall && f.static && !value.IsZero() {
		f.err = ErrWriteProtection
		return actHalt, nil
	}
	inOff, inSize, ok1 := memArgs(st.back(base), st.back(base+1))
	retOff, retSize, ok2 := memArgs(st.back(base+2), st.back(base+3))
	if !ok1 || !ok2 {
		f.err = ErrOutOfGas
		return actHalt, nil
	}
	if err := e.loadCallTarget(addr); err != nil {
		return actWait, err
	}
	if (kind == kCall || kind == kCallCode) && !value.IsZero() {
		// The value check asks whether the caller's balance covers the
		// value (a predicate where the source keeps one); the new-account
		// surcharge may need the target's balance (EIP-161 emptiness).
		if err := s.PrepareFunds(f.address, &value); err != nil {
			return actWait, err
		}
		if kind == kCall && r.EIP158 {
			if err := s.PrepareEmptyCheck(addr); err != nil {
				return actWait, err
			}
		}
	}
	end := uint64(0)
	if inSize > 0 {
		end = inOff + inSize
	}
	if retSize > 0 && retOff+retSize > end {
		end = retOff + retSize
	}
	cost, ok := f.mem.expandCost(0, end)
	if !ok {
		f.err = ErrOutOfGas
		return actHalt, nil
	}
	if r.Berlin && s.WarmAddress(addr) {
		cost += 2500
	}
	if r.Prague {
		if d, ok := ParseDelegation(s.loaded(addr).code); ok {
			if s.WarmAddress(d) {
				cost += 2600
			} else {
				cost += 100
			}
		}
	}
	transfers := (kind == kCall || kind == kCallCode) && !value.IsZero()
	if transfers {
		cost += 9000
	}
	if kind == kCall {
		ta := s.loaded(addr)
		if r.EIP158 {
			if transfers && (!ta.exists || ta.empty()) {
				cost += 25000
			}
		} else if !ta.exists {
			cost += 25000
		}
	}
	if f.gas < cost {
		f.err = ErrOutOfGas
		return actHalt, nil
	}
	f.gas -= cost
	req := st.back(0)
	var cg uint64
	if r.EIP150 {
		cg = f.gas - f.gas/64
		if req.IsUint64() && req.Uint64() < cg {
			cg = req.Uint64()
		}
	} else {
		if !req.IsUint64() || req.Uint64() > f.gas {
			f.err = ErrOutOfGas
			return actHalt, nil
		}
		cg = req.Uint64()
	}
	f.gas -= cg
	if transfers {
		cg += 2300
	}
	f.mem.resize(0, end)
	var input []byte
	if inSize > 0 {
		input = f.mem.store[inOff : inOff+inSize : inOff+inSize]
	}
	st.sp -= base + 4
	f.retOff, f.retSize = retOff, retSize
	f.pc++
	res := e.startCall(kind, f, f.address, addr, input, cg, &value, f.static || kind == kStatic, f.depth+1)
	if res == nil {
		return actChild, nil
	}
	e.returnCall(f, res)
	return actNext, nil
}

// opCreate implements CREATE and CREATE2.
func (e *EVM) opCreate(f *frame, op byte) (int, error) {
	st, s, r := f.st, e.State, e.Rules
	if f.static {
		f.err = ErrWriteProtection
		return actHalt, nil
	}
	o, n, ok := memArgs(st.back(1), st.back(2))
	if !ok {
		f.err = ErrOutOfGas
		return actHalt, nil
	}
	cost, ok := f.mem.expandCost(o, n)
	if !ok {
		f.err = ErrOutOfGas
		return actHalt, nil
	}
	if r.Shanghai {
		if n > uint64(r.MaxInitCodeSize) {
			f.err = ErrMaxInitCodeSizeExceeded // EIP-3860
			return actHalt, nil
		}
		cost += 2 * words(n)
	}
	if op == CREATE2 {
		cost += 6 * words(n)
	}
	if f.gas < cost {
		f.err = ErrOutOfGas
		return actHalt, nil
	}
	// Both derive from (CREATE) or raise (both) the creator's nonce.
	if err := s.ObserveNonce(f.address); err != nil {
		return actWait, err
	}
	initcode := f.mem.readPadded(o, n)
	var addr common.Address
	if op == CREATE {
		addr = crypto.CreateAddress(f.address, s.loaded(f.address).exactNonce(f.address))
	} else {
		salt := st.back(3).Bytes32()
		e.hasher.Reset()
		e.hasher.Write(initcode)
		e.hasher.Read(e.hbuf[:])
		addr = crypto.CreateAddress2(f.address, salt, e.hbuf[:])
	}
	if err := s.Load(addr); err != nil {
		return actWait, err
	}
	if !st.back(0).IsZero() {
		if err := s.PrepareFunds(f.address, st.back(0)); err != nil { // the value check
			return actWait, err
		}
	}
	value := *st.back(0)
	f.gas -= cost
	f.mem.resize(o, n)
	if op == CREATE {
		st.sp -= 3
	} else {
		st.sp -= 4
	}
	cg := f.gas
	if r.EIP150 {
		cg -= cg / 64
	}
	f.gas -= cg
	f.pc++
	res := e.startCreate(f.address, addr, initcode, cg, &value, f.depth+1)
	if res == nil {
		return actChild, nil
	}
	e.returnCreate(f, addr, res)
	return actNext, nil
}

// opSelfdestruct implements SELFDESTRUCT, including EIP-6780 from Cancun.
func (e *EVM) opSelfdestruct(f *frame) (int, error) {
	s, r := e.State, e.Rules
	if f.static {
		f.err = ErrWriteProtection
		return actHalt, nil
	}
	ben := addrOf(f.st.peek())
	if err := s.Load(ben); err != nil {
		return actWait, err
	}
	if err := s.ObserveBalance(f.address); err != nil {
		return actWait, err
	}
	if r.EIP158 {
		if err := s.PrepareEmptyCheck(ben); err != nil {
			return actWait, err
		}
	}
	self := s.loaded(f.address)
	ba := s.loaded(ben)
	cost := uint64(0)
	if r.Berlin && s.WarmAddress(ben) {
		cost += 2600
	}
	if r.EIP150 {
		if r.EIP158 {
			if (!ba.exists || ba.empty()) && !self.balance.IsZero() {
				cost += 25000
			}
		} else if !ba.exists {
			cost += 25000
		}
	}
	if f.gas < cost {
		f.err = ErrOutOfGas
		return actHalt, nil
	}
	f.gas -= cost
	f.st.sp--
	if !r.London && !self.destruct {
		s.AddRefund(r.SelfdestructRefund)
	}
	bal := self.balance
	if r.Cancun {
		s.SubBalance(f.address, &bal)
		s.AddBalance(ben, &bal)
		if self.created {
			s.SelfDestruct(f.address)
		}
	} else {
		s.AddBalance(ben, &bal)
		s.SelfDestruct(f.address)
	}
	f.err, f.output = nil, nil
	return actHalt, nil
}
