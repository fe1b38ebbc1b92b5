package state

import (
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/holiman/uint256"
)

// TestOverlayDiffCanonical: the merged diff holds only what differs from
// the base (state.Diff's canonical form), whatever the transactions'
// diffs touched on the way.
func TestOverlayDiffCanonical(t *testing.T) {
	a, b, c, gone, fresh := common.Address{1}, common.Address{2}, common.Address{3}, common.Address{4}, common.Address{5}
	code := []byte{0x60, 0x00}
	base := NewMem()
	base.SetAccount(a, Account{Nonce: 1, Balance: *uint256.NewInt(10)})
	base.SetAccount(b, Account{Balance: *uint256.NewInt(7)})
	base.SetCode(b, code)
	base.SetStorage(b, common.Hash{1}, common.Hash{9})
	base.SetAccount(gone, Account{Balance: *uint256.NewInt(1)})
	ch := crypto.Keccak256Hash(code)

	ov := NewOverlay(base)
	// a: touched, unchanged. b: slot 1 written away and back, slot 2
	// written with zero (it was zero), code "changed" to the same code.
	// c: created then removed (EIP-161 touch). gone: removed.
	// fresh: created.
	ov.Apply(Diff{
		a:     {Nonce: 1, Balance: *uint256.NewInt(10), CodeHash: EmptyCodeHash},
		b:     {Balance: *uint256.NewInt(7), CodeHash: ch, Storage: map[common.Hash]common.Hash{{1}: {8}, {2}: {}}},
		c:     {Balance: *uint256.NewInt(3), CodeHash: EmptyCodeHash},
		gone:  {Deleted: true},
		fresh: {Nonce: 1, CodeHash: EmptyCodeHash},
	})
	ov.Apply(Diff{
		b: {Balance: *uint256.NewInt(7), CodeHash: ch, Code: code, CodeChanged: true, Storage: map[common.Hash]common.Hash{{1}: {9}}},
		c: {Deleted: true},
	})
	want := Diff{
		gone:  {Deleted: true},
		fresh: {Nonce: 1, CodeHash: EmptyCodeHash},
	}
	if d := CompareDiffs(want, ov.Diff()); d != "" {
		t.Fatalf("want / got: %s", d)
	}

	// A real change of each kind is kept.
	ov.Apply(Diff{b: {Balance: *uint256.NewInt(7), CodeHash: ch, Storage: map[common.Hash]common.Hash{{2}: {5}}}})
	ov.Apply(Diff{a: {Nonce: 2, Balance: *uint256.NewInt(10), CodeHash: EmptyCodeHash}})
	want[a] = &AccountDiff{Nonce: 2, Balance: *uint256.NewInt(10), CodeHash: EmptyCodeHash}
	want[b] = &AccountDiff{Balance: *uint256.NewInt(7), CodeHash: ch, Storage: map[common.Hash]common.Hash{{2}: {5}}}
	if d := CompareDiffs(want, ov.Diff()); d != "" {
		t.Fatalf("want / got: %s", d)
	}
}

// TestDiffEncode: the encoding does not depend on how the maps were
// built, and any one field or slot changes it.
func TestDiffEncode(t *testing.T) {
	mk := func(order []byte) Diff {
		d := Diff{}
		for _, i := range order {
			ad := &AccountDiff{Nonce: uint64(i), CodeHash: EmptyCodeHash, Storage: map[common.Hash]common.Hash{}}
			for _, j := range order {
				ad.Storage[common.Hash{j}] = common.Hash{i, j}
			}
			d[common.Address{i}] = ad
		}
		return d
	}
	x, y := mk([]byte{1, 2, 3, 4}), mk([]byte{4, 2, 1, 3})
	if CompareDiffs(x, y) != "" {
		t.Fatal("equal diffs built in another order encode differently")
	}
	y[common.Address{3}].Storage[common.Hash{2}] = common.Hash{}
	if CompareDiffs(x, y) == "" {
		t.Fatal("a changed slot value does not change the encoding")
	}
	y = mk([]byte{4, 2, 1, 3})
	y[common.Address{2}].Balance.SetUint64(1)
	if CompareDiffs(x, y) == "" {
		t.Fatal("a changed balance does not change the encoding")
	}
	y = mk([]byte{4, 2, 1, 3})
	delete(y[common.Address{1}].Storage, common.Hash{4})
	if CompareDiffs(x, y) == "" {
		t.Fatal("a missing slot does not change the encoding")
	}
	y = mk([]byte{4, 2, 1, 3})
	y[common.Address{4}].StorageCleared = true
	if CompareDiffs(x, y) == "" {
		t.Fatal("a reset flag does not change the encoding")
	}
}
