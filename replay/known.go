package replay

import (
	_ "embed"
	"fmt"
	"io"
	"strings"

	"github.com/velarium/velarium/internal/tabfile"
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
	err := tabfile.Each(r, 2, func(line int, cols []string) error {
		name := strings.TrimSpace(cols[0])
		if len(cols) < 2 || name == "" || strings.TrimSpace(cols[1]) == "" {
			return fmt.Errorf("line %d: want \"test name<TAB>reason\"", line)
		}
		if _, dup := k.reasons[name]; dup {
			return fmt.Errorf("line %d: %s listed twice", line, name)
		}
		k.reasons[name] = strings.TrimSpace(cols[1])
		k.order = append(k.order, name)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return k, nil
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
