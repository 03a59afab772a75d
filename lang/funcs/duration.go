package funcs

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
)

// day and week are the duration units longer than an hour.
const (
	day  = 24 * time.Hour
	week = 7 * day
)

// durationUnits are the units of the duration syntax, largest first. The
// order is the order in which units must appear in a compound duration.
var durationUnits = []struct {
	sym  byte
	size time.Duration
}{
	{'w', week},
	{'d', day},
	{'h', time.Hour},
	{'m', time.Minute},
	{'s', time.Second},
}

// durationForms is appended to every parse error, so that a user who got the
// syntax wrong sees what is accepted.
const durationForms = `write whole numbers with the units s, m, h, d or w, largest unit first and with no spaces, such as "90s", "15m", "2h", "7d", "4w" or "1h30m"`

// ParseDuration parses a Waymark duration: one or more whole numbers each
// followed by a unit (s, m, h, d for 24 hours, w for 7 days), largest unit
// first, each unit at most once, with no spaces or signs: "90s", "15m", "2h",
// "7d", "4w", "1h30m", "1d12h". "0s" is the zero duration; callers that need
// a positive duration check the result. Fractions, negative values and
// sub-second units are errors, and every error names the input and the
// accepted forms.
func ParseDuration(s string) (time.Duration, error) {
	fail := func(reason string, args ...any) (time.Duration, error) {
		return 0, fmt.Errorf("invalid duration %q: %s; %s", s, fmt.Sprintf(reason, args...), durationForms)
	}
	if s == "" {
		return fail("the duration is empty")
	}
	if strings.TrimSpace(s) != s || strings.ContainsAny(s, " \t\r\n") {
		return fail("spaces are not allowed")
	}

	var total time.Duration
	next := 0 // index into durationUnits of the largest unit still allowed
	rest := s
	for rest != "" {
		n := 0
		for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
			n++
		}
		if n == 0 {
			switch rest[0] {
			case '-':
				return fail("negative durations are not allowed")
			case '+':
				return fail("a sign is not allowed")
			}
			if unitIndex(rest[0]) >= 0 {
				return fail("the unit %q has no number before it", rest[:1])
			}
			return fail("expected a number at %q", rest)
		}
		digits := rest[:n]
		rest = rest[n:]
		if rest == "" {
			return fail("the number %s has no unit", digits)
		}
		if rest[0] == '.' || rest[0] == ',' {
			return fail("fractions are not allowed")
		}
		for _, sub := range []string{"ms", "us", "µs", "ns"} {
			if strings.HasPrefix(rest, sub) {
				return fail("sub-second durations are not supported")
			}
		}
		u := unitIndex(rest[0])
		if u < 0 || len(rest) > 1 && (rest[1] < '0' || rest[1] > '9') {
			return fail("unknown unit %q", unitAt(rest))
		}
		if u < next {
			if durationUnits[u].sym == durationUnits[next-1].sym {
				return fail("the unit %q appears more than once", rest[:1])
			}
			return fail("the unit %q comes after a smaller unit; units go from largest to smallest (w, d, h, m, s)", rest[:1])
		}
		next = u + 1
		rest = rest[1:]

		v, err := strconv.ParseInt(digits, 10, 64)
		size := durationUnits[u].size
		if err != nil || v > int64(math.MaxInt64/size) || time.Duration(v)*size > math.MaxInt64-total {
			return fail("the duration is too long")
		}
		total += time.Duration(v) * size
	}
	return total, nil
}

// unitIndex returns the index in durationUnits of the unit written c, or -1.
func unitIndex(c byte) int {
	for i, u := range durationUnits {
		if u.sym == c {
			return i
		}
	}
	return -1
}

// unitAt returns the letters at the start of s, for naming an unknown unit.
func unitAt(s string) string {
	end := strings.IndexFunc(s, func(r rune) bool { return r >= '0' && r <= '9' })
	if end < 0 {
		return s
	}
	return s[:end]
}

// FormatDuration returns the canonical form of d: the units d, h, m and s,
// largest first, omitting those that are zero ("14d", "1h30m", "0s"). Weeks
// are written as days, so "4w" formats as "28d". Any sub-second part is
// dropped, since the syntax has none. For every duration that ParseDuration
// accepts, FormatDuration(ParseDuration(x)) is a fixed point.
func FormatDuration(d time.Duration) string {
	var b strings.Builder
	u := uint64(d)
	if d < 0 {
		b.WriteByte('-')
		u = -u
	}
	u /= uint64(time.Second)
	if u == 0 {
		return b.String() + "0s"
	}
	for _, unit := range durationUnits[1:] { // no weeks in the canonical form
		size := uint64(unit.size / time.Second)
		if n := u / size; n > 0 {
			b.WriteString(strconv.FormatUint(n, 10))
			b.WriteByte(unit.sym)
			u -= n * size
		}
	}
	return b.String()
}

// durationFunc is duration(s): the length of a Waymark duration in seconds.
var durationFunc = function.New(&function.Spec{
	Description: `Returns the length in seconds of a duration written like "90s", "15m", "2h", "7d", "4w" or "1h30m".`,
	Params: []function.Parameter{{
		Name:        "duration",
		Description: `A duration: whole numbers with the units s, m, h, d or w, largest first.`,
		Type:        cty.String,
	}},
	Type: function.StaticReturnType(cty.Number),
	RefineResult: func(b *cty.RefinementBuilder) *cty.RefinementBuilder {
		return b.NotNull().NumberRangeLowerBound(cty.Zero, true)
	},
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		d, err := ParseDuration(args[0].AsString())
		if err != nil {
			return cty.NilVal, function.NewArgError(0, err)
		}
		return cty.NumberIntVal(int64(d / time.Second)), nil
	},
})
