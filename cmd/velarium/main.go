// Command velarium is the Velarium execution engine's command-line tool.
//
// Usage:
//
//	velarium <command> [arguments]
//
// Run `velarium help` for the list of commands and `velarium help <command>`
// (or `velarium <command> -h`) for one command's usage.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/velarium/velarium/internal/fixtures"
)

// command is one subcommand. To add one, define it in its own file and
// register it from an init function.
type command struct {
	name  string
	short string // one line, shown by `velarium help`
	// usage prints the full help of the command (flags included) to w.
	usage func(w io.Writer)
	// run executes the command with the arguments after its name and
	// returns the process exit status.
	run func(args []string) int
}

var commands = map[string]*command{}

func register(c *command) {
	if _, dup := commands[c.name]; dup {
		panic("velarium: command registered twice: " + c.name)
	}
	commands[c.name] = c
}

func sortedCommands() []*command {
	out := make([]*command, 0, len(commands))
	for _, c := range commands {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

func mainUsage(w io.Writer) {
	fmt.Fprintf(w, "Velarium is an Ethereum execution engine.\n\nUsage:\n\n\tvelarium <command> [arguments]\n\nCommands:\n\n")
	width := len("help")
	for _, c := range sortedCommands() {
		width = max(width, len(c.name))
	}
	for _, c := range sortedCommands() {
		fmt.Fprintf(w, "\t%-*s  %s\n", width, c.name, c.short)
	}
	fmt.Fprintf(w, "\t%-*s  %s\n", width, "help", "show help for velarium or one command")
	fmt.Fprintf(w, "\nUse \"velarium help <command>\" for more information about a command.\n")
}

func help(args []string) int {
	if len(args) == 0 {
		mainUsage(os.Stdout)
		return 0
	}
	if args[0] == "help" {
		fmt.Fprintln(os.Stdout, "usage: velarium help [command]\n\nShows help for velarium or for one command.")
		return 0
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(os.Stderr, "velarium help: unknown command %q\n", args[0])
		mainUsage(os.Stderr)
		return 2
	}
	c.usage(os.Stdout)
	return 0
}

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	if len(args) == 0 {
		mainUsage(os.Stderr)
		return 2
	}
	name := args[0]
	switch name {
	case "help", "-h", "-help", "--help":
		return help(args[1:])
	}
	c, ok := commands[name]
	if !ok {
		fmt.Fprintf(os.Stderr, "velarium: unknown command %q\n", name)
		if strings.HasPrefix(name, "-") {
			fmt.Fprintln(os.Stderr, "(flags go after the command name)")
		}
		fmt.Fprintln(os.Stderr, "Run 'velarium help' for usage.")
		return 2
	}
	return c.run(args[1:])
}

// jsonInputs expands PATH arguments (a .json file, or a folder searched
// recursively for .json files) into a list of files without repeats; with
// no argument it takes <fixtures>/sub. Unreadable paths are reported on
// stderr (unreadable is then true) and skipped. ok is false when there is
// nothing to run from: no PATH and no fixtures.
func jsonInputs(cmd string, args []string, sub string) (paths []string, unreadable, ok bool) {
	if len(args) == 0 {
		root, err := fixtures.Root()
		if err != nil {
			fmt.Fprintf(os.Stderr, "velarium %s: no PATH given and no fixtures: %v\n", cmd, err)
			return nil, false, false
		}
		args = []string{filepath.Join(root, sub)}
	}
	seen := map[string]bool{}
	for _, arg := range args {
		files, err := fixtures.JSONFiles(arg)
		if err != nil {
			fmt.Fprintf(os.Stderr, "velarium %s: %v\n", cmd, err)
			unreadable = true
			continue
		}
		if len(files) == 0 {
			fmt.Fprintf(os.Stderr, "velarium %s: %s: no .json files\n", cmd, arg)
			unreadable = true
			continue
		}
		for _, f := range files {
			if !seen[f] {
				seen[f] = true
				paths = append(paths, f)
			}
		}
	}
	return paths, unreadable, true
}

// parseArgs parses a command's arguments: -h/--help anywhere (before "--")
// prints the usage on stdout; flags may come before, between or after the
// positional arguments, which it returns. done is true when the command
// should exit with status (0 after help, 2 on a bad flag, already reported
// on stderr by the flag set).
func parseArgs(fs *flag.FlagSet, args []string) (pos []string, status int, done bool) {
	if wantsHelp(args) {
		fs.SetOutput(os.Stdout)
		fs.Usage()
		return nil, 0, true
	}
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, 0, true
		}
		return nil, 2, true
	}
	return pos, 0, false
}

// parseInterspersed parses flags that may come before, between or after
// the positional arguments ("--" ends the flags).
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if len(args) > 0 && len(rest) < len(args) && args[len(args)-len(rest)-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

func wantsHelp(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		if a == "-h" || a == "-help" || a == "--help" {
			return true
		}
	}
	return false
}
