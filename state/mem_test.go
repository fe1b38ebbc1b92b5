package state

import (
	"math/rand"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	gethstate "github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/tracing"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/params"
	"github.com/holiman/uint256"
)

// model is a plain reference state the tests mirror into Mem and geth.
type modelAccount struct {
	nonce   uint64
	balance uint256.Int
	code    []byte
	storage map[common.Hash]common.Hash
}

type model map[common.Address]*modelAccount

func (m model) gethRoot(t *testing.T) common.Hash {
	t.Helper()
	db, err := gethstate.New(types.EmptyRootHash, gethstate.NewDatabaseForTesting())
	if err != nil {
		t.Fatal(err)
	}
	for addr, a := range m {
		db.CreateAccount(addr)
		db.SetNonce(addr, a.nonce, tracing.NonceChangeUnspecified)
		db.SetBalance(addr, &a.balance, tracing.BalanceChangeUnspecified)
		if len(a.code) > 0 {
			db.SetCode(addr, a.code, tracing.CodeChangeUnspecified)
		}
		for k, v := range a.storage {
			db.SetState(addr, k, v)
		}
	}
	// Pre-EIP-158 rules: empty accounts stay, as in Mem.
	return db.IntermediateRoot(params.Rules{})
}

func (m model) mem() *Mem {
	mem := NewMem()
	for addr, a := range m {
		acct := Account{Nonce: a.nonce, Balance: a.balance}
		acct.CodeHash = mem.AddCode(a.code)
		mem.SetAccount(addr, acct)
		for k, v := range a.storage {
			mem.SetStorage(addr, k, v)
		}
	}
	return mem
}

func (m model) clone() model {
	c := make(model, len(m))
	for addr, a := range m {
		ca := *a
		ca.storage = make(map[common.Hash]common.Hash, len(a.storage))
		for k, v := range a.storage {
			ca.storage[k] = v
		}
		c[addr] = &ca
	}
	return c
}

// apply applies d to the model with the semantics documented on Mem.Apply.
func (m model) apply(d Diff) {
	for addr, ad := range d {
		if ad.Deleted {
			delete(m, addr)
			continue
		}
		a := m[addr]
		if a == nil {
			a = &modelAccount{storage: map[common.Hash]common.Hash{}}
			m[addr] = a
		}
		a.nonce, a.balance = ad.Nonce, ad.Balance
		if ad.CodeChanged {
			a.code = ad.Code
		}
		if ad.StorageCleared {
			a.storage = map[common.Hash]common.Hash{}
		}
		for k, v := range ad.Storage {
			if v == (common.Hash{}) {
				delete(a.storage, k)
			} else {
				a.storage[k] = v
			}
		}
	}
}

func randAddr(r *rand.Rand, pool []common.Address) common.Address {
	if len(pool) > 0 && r.Intn(3) > 0 {
		return pool[r.Intn(len(pool))]
	}
	var a common.Address
	r.Read(a[:])
	return a
}

func randWord(r *rand.Rand) common.Hash {
	var h common.Hash
	switch r.Intn(3) {
	case 0: // small value: exercises trimming of leading zeros
		h[31] = byte(r.Intn(256))
	case 1:
		r.Read(h[16:])
	default:
		r.Read(h[:])
	}
	return h
}

func randModel(r *rand.Rand) model {
	m := model{}
	n := r.Intn(40)
	for i := 0; i < n; i++ {
		a := &modelAccount{storage: map[common.Hash]common.Hash{}}
		if r.Intn(4) > 0 { // else: an empty account
			a.nonce = uint64(r.Intn(1000))
			a.balance.SetUint64(r.Uint64())
			if r.Intn(3) == 0 {
				a.balance.Lsh(&a.balance, 150)
			}
		}
		if r.Intn(3) == 0 {
			a.code = make([]byte, 1+r.Intn(100))
			r.Read(a.code)
		}
		for s := r.Intn(60); s > 0; s-- {
			if r.Intn(4) == 0 {
				continue
			}
			a.storage[randWord(r)] = randWord(r)
		}
		m[randAddr(r, nil)] = a
	}
	return m
}

func randDiff(r *rand.Rand, m model) Diff {
	var pool []common.Address
	for a := range m {
		pool = append(pool, a)
	}
	d := Diff{}
	for n := r.Intn(8); n > 0; n-- {
		addr := randAddr(r, pool)
		ad := &AccountDiff{Storage: map[common.Hash]common.Hash{}, CodeHash: EmptyCodeHash}
		if a := m[addr]; a != nil {
			ad.Nonce, ad.Balance = a.nonce, a.balance
			ad.CodeHash = crypto.Keccak256Hash(a.code)
		}
		switch r.Intn(6) {
		case 0:
			ad.Deleted = true
		case 1:
			ad.StorageCleared = true
			ad.CodeChanged = true
			ad.Code = make([]byte, r.Intn(50))
			r.Read(ad.Code)
			ad.CodeHash = crypto.Keccak256Hash(ad.Code)
		}
		ad.Nonce++
		ad.Balance.AddUint64(&ad.Balance, uint64(r.Intn(1e6)))
		for s := r.Intn(10); s > 0; s-- {
			var slot common.Hash
			if a := m[addr]; a != nil && len(a.storage) > 0 && r.Intn(2) == 0 {
				for k := range a.storage { // an existing slot
					slot = k
					break
				}
			} else {
				slot = randWord(r)
			}
			if r.Intn(3) == 0 {
				ad.Storage[slot] = common.Hash{} // delete
			} else {
				ad.Storage[slot] = randWord(r)
			}
		}
		d[addr] = ad
	}
	return d
}

func TestMemRootEmpty(t *testing.T) {
	if got := NewMem().Root(); got != types.EmptyRootHash {
		t.Fatalf("empty root %x, want %x", got, types.EmptyRootHash)
	}
}

func TestMemRootMatchesGeth(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for i := 0; i < 40; i++ {
		m := randModel(r)
		mem := m.mem()
		want := m.gethRoot(t)
		if got := mem.Root(); got != want {
			t.Fatalf("state %d: root %x, want %x", i, got, want)
		}
		for a, ma := range m {
			acct, ok, _ := mem.Account(a)
			if !ok || acct.Nonce != ma.nonce || acct.Balance != ma.balance {
				t.Fatalf("state %d: account %x read back wrong", i, a)
			}
		}

		// Apply a few diffs on copies; the original must not change.
		preRoot := want
		for j := 0; j < 4; j++ {
			d := randDiff(r, m)
			c := mem.Copy()
			c.Apply(d)
			m2 := m.clone()
			m2.apply(d)
			if got, want := c.Root(), m2.gethRoot(t); got != want {
				t.Fatalf("state %d diff %d: root %x, want %x", i, j, got, want)
			}
			if got := mem.Root(); got != preRoot {
				t.Fatalf("state %d diff %d: original changed by its copy: %x, want %x", i, j, got, preRoot)
			}
			if j%2 == 1 { // continue from the modified state
				mem, m, preRoot = c, m2, c.Root()
			}
		}
	}
}

func TestMemSource(t *testing.T) {
	m := NewMem()
	a := common.HexToAddress("0x01")
	code := []byte{0x60, 0x01}
	m.SetCode(a, code)
	m.SetStorage(a, common.Hash{1}, common.Hash{2})
	m.SetBlockHash(7, common.Hash{7})
	m.BlockHashFn = func(n uint64) common.Hash { return common.Hash{byte(n), 1} }

	acct, ok, err := m.Account(a)
	if err != nil || !ok || acct.CodeHash != crypto.Keccak256Hash(code) {
		t.Fatalf("Account: %+v %v %v", acct, ok, err)
	}
	if got, err := m.Code(a, acct.CodeHash); err != nil || string(got) != string(code) {
		t.Fatalf("Code: %x %v", got, err)
	}
	if got, _ := m.Code(a, EmptyCodeHash); got != nil {
		t.Fatalf("empty code: %x", got)
	}
	if _, err := m.Code(a, common.Hash{9}); err == nil {
		t.Fatal("unknown code hash: no error")
	}
	if v, _ := m.Storage(a, common.Hash{1}); v != (common.Hash{2}) {
		t.Fatalf("Storage: %x", v)
	}
	if h, _ := m.BlockHash(7); h != (common.Hash{7}) {
		t.Fatalf("BlockHash(7): %x", h)
	}
	if h, _ := m.BlockHash(8); h != (common.Hash{8, 1}) {
		t.Fatalf("BlockHash(8): %x", h)
	}
	if _, ok, _ := m.Account(common.Address{2}); ok {
		t.Fatal("missing account exists")
	}

	c := m.Copy()
	c.SetStorage(a, common.Hash{1}, common.Hash{})
	c.Apply(Diff{common.Address{3}: {Nonce: 1}})
	if v, _ := m.Storage(a, common.Hash{1}); v != (common.Hash{2}) {
		t.Fatal("copy's write reached the original")
	}
	if m.Exists(common.Address{3}) || !c.Exists(common.Address{3}) {
		t.Fatal("copy's new account")
	}
	if acct, _, _ := c.Account(common.Address{3}); acct.CodeHash != EmptyCodeHash {
		t.Fatalf("zero code hash not normalized: %x", acct.CodeHash)
	}
	if c.StorageLen(a) != 0 || m.StorageLen(a) != 1 {
		t.Fatal("StorageLen")
	}
	c.Apply(Diff{a: {Deleted: true}})
	if c.Exists(a) || !m.Exists(a) {
		t.Fatal("Deleted")
	}
}
