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
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
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
