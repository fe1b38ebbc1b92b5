package chain

import (
	"encoding/binary"
	"sync"
	"sync/atomic"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"
)

// The receipts root is the root of a Merkle-Patricia trie (Yellow Paper,
// appendix D) mapping rlp(index) to the receipt's EIP-2718 encoding. It
// takes about a seventh of a mainnet block's time on 2 workers, after the
// transactions, so it is computed here on several goroutines: the trie's
// key set is known from the number of receipts alone, so its subtries are
// cut apart before anything is hashed, hashed concurrently, and joined.
// go-ethereum's types.DeriveSha is the tests' oracle.

// ReceiptsRootN is ReceiptsRoot computed on up to workers goroutines (<= 1:
// on the calling one). The result does not depend on workers.
func ReceiptsRootN(rs []*Receipt, workers int) common.Hash {
	if len(rs) == 0 {
		return emptyTrieRoot
	}
	t := indexTrie(len(rs))
	t.value = func(buf []byte, i int) []byte { return appendReceipt(buf, rs[i]) }
	return t.root(workers)
}

// indexTrie returns the trie of the keys rlp(0..n-1) (n > 0), without
// values.
func indexTrie(n int) *mpt {
	keys := make([][]byte, n)
	order := indexKeyOrder(n)
	for _, i := range order {
		keys[i] = rlp.AppendUint64(nil, uint64(i))
	}
	return &mpt{keys: keys, order: order}
}

// emptyTrieRoot is the root of the empty trie: keccak256(rlp("")).
var emptyTrieRoot = common.HexToHash("56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421")

// indexKeyOrder returns 0..n-1 in the byte order of their keys rlp(i):
// 1..127 are the bytes 0x01..0x7f, 0 is 0x80, and from 128 on the keys are
// 0x80+length then the big-endian bytes, ascending with i.
func indexKeyOrder(n int) []int {
	out := make([]int, 0, n)
	for i := 1; i < min(n, 128); i++ {
		out = append(out, i)
	}
	out = append(out, 0)
	for i := 128; i < n; i++ {
		out = append(out, i)
	}
	return out
}

// mpt is a trie over keys (none a prefix of another, as index keys are)
// whose values are produced on demand by value.
type mpt struct {
	keys  [][]byte
	order []int // indexes of keys in ascending key order
	value func(buf []byte, i int) []byte
	// refs of the subtries hashed ahead, by their range in order (the
	// parent of a subtrie holds more keys, and the nodes inside it, which
	// may hold the same ones, are never asked for).
	done map[[2]int][]byte
}

func nibble(k []byte, d int) byte {
	if d%2 == 0 {
		return k[d/2] >> 4
	}
	return k[d/2] & 0x0f
}

// subtrieMin is the fewest keys a subtrie hashed as a task of its own has:
// smaller ones stay with their parent (a task costs a hand-over).
const subtrieMin = 16

// root hashes the trie, its subtries (cut) on workers goroutines first.
func (t *mpt) root(workers int) common.Hash {
	if tasks := t.cut(workers); tasks != nil {
		refs := make([][]byte, len(tasks))
		var next atomic.Int32
		var wg sync.WaitGroup
		work := func() {
			s := newScratch()
			for {
				k := int(next.Add(1)) - 1
				if k >= len(tasks) {
					return
				}
				tk := tasks[k]
				refs[k] = ref(nil, s, t.node(s, tk.lo, tk.hi, tk.d))
			}
		}
		for range min(workers, len(tasks)) - 1 {
			wg.Add(1)
			go func() { defer wg.Done(); work() }()
		}
		work()
		wg.Wait()
		t.done = make(map[[2]int][]byte, len(tasks))
		for k, tk := range tasks {
			t.done[[2]int{tk.lo, tk.hi}] = refs[k]
		}
	}
	return crypto.Keccak256Hash(t.node(newScratch(), 0, len(t.order), 0))
}

// task is a subtrie hashed on its own: the keys order[lo:hi], at nibble
// depth d.
type task struct{ lo, hi, d int }

// cut returns the subtries root hashes concurrently on workers goroutines
// (nil: the whole trie on one): descending from the root until the
// subtries hold at most a share of the keys, so that the workers get
// similar loads.
func (t *mpt) cut(workers int) []task {
	if workers <= 1 || len(t.order) < 2*subtrieMin {
		return nil
	}
	var tasks []task
	share := max(subtrieMin, len(t.order)/(4*workers))
	var cut func(lo, hi, d int)
	cut = func(lo, hi, d int) {
		if hi-lo <= share {
			tasks = append(tasks, task{lo, hi, d})
			return
		}
		d += t.commonPrefix(lo, hi, d)
		for lo < hi {
			e := t.group(lo, hi, d)
			cut(lo, e, d+1)
			lo = e
		}
	}
	cut(0, len(t.order), 0)
	return tasks
}

// ReceiptsRootTasks returns how ReceiptsRootN cuts the receipts trie of a
// block of n receipts for workers goroutines: the receipts (indexes) of
// each subtrie it hashes as a task, in the order the goroutines take
// them; nil when it hashes the whole trie on one. For the simulator's
// model of the root.
func ReceiptsRootTasks(n, workers int) [][]int {
	if workers <= 1 || n < 2*subtrieMin {
		return nil
	}
	t := indexTrie(n)
	tasks := t.cut(workers) // not nil: n and workers pass cut's test above
	out := make([][]int, len(tasks))
	for k, tk := range tasks {
		out[k] = t.order[tk.lo:tk.hi:tk.hi]
	}
	return out
}

// commonPrefix returns how many nibbles from d the keys of order[lo:hi]
// (sorted, at least two) share: those of the first and the last.
func (t *mpt) commonPrefix(lo, hi, d int) int {
	a, b := t.keys[t.order[lo]], t.keys[t.order[hi-1]]
	n := 0
	for d+n < 2*len(a) && d+n < 2*len(b) && nibble(a, d+n) == nibble(b, d+n) {
		n++
	}
	return n
}

// group returns the end of the run of keys from order[lo] that share its
// nibble d.
func (t *mpt) group(lo, hi, d int) int {
	c := nibble(t.keys[t.order[lo]], d)
	e := lo + 1
	for e < hi && nibble(t.keys[t.order[e]], d) == c {
		e++
	}
	return e
}

// scratch is one goroutine's reusable buffers.
type scratch struct {
	val, leaf []byte
	h         crypto.KeccakState
	sum       common.Hash // the hash being read out (a local would escape)
}

func newScratch() *scratch { return &scratch{h: crypto.NewKeccakState()} }

// node returns the encoding of the node holding the keys order[lo:hi] at
// nibble depth d. A leaf's encoding lives in s until the next leaf.
func (t *mpt) node(s *scratch, lo, hi, d int) []byte {
	if hi-lo == 1 {
		i := t.order[lo]
		k := t.keys[i]
		s.val = t.value(s.val[:0], i)
		var path [40]byte
		p := appendCompact(path[:0], k, d, 2*len(k), true)
		b := appendRLPListHeader(s.leaf[:0], int(rlp.BytesSize(p)+rlp.BytesSize(s.val)))
		b = appendRLPString(b, p)
		s.leaf = appendRLPString(b, s.val)
		return s.leaf
	}
	if n := t.commonPrefix(lo, hi, d); n > 0 {
		// Extension node: the shared nibbles, then the branch below.
		var path [40]byte
		p := appendCompact(path[:0], t.keys[t.order[lo]], d, d+n, false)
		items := appendRLPString(make([]byte, 0, 80), p)
		items = t.child(items, s, lo, hi, d+n)
		return append(appendRLPListHeader(make([]byte, 0, len(items)+3), len(items)), items...)
	}
	// Branch node: sixteen children by nibble d, and no value (no key ends
	// here: none is a prefix of another).
	items := make([]byte, 0, 16*33+1)
	c := 0
	for lo < hi {
		nb := int(nibble(t.keys[t.order[lo]], d))
		for ; c < nb; c++ {
			items = append(items, 0x80)
		}
		e := t.group(lo, hi, d)
		items = t.child(items, s, lo, e, d+1)
		c++
		lo = e
	}
	for ; c < 17; c++ {
		items = append(items, 0x80)
	}
	return append(appendRLPListHeader(make([]byte, 0, len(items)+3), len(items)), items...)
}

// child appends the reference to the node order[lo:hi] at depth d: hashed
// ahead (done), or computed now.
func (t *mpt) child(dst []byte, s *scratch, lo, hi, d int) []byte {
	if r, ok := t.done[[2]int{lo, hi}]; ok {
		return append(dst, r...)
	}
	return ref(dst, s, t.node(s, lo, hi, d))
}

// ref appends how a parent refers to a node: its encoding itself when
// shorter than 32 bytes, its keccak256 hash otherwise.
func ref(dst []byte, s *scratch, enc []byte) []byte {
	if len(enc) < 32 {
		return append(dst, enc...)
	}
	s.h.Reset()
	s.h.Write(enc)
	s.h.Read(s.sum[:])
	dst = append(dst, 0xa0)
	return append(dst, s.sum[:]...)
}

// appendCompact appends the hex-prefix encoding of the nibbles [from, to)
// of k, flagged as a leaf's or an extension's path.
func appendCompact(buf, k []byte, from, to int, leaf bool) []byte {
	flag := byte(0)
	if leaf {
		flag = 2
	}
	n := to - from
	if n%2 == 1 {
		buf = append(buf, (flag+1)<<4|nibble(k, from))
		from++
	} else {
		buf = append(buf, flag<<4)
	}
	for d := from; d < to; d += 2 {
		buf = append(buf, nibble(k, d)<<4|nibble(k, d+1))
	}
	return buf
}

// RLP (Yellow Paper, appendix B).

func appendRLPString(buf, s []byte) []byte {
	if len(s) == 1 && s[0] < 0x80 {
		return append(buf, s[0])
	}
	return append(appendRLPHeader(buf, 0x80, len(s)), s...)
}

func appendRLPListHeader(buf []byte, n int) []byte { return appendRLPHeader(buf, 0xc0, n) }

func appendRLPHeader(buf []byte, base byte, n int) []byte {
	if n < 56 {
		return append(buf, base+byte(n))
	}
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(n))
	k := 0
	for k < 7 && b[k] == 0 {
		k++
	}
	buf = append(buf, base+55+byte(8-k))
	return append(buf, b[k:]...)
}

// appendReceipt appends a receipt's consensus encoding (EIP-2718: the type
// byte, then the RLP list, for typed receipts; the list alone for legacy
// ones): [status, cumulativeGasUsed, logsBloom, [[address, [topics], data]...]]
// with the status (EIP-658) as the empty string (0: failed) or 0x01 (any
// other value, as go-ethereum reads it). Every type above 0 is encoded so,
// including types no fork defines yet (go-ethereum writes their type
// byte alone); execution never makes them.
func appendReceipt(buf []byte, r *Receipt) []byte {
	if r.Type != 0 {
		buf = append(buf, r.Type)
	}
	logsLen := 0
	for i := range r.Logs {
		logsLen += listSize(logSize(&r.Logs[i]))
	}
	payload := 1 + rlp.IntSize(r.CumulativeGasUsed) + int(rlp.BytesSize(r.Bloom[:])) + listSize(logsLen)
	buf = appendRLPListHeader(buf, payload)
	if r.Status != 0 {
		buf = append(buf, 0x01)
	} else {
		buf = append(buf, 0x80)
	}
	buf = rlp.AppendUint64(buf, r.CumulativeGasUsed)
	buf = appendRLPString(buf, r.Bloom[:])
	buf = appendRLPListHeader(buf, logsLen)
	for i := range r.Logs {
		l := &r.Logs[i]
		buf = appendRLPListHeader(buf, logSize(l))
		buf = appendRLPString(buf, l.Address[:])
		buf = appendRLPListHeader(buf, 33*len(l.Topics))
		for _, tp := range l.Topics {
			buf = appendRLPString(buf, tp[:])
		}
		buf = appendRLPString(buf, l.Data)
	}
	return buf
}

// logSize is the payload size of a log's RLP list.
func logSize(l *Log) int {
	return 21 + listSize(33*len(l.Topics)) + int(rlp.BytesSize(l.Data))
}

// listSize is the encoded size of an RLP list with n bytes of content.
func listSize(n int) int { return int(rlp.ListSize(uint64(n))) }
