package chain

import (
	"bytes"
	"encoding/binary"
	"math/big"
	"math/rand"
	"slices"
	"sort"
	"sync"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/ethereum/go-ethereum/trie"
	"github.com/holiman/uint256"
	"github.com/velarium/velarium/fork"
	"github.com/velarium/velarium/state"
)

// gethReceiptsRoot is the oracle: go-ethereum's DeriveSha over its own
// receipt encoding and its stack trie.
func gethReceiptsRoot(rs []*Receipt) common.Hash {
	list := make(types.Receipts, len(rs))
	for i, r := range rs {
		gr := &types.Receipt{Type: r.Type, Status: r.Status, CumulativeGasUsed: r.CumulativeGasUsed, Bloom: r.Bloom}
		gr.Logs = make([]*types.Log, len(r.Logs))
		for j, l := range r.Logs {
			gr.Logs[j] = &types.Log{Address: l.Address, Topics: l.Topics, Data: l.Data}
		}
		list[i] = gr
	}
	return types.DeriveSha(list, trie.NewStackTrie(nil))
}

// randomReceipts draws n receipts whose encodings cross the RLP length
// boundaries (single bytes below 0x80, 55/56-byte strings and lists).
func randomReceipts(rng *rand.Rand, n int) []*Receipt {
	dataLens := []int{0, 1, 2, 31, 55, 56, 57, 255, 256, 300, 70000}
	rs := make([]*Receipt, n)
	var cum uint64
	for i := range rs {
		r := &Receipt{Type: uint8(rng.Intn(5)), Status: uint64(rng.Intn(2))}
		switch rng.Intn(4) {
		case 0:
			cum += uint64(rng.Intn(0x80))
		case 1:
			cum += uint64(rng.Intn(1 << 16))
		default:
			cum += uint64(rng.Int63n(1 << 40))
		}
		r.CumulativeGasUsed = cum
		for range rng.Intn(4) {
			l := Log{Data: make([]byte, dataLens[rng.Intn(len(dataLens)-1)])}
			if rng.Intn(50) == 0 {
				l.Data = make([]byte, dataLens[len(dataLens)-1])
			}
			rng.Read(l.Data)
			rng.Read(l.Address[:])
			for range rng.Intn(5) {
				var h common.Hash
				rng.Read(h[:])
				l.Topics = append(l.Topics, h)
			}
			r.Logs = append(r.Logs, l)
			rng.Read(r.Bloom[rng.Intn(256):][:1])
		}
		rs[i] = r
	}
	return rs
}

// TestReceiptsRootMatchesGeth: the receipts root (our encoding and trie,
// on 1 to 8 goroutines) equals go-ethereum's DeriveSha for block sizes
// around every boundary of the index keys (rlp(0) = 0x80 sorts after
// 1..127; 128 and 256 lengthen the key) and of the task cut.
func TestReceiptsRootMatchesGeth(t *testing.T) {
	sizes := []int{0, 1, 2, 3, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 127, 128, 129, 130, 143, 144, 200, 255, 256, 257, 300, 1000, 4097}
	for _, n := range sizes {
		seed := int64(n)*7919 + 1
		rs := randomReceipts(rand.New(rand.NewSource(seed)), n)
		want := gethReceiptsRoot(rs)
		for _, w := range []int{1, 2, 3, 8} {
			if got := ReceiptsRootN(rs, w); got != want {
				t.Fatalf("%d receipts (seed %d), %d workers: root %x, go-ethereum %x", n, seed, w, got, want)
			}
		}
	}
}

// TestTrieShortNodes: nodes whose encoding is under 32 bytes are embedded
// in their parent instead of hashed (Yellow Paper, appendix D). Receipts
// never make such nodes (a bloom alone is 256 bytes), so the trie is
// checked against go-ethereum's stack trie with short values too.
func TestTrieShortNodes(t *testing.T) {
	for _, n := range []int{1, 2, 5, 16, 17, 40, 128, 129, 300, 1000} {
		seed := int64(n)
		rng := rand.New(rand.NewSource(seed))
		vals := make([][]byte, n)
		for i := range vals {
			vals[i] = make([]byte, 1+rng.Intn(40))
			rng.Read(vals[i])
		}
		keys, order := sortedIndexKeys(t, n)
		st := trie.NewStackTrie(nil)
		for _, i := range order {
			if err := st.Update(keys[i], vals[i]); err != nil {
				t.Fatal(err)
			}
		}
		want := st.Hash()
		for _, w := range []int{1, 2, 4} {
			m := &mpt{keys: keys, order: order, value: func(buf []byte, i int) []byte { return append(buf, vals[i]...) }}
			if got := m.root(w); got != want {
				t.Fatalf("%d short values (seed %d), %d workers: root %x, go-ethereum %x", n, seed, w, got, want)
			}
		}
	}
}

// TestReceiptEncodingMatchesGeth: a receipt's encoding equals
// go-ethereum's (EIP-2718 typed envelope, EIP-658 status) at the RLP
// length boundaries of the cumulative gas (a single byte below 0x80, one
// more length byte at 256, 65536, ...) and for a status other than 0 or 1.
func TestReceiptEncodingMatchesGeth(t *testing.T) {
	gas := []uint64{0, 1, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 1<<24 - 1, 1 << 24, 1<<56 - 1, 1 << 56, 1<<64 - 1}
	rng := rand.New(rand.NewSource(5))
	for _, g := range gas {
		for typ := range uint8(5) {
			for _, status := range []uint64{0, 1, 2} {
				r := randomReceipts(rng, 1)[0]
				r.Type, r.Status, r.CumulativeGasUsed = typ, status, g
				gr := &types.Receipt{Type: r.Type, Status: r.Status, CumulativeGasUsed: r.CumulativeGasUsed, Bloom: r.Bloom}
				for _, l := range r.Logs {
					gr.Logs = append(gr.Logs, &types.Log{Address: l.Address, Topics: l.Topics, Data: l.Data})
				}
				var want bytes.Buffer
				types.Receipts{gr}.EncodeIndex(0, &want)
				if got := appendReceipt(nil, r); !bytes.Equal(got, want.Bytes()) {
					t.Fatalf("type %d, status %d, cumulative gas %d: encoding %x, go-ethereum %x", typ, status, g, got, want.Bytes())
				}
			}
		}
	}
}

// TestTrieLargeBlock: from index 65536 the keys take three bytes after
// their length byte (0x83...): the order and the trie past that boundary,
// checked against go-ethereum's stack trie (short values, so the check
// stays fast).
func TestTrieLargeBlock(t *testing.T) {
	n := 65536 + 300
	keys, order := sortedIndexKeys(t, n)
	st := trie.NewStackTrie(nil)
	val := func(buf []byte, i int) []byte { return binary.BigEndian.AppendUint32(buf, uint32(i)*2654435761) }
	for _, i := range order {
		if err := st.Update(keys[i], val(nil, i)); err != nil {
			t.Fatal(err)
		}
	}
	want := st.Hash()
	for _, w := range []int{1, 3} {
		m := &mpt{keys: keys, order: order, value: val}
		if got := m.root(w); got != want {
			t.Fatalf("%d keys, %d workers: root %x, go-ethereum %x", n, w, got, want)
		}
	}
}

// sortedIndexKeys returns the keys rlp(i) of 0..n-1 and the indexes in
// ascending key order (sorted here, independently of indexKeyOrder, which
// must agree).
func sortedIndexKeys(t *testing.T, n int) ([][]byte, []int) {
	keys := make([][]byte, n)
	order := make([]int, n)
	for i := range keys {
		keys[i] = rlp.AppendUint64(nil, uint64(i))
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool { return bytes.Compare(keys[order[a]], keys[order[b]]) < 0 })
	if got := indexKeyOrder(n); !slices.Equal(got, order) {
		t.Fatalf("indexKeyOrder(%d) is not the keys' byte order", n)
	}
	return keys, order
}

func BenchmarkReceiptsRoot(b *testing.B) {
	rs := randomReceipts(rand.New(rand.NewSource(1)), 300)
	b.Run("geth", func(b *testing.B) {
		for b.Loop() {
			gethReceiptsRoot(rs)
		}
	})
	for _, w := range []int{1, 2} {
		b.Run(map[int]string{1: "ours/1", 2: "ours/2"}[w], func(b *testing.B) {
			for b.Loop() {
				ReceiptsRootN(rs, w)
			}
		})
	}
	// What is left after the block when a parallel executor hashed every
	// leaf as its transaction became final (ReceiptLeaves): the branches.
	l := NewReceiptLeaves(len(rs))
	leaves := make([][]byte, len(rs))
	for i, rc := range rs {
		r := &Result{Status: rc.Status, Logs: rc.Logs, LogsBloom: &rc.Bloom}
		l.Hash(r, i, rc.Type, rc.CumulativeGasUsed)
		leaves[i] = r.leaf
	}
	b.Run("ours/leaves-ahead", func(b *testing.B) {
		for b.Loop() {
			receiptsRoot(rs, leaves, 1)
		}
	})
}

// TestReceiptLeavesAhead: leaves hashed ahead (ReceiptLeaves.Hash, on
// several goroutines at once, for none, some or all of the receipts) give
// the root go-ethereum's DeriveSha gives, at the sizes of
// TestReceiptsRootMatchesGeth; a leaf is carried for the block size,
// index, type and cumulative gas it was hashed for.
func TestReceiptLeavesAhead(t *testing.T) {
	sizes := []int{1, 2, 3, 16, 17, 33, 127, 128, 129, 144, 256, 257, 1000}
	for _, n := range sizes {
		seed := int64(n)*104729 + 3
		rng := rand.New(rand.NewSource(seed))
		rs := randomReceipts(rng, n)
		want := gethReceiptsRoot(rs)
		results := make([]*Result, n)
		for i, rc := range rs {
			results[i] = &Result{Status: rc.Status, Logs: rc.Logs, LogsBloom: &rc.Bloom}
		}
		for _, share := range []int{0, 1, 2, 4} { // of 4: hashed ahead
			l := NewReceiptLeaves(n)
			var wg sync.WaitGroup
			for g := range 3 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := g; i < n; i += 3 {
						results[i].leaf = nil
						if (i*7+share)%4 < share {
							l.Hash(results[i], i, rs[i].Type, rs[i].CumulativeGasUsed)
						}
					}
				}()
			}
			wg.Wait()
			leaves := make([][]byte, n)
			for i, r := range results {
				if r.leaf != nil {
					if r.leafOf != (leafOf{n: n, i: i, typ: rs[i].Type, cum: rs[i].CumulativeGasUsed}) {
						t.Fatalf("%d receipts (seed %d): leaf %d carries %+v", n, seed, i, r.leafOf)
					}
					leaves[i] = r.leaf
				}
			}
			for _, w := range []int{1, 2} {
				if got := receiptsRoot(rs, leaves, w); got != want {
					t.Fatalf("%d receipts (seed %d), %d of 4 leaves ahead, %d workers: root %x, go-ethereum %x", n, seed, share, w, got, want)
				}
			}
		}
	}
}

// TestExecuteBlockLeaves: ExecuteBlock takes the leaves an executor's
// results carry (used: corrupted, they change the root) only for the
// block they were hashed for: leaves hashed as if the block were longer
// (200 transactions: rlp(0) = 0x80 then shares its first nibble with
// 0x81.., and its leaf is deeper), with another index, another cumulative
// gas or another type are recomputed, and the root stays the serial one.
func TestExecuteBlockLeaves(t *testing.T) {
	c := SingleFork(fork.Cancun, 1)
	pre := state.NewMem()
	n := 40
	var txs []*Message
	for i := range n {
		from := common.BigToAddress(big.NewInt(int64(0x1000 + i)))
		pre.SetAccount(from, state.Account{Balance: *uint256.NewInt(1e18)})
		to := common.BigToAddress(big.NewInt(int64(0x2000 + i)))
		m := &Message{From: from, To: &to, Gas: 21000}
		m.GasPrice.SetUint64(10)
		m.Value.SetUint64(uint64(i))
		txs = append(txs, m)
	}
	b := &Block{Header: Header{Number: 1, GasLimit: 30_000_000, BaseFee: uint256.NewInt(7), Coinbase: common.HexToAddress("0xc0")}, Txs: txs}
	want, err := ExecuteBlock(c, b, pre, BlockOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		n       int
		shift   int    // index offset
		cumOff  uint64 // cumulative gas offset
		typ     uint8  // added to the type
		corrupt bool   // a byte of each leaf flipped: the root must change
	}{
		{"right", n, 0, 0, 0, false}, {"right, corrupted", n, 0, 0, 0, true},
		{"longer block", 200, 0, 0, 0, false}, {"other index", n, 1, 0, 0, false},
		{"other cumulative gas", n, 0, 1, 0, false}, {"other type", n, 0, 0, 1, false},
	} {
		var hashed int
		exec := func(rules *fork.Rules, env *BlockEnv, txs []*Message, src state.Source) ([]*Result, state.Diff, error) {
			ov := state.NewOverlay(src)
			l := NewReceiptLeaves(tc.n)
			var out []*Result
			var cum uint64
			for i, m := range txs {
				r, err := Apply(rules, env, m, ov, Config{})
				if err != nil {
					return nil, nil, err
				}
				ov.Apply(r.Diff)
				cum += r.GasUsed
				j := (i + tc.shift) % n
				l.Hash(r, j, m.Type+tc.typ, cum+tc.cumOff)
				hashed++
				if tc.corrupt {
					r.leaf[len(r.leaf)-1] ^= 1
				}
				out = append(out, r)
			}
			return out, ov.Diff(), nil
		}
		got, err := ExecuteBlock(c, b, pre, BlockOptions{Executor: exec, Workers: 2})
		if err != nil {
			t.Fatal(err)
		}
		if hashed == 0 || (got.ReceiptsRoot != want.ReceiptsRoot) != tc.corrupt || got.GasUsed != want.GasUsed {
			t.Fatalf("%s: root %x, serial %x (%d leaves hashed)", tc.name, got.ReceiptsRoot, want.ReceiptsRoot, hashed)
		}
	}
}
