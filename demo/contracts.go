package demo

import (
	"github.com/holiman/uint256"
	"github.com/velarium/velarium/asm"
	"github.com/velarium/velarium/evm"
)

// Function signatures and event topics of the demo contracts.
const (
	SigTransfer = "transfer(address,uint256)" // 0xa9059cbb
	SigMint     = "mint()"
	SigSwap     = "swap(uint256,bool)"
	EvTransfer  = "Transfer(address,address,uint256)"
	EvSwap      = "Swap(address,uint256,uint256,bool)"
)

var addrMask = new(uint256.Int).Sub(new(uint256.Int).Lsh(uint256.NewInt(1), 160), uint256.NewInt(1))

// argAddr pushes the i-th argument masked to 160 bits.
func argAddr(p *asm.Program, i int) *asm.Program {
	return p.Arg(i).PushU256(addrMask).Op(evm.AND)
}

// ERC20Code is the runtime code of a minimal ERC-20 with one function,
// transfer(address to, uint256 amount): balances is a mapping at slot 0
// (balances[a] at keccak256(a . 0)); it reverts when the caller's balance
// is below amount, emits Transfer(from, to, amount) and returns true.
func ERC20Code() ([]byte, error) {
	p := asm.New()
	p.Selector().Dispatch(asm.Selector(SigTransfer), "transfer").Revert()

	p.Label("transfer").Op(evm.POP) //
	p.Arg(1)                        // amt
	p.Op(evm.CALLER).MappingSlot(0) // amt, sFrom
	p.Dup(1).Op(evm.SLOAD)          // amt, sFrom, bal
	p.Dup(1).Dup(4).Op(evm.GT).JumpI("fail")
	p.Dup(3).Swap(1).Op(evm.SUB) // amt, sFrom, bal-amt
	p.Swap(1).Op(evm.SSTORE)     // amt
	argAddr(p, 0).MappingSlot(0) // amt, sTo
	p.Dup(1).Op(evm.SLOAD)       // amt, sTo, balTo
	p.Dup(3).Op(evm.ADD)         // amt, sTo, balTo+amt
	p.Swap(1).Op(evm.SSTORE)     // amt
	p.Op(evm.PUSH0, evm.MSTORE)  // mem[0:32] = amt
	argAddr(p, 0).Op(evm.CALLER) // to, from
	p.PushHash(asm.EventTopic(EvTransfer)).Push(32).Op(evm.PUSH0).Log(3)
	p.Push(1).ReturnWord()

	p.Label("fail").Revert()
	return p.Bytes()
}

// MintCode is the runtime code of a mint-rush contract with one function,
// mint(): id = ++totalSupply (slot 1); balances[msg.sender] += 1 (mapping
// at slot 0); emits Transfer(0, msg.sender, id) with id as third topic.
func MintCode() ([]byte, error) {
	p := asm.New()
	p.Selector().Dispatch(asm.Selector(SigMint), "mint").Revert()

	p.Label("mint").Op(evm.POP)
	p.Push(1).Op(evm.SLOAD).Push(1).Op(evm.ADD) // id
	p.Dup(1).Push(1).Op(evm.SSTORE)             // id
	p.Op(evm.CALLER).MappingSlot(0)             // id, s
	p.Dup(1).Op(evm.SLOAD).Push(1).Op(evm.ADD)  // id, s, bal+1
	p.Swap(1).Op(evm.SSTORE)                    // id
	p.Op(evm.CALLER, evm.PUSH0).PushHash(asm.EventTopic(EvTransfer)).Op(evm.PUSH0, evm.PUSH0).Log(4)
	p.Op(evm.STOP)
	return p.Bytes()
}

// AMM storage layout.
const (
	SlotReserve0 = 0
	SlotReserve1 = 1
	MapBalance0  = 2 // token0 credited to traders
	MapBalance1  = 3 // token1 credited to traders
)

// AMMCode is the runtime code of a constant-product pool with one function,
// swap(uint256 amountIn, bool zeroForOne): with (rIn, rOut) the reserves in
// slots 0/1 (swapped when !zeroForOne),
// amountOut = rOut*amountIn*997 / (rIn*1000 + amountIn*997);
// reverts when amountIn or amountOut is zero; rIn += amountIn,
// rOut -= amountOut; credits amountOut to the caller in the balance mapping
// of the output token (slot 3 for token1, 2 for token0); emits
// Swap(caller, amountIn, amountOut, zeroForOne) and returns amountOut.
func AMMCode() ([]byte, error) {
	p := asm.New()
	p.Selector().Dispatch(asm.Selector(SigSwap), "swap").Revert()

	p.Label("swap").Op(evm.POP)
	p.Arg(0)                                                  // in
	p.Dup(1).Op(evm.ISZERO).JumpI("fail")                     //
	p.Arg(1).JumpI("zero")                                    // in
	p.Push(MapBalance0).Push(SlotReserve0).Push(SlotReserve1) // in, map, oS, iS
	p.Jump("go")
	p.Label("zero").Push(MapBalance1).Push(SlotReserve1).Push(SlotReserve0)

	p.Label("go")                             // in, map, oS, iS
	p.Dup(1).Op(evm.SLOAD)                    // .., iS, rIn
	p.Dup(3).Op(evm.SLOAD)                    // .., rIn, rOut
	p.Dup(6).Push(997).Op(evm.MUL)            // .., rIn, rOut, in997
	p.Dup(1).Dup(3).Op(evm.MUL)               // .., rIn, rOut, in997, num
	p.Swap(1)                                 // .., rIn, rOut, num, in997
	p.Dup(4).Push(1000).Op(evm.MUL, evm.ADD)  // .., rIn, rOut, num, den
	p.Swap(1).Op(evm.DIV)                     // .., rIn, rOut, out
	p.Dup(1).Op(evm.ISZERO).JumpI("fail")     //
	p.Dup(1).Swap(2).Op(evm.SUB)              // in, map, oS, iS, rIn, out, rOut-out
	p.Dup(5).Op(evm.SSTORE)                   // in, map, oS, iS, rIn, out
	p.Swap(1).Dup(6).Op(evm.ADD)              // in, map, oS, iS, out, rIn+in
	p.Dup(3).Op(evm.SSTORE)                   // in, map, oS, iS, out
	p.Op(evm.CALLER, evm.PUSH0, evm.MSTORE)   // mem[0:32] = caller
	p.Dup(4).Push(32).Op(evm.MSTORE)          // mem[32:64] = map
	p.Push(64).Op(evm.PUSH0, evm.KECCAK256)   // .., out, slot
	p.Dup(1).Op(evm.SLOAD).Dup(3).Op(evm.ADD) // .., out, slot, bal+out
	p.Swap(1).Op(evm.SSTORE)                  // in, map, oS, iS, out
	p.Dup(5).Push(0).Op(evm.MSTORE)           // data: in, out, zeroForOne
	p.Dup(1).Push(32).Op(evm.MSTORE)          //
	p.Arg(1).Push(64).Op(evm.MSTORE)          //
	p.Op(evm.CALLER).PushHash(asm.EventTopic(EvSwap)).Push(96).Op(evm.PUSH0).Log(2)
	p.ReturnWord() // out

	p.Label("fail").Revert()
	return p.Bytes()
}

// HashChainRounds is the number of keccak rounds one HashChain call does.
const HashChainRounds = 16

// HashChainCode is the runtime code of a contract that, on any call, does
// x = keccak256(x) HashChainRounds times on storage slot 0: every call reads
// and writes the same slot, so calls form a chain of dependencies.
func HashChainCode() ([]byte, error) {
	p := asm.New()
	p.Op(evm.PUSH0, evm.SLOAD).Push(HashChainRounds) // x, n
	p.Label("loop")
	p.Dup(1).Op(evm.ISZERO).JumpI("done")
	p.Swap(1).Op(evm.PUSH0, evm.MSTORE).Push(32).Op(evm.PUSH0, evm.KECCAK256) // n, h
	p.Swap(1).Push(1).Swap(1).Op(evm.SUB)                                     // h, n-1
	p.Jump("loop")
	p.Label("done").Op(evm.POP, evm.PUSH0, evm.SSTORE, evm.STOP)
	return p.Bytes()
}
