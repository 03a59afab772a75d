package rtexpr

import (
	"fmt"

	"github.com/agext/levenshtein"
)

// suggest returns the name closest to given among names, if one is close
// enough to be a likely typo (as HCL's own suggestions), else "". Ties go
// to the name that sorts first, so that messages are deterministic.
func suggest(given string, names []string) string {
	best, bestDist := "", 3
	for _, n := range names {
		d := levenshtein.Distance(given, n, nil)
		if d < bestDist || (d == bestDist && n < best) {
			best, bestDist = n, d
		}
	}
	return best
}

// didYouMean is " Did you mean "x"?" for the suggestion, or "".
func didYouMean(given string, names []string) string {
	if s := suggest(given, names); s != "" && s != given {
		return fmt.Sprintf(" Did you mean %q?", s)
	}
	return ""
}
