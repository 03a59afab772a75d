package funcs

import (
	"strings"
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	cases := []struct {
		in   string
		want time.Duration
		err  string // the reason in the error, after `invalid duration "<in>": `
	}{
		{in: "90s", want: 90 * time.Second},
		{in: "15m", want: 15 * time.Minute},
		{in: "2h", want: 2 * time.Hour},
		{in: "7d", want: 7 * day},
		{in: "4w", want: 4 * week},
		{in: "1h30m", want: 90 * time.Minute},
		{in: "1d12h", want: 36 * time.Hour},
		{in: "1w2d3h4m5s", want: week + 2*day + 3*time.Hour + 4*time.Minute + 5*time.Second},
		{in: "0s", want: 0},
		{in: "1h0m", want: time.Hour},
		{in: "007m", want: 7 * time.Minute},
		{in: "15250w", want: 15250 * week},

		{in: "", err: "the duration is empty"},
		{in: " 1h", err: "spaces are not allowed"},
		{in: "1h ", err: "spaces are not allowed"},
		{in: "1h 30m", err: "spaces are not allowed"},
		{in: "-5m", err: "negative durations are not allowed"},
		{in: "+5m", err: "a sign is not allowed"},
		{in: "1.5h", err: "fractions are not allowed"},
		{in: "0.5s", err: "fractions are not allowed"},
		{in: "500ms", err: "sub-second durations are not supported"},
		{in: "10us", err: "sub-second durations are not supported"},
		{in: "10µs", err: "sub-second durations are not supported"},
		{in: "3ns", err: "sub-second durations are not supported"},
		{in: "10", err: "the number 10 has no unit"},
		{in: "1h30", err: "the number 30 has no unit"},
		{in: "h", err: `the unit "h" has no number before it`},
		{in: "1hm", err: `unknown unit "hm"`},
		{in: "1H", err: `unknown unit "H"`},
		{in: "2days", err: `unknown unit "days"`},
		{in: "1y", err: `unknown unit "y"`},
		{in: "P1D", err: `expected a number at "P1D"`},
		{in: "30m1h", err: `the unit "h" comes after a smaller unit; units go from largest to smallest (w, d, h, m, s)`},
		{in: "1h1h", err: `the unit "h" appears more than once`},
		{in: "15251w", err: "the duration is too long"},
		{in: "99999999999999999999s", err: "the duration is too long"},
		{in: "15250w99999d", err: "the duration is too long"},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseDuration(tc.in)
			if tc.err == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				if got != tc.want {
					t.Fatalf("got %v, want %v", got, tc.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("got %v, want an error", got)
			}
			want := `invalid duration "` + tc.in + `": ` + tc.err + "; " + durationForms
			if err.Error() != want {
				t.Fatalf("got error\n  %s\nwant\n  %s", err, want)
			}
		})
	}
}

func TestUnknownUnitReportsLetters(t *testing.T) {
	// The unit is reported up to the next digit, so a user sees what they
	// wrote.
	_, err := ParseDuration("2day5s")
	if err == nil || !strings.Contains(err.Error(), `unknown unit "day"`) {
		t.Fatalf("got %v", err)
	}
}

func TestFormatDuration(t *testing.T) {
	cases := []struct {
		in   time.Duration
		want string
	}{
		{0, "0s"},
		{time.Second, "1s"},
		{90 * time.Second, "1m30s"},
		{90 * time.Minute, "1h30m"},
		{14 * day, "14d"},
		{4 * week, "28d"},
		{36 * time.Hour, "1d12h"},
		{day + time.Second, "1d1s"},
		{1500 * time.Millisecond, "1s"},
		{999 * time.Millisecond, "0s"},
		{-90 * time.Minute, "-1h30m"},
		{time.Duration(1<<63 - 1), "106751d23h47m16s"},
		{time.Duration(-1 << 63), "-106751d23h47m16s"},
	}
	for _, tc := range cases {
		if got := FormatDuration(tc.in); got != tc.want {
			t.Errorf("FormatDuration(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestDurationRoundTrip(t *testing.T) {
	cases := []struct{ in, canonical string }{
		{"90s", "1m30s"},
		{"15m", "15m"},
		{"2h", "2h"},
		{"7d", "7d"},
		{"4w", "28d"},
		{"1h30m", "1h30m"},
		{"1d12h", "1d12h"},
		{"1w1s", "7d1s"},
		{"0s", "0s"},
		{"3600s", "1h"},
		{"1h60m", "2h"},
		{"15250w", "106750d"},
	}
	for _, tc := range cases {
		d, err := ParseDuration(tc.in)
		if err != nil {
			t.Fatalf("ParseDuration(%q): %v", tc.in, err)
		}
		got := FormatDuration(d)
		if got != tc.canonical {
			t.Errorf("FormatDuration(ParseDuration(%q)) = %q, want %q", tc.in, got, tc.canonical)
		}
		d2, err := ParseDuration(got)
		if err != nil || d2 != d {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", got, d2, err, d)
		}
	}
}

func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"90s", "15m", "2h", "7d", "4w", "1h30m", "1d12h", "0s", "", "1.5h", "500ms", "30m1h", "99999999999999999999s", "1w2d3h4m5s"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration(s)
		if err != nil {
			if !strings.Contains(err.Error(), durationForms) {
				t.Fatalf("error %q does not say what is accepted", err)
			}
			return
		}
		if d < 0 || d%time.Second != 0 {
			t.Fatalf("ParseDuration(%q) = %v: negative or sub-second", s, d)
		}
		canonical := FormatDuration(d)
		d2, err := ParseDuration(canonical)
		if err != nil {
			t.Fatalf("ParseDuration(%q) = %v, but its canonical form %q does not parse: %v", s, d, canonical, err)
		}
		if d2 != d {
			t.Fatalf("ParseDuration(%q) = %v, but its canonical form %q gives %v", s, d, canonical, d2)
		}
		if again := FormatDuration(d2); again != canonical {
			t.Fatalf("not a fixed point: %q -> %q -> %q", s, canonical, again)
		}
	})
}
