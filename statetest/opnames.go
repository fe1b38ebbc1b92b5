package statetest

import "fmt"

// opNames holds the mnemonic of every opcode defined in some fork up to
// Osaka; others are named like go-ethereum does ("opcode 0x0c not defined").
var opNames [256]string

func init() {
	named := map[byte]string{
		0x00: "STOP", 0x01: "ADD", 0x02: "MUL", 0x03: "SUB", 0x04: "DIV", 0x05: "SDIV",
		0x06: "MOD", 0x07: "SMOD", 0x08: "ADDMOD", 0x09: "MULMOD", 0x0a: "EXP", 0x0b: "SIGNEXTEND",
		0x10: "LT", 0x11: "GT", 0x12: "SLT", 0x13: "SGT", 0x14: "EQ", 0x15: "ISZERO",
		0x16: "AND", 0x17: "OR", 0x18: "XOR", 0x19: "NOT", 0x1a: "BYTE", 0x1b: "SHL",
		0x1c: "SHR", 0x1d: "SAR", 0x1e: "CLZ",
		0x20: "KECCAK256",
		0x30: "ADDRESS", 0x31: "BALANCE", 0x32: "ORIGIN", 0x33: "CALLER", 0x34: "CALLVALUE",
		0x35: "CALLDATALOAD", 0x36: "CALLDATASIZE", 0x37: "CALLDATACOPY", 0x38: "CODESIZE",
		0x39: "CODECOPY", 0x3a: "GASPRICE", 0x3b: "EXTCODESIZE", 0x3c: "EXTCODECOPY",
		0x3d: "RETURNDATASIZE", 0x3e: "RETURNDATACOPY", 0x3f: "EXTCODEHASH",
		0x40: "BLOCKHASH", 0x41: "COINBASE", 0x42: "TIMESTAMP", 0x43: "NUMBER",
		0x44: "DIFFICULTY", 0x45: "GASLIMIT", 0x46: "CHAINID", 0x47: "SELFBALANCE",
		0x48: "BASEFEE", 0x49: "BLOBHASH", 0x4a: "BLOBBASEFEE",
		0x50: "POP", 0x51: "MLOAD", 0x52: "MSTORE", 0x53: "MSTORE8", 0x54: "SLOAD",
		0x55: "SSTORE", 0x56: "JUMP", 0x57: "JUMPI", 0x58: "PC", 0x59: "MSIZE", 0x5a: "GAS",
		0x5b: "JUMPDEST", 0x5c: "TLOAD", 0x5d: "TSTORE", 0x5e: "MCOPY", 0x5f: "PUSH0",
		0xf0: "CREATE", 0xf1: "CALL", 0xf2: "CALLCODE", 0xf3: "RETURN", 0xf4: "DELEGATECALL",
		0xf5: "CREATE2", 0xfa: "STATICCALL", 0xfd: "REVERT", 0xfe: "INVALID", 0xff: "SELFDESTRUCT",
	}
	for i := 0; i < 32; i++ {
		named[byte(0x60+i)] = fmt.Sprintf("PUSH%d", i+1)
	}
	for i := 0; i < 16; i++ {
		named[byte(0x80+i)] = fmt.Sprintf("DUP%d", i+1)
		named[byte(0x90+i)] = fmt.Sprintf("SWAP%d", i+1)
	}
	for i := 0; i < 5; i++ {
		named[byte(0xa0+i)] = fmt.Sprintf("LOG%d", i)
	}
	for i := range opNames {
		if n, ok := named[byte(i)]; ok {
			opNames[i] = n
		} else {
			opNames[i] = fmt.Sprintf("opcode %#x not defined", i)
		}
	}
}

// OpName returns the mnemonic of opcode op.
func OpName(op byte) string { return opNames[op] }
