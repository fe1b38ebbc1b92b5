package replay

// The inputs under testdata/ are small hand-made blocks, written by
// TestGenerateTestdata (run `go test ./replay -run TestGenerateTestdata
// -update` to rewrite them). Transactions are signed with a fixed key, so
// the output is deterministic.

import (
	"encoding/json"
	"flag"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/ethereum/go-ethereum/trie"
	"github.com/holiman/uint256"
)

// testdataReadme says, beside the files, where they come from.
const testdataReadme = `# Generated test inputs (not fixtures)

Everything under pevm/ and blocktests/ here is small hand-made data
written by TestGenerateTestdata in ../gen_test.go: blocks of a few
transactions signed with a fixed test key, pre-states of two accounts,
and deliberately broken variants for the loaders' error tests. Nothing
here is fetched from elsewhere; the real mainnet blocks and blockchain
tests are read from ../shared/fixtures at test time. This file is
written by the generator too.

Regenerate with:

    go test ./replay -run TestGenerateTestdata -update
`

var update = flag.Bool("update", false, "rewrite the generated files under testdata/")

const (
	genNumber = 19500000   // a Cancun block on mainnet
	genTime   = 1712000000 // after the Cancun timestamp
	genNumDir = "19500000"
)

var (
	genKey, _ = crypto.HexToECDSA("45a915e4d060149eb4365960e6a7a45f334393093061116b197e3240065ff2d8")
	genSender = crypto.PubkeyToAddress(genKey.PublicKey) // 0xa94f5374fce5edbc8e2a8697c15331677e6ebf0b
	// genCode stores BLOCKHASH(NUMBER-1) in slot 0:
	// PUSH1 1, NUMBER, SUB, BLOCKHASH, PUSH1 0, SSTORE, STOP.
	genCode     = common.FromHex("0x6001430340600055" + "00")
	genContract = common.HexToAddress("0x00000000000000000000000000000000c0de0001")
	genTo       = common.HexToAddress("0x000000000000000000000000000000000000beef")
	genCoinbase = common.HexToAddress("0x000000000000000000000000000000000000c0ba")
	genParent   = common.HexToHash("0x1111111111111111111111111111111111111111111111111111111111111111")
	genBaseFee  = big.NewInt(7)
	genBlobHash = common.HexToHash("0x0100000000000000000000000000000000000000000000000000000000000001")
)

// genGasUsed is what the good block's transactions use: tx 0 calls
// genCode (21000 + 3+2+3+20+3 + 22100 for a new slot, Cancun), the other
// three are plain transfers.
const genGasUsed = 21000 + 3 + 2 + 3 + 20 + 3 + 22100 + 3*21000

func genSigned(t testing.TB, inner types.TxData) *types.Transaction {
	t.Helper()
	tx, err := types.SignNewTx(genKey, types.NewCancunSigner(big.NewInt(1)), inner)
	if err != nil {
		t.Fatal(err)
	}
	return tx
}

// genTxs returns the good block's transactions: one of each type 0 to 3,
// starting at nonce.
func genTxs(t testing.TB, nonce uint64) []*types.Transaction {
	one := big.NewInt(1)
	fee := big.NewInt(100)
	return []*types.Transaction{
		genSigned(t, &types.LegacyTx{Nonce: nonce, GasPrice: fee, Gas: 100000, To: &genContract}),
		genSigned(t, &types.AccessListTx{ChainID: one, Nonce: nonce + 1, GasPrice: fee, Gas: 21000, To: &genTo, Value: big.NewInt(5)}),
		genSigned(t, &types.DynamicFeeTx{ChainID: one, Nonce: nonce + 2, GasTipCap: big.NewInt(2), GasFeeCap: fee, Gas: 21000, To: &genTo, Value: big.NewInt(6)}),
		genSigned(t, &types.BlobTx{ChainID: uint256.NewInt(1), Nonce: nonce + 3, GasTipCap: uint256.NewInt(2), GasFeeCap: uint256.NewInt(100),
			Gas: 21000, To: genTo, Value: uint256.NewInt(7), BlobFeeCap: uint256.NewInt(10), BlobHashes: []common.Hash{genBlobHash}}),
	}
}

// rpcTxJSON writes tx as eth_getBlockByNumber(N, true) does.
func rpcTxJSON(tx *types.Transaction, from common.Address, index int) map[string]any {
	v, r, s := tx.RawSignatureValues()
	m := map[string]any{
		"hash": tx.Hash(), "nonce": hexutil.Uint64(tx.Nonce()), "blockNumber": hexutil.Uint64(genNumber),
		"transactionIndex": hexutil.Uint64(index), "from": from, "to": tx.To(), "value": (*hexutil.Big)(tx.Value()),
		"gas": hexutil.Uint64(tx.Gas()), "input": hexutil.Bytes(tx.Data()), "type": hexutil.Uint64(tx.Type()),
		"v": (*hexutil.Big)(v), "r": (*hexutil.Big)(r), "s": (*hexutil.Big)(s),
	}
	if tx.Type() == types.LegacyTxType {
		m["gasPrice"] = (*hexutil.Big)(tx.GasPrice())
	} else {
		m["chainId"] = (*hexutil.Big)(tx.ChainId())
		m["accessList"] = tx.AccessList()
		m["yParity"] = hexutil.Uint64(v.Uint64())
		if tx.Type() == types.AccessListTxType {
			m["gasPrice"] = (*hexutil.Big)(tx.GasPrice())
		} else {
			m["maxFeePerGas"] = (*hexutil.Big)(tx.GasFeeCap())
			m["maxPriorityFeePerGas"] = (*hexutil.Big)(tx.GasTipCap())
			eff := new(big.Int).Add(genBaseFee, tx.GasTipCap())
			if eff.Cmp(tx.GasFeeCap()) > 0 {
				eff = tx.GasFeeCap()
			}
			m["gasPrice"] = (*hexutil.Big)(eff)
		}
		if tx.Type() == types.BlobTxType {
			m["maxFeePerBlobGas"] = (*hexutil.Big)(tx.BlobGasFeeCap())
			m["blobVersionedHashes"] = tx.BlobHashes()
		}
	}
	return m
}

// genReceiptsRoot is the receipts root of successful transactions using
// gas each, without logs (computed with go-ethereum's types).
func genReceiptsRoot(txs []*types.Transaction, gas []uint64) common.Hash {
	var rs types.Receipts
	cum := uint64(0)
	for i, tx := range txs {
		cum += gas[i]
		rs = append(rs, &types.Receipt{Type: tx.Type(), Status: 1, CumulativeGasUsed: cum})
	}
	return types.DeriveSha(rs, trie.NewStackTrie(nil))
}

func genPevmBlock(txs []map[string]any, gasUsed uint64, receiptsRoot common.Hash) map[string]any {
	return map[string]any{
		"hash": common.HexToHash("0x2222222222222222222222222222222222222222222222222222222222222222"), "parentHash": genParent,
		"sha3Uncles": types.EmptyUncleHash, "miner": genCoinbase, "stateRoot": common.Hash{}, "transactionsRoot": common.Hash{},
		"receiptsRoot": receiptsRoot, "logsBloom": types.Bloom{}, "difficulty": "0x0", "number": hexutil.Uint64(genNumber),
		"gasLimit": hexutil.Uint64(30_000_000), "gasUsed": hexutil.Uint64(gasUsed), "timestamp": hexutil.Uint64(genTime),
		"extraData": "0x", "mixHash": common.HexToHash("0x03"), "nonce": "0x0000000000000000",
		"baseFeePerGas": (*hexutil.Big)(genBaseFee), "withdrawalsRoot": types.EmptyWithdrawalsHash,
		"withdrawals": []any{}, "blobGasUsed": "0x20000", "excessBlobGas": "0x0",
		"parentBeaconBlockRoot": common.HexToHash("0x04"), "uncles": []any{}, "transactions": txs,
	}
}

func genPreState(nonce uint64, codeHash common.Hash) map[string]any {
	return map[string]any{
		strings.ToLower(genSender.Hex()): map[string]any{"balance": "0x3635c9adc5dea00000", "nonce": nonce, "storage": map[string]any{}},
		strings.ToLower(genContract.Hex()): map[string]any{"balance": "0x0", "nonce": 1, "code_hash": codeHash,
			"storage": map[string]any{"0x0": "0x0"}},
	}
}

func writeJSON(t testing.TB, path string, v any) {
	t.Helper()
	data, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, path, append(data, '\n'))
}

func writeFile(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// pevm test cases under testdata/pevm/<case>/19500000.
func genPevm(t *testing.T, root string) {
	codeHash := crypto.Keccak256Hash(genCode)
	writeJSON(t, filepath.Join(root, "bytecodes.json"), map[string]hexutil.Bytes{codeHash.Hex(): genCode})
	writeJSON(t, filepath.Join(root, "block_hashes.json"), map[string]common.Hash{
		fmt.Sprint(genNumber - 1): genParent, "1": common.HexToHash("0x01"),
	})
	caseDir := func(name string) string { return filepath.Join(root, name, genNumDir) }
	txs := genTxs(t, 0)
	rpc := make([]map[string]any, len(txs))
	for i, tx := range txs {
		rpc[i] = rpcTxJSON(tx, genSender, i)
	}
	gas := []uint64{genGasUsed - 3*21000, 21000, 21000, 21000}
	root0 := genReceiptsRoot(txs, gas)

	// good: one transaction of each type 0 to 3.
	writeJSON(t, filepath.Join(caseDir("good"), BlockFile), genPevmBlock(rpc, genGasUsed, root0))
	writeJSON(t, filepath.Join(caseDir("good"), PreStateFile), genPreState(0, codeHash))

	// bad-json: block.json cut in the middle.
	good, err := json.Marshal(genPevmBlock(rpc, genGasUsed, root0))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(caseDir("bad-json"), BlockFile), good[:len(good)/2])
	writeJSON(t, filepath.Join(caseDir("bad-json"), PreStateFile), genPreState(0, codeHash))

	// unknown-type: transaction 2 claims type 0x7f.
	bad := make([]map[string]any, len(rpc))
	for i, m := range rpc {
		c := map[string]any{}
		for k, v := range m {
			c[k] = v
		}
		bad[i] = c
	}
	bad[2]["type"] = "0x7f"
	writeJSON(t, filepath.Join(caseDir("unknown-type"), BlockFile), genPevmBlock(bad, genGasUsed, root0))
	writeJSON(t, filepath.Join(caseDir("unknown-type"), PreStateFile), genPreState(0, codeHash))

	// missing-code: the contract's code hash is not in bytecodes.json.
	writeJSON(t, filepath.Join(caseDir("missing-code"), BlockFile), genPevmBlock(rpc, genGasUsed, root0))
	writeJSON(t, filepath.Join(caseDir("missing-code"), PreStateFile),
		genPreState(0, common.HexToHash("0xabababababababababababababababababababababababababababababababab")))

	// invalid-tx: the sender's nonce in the pre-state is 5, the block's
	// transactions start at 0 (nonce too low at transaction 0).
	writeJSON(t, filepath.Join(caseDir("invalid-tx"), BlockFile), genPevmBlock(rpc, genGasUsed, root0))
	writeJSON(t, filepath.Join(caseDir("invalid-tx"), PreStateFile), genPreState(5, codeHash))

	// sender-mismatch: transaction 1 names another sender.
	for i := range bad {
		bad[i]["type"] = rpc[i]["type"]
	}
	bad[1]["from"] = genTo
	writeJSON(t, filepath.Join(caseDir("sender-mismatch"), BlockFile), genPevmBlock(bad, genGasUsed, root0))
	writeJSON(t, filepath.Join(caseDir("sender-mismatch"), PreStateFile), genPreState(0, codeHash))

	// wrong-gas: the header's gasUsed is off by one.
	writeJSON(t, filepath.Join(caseDir("wrong-gas"), BlockFile), genPevmBlock(rpc, genGasUsed+1, root0))
	writeJSON(t, filepath.Join(caseDir("wrong-gas"), PreStateFile), genPreState(0, codeHash))
}

// Blockchain tests under testdata/blocktests.
func genBlocktests(t *testing.T, root string) {
	pre := types.GenesisAlloc{
		genSender:   {Balance: new(big.Int).Exp(big.NewInt(10), big.NewInt(21), nil)},
		genContract: {Balance: new(big.Int), Nonce: 1, Code: genCode},
	}
	preRoot := allocToMem(pre).Root()
	zero := uint64(0)
	beacon := common.Hash{}
	genesis := &types.Header{ParentHash: common.Hash{}, UncleHash: types.EmptyUncleHash, Coinbase: genCoinbase,
		Root: preRoot, TxHash: types.EmptyTxsHash, ReceiptHash: types.EmptyReceiptsHash, Difficulty: new(big.Int),
		Number: new(big.Int), GasLimit: 30_000_000, Time: 0, BaseFee: big.NewInt(8),
		WithdrawalsHash: &types.EmptyWithdrawalsHash, BlobGasUsed: &zero, ExcessBlobGas: &zero, ParentBeaconRoot: &beacon}
	gblock := types.NewBlock(genesis, &types.Body{Withdrawals: []*types.Withdrawal{}}, nil, trie.NewStackTrie(nil))
	genRLP, err := rlp.EncodeToBytes(gblock)
	if err != nil {
		t.Fatal(err)
	}
	// Block 1: a transaction with nonce 3 from an account with nonce 0.
	tx := genSigned(t, &types.DynamicFeeTx{ChainID: big.NewInt(1), Nonce: 3, GasTipCap: big.NewInt(1),
		GasFeeCap: big.NewInt(100), Gas: 21000, To: &genTo, Value: big.NewInt(1)})
	h1 := &types.Header{ParentHash: gblock.Hash(), UncleHash: types.EmptyUncleHash, Coinbase: genCoinbase,
		Root: preRoot, Difficulty: new(big.Int), Number: big.NewInt(1), GasLimit: 30_000_000, GasUsed: 21000, Time: 12,
		BaseFee: big.NewInt(7), BlobGasUsed: &zero, ExcessBlobGas: &zero, ParentBeaconRoot: &beacon}
	b1 := types.NewBlock(h1, &types.Body{Transactions: []*types.Transaction{tx}, Withdrawals: []*types.Withdrawal{}}, nil, trie.NewStackTrie(nil))
	b1RLP, err := rlp.EncodeToBytes(b1)
	if err != nil {
		t.Fatal(err)
	}
	test := func(blocks []map[string]any, last common.Hash) map[string]any {
		return map[string]any{
			"network":            "Cancun",
			"sealEngine":         "NoProof",
			"pre":                pre,
			"genesisBlockHeader": map[string]any{"hash": gblock.Hash(), "stateRoot": preRoot, "number": "0x00"},
			"genesisRLP":         hexutil.Bytes(genRLP),
			"blocks":             blocks,
			"lastblockhash":      last,
			"postState":          pre,
		}
	}
	block := func(rlpHex string, extra map[string]any) map[string]any {
		m := map[string]any{"rlp": rlpHex, "blocknumber": "1"}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	writeJSON(t, filepath.Join(root, "invalid-tx.json"), map[string]any{
		"invalidTx_Cancun": test([]map[string]any{block(hexutil.Encode(b1RLP), nil)}, b1.Hash()),
	})
	writeJSON(t, filepath.Join(root, "expect-exception.json"), map[string]any{
		"expectException_Cancun": test([]map[string]any{block(hexutil.Encode(b1RLP),
			map[string]any{"expectException": "TransactionException.NONCE_MISMATCH_TOO_HIGH"})}, gblock.Hash()),
	})
	// RLP cut short, and RLP that is not a block at all.
	cut := hexutil.Encode(b1RLP[:len(b1RLP)-10])
	writeJSON(t, filepath.Join(root, "bad-rlp.json"), map[string]any{
		"badRLPTruncated_Cancun": test([]map[string]any{block(cut, nil)}, b1.Hash()),
		"badRLPNotABlock_Cancun": test([]map[string]any{block("0xc3010203", nil)}, b1.Hash()),
		"badRLPNotHex_Cancun":    test([]map[string]any{block("0xzz", nil)}, b1.Hash()),
	})
	// An empty chain whose postState is wrong in one storage slot.
	post := types.GenesisAlloc{}
	for a, acc := range pre {
		post[a] = acc
	}
	c := post[genContract]
	c.Storage = map[common.Hash]common.Hash{{}: common.HexToHash("0x01")}
	post[genContract] = c
	wrong := test(nil, gblock.Hash())
	wrong["postState"] = post
	writeJSON(t, filepath.Join(root, "wrong-post.json"), map[string]any{"wrongPost_Cancun": wrong})
	writeJSON(t, filepath.Join(root, "unknown-network.json"), map[string]any{
		"unknownNetwork": func() map[string]any { m := test(nil, gblock.Hash()); m["network"] = "FooToBarAtDiff5"; return m }(),
	})
	writeFile(t, filepath.Join(root, "malformed", "malformed.json"), []byte(`{"t": {"network": "Cancun", "pre": {`))
}

// TestGenerateTestdata rewrites testdata/ with -update; without it, it
// regenerates into a temporary folder and checks that every committed file
// is exactly what the generator writes (nothing under testdata/ comes from
// elsewhere).
func TestGenerateTestdata(t *testing.T) {
	root := "testdata"
	if !*update {
		root = t.TempDir()
	}
	genPevm(t, filepath.Join(root, "pevm"))
	genBlocktests(t, filepath.Join(root, "blocktests"))
	writeFile(t, filepath.Join(root, "README.md"), []byte(testdataReadme))
	if *update {
		return
	}
	n := 0
	err := filepath.Walk(root, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		want, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		got, err := os.ReadFile(filepath.Join("testdata", rel))
		if err != nil {
			return fmt.Errorf("generated %s is not committed: %w", rel, err)
		}
		if string(got) != string(want) {
			t.Errorf("testdata/%s differs from what the generator writes (run with -update)", rel)
		}
		n++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("the generator wrote nothing")
	}
	// And nothing committed that the generator does not write.
	err = filepath.Walk("testdata", func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		rel, _ := filepath.Rel("testdata", path)
		if _, err := os.Stat(filepath.Join(root, rel)); err != nil {
			t.Errorf("testdata/%s is not written by the generator", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
