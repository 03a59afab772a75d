package cmdutil

import "fmt"

// Exit codes, as Terraform's.
const (
	ExitOK      = 0
	ExitFailure = 1
	ExitChanges = 2 // plan -detailed-exitcode: the plan has changes
)

// ExitError ends a command with a code. Its message, if any, has already
// been written (diagnostics print themselves); Silent errors print nothing
// more.
type ExitError struct {
	Code   int
	Err    error
	Silent bool
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// Exit returns an error that ends the command with code and prints nothing
// more.
func Exit(code int) error { return &ExitError{Code: code, Silent: true} }
