package evm

import "github.com/velarium/velarium/fork"

// Opcodes. Values and names follow the Yellow Paper and the EIPs that added them.
const (
	STOP       byte = 0x00
	ADD        byte = 0x01
	MUL        byte = 0x02
	SUB        byte = 0x03
	DIV        byte = 0x04
	SDIV       byte = 0x05
	MOD        byte = 0x06
	SMOD       byte = 0x07
	ADDMOD     byte = 0x08
	MULMOD     byte = 0x09
	EXP        byte = 0x0a
	SIGNEXTEND byte = 0x0b
	LT         byte = 0x10
	GT         byte = 0x11
	SLT        byte = 0x12
	SGT        byte = 0x13
	EQ         byte = 0x14
	ISZERO     byte = 0x15
	AND        byte = 0x16
	OR         byte = 0x17
	XOR        byte = 0x18
	NOT        byte = 0x19
	BYTE       byte = 0x1a
	SHL        byte = 0x1b
	SHR        byte = 0x1c
	SAR        byte = 0x1d
	CLZ        byte = 0x1e
	KECCAK256  byte = 0x20

	ADDRESS        byte = 0x30
	BALANCE        byte = 0x31
	ORIGIN         byte = 0x32
	CALLER         byte = 0x33
	CALLVALUE      byte = 0x34
	CALLDATALOAD   byte = 0x35
	CALLDATASIZE   byte = 0x36
	CALLDATACOPY   byte = 0x37
	CODESIZE       byte = 0x38
	CODECOPY       byte = 0x39
	GASPRICE       byte = 0x3a
	EXTCODESIZE    byte = 0x3b
	EXTCODECOPY    byte = 0x3c
	RETURNDATASIZE byte = 0x3d
	RETURNDATACOPY byte = 0x3e
	EXTCODEHASH    byte = 0x3f

	BLOCKHASH   byte = 0x40
	COINBASE    byte = 0x41
	TIMESTAMP   byte = 0x42
	NUMBER      byte = 0x43
	DIFFICULTY  byte = 0x44 // PREVRANDAO from Paris
	GASLIMIT    byte = 0x45
	CHAINID     byte = 0x46
	SELFBALANCE byte = 0x47
	BASEFEE     byte = 0x48
	BLOBHASH    byte = 0x49
	BLOBBASEFEE byte = 0x4a

	POP      byte = 0x50
	MLOAD    byte = 0x51
	MSTORE   byte = 0x52
	MSTORE8  byte = 0x53
	SLOAD    byte = 0x54
	SSTORE   byte = 0x55
	JUMP     byte = 0x56
	JUMPI    byte = 0x57
	PC       byte = 0x58
	MSIZE    byte = 0x59
	GAS      byte = 0x5a
	JUMPDEST byte = 0x5b
	TLOAD    byte = 0x5c
	TSTORE   byte = 0x5d
	MCOPY    byte = 0x5e
	PUSH0    byte = 0x5f
	PUSH1    byte = 0x60
	PUSH32   byte = 0x7f
	DUP1     byte = 0x80
	DUP16    byte = 0x8f
	SWAP1    byte = 0x90
	SWAP16   byte = 0x9f
	LOG0     byte = 0xa0
	LOG4     byte = 0xa4

	CREATE       byte = 0xf0
	CALL         byte = 0xf1
	CALLCODE     byte = 0xf2
	RETURN       byte = 0xf3
	DELEGATECALL byte = 0xf4
	CREATE2      byte = 0xf5
	STATICCALL   byte = 0xfa
	REVERT       byte = 0xfd
	INVALID      byte = 0xfe
	SELFDESTRUCT byte = 0xff
)

var opNames = map[byte]string{
	STOP: "STOP", ADD: "ADD", MUL: "MUL", SUB: "SUB", DIV: "DIV", SDIV: "SDIV", MOD: "MOD", SMOD: "SMOD",
	ADDMOD: "ADDMOD", MULMOD: "MULMOD", EXP: "EXP", SIGNEXTEND: "SIGNEXTEND", LT: "LT", GT: "GT",
	SLT: "SLT", SGT: "SGT", EQ: "EQ", ISZERO: "ISZERO", AND: "AND", OR: "OR", XOR: "XOR", NOT: "NOT",
	BYTE: "BYTE", SHL: "SHL", SHR: "SHR", SAR: "SAR", CLZ: "CLZ", KECCAK256: "KECCAK256",
	ADDRESS: "ADDRESS", BALANCE: "BALANCE", ORIGIN: "ORIGIN", CALLER: "CALLER", CALLVALUE: "CALLVALUE",
	CALLDATALOAD: "CALLDATALOAD", CALLDATASIZE: "CALLDATASIZE", CALLDATACOPY: "CALLDATACOPY",
	CODESIZE: "CODESIZE", CODECOPY: "CODECOPY", GASPRICE: "GASPRICE", EXTCODESIZE: "EXTCODESIZE",
	EXTCODECOPY: "EXTCODECOPY", RETURNDATASIZE: "RETURNDATASIZE", RETURNDATACOPY: "RETURNDATACOPY",
	EXTCODEHASH: "EXTCODEHASH", BLOCKHASH: "BLOCKHASH", COINBASE: "COINBASE", TIMESTAMP: "TIMESTAMP",
	NUMBER: "NUMBER", DIFFICULTY: "DIFFICULTY", GASLIMIT: "GASLIMIT", CHAINID: "CHAINID",
	SELFBALANCE: "SELFBALANCE", BASEFEE: "BASEFEE", BLOBHASH: "BLOBHASH", BLOBBASEFEE: "BLOBBASEFEE",
	POP: "POP", MLOAD: "MLOAD", MSTORE: "MSTORE", MSTORE8: "MSTORE8", SLOAD: "SLOAD", SSTORE: "SSTORE",
	JUMP: "JUMP", JUMPI: "JUMPI", PC: "PC", MSIZE: "MSIZE", GAS: "GAS", JUMPDEST: "JUMPDEST",
	TLOAD: "TLOAD", TSTORE: "TSTORE", MCOPY: "MCOPY", PUSH0: "PUSH0",
	CREATE: "CREATE", CALL: "CALL", CALLCODE: "CALLCODE", RETURN: "RETURN", DELEGATECALL: "DELEGATECALL",
	CREATE2: "CREATE2", STATICCALL: "STATICCALL", REVERT: "REVERT", INVALID: "INVALID",
	SELFDESTRUCT: "SELFDESTRUCT",
}

func init() {
	for i := 0; i < 32; i++ {
		opNames[PUSH1+byte(i)] = "PUSH" + itoa(i+1)
	}
	for i := 0; i < 16; i++ {
		opNames[DUP1+byte(i)] = "DUP" + itoa(i+1)
		opNames[SWAP1+byte(i)] = "SWAP" + itoa(i+1)
	}
	for i := 0; i < 5; i++ {
		opNames[LOG0+byte(i)] = "LOG" + itoa(i)
	}
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return string(rune('0'+i/10)) + string(rune('0'+i%10))
}

// OpName returns the mnemonic of op, or "opcode 0xNN" for undefined bytes.
func OpName(op byte) string {
	if n, ok := opNames[op]; ok {
		return n
	}
	const hex = "0123456789abcdef"
	return "opcode 0x" + string([]byte{hex[op>>4], hex[op&15]})
}

// opInfo is the per-fork static description of an opcode.
type opInfo struct {
	gas      uint64 // constant gas
	minStack int    // items needed on the stack
	maxStack int    // highest stack size allowed before the op (1024 - net growth)
	valid    bool
	// endsBlock: the op ends a straight-line run for gas summing: control flow,
	// halting, and ops whose semantics read the gas left (GAS, calls, creates,
	// SSTORE's EIP-2200 stipend check).
	endsBlock bool
}

// opTable is one fork's opcode table.
type opTable [256]opInfo

var opTables [fork.Osaka + 1]*opTable

func stackSpec(pops, pushes int) (int, int) { return pops, 1024 + pops - pushes }

func buildTable(r *fork.Rules) *opTable {
	t := new(opTable)
	set := func(op byte, gas uint64, pops, pushes int) {
		mn, mx := stackSpec(pops, pushes)
		t[op] = opInfo{gas: gas, minStack: mn, maxStack: mx, valid: true}
	}
	set(STOP, 0, 0, 0)
	for _, op := range []byte{ADD, SUB, LT, GT, SLT, SGT, EQ, AND, OR, XOR, BYTE} {
		set(op, 3, 2, 1)
	}
	for _, op := range []byte{MUL, DIV, SDIV, MOD, SMOD, SIGNEXTEND} {
		set(op, 5, 2, 1)
	}
	set(ADDMOD, 8, 3, 1)
	set(MULMOD, 8, 3, 1)
	set(EXP, 10, 2, 1)
	set(ISZERO, 3, 1, 1)
	set(NOT, 3, 1, 1)
	set(KECCAK256, 30, 2, 1)
	for _, op := range []byte{ADDRESS, ORIGIN, CALLER, CALLVALUE, CALLDATASIZE, CODESIZE, GASPRICE,
		COINBASE, TIMESTAMP, NUMBER, DIFFICULTY, GASLIMIT, PC, MSIZE, GAS} {
		set(op, 2, 0, 1)
	}
	set(BALANCE, r.BalanceGas, 1, 1)
	set(CALLDATALOAD, 3, 1, 1)
	set(CALLDATACOPY, 3, 3, 0)
	set(CODECOPY, 3, 3, 0)
	set(EXTCODESIZE, r.ExtcodeSizeGas, 1, 1)
	set(EXTCODECOPY, r.ExtcodeSizeGas, 4, 0)
	set(BLOCKHASH, 20, 1, 1)
	set(POP, 2, 1, 0)
	set(MLOAD, 3, 1, 1)
	set(MSTORE, 3, 2, 0)
	set(MSTORE8, 3, 2, 0)
	set(SLOAD, r.SloadGas, 1, 1)
	set(SSTORE, 0, 2, 0)
	set(JUMP, 8, 1, 0)
	set(JUMPI, 10, 2, 0)
	set(JUMPDEST, 1, 0, 0)
	for i := 0; i < 32; i++ {
		set(PUSH1+byte(i), 3, 0, 1)
	}
	for i := 0; i < 16; i++ {
		set(DUP1+byte(i), 3, i+1, i+2)
		set(SWAP1+byte(i), 3, i+2, i+2)
	}
	for i := 0; i < 5; i++ {
		set(LOG0+byte(i), 375+375*uint64(i), 2+i, 0)
	}
	set(CREATE, 32000, 3, 1)
	set(CALL, r.CallGas, 7, 1)
	set(CALLCODE, r.CallGas, 7, 1)
	set(RETURN, 0, 2, 0)
	set(SELFDESTRUCT, r.SelfdestructGas, 1, 0)
	if r.Homestead {
		set(DELEGATECALL, r.CallGas, 6, 1) // EIP-7
	}
	if r.Byzantium {
		set(STATICCALL, r.CallGas, 6, 1) // EIP-214
		set(RETURNDATASIZE, 2, 0, 1)     // EIP-211
		set(RETURNDATACOPY, 3, 3, 0)
		set(REVERT, 0, 2, 0) // EIP-140
	}
	if r.Constantinople {
		set(SHL, 3, 2, 1) // EIP-145
		set(SHR, 3, 2, 1)
		set(SAR, 3, 2, 1)
		set(EXTCODEHASH, r.ExtcodeHashGas, 1, 1) // EIP-1052
		set(CREATE2, 32000, 4, 1)                // EIP-1014
	}
	if r.Istanbul {
		set(CHAINID, 2, 0, 1)     // EIP-1344
		set(SELFBALANCE, 5, 0, 1) // EIP-1884
	}
	if r.Berlin {
		// EIP-2929: the warm access cost is the constant part; cold surcharges are dynamic.
		for _, op := range []byte{BALANCE, EXTCODESIZE, EXTCODEHASH, SLOAD, CALL, CALLCODE, DELEGATECALL, STATICCALL} {
			t[op].gas = 100
		}
		t[EXTCODECOPY].gas = 100
	}
	if r.London {
		set(BASEFEE, 2, 0, 1) // EIP-3198
	}
	if r.Shanghai {
		set(PUSH0, 2, 0, 1) // EIP-3855
	}
	if r.Cancun {
		set(TLOAD, 100, 1, 1) // EIP-1153
		set(TSTORE, 100, 2, 0)
		set(MCOPY, 3, 3, 0)       // EIP-5656
		set(BLOBHASH, 3, 1, 1)    // EIP-4844
		set(BLOBBASEFEE, 2, 0, 1) // EIP-7516
	}
	if r.Osaka {
		set(CLZ, 5, 1, 1) // EIP-7939
	}
	for op := 0; op < 256; op++ {
		switch byte(op) {
		case JUMP, JUMPI, STOP, RETURN, REVERT, SELFDESTRUCT, GAS, SSTORE,
			CALL, CALLCODE, DELEGATECALL, STATICCALL, CREATE, CREATE2:
			t[op].endsBlock = true
		}
		if !t[op].valid {
			t[op].endsBlock = true
			// Invalid ops fail the stack check, which then reports them.
			t[op].minStack, t[op].maxStack = 1<<20, -1
		}
	}
	return t
}

func init() {
	for id := fork.Frontier; id <= fork.Osaka; id++ {
		opTables[id] = buildTable(fork.Get(id))
	}
}
