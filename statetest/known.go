package statetest

import (
	_ "embed"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/velarium/velarium/fork"
	"github.com/velarium/velarium/internal/tabfile"
)

//go:embed known-failures.txt
var knownFailuresTxt string

// KnownFailure is one post entry that is expected to fail, with why.
type KnownFailure struct {
	// Path is the fixture file relative to the statetests/ folder of the
	// fixtures, with forward slashes.
	Path   string
	Test   string
	Fork   string
	Index  int
	Reason string
}

// KnownFailures is a set of expected failures, looked up by entry.
type KnownFailures struct {
	list  []KnownFailure
	byKey map[knownKey][]int
}

type knownKey struct {
	test, fork string
	index      int
}

// forkKey canonicalizes a fork name so that aliases match.
func forkKey(name string) string {
	if id, ok := fork.ByName(name); ok {
		return id.String()
	}
	return strings.ToLower(name)
}

// DefaultKnownFailures returns the checked-in list (known-failures.txt in
// this package, embedded in the binary).
func DefaultKnownFailures() *KnownFailures {
	k, err := ParseKnownFailures(strings.NewReader(knownFailuresTxt))
	if err != nil {
		panic("statetest: embedded known-failures.txt: " + err.Error())
	}
	return k
}

// ParseKnownFailures reads a known-failures list: one entry per line with
// the tab-separated columns path (under statetests/), test name, fork, post
// index and reason. Empty lines and lines starting with # are ignored.
func ParseKnownFailures(r io.Reader) (*KnownFailures, error) {
	k := &KnownFailures{byKey: make(map[knownKey][]int)}
	err := tabfile.Each(r, 5, func(line int, cols []string) error {
		if len(cols) < 4 {
			return fmt.Errorf("line %d: want at least 4 tab-separated columns, have %d", line, len(cols))
		}
		idx, err := strconv.Atoi(strings.TrimSpace(cols[3]))
		if err != nil {
			return fmt.Errorf("line %d: bad index %q", line, cols[3])
		}
		f := KnownFailure{Path: filepath.ToSlash(strings.TrimSpace(cols[0])), Test: cols[1], Fork: cols[2], Index: idx}
		if len(cols) == 5 {
			f.Reason = cols[4]
		}
		k.add(f)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return k, nil
}

func (k *KnownFailures) add(f KnownFailure) {
	key := knownKey{f.Test, forkKey(f.Fork), f.Index}
	k.byKey[key] = append(k.byKey[key], len(k.list))
	k.list = append(k.list, f)
}

// All returns every entry in file order.
func (k *KnownFailures) All() []KnownFailure {
	if k == nil {
		return nil
	}
	return append([]KnownFailure(nil), k.list...)
}

// Len returns the number of entries.
func (k *KnownFailures) Len() int {
	if k == nil {
		return 0
	}
	return len(k.list)
}

// Lookup reports whether the entry (file, test, fork, index) is a known
// failure and why. file may be any path to the fixture: it matches an entry
// whose Path equals it or is a suffix of it at a path-separator boundary.
func (k *KnownFailures) Lookup(file, test, forkName string, index int) (reason string, ok bool) {
	if k == nil {
		return "", false
	}
	file = filepath.ToSlash(file)
	for _, i := range k.byKey[knownKey{test, forkKey(forkName), index}] {
		p := k.list[i].Path
		if file == p || strings.HasSuffix(file, "/"+p) {
			return k.list[i].Reason, true
		}
	}
	return "", false
}
