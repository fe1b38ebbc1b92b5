package statetest

import (
	"errors"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/holiman/uint256"
	"github.com/velarium/velarium/chain"
	"github.com/velarium/velarium/fork"
	"github.com/velarium/velarium/state"
)

// ChainID is the chain id state tests run under.
const ChainID = 1

// DefaultBaseFee is the base fee used for London and later forks when the
// fixture's env has none (retesteth's genesis base fee 0x10 decayed for one
// block, as go-ethereum's state test runner assumes).
const DefaultBaseFee = 0x0a

// BlockEnv returns the block environment of the test under rules: PREVRANDAO
// (and a zero difficulty) from Paris on, the base fee from London on
// (DefaultBaseFee when the env has none), the excess blob gas from Cancun on
// (zero when the env has none), and chain id 1.
func (t *Test) BlockEnv(rules *fork.Rules) *chain.BlockEnv {
	e := &t.Env
	env := &chain.BlockEnv{
		Coinbase: e.Coinbase,
		GasLimit: e.GasLimit,
		Number:   e.Number,
		Time:     e.Timestamp,
	}
	env.ChainID.SetUint64(ChainID)
	if e.Difficulty != nil {
		env.Difficulty = *e.Difficulty
	}
	if rules.Paris {
		var rnd common.Hash
		if e.Random != nil {
			rnd = *e.Random
		} else {
			rnd = common.Hash(env.Difficulty.Bytes32())
		}
		env.Random = &rnd
		env.Difficulty.Clear()
	}
	if rules.London {
		bf := uint256.NewInt(DefaultBaseFee)
		if e.BaseFee != nil {
			bf = new(uint256.Int).Set(e.BaseFee)
		}
		env.BaseFee = bf
	}
	if rules.Cancun {
		var x uint64
		if e.ExcessBlobGas != nil {
			x = *e.ExcessBlobGas
		}
		env.ExcessBlobGas = &x
	}
	return env
}

// TxType returns the EIP-2718 type of the transaction of post entry p: 4
// with an authorization list, 3 with blob hashes, 2 with maxFeePerGas, 1
// when the entry's data index has an access list, else 0 (legacy).
func (t *Test) TxType(p *Post) uint8 {
	tx := &t.Tx
	switch {
	case tx.AuthorizationList != nil:
		return types.SetCodeTxType
	case tx.BlobVersionedHashes != nil:
		return types.BlobTxType
	case tx.MaxFeePerGas != nil:
		return types.DynamicFeeTxType
	case p.Indexes.Data >= 0 && p.Indexes.Data < len(tx.AccessLists) && tx.AccessLists[p.Indexes.Data] != nil:
		return types.AccessListTxType
	}
	return types.LegacyTxType
}

// Message builds the transaction of post entry p for a block with the given
// base fee (nil before London). It mirrors go-ethereum's state test runner:
// an error means the transaction cannot even be formed (a nonce over
// 2^64-1, a value over 2^256-1, an index out of range...) and counts as an
// invalid transaction.
//
// For types 0 and 1 GasPrice is the fixture's gasPrice, and GasFeeCap and
// GasTipCap are set to it too. For types 2 to 4, GasFeeCap and GasTipCap
// are maxFeePerGas and maxPriorityFeePerGas (defaulting to maxFeePerGas),
// and GasPrice is the effective gas price min(tip+baseFee, feeCap) (feeCap
// when baseFee is nil).
func (t *Test) Message(p *Post, baseFee *uint256.Int) (*chain.Message, error) {
	tx := &t.Tx
	msg := &chain.Message{Type: t.TxType(p)}

	nonce, err := ParseUint256(tx.Nonce)
	if err != nil {
		return nil, fmt.Errorf("nonce: %w", err)
	}
	if !nonce.IsUint64() {
		return nil, fmt.Errorf("nonce %s exceeds 2^64-1 (EIP-2681)", nonce.Dec())
	}
	msg.Nonce = nonce.Uint64()

	switch {
	case tx.Sender != nil:
		msg.From = *tx.Sender
	case len(tx.SecretKey) > 0:
		key, err := crypto.ToECDSA(tx.SecretKey)
		if err != nil {
			return nil, fmt.Errorf("invalid secret key: %w", err)
		}
		msg.From = crypto.PubkeyToAddress(key.PublicKey)
	}
	if tx.To != "" {
		to, err := parseAddress(tx.To)
		if err != nil {
			return nil, fmt.Errorf("invalid to address: %w", err)
		}
		msg.To = &to
	}

	ix := p.Indexes
	if ix.Data < 0 || ix.Data >= len(tx.Data) {
		return nil, fmt.Errorf("data index %d out of range (%d)", ix.Data, len(tx.Data))
	}
	if ix.Gas < 0 || ix.Gas >= len(tx.GasLimit) {
		return nil, fmt.Errorf("gas index %d out of range (%d)", ix.Gas, len(tx.GasLimit))
	}
	if ix.Value < 0 || ix.Value >= len(tx.Value) {
		return nil, fmt.Errorf("value index %d out of range (%d)", ix.Value, len(tx.Value))
	}
	if msg.Data, err = parseBytes(tx.Data[ix.Data]); err != nil {
		return nil, fmt.Errorf("invalid tx data: %w", err)
	}
	if msg.Gas, err = ParseUint64(tx.GasLimit[ix.Gas]); err != nil {
		return nil, fmt.Errorf("invalid tx gas limit: %w", err)
	}
	if msg.Value, err = ParseUint256(tx.Value[ix.Value]); err != nil {
		return nil, fmt.Errorf("invalid tx value: %w", err)
	}
	if ix.Data < len(tx.AccessLists) && tx.AccessLists[ix.Data] != nil {
		msg.AccessList = *tx.AccessLists[ix.Data]
	}

	if err := t.setFees(msg, baseFee); err != nil {
		return nil, err
	}

	if tx.BlobVersionedHashes != nil {
		msg.BlobHashes = tx.BlobVersionedHashes
	}
	if tx.MaxFeePerBlobGas != nil {
		if msg.BlobFeeCap, err = ParseUint256(*tx.MaxFeePerBlobGas); err != nil {
			return nil, fmt.Errorf("maxFeePerBlobGas: %w", err)
		}
	}
	if tx.AuthorizationList != nil {
		if msg.AuthList, err = t.authorizations(); err != nil {
			return nil, err
		}
	}
	return msg, nil
}

func optUint256(name string, s *string) (*uint256.Int, error) {
	if s == nil {
		return nil, nil
	}
	v, err := ParseUint256(*s)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return &v, nil
}

func (t *Test) setFees(msg *chain.Message, baseFee *uint256.Int) error {
	tx := &t.Tx
	gasPrice, err := optUint256("gasPrice", tx.GasPrice)
	if err != nil {
		return err
	}
	feeCap, err := optUint256("maxFeePerGas", tx.MaxFeePerGas)
	if err != nil {
		return err
	}
	tipCap, err := optUint256("maxPriorityFeePerGas", tx.MaxPriorityFeePerGas)
	if err != nil {
		return err
	}
	if feeCap == nil {
		feeCap = gasPrice
	}
	if feeCap == nil {
		if baseFee == nil {
			return errors.New("no gas price provided")
		}
		feeCap = new(uint256.Int)
	}
	if tipCap == nil {
		tipCap = feeCap
	}
	msg.GasFeeCap, msg.GasTipCap = *feeCap, *tipCap
	if msg.Type < types.DynamicFeeTxType && gasPrice != nil {
		msg.GasPrice = *gasPrice
		return nil
	}
	msg.GasPrice = *feeCap
	if baseFee != nil {
		eff, overflow := new(uint256.Int).AddOverflow(tipCap, baseFee)
		if !overflow && eff.Cmp(feeCap) < 0 {
			msg.GasPrice = *eff
		}
	}
	return nil
}

// authorizations converts the authorization list, recovering each
// authority from its signature (nil when it does not recover).
func (t *Test) authorizations() ([]chain.Authorization, error) {
	list := t.Tx.AuthorizationList
	out := make([]chain.Authorization, len(list))
	for i, a := range list {
		var err error
		o := &out[i]
		o.Address = a.Address
		if o.ChainID, err = ParseUint256(a.ChainID); err != nil {
			return nil, fmt.Errorf("authorizationList[%d].chainId: %w", i, err)
		}
		if o.Nonce, err = ParseUint64(a.Nonce); err != nil {
			return nil, fmt.Errorf("authorizationList[%d].nonce: %w", i, err)
		}
		v, err := ParseUint64(a.V)
		if err != nil {
			return nil, fmt.Errorf("authorizationList[%d].v: %w", i, err)
		}
		o.V = uint8(v)
		if o.R, err = ParseUint256(a.R); err != nil {
			return nil, fmt.Errorf("authorizationList[%d].r: %w", i, err)
		}
		if o.S, err = ParseUint256(a.S); err != nil {
			return nil, fmt.Errorf("authorizationList[%d].s: %w", i, err)
		}
		if v > 255 {
			continue // cannot be a valid y-parity: no authority
		}
		sca := types.SetCodeAuthorization{
			ChainID: o.ChainID, Address: o.Address, Nonce: o.Nonce,
			V: o.V, R: o.R, S: o.S,
		}
		if auth, err := sca.Authority(); err == nil {
			o.Authority = &auth
		}
	}
	return out, nil
}

// signerFor returns the signer go-ethereum's state test runner checks
// txbytes with (types.LatestSigner of the fork's configuration).
func signerFor(rules *fork.Rules) types.Signer {
	id := big.NewInt(ChainID)
	switch {
	case rules.Prague:
		return types.NewPragueSigner(id)
	case rules.Cancun:
		return types.NewCancunSigner(id)
	case rules.London:
		return types.NewLondonSigner(id)
	case rules.Berlin:
		return types.NewEIP2930Signer(id)
	case rules.EIP155:
		return types.NewEIP155Signer(id)
	}
	return types.HomesteadSigner{}
}

// checkTxBytes decodes the signed transaction of a post entry and recovers
// its sender with the fork's signer, as go-ethereum's runner does: a
// transaction type the fork does not know, or a bad signature, makes the
// transaction invalid.
func checkTxBytes(rules *fork.Rules, txbytes []byte) error {
	if len(txbytes) == 0 {
		return nil
	}
	var tx types.Transaction
	if err := tx.UnmarshalBinary(txbytes); err != nil {
		return fmt.Errorf("txbytes: %w", err)
	}
	if _, err := types.Sender(signerFor(rules), &tx); err != nil {
		return fmt.Errorf("txbytes: %w", err)
	}
	return nil
}

// PreState builds the pre-state of the test as a state.Mem whose
// BlockHashFn answers like go-ethereum's state tests
// (keccak256 of the decimal block number).
func (t *Test) PreState() *state.Mem {
	m := state.NewMem()
	m.BlockHashFn = TestBlockHash
	for addr, a := range t.Pre {
		var acct state.Account
		acct.Nonce = a.Nonce
		if a.Balance != nil {
			acct.Balance.SetFromBig(a.Balance)
		}
		acct.CodeHash = m.AddCode(a.Code)
		m.SetAccount(addr, acct)
		for k, v := range a.Storage {
			m.SetStorage(addr, k, v)
		}
	}
	return m
}

// TestBlockHash is the block hash state tests assume for block n:
// keccak256 of n written in decimal.
func TestBlockHash(n uint64) common.Hash {
	return crypto.Keccak256Hash(fmt.Appendf(nil, "%d", n))
}
