package limits

import "fmt"

// The limits on configuration. docs/limits.md lists them for users; keep the
// two in step.
const (
	// MaxFileBytes bounds a file that the loader, file or templatefile
	// reads.
	MaxFileBytes = 4 << 20
	// MaxNesting bounds how deeply source nests: brackets, braces,
	// parentheses, interpolations, template directives, and the operators
	// of one expression each count one level.
	MaxNesting = 256
	// MaxNumberDigits bounds the digits of a number literal, and of a
	// string converted to a number.
	MaxNumberDigits = 1000
	// MaxNumberExp bounds the binary exponent of a config-time number
	// (about 1e±1233), so that printing one stays cheap.
	MaxNumberExp = 4096

	// MaxStringBytes bounds the bytes of the strings in one value, at
	// every level.
	MaxStringBytes = 16 << 20
	// MaxElements bounds the elements (and object attributes) of one
	// value, at every level.
	MaxElements = 1 << 20
	// MaxValueDepth bounds how deeply one value nests.
	MaxValueDepth = MaxNesting

	// MaxForIterations bounds the iterations of the for expressions of one
	// expression, nested ones included.
	MaxForIterations = 1 << 20
	// LoadIterations, LoadElements and LoadBytes are the budget of one
	// load: the for iterations, and the elements and string bytes of the
	// results of functions and templates, in all its expressions.
	LoadIterations = 8 << 20
	LoadElements   = 16 << 20
	LoadBytes      = 256 << 20
)

// Error is a limit that an expression or a value passed. Functions return
// it; callers recognise it to give the diagnostic its Summary.
type Error struct {
	Summary string
	Detail  string
}

func (e *Error) Error() string { return e.Detail }

func errorf(summary, format string, args ...any) *Error {
	return &Error{Summary: summary, Detail: fmt.Sprintf(format, args...)}
}
