package replay

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/velarium/velarium/chain"
	"github.com/velarium/velarium/fork"
)

func pevmCase(name string) string {
	return filepath.Join("testdata", "pevm", name, genNumDir)
}

// wantErr fails unless err is set and contains every part
// (case-insensitively: addresses are checksummed).
func wantErr(t *testing.T, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one containing %q", parts)
	}
	for _, p := range parts {
		if !strings.Contains(strings.ToLower(err.Error()), strings.ToLower(p)) {
			t.Errorf("error %q does not contain %q", err, p)
		}
	}
}

func TestPevmGood(t *testing.T) {
	pb, err := LoadPevmBlock(pevmCase("good"))
	if err != nil {
		t.Fatal(err)
	}
	if pb.Number != genNumber || pb.Rules.ID != fork.Cancun || len(pb.Block.Txs) != 4 {
		t.Fatalf("number %d fork %s txs %d", pb.Number, pb.Rules.Name, len(pb.Block.Txs))
	}
	for i, m := range pb.Block.Txs {
		if m.Type != uint8(i) || m.From != genSender || m.Nonce != uint64(i) {
			t.Errorf("tx %d: type %d from %s nonce %d", i, m.Type, m.From.Hex(), m.Nonce)
		}
	}
	if m := pb.Block.Txs[2]; m.GasFeeCap.Uint64() != 100 || m.GasTipCap.Uint64() != 2 || m.GasPrice.Uint64() != 9 {
		t.Errorf("tx 2 fees: cap %s tip %s price %s", &m.GasFeeCap, &m.GasTipCap, &m.GasPrice)
	}
	if m := pb.Block.Txs[3]; len(m.BlobHashes) != 1 || m.BlobHashes[0] != genBlobHash || m.BlobFeeCap.Uint64() != 10 {
		t.Errorf("tx 3 blob fields: %v %s", m.BlobHashes, &m.BlobFeeCap)
	}
	if code := pb.Pre.CodeAt(genContract); string(code) != string(genCode) {
		t.Errorf("contract code %x", code)
	}
	if h, _ := pb.Pre.BlockHash(genNumber - 1); h != genParent {
		t.Errorf("block hash %d = %s", genNumber-1, h.Hex())
	}
	h := pb.Block.Header
	if h.BaseFee == nil || h.BaseFee.Uint64() != 7 || h.ExcessBlobGas == nil || h.ParentBeaconRoot == nil || h.Coinbase != genCoinbase {
		t.Errorf("header %+v", h)
	}
	r := RunPevm(pb)
	if !r.Pass || r.GasUsed != genGasUsed {
		t.Fatalf("%s (gas %d)", r.Summary(), r.GasUsed)
	}
}

func TestPevmMalformedJSON(t *testing.T) {
	_, err := LoadPevmBlock(pevmCase("bad-json"))
	wantErr(t, err, filepath.Join("bad-json", genNumDir, BlockFile), "unexpected end of JSON")
}

func TestPevmUnknownTxType(t *testing.T) {
	_, err := LoadPevmBlock(pevmCase("unknown-type"))
	wantErr(t, err, "block 19500000", "transaction 2", "unknown transaction type 0x7f")
}

func TestPevmMissingCode(t *testing.T) {
	_, err := LoadPevmBlock(pevmCase("missing-code"))
	wantErr(t, err, PreStateFile, "block 19500000", "account "+genContract.Hex(), "code hash 0xabab", "not found in", BytecodesFile)
}

func TestPevmInvalidTx(t *testing.T) {
	pb, err := LoadPevmBlock(pevmCase("invalid-tx"))
	if err != nil {
		t.Fatal(err)
	}
	r := RunPevm(pb)
	if r.Pass {
		t.Fatal("block with an invalid transaction passed")
	}
	wantErr(t, errors.New(r.Error), "block 19500000, transaction 0", "nonce too low")
}

func TestPevmSenderMismatch(t *testing.T) {
	_, err := LoadPevmBlock(pevmCase("sender-mismatch"))
	wantErr(t, err, "block 19500000", "transaction 1", "sender mismatch")
}

func TestPevmHeaderMismatch(t *testing.T) {
	pb, err := LoadPevmBlock(pevmCase("wrong-gas"))
	if err != nil {
		t.Fatal(err)
	}
	r := RunPevm(pb)
	if r.Pass || len(r.Diffs) != 1 || r.Diffs[0] != "gasUsed: header 106132, got 106131" {
		t.Fatalf("diffs %q", r.Diffs)
	}
}

// TestDecodeRPCTx covers the per-transaction checks on inputs edited from
// the good block: a changed field (hash mismatch), a missing field, a hash
// instead of a transaction object, and bad hex.
func TestDecodeRPCTx(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(pevmCase("good"), BlockFile))
	if err != nil {
		t.Fatal(err)
	}
	var rb struct {
		Transactions []map[string]any `json:"transactions"`
	}
	if err := json.Unmarshal(data, &rb); err != nil {
		t.Fatal(err)
	}
	signer := types.NewCancunSigner(common.Big1)
	edit := func(i int, k string, v any) json.RawMessage {
		m := map[string]any{}
		for kk, vv := range rb.Transactions[i] {
			m[kk] = vv
		}
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		raw, _ := json.Marshal(m)
		return raw
	}
	for i := range rb.Transactions {
		if _, err := decodeRPCTx(edit(i, "_", "x"), signer, nil); err != nil {
			t.Errorf("tx %d unchanged: %v", i, err)
		}
	}
	_, err = decodeRPCTx(edit(1, "value", "0x6"), signer, nil)
	wantErr(t, err, "hash mismatch")
	_, err = decodeRPCTx(edit(2, "gas", nil), signer, nil)
	wantErr(t, err, "missing field gas")
	_, err = decodeRPCTx(edit(0, "r", "0xzz"), signer, nil)
	wantErr(t, err, "field r")
	_, err = decodeRPCTx(json.RawMessage(`"0x18b492100d50086c28d2b45a5e7cc8741705d974cc4aa17264bc108f4e900997"`), signer, nil)
	wantErr(t, err, "not a transaction object")
	_, err = decodeRPCTx(edit(3, "to", nil), signer, nil)
	wantErr(t, err, "blob transaction without")
}

func runBTFile(t *testing.T, name string) map[string]*TestResult {
	t.Helper()
	res, err := RunBlockTestFile(filepath.Join("testdata", "blocktests", name), nil)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*TestResult{}
	for _, r := range res {
		out[r.Test] = r
	}
	return out
}

func TestBlockTestMalformedJSON(t *testing.T) {
	path := filepath.Join("testdata", "blocktests", "malformed", "malformed.json")
	_, err := LoadBlockTestFile(path)
	wantErr(t, err, path, "unexpected end of JSON")
	_, err = ParseBlockTests([]byte(`{"t": {"network": "Cancun", "blocks": 5}}`))
	wantErr(t, err, "test t", "blocks")
}

func TestBlockTestMalformedRLP(t *testing.T) {
	res := runBTFile(t, "bad-rlp.json")
	for name, want := range map[string]string{
		"badRLPTruncated_Cancun": "value size exceeds available input length",
		"badRLPNotABlock_Cancun": "expected input list",
		"badRLPNotHex_Cancun":    "invalid hex",
	} {
		r := res[name]
		if r == nil {
			t.Fatalf("%s did not run", name)
		}
		if r.Pass {
			t.Errorf("%s passed", name)
		}
		wantErr(t, errors.New(r.Summary()), "blocks[0]: decoding block RLP", want)
	}
}

func TestBlockTestInvalidTx(t *testing.T) {
	r := runBTFile(t, "invalid-tx.json")["invalidTx_Cancun"]
	if r == nil || r.Pass {
		t.Fatalf("result %+v", r)
	}
	wantErr(t, errors.New(r.Summary()), "blocks[0]: block 1, transaction 0: nonce too high")
	// The error is a *chain.TxError from ExecuteBlock: check that the
	// block alone gives one, with its block number and index.
	tests, err := LoadBlockTestFile(filepath.Join("testdata", "blocktests", "invalid-tx.json"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, _ := NetworkConfig("Cancun")
	j := tests[0].j
	gen := &btNode{mem: allocToMem(j.Pre)}
	gen.hash, _ = parseHash(j.GenesisBlockHeader.Hash)
	_, _, err = importBlock(cfg, map[common.Hash]*btNode{gen.hash: gen}, &j.Blocks[0], chain.BlockOptions{})
	var te *chain.TxError
	if !errors.As(err, &te) || te.Block != 1 || te.Index != 0 || !errors.Is(err, chain.ErrNonceTooHigh) {
		t.Fatalf("error %v, want a *chain.TxError for block 1, transaction 0", err)
	}
}

func TestBlockTestExpectException(t *testing.T) {
	r := runBTFile(t, "expect-exception.json")["expectException_Cancun"]
	if r == nil || !r.Pass {
		t.Fatalf("result %+v", r)
	}
}

func TestBlockTestWrongPostState(t *testing.T) {
	r := runBTFile(t, "wrong-post.json")["wrongPost_Cancun"]
	if r == nil || r.Pass {
		t.Fatalf("result %+v", r)
	}
	wantErr(t, errors.New(r.Summary()), "postState: account "+genContract.Hex()+": storage 0x0000")
}

func TestBlockTestUnknownNetwork(t *testing.T) {
	r := runBTFile(t, "unknown-network.json")["unknownNetwork"]
	if r == nil || !r.Skipped || r.Pass {
		t.Fatalf("result %+v", r)
	}
}

func TestNetworkConfig(t *testing.T) {
	for _, c := range []struct {
		network      string
		number, time uint64
		want         fork.ID
	}{
		{"Cancun", 0, 0, fork.Cancun},
		{"ConstantinopleFix", 5, 0, fork.Petersburg},
		{"ShanghaiToCancunAtTime15k", 1, 14999, fork.Shanghai},
		{"ShanghaiToCancunAtTime15k", 1, 15000, fork.Cancun},
		{"BerlinToLondonAt5", 4, 0, fork.Berlin},
		{"BerlinToLondonAt5", 5, 0, fork.London},
		{"EIP158ToByzantiumAt5", 5, 0, fork.Byzantium},
		{"HomesteadToDaoAt5", 5, 0, fork.Homestead},
	} {
		cfg, ok := NetworkConfig(c.network)
		if !ok {
			t.Errorf("%s: unknown", c.network)
			continue
		}
		if got := cfg.Rules(c.number, c.time).ID; got != c.want {
			t.Errorf("%s at %d/%d: %s, want %s", c.network, c.number, c.time, got, c.want)
		}
	}
	if cfg, _ := NetworkConfig("HomesteadToDaoAt5"); cfg.DAOForkBlock == nil || *cfg.DAOForkBlock != 5 {
		t.Error("HomesteadToDaoAt5: no DAO block 5")
	}
	for _, n := range []string{"", "Foo", "CancunToShanghaiAtTime15k", "ArrowGlacierToParisAtDiffC0000", "FooToCancunAt5"} {
		if _, ok := NetworkConfig(n); ok {
			t.Errorf("%q accepted", n)
		}
	}
}

func TestKnownFailuresList(t *testing.T) {
	k := DefaultKnownFailures() // panics when the checked-in list is malformed
	_ = k.Names()
	k, err := ParseKnownFailures(strings.NewReader("# c\n\nfoo_Cancun\tbecause\n"))
	if err != nil {
		t.Fatal(err)
	}
	if r, ok := k.Lookup("foo_Cancun"); !ok || r != "because" {
		t.Errorf("lookup: %q %v", r, ok)
	}
	if _, err := ParseKnownFailures(strings.NewReader("no reason\n")); err == nil {
		t.Error("line without a reason accepted")
	}
}

func TestParallelPanic(t *testing.T) {
	err := parallel(8, func(i int) error {
		if i == 5 {
			var m map[string]int
			m["x"] = 1
		}
		if i == 6 {
			return errors.New("six")
		}
		return nil
	})
	wantErr(t, err, "panic", "assignment to entry in nil map")
}

func TestParseHelpers(t *testing.T) {
	for _, s := range []string{"0x", "0x0", "0x00ff", "255"} {
		if _, err := parseU64(s); err != nil {
			t.Errorf("%q: %v", s, err)
		}
	}
	for _, s := range []string{"", "0xg", "-1", "0x-1", "0x10000000000000000"} {
		if _, err := parseU64(s); err == nil {
			t.Errorf("%q accepted", s)
		}
	}
	if _, err := parseU256("0x1" + strings.Repeat("0", 64)); err == nil {
		t.Error("257-bit number accepted")
	}
	if h, err := parseSlot("0x1"); err != nil || h != common.BigToHash(common.Big1) {
		t.Errorf("slot 0x1: %s %v", h.Hex(), err)
	}
}
