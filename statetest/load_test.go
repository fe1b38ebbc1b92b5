package statetest

import (
	"bytes"
	"errors"
	"math/big"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/holiman/uint256"
	"github.com/velarium/velarium/chain"
	"github.com/velarium/velarium/evm"
	"github.com/velarium/velarium/fork"
)

// testdata/sample.json was written by hand; its txbytes, authorization
// signatures and expected hashes were produced with go-ethereum v1.17.10
// (types.SignNewTx, types.SignSetCode, tests.StateTest.RunNoVerify).
const sampleFile = "testdata/sample.json"

var (
	sender    = common.HexToAddress("0xa94f5374fce5edbc8e2a8697c15331677e6ebf0b")
	contract  = common.HexToAddress("0x095e7baea6a6c7c4c2dfeb977efac326af552d87")
	authority = common.HexToAddress("0x71562b71999873db5b286df957af199ec94617f7")
)

func loadSample(t *testing.T) map[string]*Test {
	t.Helper()
	tests, err := LoadFile(sampleFile)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]*Test{}
	var names []string
	for _, tt := range tests {
		m[tt.Name] = tt
		names = append(names, tt.Name)
	}
	if got := strings.Join(names, ","); got != "legacy,setCode,tooManyBlobs" {
		t.Fatalf("tests %s", got)
	}
	return m
}

func rules(t *testing.T, name string) *fork.Rules {
	t.Helper()
	id, ok := fork.ByName(name)
	if !ok {
		t.Fatalf("unknown fork %s", name)
	}
	return fork.Get(id)
}

func TestLoadSample(t *testing.T) {
	s := loadSample(t)
	lg := s["legacy"]
	if len(lg.Pre) != 2 || len(lg.Post) != 4 || len(lg.Post["Cancun"]) != 3 {
		t.Fatalf("legacy: %d pre, %d forks", len(lg.Pre), len(lg.Post))
	}
	if lg.Tx.GasLimit[1] != "90000" || lg.Tx.AccessLists[0] != nil || lg.Tx.AccessLists[1] == nil {
		t.Fatalf("legacy tx: %+v", lg.Tx)
	}
	p := lg.Post["Cancun"][2]
	if p.ExpectException != "TransactionException.RLP_INVALID_VALUE" || p.Indexes != (Indexes{0, 0, 1}) {
		t.Fatalf("post: %+v", p)
	}
	if lg.Env.Random != nil || lg.Env.BaseFee != nil || lg.Env.Difficulty.Uint64() != 0x20000 {
		t.Fatalf("env: %+v", lg.Env)
	}

	for _, c := range []struct {
		test, fork string
		index      int
		want       uint8
	}{
		{"legacy", "Cancun", 0, 0}, {"legacy", "Cancun", 1, 1}, {"legacy", "Berlin", 0, 1},
		{"setCode", "Prague", 0, 4}, {"tooManyBlobs", "Cancun", 0, 3},
	} {
		if got := s[c.test].TxType(&s[c.test].Post[c.fork][c.index]); got != c.want {
			t.Errorf("%s %s %d: type %d, want %d", c.test, c.fork, c.index, got, c.want)
		}
	}
}

func TestMessage(t *testing.T) {
	s := loadSample(t)
	lg := s["legacy"]
	msg, err := lg.Message(&lg.Post["Cancun"][1], uint256.NewInt(10))
	if err != nil {
		t.Fatal(err)
	}
	if msg.Type != 1 || msg.From != sender || msg.To == nil || *msg.To != contract ||
		!bytes.Equal(msg.Data, []byte{0x12, 0x34}) || msg.Gas != 90000 || msg.Value.Uint64() != 100000 ||
		len(msg.AccessList) != 1 || msg.GasPrice.Uint64() != 10 || msg.GasFeeCap.Uint64() != 10 || msg.GasTipCap.Uint64() != 10 {
		t.Fatalf("legacy message: %+v", msg)
	}
	if _, err := lg.Message(&lg.Post["Cancun"][2], nil); err == nil || !strings.Contains(err.Error(), "value") {
		t.Fatalf("value over 2^256: err %v", err)
	}

	// The sender comes from secretKey when "sender" is absent.
	noSender := *lg
	noSender.Tx.Sender = nil
	if msg, err := noSender.Message(&lg.Post["Cancun"][0], nil); err != nil || msg.From != sender {
		t.Fatalf("from secret key: %v %v", msg, err)
	}
	bigNonce := *lg
	bigNonce.Tx.Nonce = "0x10000000000000000"
	if _, err := bigNonce.Message(&lg.Post["Cancun"][0], nil); err == nil || !strings.Contains(err.Error(), "2681") {
		t.Fatalf("nonce 2^64: err %v", err)
	}
	noPrice := *lg
	noPrice.Tx.GasPrice = nil
	if _, err := noPrice.Message(&lg.Post["Cancun"][0], nil); err == nil {
		t.Fatal("no gas price before London: no error")
	}
	badIndex := lg.Post["Cancun"][0]
	badIndex.Indexes.Data = 5
	if _, err := lg.Message(&badIndex, nil); err == nil {
		t.Fatal("data index out of range: no error")
	}

	sc := s["setCode"]
	msg, err = sc.Message(&sc.Post["Prague"][0], uint256.NewInt(7))
	if err != nil {
		t.Fatal(err)
	}
	if msg.Type != 4 || msg.GasFeeCap.Uint64() != 100 || msg.GasTipCap.Uint64() != 2 || msg.GasPrice.Uint64() != 9 ||
		msg.Nonce != 1 || *msg.To != authority || len(msg.AuthList) != 2 {
		t.Fatalf("set code message: %+v", msg)
	}
	a := msg.AuthList[0]
	// The fixture's "signer" says 0x...dead; the signature says otherwise.
	if a.Authority == nil || *a.Authority != authority || a.ChainID.Uint64() != 1 || a.V != 0 ||
		a.Address != common.HexToAddress("0x1000") {
		t.Fatalf("authorization 0: %+v (authority %v)", a, a.Authority)
	}
	if msg.AuthList[1].Authority != nil {
		t.Fatalf("authorization 1 (r=0) recovered %x", *msg.AuthList[1].Authority)
	}

	bl := s["tooManyBlobs"]
	msg, err = bl.Message(&bl.Post["Cancun"][0], uint256.NewInt(7))
	if err != nil {
		t.Fatal(err)
	}
	if msg.Type != 3 || len(msg.BlobHashes) != 7 || msg.BlobFeeCap.Uint64() != 1 || msg.GasPrice.Uint64() != 7 {
		t.Fatalf("blob message: %+v", msg)
	}
}

func TestBlockEnv(t *testing.T) {
	s := loadSample(t)
	lg := s["legacy"]
	env := lg.BlockEnv(rules(t, "Berlin"))
	if env.Random != nil || env.BaseFee != nil || env.ExcessBlobGas != nil || env.Difficulty.Uint64() != 0x20000 ||
		env.Number != 1 || env.Time != 1000 || env.GasLimit != 100000000 || env.ChainID.Uint64() != 1 ||
		env.Coinbase != common.HexToAddress("0x2adc25665018aa1fe0e6bc666dac8fc2697ff9ba") {
		t.Fatalf("Berlin env: %+v", env)
	}
	if env := lg.BlockEnv(rules(t, "London")); env.BaseFee == nil || env.BaseFee.Uint64() != DefaultBaseFee || env.Random != nil {
		t.Fatalf("London env without base fee: %+v", env)
	}
	sc := s["setCode"]
	env = sc.BlockEnv(rules(t, "Prague"))
	if env.Random == nil || *env.Random != common.BigToHash(big.NewInt(0x20000)) || !env.Difficulty.IsZero() ||
		env.BaseFee.Uint64() != 7 || env.ExcessBlobGas == nil || *env.ExcessBlobGas != 0 {
		t.Fatalf("Prague env: %+v", env)
	}
}

func TestPreStateRoot(t *testing.T) {
	s := loadSample(t)
	// Expected roots of entries whose transaction is invalid are the
	// pre-state roots, computed by go-ethereum.
	for _, c := range []struct{ test, fork string }{{"legacy", "Frontier"}, {"setCode", "Cancun"}, {"tooManyBlobs", "Cancun"}} {
		tt := s[c.test]
		pre := tt.PreState()
		if got, want := pre.Root(), tt.Post[c.fork][0].Root; got != want {
			t.Errorf("%s: pre-state root %x, want %x", c.test, got, want)
		}
		if h, _ := pre.BlockHash(5); h != TestBlockHash(5) {
			t.Errorf("block hash %x", h)
		}
	}
}

func TestLogsHash(t *testing.T) {
	if got := LogsHash(nil); got != common.HexToHash("0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347") {
		t.Fatalf("empty logs hash %x", got)
	}
	// The LOG1 of the sample's contract: topic 0xff, data 42 as a word.
	logs := []chain.Log{{
		Address: contract,
		Topics:  []common.Hash{common.HexToHash("0xff")},
		Data:    common.BigToHash(big.NewInt(42)).Bytes(),
	}}
	if got, want := LogsHash(logs), loadSample(t)["legacy"].Post["Cancun"][0].Logs; got != want {
		t.Fatalf("logs hash %x, want %x", got, want)
	}
}

// applyNotImplemented reports whether r failed because chain.Apply (or
// something it calls) is not implemented yet.
func applyNotImplemented(r *Result) bool {
	return strings.Contains(r.Error, "not implemented")
}

func TestRunSample(t *testing.T) {
	s := loadSample(t)
	type key struct {
		test, fork string
		index      int
	}
	got := map[key]Result{}
	var order []string
	for _, name := range []string{"legacy", "setCode", "tooManyBlobs"} {
		for _, r := range RunTest(sampleFile, s[name], nil) {
			got[key{r.Test, r.Fork, r.Index}] = r
			if r.Test == "legacy" {
				order = append(order, r.Fork)
			}
		}
	}
	if len(got) != 9 {
		t.Fatalf("%d results, want 9", len(got))
	}
	if o := strings.Join(order, ","); o != "Frontier,Berlin,Cancun,Cancun,Cancun,FutureFork" {
		t.Errorf("order %s", o)
	}
	if r := got[key{"legacy", "FutureFork", 0}]; !r.Skipped || r.Pass {
		t.Errorf("unknown fork: %+v", r)
	}
	// Invalid before execution: the runner decides without chain.Apply.
	for k, wantErr := range map[key]string{
		{"legacy", "Frontier", 0}:     "not supported",
		{"legacy", "Cancun", 2}:       "value",
		{"setCode", "Cancun", 0}:      "not supported",
		{"tooManyBlobs", "Cancun", 0}: "blob",
	} {
		r := got[k]
		if !r.Pass || !strings.Contains(r.TxError, wantErr) || r.ActualRoot != r.ExpectedRoot {
			t.Errorf("%v: %+v", k, r)
		}
	}
	// Valid transactions: their expected hashes come from go-ethereum.
	for _, k := range []key{{"legacy", "Berlin", 0}, {"legacy", "Cancun", 0}, {"legacy", "Cancun", 1}, {"setCode", "Prague", 0}} {
		r := got[k]
		switch {
		case r.Pass:
		case applyNotImplemented(&r):
			t.Logf("%v: %s", k, r.Error)
		default:
			t.Errorf("%v: %s (root %x want %x, logs %x want %x)", k, r.Error, r.ActualRoot, r.ExpectedRoot, r.ActualLogs, r.ExpectedLogs)
		}
	}
}

func TestRunFileOptions(t *testing.T) {
	res, err := RunFile(sampleFile, &Options{Fork: "berlin"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 || res[0].Fork != "Berlin" {
		t.Fatalf("fork filter: %+v", res)
	}
	res, err = RunFile(sampleFile, &Options{Run: regexp.MustCompile("^setCode$")})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 2 || res[0].Test != "setCode" {
		t.Fatalf("run filter: %+v", res)
	}
	if _, err := RunFile("testdata/missing.json", nil); err == nil {
		t.Fatal("missing file: no error")
	}
	if _, err := Parse([]byte(`{"t": {"env": {}, "post": {}}}`)); err == nil {
		t.Fatal("env without fields: no error")
	}
	if _, err := Parse([]byte(`[1]`)); err == nil {
		t.Fatal("not an object: no error")
	}

	files := RunFiles([]string{sampleFile, "testdata/missing.json"}, 2, nil, nil)
	if files[0].Err != nil || len(files[0].Results) != 9 || files[1].Err == nil {
		t.Fatalf("RunFiles: %v %d %v", files[0].Err, len(files[0].Results), files[1].Err)
	}
}

func TestKnownFailures(t *testing.T) {
	k := DefaultKnownFailures()
	if k.Len() != 38 {
		t.Fatalf("%d known failures, want 38", k.Len())
	}
	f := k.All()[0]
	abs := filepath.Join("/x/shared/fixtures/statetests", f.Path)
	if reason, ok := k.Lookup(abs, f.Test, strings.ToLower(f.Fork), f.Index); !ok || reason == "" {
		t.Fatalf("lookup %s: %q %v", abs, reason, ok)
	}
	if _, ok := k.Lookup(f.Path, f.Test, f.Fork, f.Index); !ok {
		t.Fatal("lookup by relative path")
	}
	if _, ok := k.Lookup("/x/other"+f.Path, f.Test, f.Fork, f.Index); ok {
		t.Fatal("lookup matched a path that only shares a suffix of characters")
	}
	if _, ok := k.Lookup(abs, f.Test, f.Fork, f.Index+100); ok {
		t.Fatal("lookup matched another index")
	}
	if _, err := ParseKnownFailures(strings.NewReader("a\tb\tc\n")); err == nil {
		t.Fatal("short line: no error")
	}
}

func TestJSONTracer(t *testing.T) {
	var b bytes.Buffer
	tr := NewJSONTracer(&b)
	var _ evm.Tracer = tr
	tr.OnOp(&evm.OpContext{PC: 2, Op: 0x01, Gas: 0x10, Cost: 3, Stack: []uint256.Int{*uint256.NewInt(1), *uint256.NewInt(255)}, MemSize: 32, Depth: 1, Refund: 5})
	tr.OnEnd([]byte{0xab}, 21000, errors.New("out of gas"))
	want := `{"pc":2,"op":1,"gas":"0x10","gasCost":"0x3","memSize":32,"stack":["0x1","0xff"],"depth":1,"refund":5,"opName":"ADD"}
{"output":"ab","gasUsed":"0x5208","error":"out of gas"}
`
	if b.String() != want {
		t.Fatalf("trace:\n%s\nwant:\n%s", b.String(), want)
	}
	if OpName(0x0c) != "opcode 0xc not defined" || OpName(0x7f) != "PUSH32" || OpName(0x5f) != "PUSH0" {
		t.Fatal("op names")
	}
}
