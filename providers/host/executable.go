package host

import (
	"fmt"
	"slices"
	"strings"

	"github.com/waymarkhq/waymark/providers/lockfile"
)

// Executable is how to run one provider.
type Executable struct {
	// Name is the provider's local name in the configuration (smtp), used
	// in logs.
	Name string
	// Source is its source address (waymark/smtp).
	Source string
	// Version is the version it was installed or built as.
	Version string
	// Path is the executable; Args its arguments (the built-in providers
	// are the waymark binary itself with "__provider NAME").
	Path string
	Args []string
	// Env is added to the host's environment for the process.
	Env []string
	// Hashes are the accepted hashes of Path (lockfile.HashFile), verified
	// before every launch; none means the executable is not checked (the
	// built-in providers, which are the running binary).
	Hashes []string
	// LockedBy names what recorded Hashes, for errors; empty means the
	// lock file (a runtime would say "deployment 42").
	LockedBy string
}

// HashMismatchError is the refusal to run an executable whose hash is not
// one the lock records.
type HashMismatchError struct {
	Source   string
	Path     string
	Want     []string
	Got      string
	LockedBy string // empty for the lock file
}

func (e *HashMismatchError) Error() string {
	by := e.LockedBy
	if by == "" {
		by = lockfile.FileName
	}
	return fmt.Sprintf("provider %s: the executable %s has hash %s, but %s records %s for this provider. "+
		"The executable changed after \"waymark init\" locked it. If you trust the new executable, run \"waymark init -upgrade\" "+
		"to record its hash; otherwise reinstall the locked version.",
		e.Source, e.Path, e.Got, by, strings.Join(e.Want, ", "))
}

// verify checks the executable's hash against e.Hashes.
func (e *Executable) verify() error {
	if len(e.Hashes) == 0 {
		return nil
	}
	got, err := lockfile.HashFile(e.Path)
	if err != nil {
		return fmt.Errorf("provider %s: %w", e.Source, err)
	}
	if !slices.Contains(e.Hashes, got) {
		return &HashMismatchError{Source: e.Source, Path: e.Path, Want: e.Hashes, Got: got, LockedBy: e.LockedBy}
	}
	return nil
}
