package chain

import (
	"bytes"
	"encoding/binary"
	"math/rand"
	"slices"
	"sort"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/ethereum/go-ethereum/trie"
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
}

// TestReceiptsRootTasks: the tasks ReceiptsRootN hashes concurrently (as
// the simulator models them) hold every receipt once, none more than
// max(16, n/(4 workers)); one goroutine, or fewer than 32 receipts, make
// none.
func TestReceiptsRootTasks(t *testing.T) {
	for _, n := range []int{0, 1, 31, 32, 33, 64, 127, 128, 129, 300, 1000, 4097} {
		for _, w := range []int{1, 2, 8, 1 << 20} {
			tasks := ReceiptsRootTasks(n, w)
			if w == 1 || n < 32 {
				if tasks != nil {
					t.Fatalf("%d receipts, %d workers: %d tasks, want none", n, w, len(tasks))
				}
				continue
			}
			seen := make([]bool, n)
			share := max(16, n/(4*w))
			for _, tk := range tasks {
				if len(tk) == 0 || len(tk) > share {
					t.Fatalf("%d receipts, %d workers: a task of %d (share %d)", n, w, len(tk), share)
				}
				for _, i := range tk {
					if seen[i] {
						t.Fatalf("%d receipts, %d workers: receipt %d in two tasks", n, w, i)
					}
					seen[i] = true
				}
			}
			if i := slices.Index(seen, false); i >= 0 {
				t.Fatalf("%d receipts, %d workers: receipt %d in no task", n, w, i)
			}
		}
	}
}
