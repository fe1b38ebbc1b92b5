package asm

import (
	"bytes"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/holiman/uint256"
	"github.com/velarium/velarium/chain"
	"github.com/velarium/velarium/evm"
	"github.com/velarium/velarium/fork"
	"github.com/velarium/velarium/state"
)

var (
	sender   = common.HexToAddress("0x1000")
	contract = common.HexToAddress("0xc0de")
)

// call runs code at contract with calldata and returns the result.
func call(t *testing.T, code, data []byte) *chain.Result {
	t.Helper()
	pre := state.NewMem()
	pre.SetAccount(sender, state.Account{Balance: *uint256.NewInt(1e18)})
	pre.SetCode(contract, code)
	to := contract
	return apply(t, pre, &chain.Message{From: sender, To: &to, Gas: 1_000_000, Data: data})
}

func apply(t *testing.T, pre *state.Mem, m *chain.Message) *chain.Result {
	t.Helper()
	m.GasPrice.SetUint64(10)
	env := &chain.BlockEnv{Coinbase: common.HexToAddress("0xcb"), GasLimit: 30_000_000, Number: 1, Time: 1, BaseFee: uint256.NewInt(7)}
	env.ChainID.SetUint64(1)
	env.Random = &common.Hash{1}
	r, err := chain.Apply(fork.Get(fork.Cancun), env, m, pre, chain.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Err != nil {
		t.Fatalf("invalid transaction: %v", r.Err)
	}
	return r
}

func word(v uint64) []byte { return uint256.NewInt(v).PaddedBytes(32) }

func TestPushSizes(t *testing.T) {
	cases := []struct {
		v    uint64
		want []byte
	}{
		{0, []byte{evm.PUSH0}},
		{1, []byte{evm.PUSH1, 1}},
		{255, []byte{evm.PUSH1, 255}},
		{256, []byte{evm.PUSH1 + 1, 1, 0}},
		{1 << 40, []byte{evm.PUSH1 + 5, 1, 0, 0, 0, 0, 0}},
	}
	for _, c := range cases {
		got, err := New().Push(c.v).Bytes()
		if err != nil || !bytes.Equal(got, c.want) {
			t.Errorf("Push(%d) = %x, %v; want %x", c.v, got, err, c.want)
		}
	}
	h := common.HexToHash("0xff00000000000000000000000000000000000000000000000000000000000001")
	got, _ := New().PushHash(h).Bytes()
	if len(got) != 33 || got[0] != evm.PUSH32 {
		t.Errorf("PushHash: %x", got)
	}
	if _, err := New().PushBytes(make([]byte, 33)).Bytes(); err == nil {
		t.Error("PushBytes of 33 bytes: no error")
	}
}

// TestLoopSum: sum of 1..n with a backward jump and a forward exit.
func TestLoopSum(t *testing.T) {
	p := New()
	p.Push(0).Arg(0) // sum, i   (Arg(0) reads calldata[4:36]; calldata has a 4-byte pad)
	p.Label("loop")  // sum, i
	p.Op(evm.DUP1, evm.ISZERO).JumpI("end")
	p.Dup(1).Swap(2).Op(evm.ADD).Swap(1) // sum+i, i
	p.Push(1).Op(evm.SWAP1, evm.SUB)     // sum+i, i-1
	p.Jump("loop")
	p.Label("end").Op(evm.POP).ReturnWord()
	code, err := p.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []uint64{0, 1, 10, 100} {
		r := call(t, code, append([]byte{0, 0, 0, 0}, word(n)...))
		if r.Status != 1 {
			t.Fatalf("n=%d: status 0: %v", n, r.ExecErr)
		}
		if got := new(uint256.Int).SetBytes(r.ReturnData).Uint64(); got != n*(n+1)/2 {
			t.Errorf("sum 1..%d = %d, want %d", n, got, n*(n+1)/2)
		}
	}
}

func TestLabelErrors(t *testing.T) {
	_, err := New().Jump("nowhere").Bytes()
	if err == nil || !strings.Contains(err.Error(), `undefined label "nowhere"`) {
		t.Errorf("undefined label: %v", err)
	}
	_, err = New().Label("a").Label("a").Bytes()
	if err == nil || !strings.Contains(err.Error(), `label "a" defined twice`) {
		t.Errorf("duplicate label: %v", err)
	}
	_, err = New().Op(evm.PUSH1).Bytes()
	if err == nil {
		t.Error("Op(PUSH1): no error")
	}
	// Forward and backward references resolve to the JUMPDEST.
	code, err := New().Jump("f").Label("b").Op(evm.STOP).Label("f").Jump("b").Bytes()
	if err != nil {
		t.Fatal(err)
	}
	want := []byte{evm.PUSH1 + 1, 0, 6, evm.JUMP, evm.JUMPDEST, evm.STOP, evm.JUMPDEST, evm.PUSH1 + 1, 0, 4, evm.JUMP}
	if !bytes.Equal(code, want) {
		t.Errorf("code %x, want %x", code, want)
	}
}

// TestMappingSlot: storage[keccak(caller . 3)] = calldata word; the slot
// computed in code equals AddrMapSlot.
func TestMappingSlot(t *testing.T) {
	p := New()
	p.Arg(0).Op(evm.CALLER).MappingSlot(3).Op(evm.SSTORE, evm.STOP)
	r := call(t, p.MustBytes(), append([]byte{1, 2, 3, 4}, word(42)...))
	if r.Status != 1 {
		t.Fatal(r.ExecErr)
	}
	slot := AddrMapSlot(sender, 3)
	if got := r.Diff[contract].Storage[slot]; got != common.BigToHash(uint256.NewInt(42).ToBig()) {
		t.Errorf("storage[%x] = %x, want 42 (diff %v)", slot, got, r.Diff[contract].Storage)
	}
}

func TestDispatchAndRevert(t *testing.T) {
	sel := Selector("transfer(address,uint256)")
	if sel != 0xa9059cbb {
		t.Fatalf("selector %#x", sel)
	}
	p := New()
	p.Selector().Dispatch(sel, "transfer").Revert()
	p.Label("transfer").Push(1).ReturnWord()
	code := p.MustBytes()
	if r := call(t, code, Calldata("transfer(address,uint256)", sender[:], word(5))); r.Status != 1 || new(uint256.Int).SetBytes(r.ReturnData).Uint64() != 1 {
		t.Errorf("transfer: status %d ret %x", r.Status, r.ReturnData)
	}
	if r := call(t, code, Calldata("approve(address,uint256)")); r.Status != 0 {
		t.Errorf("unknown selector: status %d", r.Status)
	}
	if EventTopic("Transfer(address,address,uint256)") != common.HexToHash("0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef") {
		t.Error("Transfer topic")
	}
}

func TestDeploy(t *testing.T) {
	runtime := New().Push(7).ReturnWord().MustBytes()
	pre := state.NewMem()
	pre.SetAccount(sender, state.Account{Balance: *uint256.NewInt(1e18)})
	r := apply(t, pre, &chain.Message{From: sender, Gas: 1_000_000, Data: Deploy(runtime)})
	if r.Status != 1 || r.ContractAddress == nil {
		t.Fatalf("create: status %d err %v", r.Status, r.ExecErr)
	}
	addr := *r.ContractAddress
	if addr != crypto.CreateAddress(sender, 0) {
		t.Errorf("address %x", addr)
	}
	if d := r.Diff[addr]; d == nil || !bytes.Equal(d.Code, runtime) {
		t.Fatalf("deployed code: diff %+v, want %x", d, runtime)
	}
	pre.Apply(r.Diff)
	to := addr
	r = apply(t, pre, &chain.Message{From: sender, To: &to, Nonce: 1, Gas: 100_000})
	if r.Status != 1 || new(uint256.Int).SetBytes(r.ReturnData).Uint64() != 7 {
		t.Errorf("call deployed: status %d ret %x", r.Status, r.ReturnData)
	}
}
