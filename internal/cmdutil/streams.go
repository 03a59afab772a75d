package cmdutil

import (
	"bytes"
	"io"
	"os"

	"github.com/fatih/color"
	"github.com/mattn/go-isatty"
)

// Streams are a command's standard streams and what is known about them.
type Streams struct {
	In  io.Reader
	Out io.Writer
	Err io.Writer
	// OutTerminal is true when Out is a terminal.
	OutTerminal bool
	// ErrTerminal is true when Err is a terminal.
	ErrTerminal bool
	// Color is true when output may be coloured: a terminal, no NO_COLOR,
	// no -no-color.
	Color bool
	// Getenv reads the environment; tests replace it.
	Getenv func(string) string
}

// System returns the process's own streams.
func System() *Streams {
	out := isatty.IsTerminal(os.Stdout.Fd()) || isatty.IsCygwinTerminal(os.Stdout.Fd())
	errT := isatty.IsTerminal(os.Stderr.Fd()) || isatty.IsCygwinTerminal(os.Stderr.Fd())
	return &Streams{
		In: os.Stdin, Out: os.Stdout, Err: os.Stderr,
		OutTerminal: out, ErrTerminal: errT,
		Color:  out && os.Getenv("NO_COLOR") == "",
		Getenv: os.Getenv,
	}
}

// Test returns streams over buffers, with no terminal and no colour.
func Test() (*Streams, *bytes.Buffer, *bytes.Buffer) {
	var out, errb bytes.Buffer
	return &Streams{In: bytes.NewReader(nil), Out: &out, Err: &errb, Getenv: func(string) string { return "" }}, &out, &errb
}

// Colorize returns a colouring function that does nothing when colour is
// off.
func (s *Streams) Colorize(attrs ...color.Attribute) func(format string, a ...any) string {
	c := color.New(attrs...)
	if s.Color {
		c.EnableColor()
	} else {
		c.DisableColor()
	}
	return c.Sprintf
}
