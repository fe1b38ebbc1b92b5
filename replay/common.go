// Package replay executes whole blocks with chain.ExecuteBlock and checks
// them against real data: the pevm set of mainnet blocks with their partial
// pre-states (receipts only: gasUsed, logsBloom, receiptsRoot) and the
// BlockchainTests of ethereum/tests (full state: every header root and the
// final post-state).
package replay

import (
	"errors"
	"fmt"
	"math/big"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/holiman/uint256"
	"github.com/velarium/velarium/chain"
	"github.com/velarium/velarium/fork"
	"github.com/velarium/velarium/internal/pool"
	"github.com/velarium/velarium/state"
)

// ---- hex parsing (JSON-RPC quantities and data) ----

func trimHex(s string) (string, bool) {
	if len(s) >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') {
		return s[2:], true
	}
	return s, false
}

// parseBig parses a 0x-hex quantity (or a decimal number without 0x).
func parseBig(s string) (*big.Int, error) {
	h, isHex := trimHex(strings.TrimSpace(s))
	if h == "" {
		if isHex {
			return new(big.Int), nil
		}
		return nil, errors.New("empty number")
	}
	base := 10
	if isHex {
		base = 16
	}
	v, ok := new(big.Int).SetString(h, base)
	if !ok || v.Sign() < 0 || strings.ContainsAny(h, "+-_") {
		return nil, fmt.Errorf("invalid number %q", truncate(s, 80))
	}
	return v, nil
}

func parseU256(s string) (*uint256.Int, error) {
	b, err := parseBig(s)
	if err != nil {
		return nil, err
	}
	v, overflow := uint256.FromBig(b)
	if overflow {
		return nil, fmt.Errorf("number %q exceeds 256 bits", truncate(s, 80))
	}
	return v, nil
}

func parseU64(s string) (uint64, error) {
	b, err := parseBig(s)
	if err != nil {
		return 0, err
	}
	if !b.IsUint64() {
		return 0, fmt.Errorf("number %q exceeds 64 bits", truncate(s, 80))
	}
	return b.Uint64(), nil
}

func parseBytes(s string) ([]byte, error) {
	h, _ := trimHex(strings.TrimSpace(s))
	if len(h)%2 == 1 {
		return nil, fmt.Errorf("odd-length hex %q", truncate(s, 80))
	}
	out := make([]byte, len(h)/2)
	for i := 0; i < len(out); i++ {
		v, err := strconv.ParseUint(h[2*i:2*i+2], 16, 8)
		if err != nil {
			return nil, fmt.Errorf("invalid hex %q", truncate(s, 80))
		}
		out[i] = byte(v)
	}
	return out, nil
}

func parseFixed(s string, n int) ([]byte, error) {
	b, err := parseBytes(s)
	if err != nil {
		return nil, err
	}
	if len(b) != n {
		return nil, fmt.Errorf("%q is %d bytes, want %d", truncate(s, 80), len(b), n)
	}
	return b, nil
}

func parseHash(s string) (common.Hash, error) {
	b, err := parseFixed(s, 32)
	return common.BytesToHash(b), err
}

func parseAddress(s string) (common.Address, error) {
	b, err := parseFixed(s, 20)
	return common.BytesToAddress(b), err
}

// parseSlot parses a storage key or value: a hex U256 of up to 32 bytes,
// with or without zero padding.
func parseSlot(s string) (common.Hash, error) {
	v, err := parseU256(s)
	if err != nil {
		return common.Hash{}, err
	}
	return common.Hash(v.Bytes32()), nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// fieldErr names the JSON field an error is about.
func fieldErr(field string, err error) error {
	return fmt.Errorf("field %s: %w", field, err)
}

// ---- transactions ----

// signerFor returns go-ethereum's signer for a block under rules (chain
// id 1 from EIP-155 on), as types.MakeSigner picks it.
func signerFor(rules *fork.Rules, chainID uint64) types.Signer {
	id := new(big.Int).SetUint64(chainID)
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
	case rules.Homestead:
		return types.HomesteadSigner{}
	}
	return types.FrontierSigner{}
}

func bigToU256(name string, b *big.Int) (uint256.Int, error) {
	if b == nil {
		return uint256.Int{}, nil
	}
	if b.Sign() < 0 {
		return uint256.Int{}, fmt.Errorf("%s is negative", name)
	}
	v, overflow := uint256.FromBig(b)
	if overflow {
		return uint256.Int{}, fmt.Errorf("%s exceeds 256 bits", name)
	}
	return *v, nil
}

// messageOf converts a signed transaction with its recovered sender into a
// chain.Message. For types 0 and 1 GasPrice, GasFeeCap and GasTipCap are
// the gas price; from type 2 on GasPrice is the effective price under
// baseFee (the fee cap when baseFee is nil).
func messageOf(tx *types.Transaction, from common.Address, baseFee *uint256.Int) (*chain.Message, error) {
	switch tx.Type() {
	case types.LegacyTxType, types.AccessListTxType, types.DynamicFeeTxType, types.BlobTxType, types.SetCodeTxType:
	default:
		return nil, fmt.Errorf("transaction type %d not supported", tx.Type())
	}
	m := &chain.Message{Type: tx.Type(), From: from, To: tx.To(), Nonce: tx.Nonce(), Gas: tx.Gas(),
		Data: tx.Data(), AccessList: tx.AccessList(), BlobHashes: tx.BlobHashes()}
	var err error
	if m.Value, err = bigToU256("value", tx.Value()); err != nil {
		return nil, err
	}
	if m.GasFeeCap, err = bigToU256("fee cap", tx.GasFeeCap()); err != nil {
		return nil, err
	}
	if m.GasTipCap, err = bigToU256("tip cap", tx.GasTipCap()); err != nil {
		return nil, err
	}
	if m.Type == types.BlobTxType {
		if m.BlobFeeCap, err = bigToU256("blob fee cap", tx.BlobGasFeeCap()); err != nil {
			return nil, err
		}
	}
	if m.Type < types.DynamicFeeTxType {
		if m.GasPrice, err = bigToU256("gas price", tx.GasPrice()); err != nil {
			return nil, err
		}
	} else {
		m.GasPrice = m.GasFeeCap
		if baseFee != nil {
			eff, overflow := new(uint256.Int).AddOverflow(&m.GasTipCap, baseFee)
			if !overflow && eff.Lt(&m.GasFeeCap) {
				m.GasPrice = *eff
			}
		}
	}
	if auths := tx.SetCodeAuthorizations(); auths != nil {
		m.AuthList = make([]chain.Authorization, len(auths))
		for i, a := range auths {
			o := &m.AuthList[i]
			o.ChainID, o.Address, o.Nonce, o.V, o.R, o.S = a.ChainID, a.Address, a.Nonce, a.V, a.R, a.S
			if auth, err := a.Authority(); err == nil {
				o.Authority = &auth
			}
		}
	}
	return m, nil
}

// parallel runs fn(0..n-1) on up to runtime.NumCPU() goroutines and
// returns the error of the lowest index that failed (nil when none did).
// A panic inside fn is turned into that index's error.
func parallel(n int, fn func(i int) error) error {
	if n == 0 {
		return nil
	}
	errs := make([]error, n)
	workers := min(runtime.NumCPU(), n)
	var next int64 = -1
	var mu sync.Mutex
	take := func() int {
		mu.Lock()
		defer mu.Unlock()
		next++
		return int(next)
	}
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := take(); i < n; i = take() {
				errs[i] = safeCall(func() error { return fn(i) })
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// safeCall runs fn, turning a panic into an error that says where it
// happened.
func safeCall(fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			site := pool.PanicSite(string(debug.Stack()))
			if site == "" {
				site = "?"
			}
			err = fmt.Errorf("panic: %v (at %s)", r, site)
		}
	}()
	return fn()
}

// executeBlock runs chain.ExecuteBlock, turning a panic into an error.
func executeBlock(c *chain.ChainConfig, b *chain.Block, src state.Source, opt chain.BlockOptions) (res *chain.BlockResult, err error) {
	err = safeCall(func() error {
		var e error
		res, e = chain.ExecuteBlock(c, b, src, opt)
		return e
	})
	return res, err
}
