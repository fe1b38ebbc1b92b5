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
	"github.com/ethereum/go-ethereum/consensus/beacon"
	"github.com/ethereum/go-ethereum/consensus/ethash"
	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/params"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/holiman/uint256"
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

// TestOracleMerged: post-merge chains (Prague, Osaka) with every system
// call: EIP-4788 beacon roots, EIP-2935 history, EIP-6110 deposits (the
// configured deposit contract's logs), EIP-7002 withdrawal and EIP-7251
// consolidation requests, withdrawals, blob and EIP-7702 transactions.
func TestOracleMerged(t *testing.T) {
	for _, f := range []fork.ID{fork.Prague, fork.Osaka} {
		t.Run(f.String(), func(t *testing.T) { runOracleMerged(t, f, false) })
		t.Run(f.String()+"Deposits", func(t *testing.T) { runOracleMerged(t, f, true) })
	}
}

func runOracleMerged(t *testing.T, f fork.ID, deposits bool) {
	cfg := *params.MergedTestChainConfig
	if f == fork.Prague {
		cfg.OsakaTime = nil
	}
	depositContract := common.HexToAddress("0x00000000000000000000000000000000000de905")
	cfg.DepositContractAddress = depositContract
	// LOG1(0, 576, deposit event topic): a deposit event of zeros.
	depositCode := append(append([]byte{0x7f}, common.FromHex("0x649bbc62d0e31342afea4e5cd82d4049e7e1ee912fc0889aa790803be39038c5")...),
		0x61, 0x02, 0x40, 0x60, 0x00, 0xa1, 0x00)
	contract := common.HexToAddress("0x00000000000000000000000000000000000c0de1")
	key2, _ := crypto.HexToECDSA("8a1f9a8f95be41cd7ccb6168179afb4504aefe388d1e14474d32c45c72ce7b7a")
	eoa2 := crypto.PubkeyToAddress(key2.PublicKey)
	alloc := types.GenesisAlloc{
		genSender:                        {Balance: new(big.Int).Exp(big.NewInt(10), big.NewInt(24), nil)},
		contract:                         {Balance: big.NewInt(1e9), Code: oracleCode},
		depositContract:                  {Code: depositCode, Balance: new(big.Int)},
		params.BeaconRootsAddress:        {Nonce: 1, Code: params.BeaconRootsCode, Balance: new(big.Int)},
		params.HistoryStorageAddress:     {Nonce: 1, Code: params.HistoryStorageCode, Balance: new(big.Int)},
		params.WithdrawalQueueAddress:    {Nonce: 1, Code: params.WithdrawalQueueCode, Balance: new(big.Int)},
		params.ConsolidationQueueAddress: {Nonce: 1, Code: params.ConsolidationQueueCode, Balance: new(big.Int)},
	}
	gspec := &core.Genesis{Config: &cfg, Alloc: alloc, GasLimit: 30_000_000, Difficulty: new(big.Int),
		BaseFee: big.NewInt(params.InitialBaseFee)}
	genesis := gspec.ToBlock()
	const n = 6
	_, blocks, _ := core.GenerateChainWithGenesis(gspec, beacon.New(ethash.NewFaker()), n, func(i int, b *core.BlockGen) {
		b.SetCoinbase(common.HexToAddress("0xaaaa"))
		b.SetParentBeaconRoot(common.BigToHash(big.NewInt(int64(1000 + i))))
		signer := types.MakeSigner(&cfg, b.Number(), b.Timestamp())
		nonce := b.TxNonce(genSender)
		feeCap := new(big.Int).Mul(b.BaseFee(), big.NewInt(2))
		add := func(inner types.TxData) {
			tx, err := types.SignNewTx(genKey, signer, inner)
			if err != nil {
				t.Fatal(err)
			}
			b.AddTx(tx)
			nonce++
		}
		dyn := func(to common.Address, value int64, data []byte, gas uint64) {
			add(&types.DynamicFeeTx{ChainID: cfg.ChainID, Nonce: nonce, GasTipCap: big.NewInt(2), GasFeeCap: feeCap,
				Gas: gas, To: &to, Value: big.NewInt(value), Data: data})
		}
		dyn(common.BigToAddress(big.NewInt(int64(0x1000+i))), 1000, nil, 21000)
		dyn(contract, 0, nil, 200000)
		switch i {
		case 1:
			if !deposits {
				break
			}
			dyn(depositContract, 0, nil, 100000)
			dyn(depositContract, 0, nil, 100000)
		case 2:
			dyn(params.WithdrawalQueueAddress, 10, make([]byte, 56), 200000)
			add(&types.BlobTx{ChainID: uint256.NewInt(1), Nonce: nonce, GasTipCap: uint256.NewInt(2),
				GasFeeCap: uint256.MustFromBig(feeCap), Gas: 21000, To: contract, BlobFeeCap: uint256.NewInt(1000),
				BlobHashes: []common.Hash{genBlobHash, genBlobHash}})
		case 3:
			dyn(params.ConsolidationQueueAddress, 10, make([]byte, 96), 300000)
			auth, err := types.SignSetCode(key2, types.SetCodeAuthorization{ChainID: *uint256.NewInt(1), Address: contract, Nonce: 0})
			if err != nil {
				t.Fatal(err)
			}
			add(&types.SetCodeTx{ChainID: uint256.NewInt(1), Nonce: nonce, GasTipCap: uint256.NewInt(2),
				GasFeeCap: uint256.MustFromBig(feeCap), Gas: 100000, To: eoa2, AuthList: []types.SetCodeAuthorization{auth}})
		case 4:
			dyn(eoa2, 0, nil, 100000)
		}
		b.AddWithdrawal(&types.Withdrawal{Validator: uint64(i), Address: common.BigToAddress(big.NewInt(int64(0x2000 + i%2))), Amount: 1000})
	})
	ours := chain.SingleFork(f, 1)
	ours.DepositContract = depositContract
	bt := &BlockTest{Name: f.String(), Network: f.String(), cfg: ours, j: &btJSON{Pre: alloc,
		GenesisBlockHeader: &btHeader{Hash: genesis.Hash().Hex(), StateRoot: genesis.Root().Hex()}}}
	requests := 0
	for _, b := range blocks {
		enc, err := rlp.EncodeToBytes(b)
		if err != nil {
			t.Fatal(err)
		}
		bt.j.Blocks = append(bt.j.Blocks, btBlock{RLP: hexutil.Encode(enc), BlockNumber: fmt.Sprint(b.NumberU64())})
		if h := b.Header().RequestsHash; h != nil && *h != types.EmptyRequestsHash {
			requests++
		}
	}
	last := blocks[len(blocks)-1]
	bt.j.LastBlockHash = last.Hash().Hex()
	root := last.Root().Hex()
	bt.j.PostStateHash = &root
	r := RunBlockTest(bt)
	t.Logf("%d blocks imported, %d txs; %d blocks with requests", r.Blocks, r.Txs, requests)
	if !r.Pass {
		t.Fatalf("%s", r.Summary())
	}
}
