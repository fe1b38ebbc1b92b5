package replay

import (
	"bufio"
	_ "embed"
	"fmt"
	"io"
	"strings"
)

//go:embed known-failures.txt
var knownFailuresTxt string

// KnownFailures lists blockchain tests expected to fail, with why.
type KnownFailures struct {
	reasons map[string]string
	order   []string
}

// DefaultKnownFailures returns the checked-in list (known-failures.txt in
// this package, embedded in the binary).
func DefaultKnownFailures() *KnownFailures {
	k, err := ParseKnownFailures(strings.NewReader(knownFailuresTxt))
	if err != nil {
		panic("replay: embedded known-failures.txt: " + err.Error())
	}
	return k
}

// ParseKnownFailures reads a known-failures list: one test per line, the
// test name and the reason separated by a tab. Empty lines and lines
// starting with # are ignored.
func ParseKnownFailures(r io.Reader) (*KnownFailures, error) {
	k := &KnownFailures{reasons: map[string]string{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		s := strings.TrimRight(sc.Text(), "\r")
		if t := strings.TrimSpace(s); t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		name, reason, ok := strings.Cut(s, "\t")
		name = strings.TrimSpace(name)
		if !ok || name == "" || strings.TrimSpace(reason) == "" {
			return nil, fmt.Errorf("line %d: want \"test name<TAB>reason\"", line)
		}
		if _, dup := k.reasons[name]; dup {
			return nil, fmt.Errorf("line %d: %s listed twice", line, name)
		}
		k.reasons[name] = strings.TrimSpace(reason)
		k.order = append(k.order, name)
	}
	return k, sc.Err()
}

// Lookup reports whether test is listed and why.
func (k *KnownFailures) Lookup(test string) (string, bool) {
	if k == nil {
		return "", false
	}
	r, ok := k.reasons[test]
	return r, ok
}

// Names returns the listed tests in file order.
func (k *KnownFailures) Names() []string {
	if k == nil {
		return nil
	}
	return append([]string(nil), k.order...)
}
