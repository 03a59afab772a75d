package cfgload

import (
	"fmt"
	"strings"
)

func cutEq(s string) (string, string, bool) {
	name, value, ok := strings.Cut(s, "=")
	name = strings.TrimSpace(name)
	return name, value, ok && name != ""
}

func errInvalidVar(s string) error {
	return fmt.Errorf("invalid -var %q: write -var 'name=value'", s)
}
