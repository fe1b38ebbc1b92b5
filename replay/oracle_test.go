//go:build oracle

package replay

// go-ethereum as an oracle for what the fixtures do not cover (they are all
// Cancun): pre-merge chains with fork transitions at block boundaries,
// block and uncle rewards, the DAO change, side chains and BLOCKHASH.
// go-ethereum's core.GenerateChain (ethash faker, real state processing
// and rewards) builds the chain; each block's header roots and the final
// state root are what Velarium must reproduce.
//
//	go test -tags oracle -run TestOracle -v ./replay/

import (
	"fmt"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/consensus/ethash"
	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/params"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/velarium/velarium/chain"
	"github.com/velarium/velarium/fork"
)

// oracleCode: SSTORE(NUMBER, BLOCKHASH(NUMBER-1)); LOG1(topic NUMBER);
// on calldata "ff": SELFDESTRUCT(CALLER).
var oracleCode = common.FromHex("0x" +
	"600143034043" + "55" + // BLOCKHASH(NUMBER-1), NUMBER, SSTORE
	"43" + "60006000" + "a1" + // LOG1(0, 0, NUMBER)
	"3615601557" + // if CALLDATASIZE == 0 jump to 0x15
	"33ff" + // SELFDESTRUCT(CALLER)
	"00" + // padding
	"5b00") // 0x15: JUMPDEST STOP

func TestOracleCodeLayout(t *testing.T) {
	if oracleCode[0x15] != 0x5b {
		t.Fatalf("JUMPDEST at %#x", len(oracleCode)-2)
	}
}

type oracleCase struct {
	name   string
	geth   *params.ChainConfig
	ours   *chain.ChainConfig
	blocks int
}

func oracleCases() []oracleCase {
	u := func(v int64) *big.Int { return big.NewInt(v) }
	n := func(v uint64) *uint64 { return &v }
	all := &params.ChainConfig{ChainID: u(1), HomesteadBlock: u(1), DAOForkBlock: u(2), DAOForkSupport: true,
		EIP150Block: u(3), EIP155Block: u(4), EIP158Block: u(4), ByzantiumBlock: u(5), ConstantinopleBlock: u(6),
		PetersburgBlock: u(7), IstanbulBlock: u(8), MuirGlacierBlock: u(8), BerlinBlock: u(9), LondonBlock: u(10),
		ArrowGlacierBlock: u(10), GrayGlacierBlock: u(10), Ethash: new(params.EthashConfig)}
	ours := &chain.ChainConfig{ChainID: 1, DAOForkBlock: n(2), ByBlock: map[fork.ID]uint64{
		fork.Frontier: 0, fork.Homestead: 1, fork.TangerineWhistle: 3, fork.SpuriousDragon: 4, fork.Byzantium: 5,
		fork.Constantinople: 6, fork.Petersburg: 7, fork.Istanbul: 8, fork.Berlin: 9, fork.London: 10}}
	frontier := &params.ChainConfig{ChainID: u(1), Ethash: new(params.EthashConfig)}
	return []oracleCase{
		{"FrontierToLondon", all, ours, 14},
		{"Frontier", frontier, chain.SingleFork(fork.Frontier, 1), 6},
	}
}

func TestOracle(t *testing.T) {
	for _, c := range oracleCases() {
		t.Run(c.name, func(t *testing.T) { runOracle(t, c) })
	}
}

func runOracle(t *testing.T, c oracleCase) {
	contract := common.HexToAddress("0x00000000000000000000000000000000000c0de1")
	dao := params.DAODrainList()
	alloc := types.GenesisAlloc{
		genSender: {Balance: new(big.Int).Exp(big.NewInt(10), big.NewInt(24), nil)},
		contract:  {Balance: big.NewInt(1e9), Code: oracleCode},
		dao[0]:    {Balance: big.NewInt(111)},
		dao[5]:    {Balance: big.NewInt(222), Code: []byte{0x00}},
	}
	gspec := &core.Genesis{Config: c.geth, Alloc: alloc, GasLimit: 8_000_000, Difficulty: big.NewInt(131072)}
	genesis := gspec.ToBlock()
	miners := []common.Address{common.HexToAddress("0xaaaa"), common.HexToAddress("0xbbbb")}
	_, blocks, _ := core.GenerateChainWithGenesis(gspec, ethash.NewFaker(), c.blocks, func(i int, b *core.BlockGen) {
		b.SetCoinbase(miners[i%2])
		num := b.Number()
		signer := types.MakeSigner(c.geth, num, b.Timestamp())
		nonce := b.TxNonce(genSender)
		var gasPrice *big.Int = big.NewInt(10)
		if c.geth.IsLondon(num) {
			gasPrice = new(big.Int).Add(b.BaseFee(), big.NewInt(3))
		}
		mk := func(to *common.Address, value int64, data []byte, gas uint64) *types.Transaction {
			var inner types.TxData = &types.LegacyTx{Nonce: nonce, GasPrice: gasPrice, Gas: gas, To: to, Value: big.NewInt(value), Data: data}
			if c.geth.IsLondon(num) && i%2 == 0 {
				inner = &types.DynamicFeeTx{ChainID: c.geth.ChainID, Nonce: nonce, GasTipCap: big.NewInt(2),
					GasFeeCap: new(big.Int).Mul(gasPrice, big.NewInt(2)), Gas: gas, To: to, Value: big.NewInt(value), Data: data}
			}
			nonce++
			tx, err := types.SignNewTx(genKey, signer, inner)
			if err != nil {
				t.Fatal(err)
			}
			return tx
		}
		fresh := common.BigToAddress(big.NewInt(int64(0x1000 + i)))
		b.AddTx(mk(&fresh, 1000+int64(i), nil, 21000))
		b.AddTx(mk(&contract, 0, nil, 200000))
		if i == c.blocks-3 {
			b.AddTx(mk(&contract, 0, []byte{0xff}, 200000)) // selfdestruct
		}
		if i == 2 {
			b.AddTx(mk(nil, 5, []byte{0x60, 0x00, 0x60, 0x00, 0xf3}, 100000)) // create, empty code
		}
		// Uncles: a sibling of the parent (depth 1) or of the grandparent (depth 2).
		if i >= 2 && i%3 != 1 {
			depth := 1 + i%2
			p := b.PrevBlock(i - 1 - depth)
			b.AddUncle(&types.Header{ParentHash: p.Hash(), Number: new(big.Int).Add(p.Number(), common.Big1),
				Coinbase: common.BigToAddress(big.NewInt(int64(0xcc00 + i))), Extra: []byte("uncle")})
		}
	})
	bt := &BlockTest{Name: c.name, Network: c.name, cfg: c.ours, j: &btJSON{Pre: alloc,
		GenesisBlockHeader: &btHeader{Hash: genesis.Hash().Hex(), StateRoot: genesis.Root().Hex()}}}
	for _, b := range blocks {
		enc, err := rlp.EncodeToBytes(b)
		if err != nil {
			t.Fatal(err)
		}
		bt.j.Blocks = append(bt.j.Blocks, btBlock{RLP: hexutil.Encode(enc), BlockNumber: fmt.Sprint(b.NumberU64())})
	}
	last := blocks[len(blocks)-1]
	bt.j.LastBlockHash = last.Hash().Hex()
	root := last.Root().Hex()
	bt.j.PostStateHash = &root
	r := RunBlockTest(bt)
	if !r.Pass {
		t.Fatalf("%s", r.Summary())
	}
	t.Logf("%d blocks, %d txs, %d uncles", r.Blocks, r.Txs, countUncles(blocks))
}

func countUncles(bs []*types.Block) int {
	n := 0
	for _, b := range bs {
		n += len(b.Uncles())
	}
	return n
}
