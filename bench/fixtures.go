// Package bench measures Velarium against go-ethereum, side by side in one
// process: single transactions (the evm-benchmarks state tests, the older
// evmone benchmark set, and ERC-20 / WETH / Uniswap V3 transactions built on
// pevm's contracts) and whole mainnet blocks (the pevm set).
//
// It lives in a module of its own so that go-ethereum's interpreter is never
// linked into the velarium binary. The command is cmd/velabench; see
// README.md for what it measures and how.
package bench

import (
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
)

// expandHex decodes the hex notation of the evmone benchmark files: plain
// hex, spaces ignored, and "(Nx<hex>)" meaning <hex> repeated N times.
func expandHex(s string) ([]byte, error) {
	var b strings.Builder
	s = strings.Join(strings.Fields(s), "")
	for len(s) > 0 {
		i := strings.IndexByte(s, '(')
		if i < 0 {
			b.WriteString(s)
			break
		}
		b.WriteString(s[:i])
		j := strings.IndexByte(s[i:], ')')
		if j < 0 {
			return nil, fmt.Errorf("unclosed '(' in %q", trunc(s[i:], 40))
		}
		inner := s[i+1 : i+j]
		x := strings.IndexByte(inner, 'x')
		if x < 0 {
			return nil, fmt.Errorf("bad repetition %q", inner)
		}
		n, err := strconv.Atoi(inner[:x])
		if err != nil {
			return nil, fmt.Errorf("bad repetition count %q", inner[:x])
		}
		b.WriteString(strings.Repeat(inner[x+1:], n))
		s = s[i+j+1:]
	}
	h := strings.TrimPrefix(b.String(), "0x")
	out, err := hex.DecodeString(h)
	if err != nil {
		return nil, fmt.Errorf("invalid hex: %w", err)
	}
	return out, nil
}

func trunc(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

func mustHex(s string) []byte {
	b, err := hex.DecodeString(strings.TrimPrefix(strings.TrimSpace(s), "0x"))
	if err != nil {
		panic(err)
	}
	return b
}
