// Package statetest loads and runs Ethereum GeneralStateTests (the JSON
// format of ethereum/tests and execution-spec-tests state_tests) against
// Velarium's chain.Apply, checking the post-state root and the logs hash of
// every post entry.
package statetest

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/holiman/uint256"
)

// Test is one state test: a pre-state, one transaction template and the
// expected results per fork.
type Test struct {
	Name string
	Env  Env
	Pre  types.GenesisAlloc
	Tx   Transaction
	// Post maps a fork name as written in the fixture to its post entries.
	Post map[string][]Post
}

// Env is the block environment of a test, as given in the fixture.
type Env struct {
	Coinbase      common.Address
	GasLimit      uint64
	Number        uint64
	Timestamp     uint64
	Difficulty    *uint256.Int // nil when absent
	Random        *common.Hash // nil when absent
	BaseFee       *uint256.Int // nil when absent
	ExcessBlobGas *uint64      // nil when absent
}

// Transaction is the transaction template of a test. Data, GasLimit and
// Value are the alternatives that post entries pick by index; they are kept
// as written and parsed per entry, because some fixtures hold deliberately
// invalid values (a value over 2^256) that must make that entry's
// transaction invalid rather than the file unreadable.
type Transaction struct {
	Nonce                string
	GasPrice             *string
	MaxFeePerGas         *string
	MaxPriorityFeePerGas *string
	To                   string // "" for contract creation
	Sender               *common.Address
	SecretKey            []byte
	Data                 []string
	GasLimit             []string
	Value                []string
	// AccessLists is indexed like Data; nil when the fixture has none, and
	// an element is nil when that data index has none.
	AccessLists []*types.AccessList
	// BlobVersionedHashes is non-nil (possibly empty) when present.
	BlobVersionedHashes []common.Hash
	MaxFeePerBlobGas    *string
	// AuthorizationList is non-nil (possibly empty) when present.
	AuthorizationList []AuthorizationJSON
}

// AuthorizationJSON is one EIP-7702 authorization as written in a fixture.
// Signer is the fixture's claim and is not used: the authority is recovered
// from the signature.
type AuthorizationJSON struct {
	ChainID string          `json:"chainId"`
	Address common.Address  `json:"address"`
	Nonce   string          `json:"nonce"`
	V       string          `json:"v"`
	R       string          `json:"r"`
	S       string          `json:"s"`
	Signer  *common.Address `json:"signer,omitempty"`
}

// Indexes selects the data, gas limit and value of a post entry.
type Indexes struct {
	Data  int `json:"data"`
	Gas   int `json:"gas"`
	Value int `json:"value"`
}

// Post is one expected result: the transaction built from Indexes, the
// expected state root and logs hash, and the expected exception when the
// transaction is invalid.
type Post struct {
	Indexes         Indexes
	Root            common.Hash
	Logs            common.Hash
	TxBytes         []byte
	ExpectException string
}

// jnum is a JSON number or string, kept as text.
type jnum string

func (n *jnum) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*n = jnum(s)
		return nil
	}
	if string(b) == "null" {
		return nil
	}
	var num json.Number
	if err := json.Unmarshal(b, &num); err != nil {
		return err
	}
	*n = jnum(num.String())
	return nil
}

type jsonTest struct {
	Env         jsonEnv               `json:"env"`
	Pre         types.GenesisAlloc    `json:"pre"`
	Transaction jsonTx                `json:"transaction"`
	Post        map[string][]jsonPost `json:"post"`
}

type jsonEnv struct {
	Coinbase      string `json:"currentCoinbase"`
	GasLimit      *jnum  `json:"currentGasLimit"`
	Number        *jnum  `json:"currentNumber"`
	Timestamp     *jnum  `json:"currentTimestamp"`
	Difficulty    *jnum  `json:"currentDifficulty"`
	Random        *jnum  `json:"currentRandom"`
	BaseFee       *jnum  `json:"currentBaseFee"`
	ExcessBlobGas *jnum  `json:"currentExcessBlobGas"`
}

type jsonTx struct {
	Nonce                *jnum               `json:"nonce"`
	GasPrice             *jnum               `json:"gasPrice"`
	MaxFeePerGas         *jnum               `json:"maxFeePerGas"`
	MaxPriorityFeePerGas *jnum               `json:"maxPriorityFeePerGas"`
	To                   string              `json:"to"`
	Sender               *string             `json:"sender"`
	SecretKey            string              `json:"secretKey"`
	Data                 []string            `json:"data"`
	GasLimit             []jnum              `json:"gasLimit"`
	Value                []string            `json:"value"`
	AccessLists          []*types.AccessList `json:"accessLists"`
	BlobVersionedHashes  []common.Hash       `json:"blobVersionedHashes"`
	MaxFeePerBlobGas     *jnum               `json:"maxFeePerBlobGas"`
	AuthorizationList    []jsonAuth          `json:"authorizationList"`
}

type jsonAuth struct {
	ChainID jnum    `json:"chainId"`
	Address string  `json:"address"`
	Nonce   jnum    `json:"nonce"`
	V       jnum    `json:"v"`
	R       jnum    `json:"r"`
	S       jnum    `json:"s"`
	Signer  *string `json:"signer"`
}

type jsonPost struct {
	Indexes         Indexes `json:"indexes"`
	Hash            string  `json:"hash"`
	Logs            string  `json:"logs"`
	TxBytes         string  `json:"txbytes"`
	ExpectException string  `json:"expectException"`
}

// LoadFile reads and parses a state test file.
func LoadFile(path string) ([]*Test, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	tests, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return tests, nil
}

// Parse parses the contents of a state test file ({name: test, ...}) and
// returns its tests sorted by name.
func Parse(data []byte) ([]*Test, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	if len(raw) == 0 {
		return nil, errors.New("no tests in file")
	}
	names := make([]string, 0, len(raw))
	for n := range raw {
		names = append(names, n)
	}
	sort.Strings(names)
	tests := make([]*Test, 0, len(names))
	for _, n := range names {
		var jt jsonTest
		if err := json.Unmarshal(raw[n], &jt); err != nil {
			return nil, fmt.Errorf("test %q: %w", n, err)
		}
		t, err := jt.convert(n)
		if err != nil {
			return nil, fmt.Errorf("test %q: %w", n, err)
		}
		tests = append(tests, t)
	}
	return tests, nil
}

func (jt *jsonTest) convert(name string) (*Test, error) {
	if jt.Post == nil {
		return nil, errors.New("missing post")
	}
	if jt.Pre == nil {
		jt.Pre = types.GenesisAlloc{}
	}
	t := &Test{Name: name, Pre: jt.Pre, Post: make(map[string][]Post, len(jt.Post))}
	var err error
	if t.Env, err = jt.Env.convert(); err != nil {
		return nil, fmt.Errorf("env: %w", err)
	}
	if t.Tx, err = jt.Transaction.convert(); err != nil {
		return nil, fmt.Errorf("transaction: %w", err)
	}
	for fork, posts := range jt.Post {
		out := make([]Post, len(posts))
		for i, p := range posts {
			out[i].Indexes = p.Indexes
			out[i].ExpectException = p.ExpectException
			if out[i].Root, err = parseHash(p.Hash); err != nil {
				return nil, fmt.Errorf("post %s[%d] hash: %w", fork, i, err)
			}
			if out[i].Logs, err = parseHash(p.Logs); err != nil {
				return nil, fmt.Errorf("post %s[%d] logs: %w", fork, i, err)
			}
			if out[i].TxBytes, err = parseBytes(p.TxBytes); err != nil {
				return nil, fmt.Errorf("post %s[%d] txbytes: %w", fork, i, err)
			}
		}
		t.Post[fork] = out
	}
	return t, nil
}

func (e *jsonEnv) convert() (Env, error) {
	var env Env
	var err error
	if env.Coinbase, err = parseAddress(e.Coinbase); err != nil {
		return env, fmt.Errorf("currentCoinbase: %w", err)
	}
	for _, f := range []struct {
		name string
		in   *jnum
		out  *uint64
	}{
		{"currentGasLimit", e.GasLimit, &env.GasLimit},
		{"currentNumber", e.Number, &env.Number},
		{"currentTimestamp", e.Timestamp, &env.Timestamp},
	} {
		if f.in == nil {
			return env, fmt.Errorf("missing %s", f.name)
		}
		if *f.out, err = ParseUint64(string(*f.in)); err != nil {
			return env, fmt.Errorf("%s: %w", f.name, err)
		}
	}
	if e.Difficulty != nil {
		v, err := ParseUint256(string(*e.Difficulty))
		if err != nil {
			return env, fmt.Errorf("currentDifficulty: %w", err)
		}
		env.Difficulty = &v
	}
	if e.Random != nil {
		v, err := ParseUint256(string(*e.Random))
		if err != nil {
			return env, fmt.Errorf("currentRandom: %w", err)
		}
		h := common.Hash(v.Bytes32())
		env.Random = &h
	}
	if e.BaseFee != nil {
		v, err := ParseUint256(string(*e.BaseFee))
		if err != nil {
			return env, fmt.Errorf("currentBaseFee: %w", err)
		}
		env.BaseFee = &v
	}
	if e.ExcessBlobGas != nil {
		v, err := ParseUint64(string(*e.ExcessBlobGas))
		if err != nil {
			return env, fmt.Errorf("currentExcessBlobGas: %w", err)
		}
		env.ExcessBlobGas = &v
	}
	return env, nil
}

func optString(n *jnum) *string {
	if n == nil {
		return nil
	}
	s := string(*n)
	return &s
}

func (j *jsonTx) convert() (Transaction, error) {
	tx := Transaction{
		GasPrice:             optString(j.GasPrice),
		MaxFeePerGas:         optString(j.MaxFeePerGas),
		MaxPriorityFeePerGas: optString(j.MaxPriorityFeePerGas),
		MaxFeePerBlobGas:     optString(j.MaxFeePerBlobGas),
		To:                   strings.TrimSpace(j.To),
		Data:                 j.Data,
		Value:                j.Value,
		AccessLists:          j.AccessLists,
		BlobVersionedHashes:  j.BlobVersionedHashes,
	}
	if j.Nonce != nil {
		tx.Nonce = string(*j.Nonce)
	}
	if j.Sender != nil && *j.Sender != "" {
		a, err := parseAddress(*j.Sender)
		if err != nil {
			return tx, fmt.Errorf("sender: %w", err)
		}
		tx.Sender = &a
	}
	if j.SecretKey != "" {
		k, err := parseBytes(j.SecretKey)
		if err != nil {
			return tx, fmt.Errorf("secretKey: %w", err)
		}
		tx.SecretKey = k
	}
	tx.GasLimit = make([]string, len(j.GasLimit))
	for i, g := range j.GasLimit {
		tx.GasLimit[i] = string(g)
	}
	if j.AuthorizationList != nil {
		tx.AuthorizationList = make([]AuthorizationJSON, len(j.AuthorizationList))
		for i, a := range j.AuthorizationList {
			addr, err := parseAddress(a.Address)
			if err != nil {
				return tx, fmt.Errorf("authorizationList[%d].address: %w", i, err)
			}
			out := AuthorizationJSON{
				ChainID: string(a.ChainID), Address: addr, Nonce: string(a.Nonce),
				V: string(a.V), R: string(a.R), S: string(a.S),
			}
			if a.Signer != nil && *a.Signer != "" {
				if s, err := parseAddress(*a.Signer); err == nil {
					out.Signer = &s
				}
			}
			tx.AuthorizationList[i] = out
		}
	}
	return tx, nil
}

// ParseUint256 parses a fixture number: 0x-prefixed hex, or decimal. ""
// and "0x" are zero. Values over 2^256-1 are an error.
func ParseUint256(s string) (uint256.Int, error) {
	var v uint256.Int
	s = strings.TrimSpace(s)
	if s == "" || s == "0x" || s == "0X" {
		return v, nil
	}
	var b *big.Int
	var ok bool
	if strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X") {
		b, ok = new(big.Int).SetString(s[2:], 16)
	} else {
		b, ok = new(big.Int).SetString(s, 10)
	}
	if !ok || b.Sign() < 0 {
		return v, fmt.Errorf("invalid number %q", s)
	}
	if v.SetFromBig(b) {
		return v, fmt.Errorf("number %q exceeds 256 bits", s)
	}
	return v, nil
}

// ParseUint64 parses a fixture number like ParseUint256, limited to 64 bits.
func ParseUint64(s string) (uint64, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "0x" || s == "0X" {
		return 0, nil
	}
	var v uint64
	var err error
	if strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X") {
		v, err = strconv.ParseUint(s[2:], 16, 64)
	} else {
		v, err = strconv.ParseUint(s, 10, 64)
	}
	if err != nil {
		if errors.Is(err, strconv.ErrRange) {
			return 0, fmt.Errorf("number %q exceeds 64 bits", s)
		}
		return 0, fmt.Errorf("invalid number %q", s)
	}
	return v, nil
}

func parseBytes(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X")
	if len(s)%2 == 1 {
		return nil, fmt.Errorf("odd-length hex %q", truncate(s, 40))
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("invalid hex %q", truncate(s, 40))
	}
	return b, nil
}

func parseHash(s string) (common.Hash, error) {
	b, err := parseBytes(s)
	if err != nil {
		return common.Hash{}, err
	}
	if len(b) > 32 {
		return common.Hash{}, fmt.Errorf("hash %q longer than 32 bytes", s)
	}
	return common.BytesToHash(b), nil
}

func parseAddress(s string) (common.Address, error) {
	b, err := parseBytes(s)
	if err != nil {
		return common.Address{}, err
	}
	if len(b) != common.AddressLength {
		return common.Address{}, fmt.Errorf("address %q is not 20 bytes", s)
	}
	return common.BytesToAddress(b), nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
