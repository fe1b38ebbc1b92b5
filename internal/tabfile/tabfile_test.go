package tabfile

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// TestEach: comments and blank lines are skipped, line numbers count every
// line, the last column keeps further tabs, CRLF endings are dropped, and
// fn's error stops the walk.
func TestEach(t *testing.T) {
	in := "# header\n\na\tb\tc\td\r\n  # indented comment\nx\n"
	var got [][]string
	var lines []int
	err := Each(strings.NewReader(in), 3, func(line int, cols []string) error {
		lines = append(lines, line)
		got = append(got, cols)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := [][]string{{"a", "b", "c\td"}, {"x"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("records %q, want %q", got, want)
	}
	if want := []int{3, 5}; !reflect.DeepEqual(lines, want) {
		t.Errorf("lines %v, want %v", lines, want)
	}
	stop := errors.New("stop")
	n := 0
	if err := Each(strings.NewReader("a\nb\n"), 0, func(int, []string) error { n++; return stop }); err != stop || n != 1 {
		t.Errorf("error %v after %d records, want stop after 1", err, n)
	}
}
