// Package a returns *OverloadedError and ErrGone, and a.ErrClosed: only
// ErrGone is declared.
package a

import "errors"

// ErrGone is declared; ErrOverloaded is not, nor is io.ErrSomething
// checked (io is not a package here).
var ErrGone = errors.New("gone")
