// Package tabfile reads the project's tab-separated list files (the
// known-failures lists of replay and statetest): one record per line,
// columns separated by tabs, blank lines and lines starting with # skipped.
package tabfile

import (
	"bufio"
	"io"
	"strings"
)

// Each calls fn for every record of r with its 1-based line number and its
// columns (at most max of them: the last keeps any further tabs; max <= 0:
// no limit). Carriage returns ending a line are dropped. It stops at the
// first error fn returns, or a read error. Lines may be up to 1 MiB.
func Each(r io.Reader, max int, fn func(line int, cols []string) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		s := strings.TrimRight(sc.Text(), "\r")
		if t := strings.TrimSpace(s); t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		n := max
		if n <= 0 {
			n = -1
		}
		if err := fn(line, strings.SplitN(s, "\t", n)); err != nil {
			return err
		}
	}
	return sc.Err()
}
