package evm

import (
	"sync"

	"github.com/ethereum/go-ethereum/common"
	"github.com/velarium/velarium/fork"
)

// codePadding is appended to code so that PUSH32 at the last byte reads zeros
// and running off the end reads STOP, without bounds checks in the loop.
const codePadding = 33

// codeInfo is the analysis of one code under one fork: padded code, valid
// jump destinations, and the summed constant gas of each straight-line run.
// It is immutable once built and shared between goroutines.
type codeInfo struct {
	code     []byte // padded; len(code) == size + codePadding
	size     int
	jumpdest []uint64 // bit set of valid JUMPDEST positions
	// blockGas[pc] is, at the first pc of a straight-line run, the constant
	// gas of every op in the run; 0 elsewhere (and for runs costing nothing).
	blockGas []uint32
}

func (c *codeInfo) validJump(dest uint64) bool {
	if dest >= uint64(c.size) {
		return false
	}
	return c.jumpdest[dest>>6]&(1<<(dest&63)) != 0
}

func analyze(code []byte, t *opTable) *codeInfo {
	n := len(code)
	padded := make([]byte, n+codePadding)
	copy(padded, code)
	ci := &codeInfo{code: padded, size: n, jumpdest: make([]uint64, (n+63)/64+1), blockGas: make([]uint32, n+codePadding)}
	start, sum := 0, uint64(0)
	flush := func(next int) {
		if sum > 0xffffffff {
			sum = 0xffffffff // unreachable with real gas limits; keeps the charge conservative
		}
		ci.blockGas[start] = uint32(sum)
		start, sum = next, 0
	}
	for pc := 0; pc < n; {
		op := code[pc]
		if op == JUMPDEST {
			ci.jumpdest[pc>>6] |= 1 << (pc & 63)
			if pc != start {
				flush(pc)
			}
		}
		info := &t[op]
		sum += info.gas
		next := pc + 1
		if op >= PUSH1 && op <= PUSH32 {
			next += int(op - PUSH1 + 1)
		}
		if info.endsBlock {
			flush(next)
		}
		pc = next
	}
	if start < n {
		flush(n)
	}
	return ci
}

type codeKey struct {
	hash common.Hash
	fork fork.ID
}

// analysisCache caches analyses by code hash and fork. Bounded: when full it
// is emptied (codes are re-analysed on demand), so memory stays limited.
type analysisCache struct {
	mu sync.RWMutex
	m  map[codeKey]*codeInfo
}

const analysisCacheMax = 8192

var codeCache = &analysisCache{m: make(map[codeKey]*codeInfo)}

func (c *analysisCache) get(hash common.Hash, code []byte, f fork.ID) *codeInfo {
	k := codeKey{hash, f}
	c.mu.RLock()
	ci := c.m[k]
	c.mu.RUnlock()
	if ci != nil {
		return ci
	}
	ci = analyze(code, opTables[f])
	c.mu.Lock()
	if len(c.m) >= analysisCacheMax {
		c.m = make(map[codeKey]*codeInfo)
	}
	c.m[k] = ci
	c.mu.Unlock()
	return ci
}
