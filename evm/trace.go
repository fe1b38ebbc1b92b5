package evm

import (
	"github.com/ethereum/go-ethereum/common"
	"github.com/holiman/uint256"
)

// OpContext is what a Tracer sees before each opcode executes. Slices are
// owned by the interpreter and valid only during the call.
type OpContext struct {
	PC      uint64
	Op      byte
	Gas     uint64        // gas left before the opcode
	Cost    uint64        // static (constant) gas of the opcode
	Stack   []uint256.Int // bottom first
	MemSize int
	Depth   int // 1 for the outermost frame
	Refund  uint64
}

// Tracer receives execution events (EIP-3155 style). A nil Tracer costs one
// branch per opcode.
type Tracer interface {
	OnOp(c *OpContext)
	// OnEnd is called once when the transaction's execution ends.
	OnEnd(output []byte, gasUsed uint64, err error)
}

// PrecompileTracer is a Tracer that also hears of each precompile run:
// its address and the gas it charged (a cost model's measure of work
// that no opcode shows).
type PrecompileTracer interface {
	Tracer
	OnPrecompile(addr common.Address, gas uint64)
}
