package evm_test

import (
	"fmt"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/holiman/uint256"
	"github.com/velarium/velarium/evm"
	"github.com/velarium/velarium/fork"
	"github.com/velarium/velarium/state"
)

// loop builds: counter=0; do { body; counter++ } while counter < n; STOP.
// body must leave the stack as it found it.
func loop(n uint32, body ...byte) []byte {
	code := []byte{evm.PUSH0, evm.JUMPDEST} // counter; loop head at pc 1
	code = append(code, body...)
	code = append(code, evm.PUSH1, 1, evm.ADD, evm.DUP1,
		evm.PUSH1+3, byte(n>>24), byte(n>>16), byte(n>>8), byte(n),
		evm.GT, evm.PUSH1, 1, evm.JUMPI, evm.STOP)
	return code
}

var (
	arith = []byte{ // uses the counter at the top of the stack
		evm.DUP1, evm.DUP1, evm.MUL, evm.DUP1 + 1, evm.ADD, evm.DUP1 + 1, evm.SUB, evm.DUP1 + 1, evm.XOR,
		evm.PUSH1, 7, evm.SHL, evm.PUSH1, 3, evm.SWAP1, evm.DIV, evm.PUSH1, 5, evm.SWAP1, evm.MOD,
		evm.ISZERO, evm.POP,
	}
	mem = []byte{
		evm.DUP1, evm.PUSH1, 0x40, evm.MSTORE, evm.PUSH1, 0x40, evm.MLOAD, evm.PUSH1, 0x60, evm.MSTORE,
		evm.DUP1, evm.PUSH1, 0x7f, evm.MSTORE8, evm.PUSH1, 0x20, evm.PUSH1, 0x40, evm.PUSH1, 0x00, evm.MCOPY,
		evm.MSIZE, evm.POP,
	}
	stk = []byte{
		evm.PUSH1, 1, evm.PUSH1, 2, evm.PUSH1, 3, evm.DUP1 + 2, evm.DUP1 + 2, evm.SWAP1 + 1, evm.SWAP1 + 3, evm.SWAP1,
		evm.POP, evm.POP, evm.POP, evm.POP, evm.POP, evm.PUSH0, evm.POP,
	}
)

func runCode(b *testing.B, code []byte) {
	rules := fork.Get(fork.Osaka)
	m := state.NewMem()
	from := common.HexToAddress("0x1000")
	to := common.HexToAddress("0x2000")
	m.SetAccount(from, state.Account{Balance: *uint256.NewInt(1e18), CodeHash: state.EmptyCodeHash})
	m.SetAccount(to, state.Account{})
	m.SetCode(to, code)
	block := &evm.BlockContext{GasLimit: 30_000_000, Number: 1}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		st := evm.NewState(m)
		vm := evm.New(rules, block, evm.TxContext{Origin: from}, st)
		if err := vm.Call(from, to, nil, 1<<40, new(uint256.Int)); err != nil {
			b.Fatal(err)
		}
		if err := vm.Run(); err != nil {
			b.Fatal(err)
		}
		if _, _, err := vm.Result(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOps runs loops of arithmetic, memory and stack opcodes at two
// lengths: allocations per run must not grow with the number of opcodes
// executed (compare allocs/op between n=100 and n=10000).
func BenchmarkOps(b *testing.B) {
	for _, c := range []struct {
		name string
		body []byte
	}{{"arith", arith}, {"memory", mem}, {"stack", stk}} {
		for _, n := range []uint32{100, 10000} {
			b.Run(fmt.Sprintf("%s/n=%d", c.name, n), func(b *testing.B) { runCode(b, loop(n, c.body...)) })
		}
	}
}

// TestNoAllocPerOpcode guards the rule that arithmetic, stack and memory
// opcodes do not allocate: a run of 10000 loop iterations allocates exactly
// as often as a run of 100.
func TestNoAllocPerOpcode(t *testing.T) {
	for _, body := range [][]byte{arith, mem, stk} {
		counts := make([]float64, 2)
		for i, n := range []uint32{100, 10000} {
			code := loop(n, body...)
			r := testing.Benchmark(func(b *testing.B) { runCode(b, code) })
			counts[i] = float64(r.AllocsPerOp())
		}
		if counts[1] > counts[0] {
			t.Errorf("allocations grow with opcodes executed: %v allocs at n=100, %v at n=10000", counts[0], counts[1])
		}
	}
}
