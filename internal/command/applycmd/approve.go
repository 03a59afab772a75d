package applycmd

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/fatih/color"
	"github.com/mattn/go-isatty"

	"github.com/waymarkhq/waymark/internal/cmdutil"
)

// Question is what a command asks before it changes the runtime.
type Question struct {
	// Ask is the question: "Do you want to perform these actions?"
	Ask string
	// Detail is said under it, before "Only 'yes' will be accepted".
	Detail string
	// Cancelled is printed when the answer is not yes: "Apply cancelled."
	Cancelled string
	// Command is the command that asks: apply.
	Command string
	// Flag is the flag that answers yes beforehand: -auto-approve.
	Flag string
}

// ErrNoTerminal refuses to ask on a standard input that is not a
// terminal.
var ErrNoTerminal = errors.New("standard input is not a terminal")

// Approve asks q on s and reads the answer from s.In, where interactive
// says a person can answer it: nil when the answer is yes; else it prints
// q.Cancelled and ends the command with status 1. A standard input that is
// not a terminal is refused with ErrNoTerminal.
func Approve(s *cmdutil.Streams, interactive bool, q Question) error {
	if err := CanAsk(interactive, q); err != nil {
		return err
	}
	bold := s.Colorize(color.Bold)
	fmt.Fprintf(s.Out, "\n%s\n  %s\n  Only 'yes' will be accepted to approve.\n\n  %s", bold("%s", q.Ask), q.Detail, bold("Enter a value: "))
	line, err := bufio.NewReader(s.In).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("reading the answer: %w", err)
	}
	fmt.Fprintln(s.Out)
	if strings.TrimSpace(line) != "yes" {
		fmt.Fprintf(s.Out, "%s\n", q.Cancelled)
		return cmdutil.Exit(cmdutil.ExitFailure)
	}
	return nil
}

// CanAsk returns the error Approve would end with, without asking, when
// no one can answer q: a command checks it before it prints the plan it
// would ask about.
func CanAsk(interactive bool, q Question) error {
	if !interactive {
		return fmt.Errorf("%s asks for yes before it changes the runtime, and %w to answer on: pass %s to approve beforehand, or run it in a terminal", q.Command, ErrNoTerminal, q.Flag)
	}
	return nil
}

// Interactive reports whether in is a terminal that a person can answer
// questions on.
func Interactive(in io.Reader) bool {
	f, ok := in.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}
