package fuzz

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// Compare runs c on both implementations and describes every difference
// ("" when they agree).
func Compare(c *Case) string {
	ours, errO := RunOurs(c)
	geth, errG := RunGeth(c)
	var d []string
	if errO != nil {
		d = append(d, "velarium failed: "+errO.Error())
	}
	if errG != nil {
		d = append(d, "go-ethereum failed: "+errG.Error())
	}
	if len(d) > 0 {
		return strings.Join(d, "\n")
	}
	if (ours.Invalid == nil) != (geth.Invalid == nil) {
		return fmt.Sprintf("validity differs: velarium %v, go-ethereum %v\nvelarium: %s\ngo-ethereum: %s",
			ours.Invalid, geth.Invalid, ours.summary(), geth.summary())
	}
	if ours.Invalid != nil {
		return ""
	}
	if ours.Root != geth.Root {
		d = append(d, fmt.Sprintf("state root: velarium %x, go-ethereum %x", ours.Root, geth.Root))
	}
	if ours.GasUsed != geth.GasUsed {
		d = append(d, fmt.Sprintf("gas used: velarium %d, go-ethereum %d", ours.GasUsed, geth.GasUsed))
	}
	if ours.Status != geth.Status {
		d = append(d, fmt.Sprintf("status: velarium %d (%v), go-ethereum %d (%v)", ours.Status, ours.ExecErr, geth.Status, geth.ExecErr))
	}
	if ours.Status == geth.Status && ours.Reverted != geth.Reverted {
		d = append(d, fmt.Sprintf("failure kind: velarium %v, go-ethereum %v", ours.ExecErr, geth.ExecErr))
	}
	// Return data is only meaningful on success and on REVERT, and for a
	// successful creation go-ethereum returns the deployed code where
	// Velarium returns nothing (neither is consensus).
	created := c.Tx.To == nil && ours.Status == 1
	if ours.Status == geth.Status && ours.Reverted == geth.Reverted && (ours.Status == 1 || ours.Reverted) && !created &&
		!bytes.Equal(ours.ReturnData, geth.ReturnData) {
		d = append(d, fmt.Sprintf("return data: velarium %x, go-ethereum %x", ours.ReturnData, geth.ReturnData))
	}
	if l := diffLogs(ours.Logs, geth.Logs); l != "" {
		d = append(d, l)
	}
	if len(d) == 0 {
		return ""
	}
	return strings.Join(d, "\n") + fmt.Sprintf("\nvelarium: %s\ngo-ethereum: %s", ours.summary(), geth.summary())
}

func (o *Outcome) summary() string {
	if o.Invalid != nil {
		return "invalid: " + o.Invalid.Error()
	}
	return fmt.Sprintf("status=%d gas=%d err=%v logs=%d ret=%x", o.Status, o.GasUsed, o.ExecErr, len(o.Logs), o.ReturnData)
}

func diffLogs(a, b []Log) string {
	if len(a) != len(b) {
		return fmt.Sprintf("logs: velarium %d, go-ethereum %d", len(a), len(b))
	}
	for i := range a {
		x, y := a[i], b[i]
		same := x.Address == y.Address && bytes.Equal(x.Data, y.Data) && len(x.Topics) == len(y.Topics)
		for j := 0; same && j < len(x.Topics); j++ {
			same = x.Topics[j] == y.Topics[j]
		}
		if !same {
			return fmt.Sprintf("log %d: velarium %+v, go-ethereum %+v", i, x, y)
		}
	}
	return ""
}

// check generates the case of input and fails t on a difference.
func check(t *testing.T, input []byte) {
	t.Helper()
	c := Generate(input)
	if d := Compare(c); d != "" {
		t.Fatalf("%s\n\ninput: %x\n\ncase:\n%s%s", d, input, c, disasmAll(c))
	}
}

func disasmAll(c *Case) string {
	var sb strings.Builder
	for _, a := range c.Pre {
		if len(a.Code) > 0 {
			fmt.Fprintf(&sb, "\ncode of %s:\n%s", a.Address, Disasm(a.Code))
		}
	}
	if c.Tx.To == nil {
		fmt.Fprintf(&sb, "\ninit code:\n%s", Disasm(c.Tx.Data))
	}
	return sb.String()
}

// seedInput is the input of generated case seed.
func seedInput(seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, 0x7e1a))
	b := make([]byte, 1024+rng.IntN(1024))
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

// FuzzDifferential compares Velarium with go-ethereum on generated cases.
// Without -fuzz it runs the corpus in testdata/fuzz/FuzzDifferential.
func FuzzDifferential(f *testing.F) {
	for seed := range uint64(16) {
		f.Add(seedInput(seed))
	}
	f.Fuzz(func(t *testing.T, input []byte) {
		check(t, input)
	})
}

// TestDifferentialGenerated runs cases from a fixed range of seeds (fewer
// with -short).
func TestDifferentialGenerated(t *testing.T) {
	n := uint64(2000)
	if testing.Short() {
		n = 200
	}
	for seed := range n {
		input := seedInput(1000 + seed)
		c := Generate(input)
		if d := Compare(c); d != "" {
			t.Errorf("seed %d: %s\n\ninput: %x\n\ncase:\n%s%s", 1000+seed, d, input, c, disasmAll(c))
		}
	}
}

// TestHarnessSanity makes sure cases do run: most are valid and execute,
// with a mix of outcomes, and the two sides are not vacuously equal.
func TestHarnessSanity(t *testing.T) {
	var valid, success, logs, creates int
	forks := map[string]int{}
	for seed := range uint64(100) {
		c := Generate(seedInput(5000 + seed))
		o, err := RunOurs(c)
		if err != nil {
			t.Fatal(err)
		}
		forks[c.Fork.String()]++
		if c.Tx.To == nil {
			creates++
		}
		if o.Invalid == nil {
			valid++
			if o.Status == 1 {
				success++
			}
			if len(o.Logs) > 0 {
				logs++
			}
		} else if testing.Verbose() {
			t.Logf("seed %d invalid: %v", 5000+seed, o.Invalid)
		}
	}
	t.Logf("valid %d, success %d, with logs %d, creates %d, forks %v", valid, success, logs, creates, forks)
	if valid < 60 || success < 10 {
		t.Errorf("generator produces too few useful cases: valid %d, success %d", valid, success)
	}
}
