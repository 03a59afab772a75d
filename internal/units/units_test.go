package units

import "testing"

func TestDuration(t *testing.T) {
	for _, c := range []struct {
		sec   float64
		parts int
		want  string
	}{
		{0, 2, "0s"},
		{4.44, 2, "4.4s"},
		{12, 2, "12s"},
		{59.6, 2, "1m"},
		{3600, 2, "1h"},
		{3600 + 61, 2, "1h1m"},
		{3*86400 + 4*3600 + 12*60 + 9, 2, "3d4h"},
		{3*86400 + 4*3600 + 12*60 + 9, 3, "3d4h12m"},
		{3*86400 + 12*60, 3, "3d"}, // a zero hour ends it
		{429500, 3, "4d23h18m"},
		{-90, 2, "-1m30s"},
	} {
		if got := Duration(c.sec, c.parts); got != c.want {
			t.Errorf("Duration(%v, %d) = %q, want %q", c.sec, c.parts, got, c.want)
		}
	}
}

func TestPercent(t *testing.T) {
	for v, want := range map[float64]string{0: "0.0%", 0.5714285714285714: "57.1%", 1: "100.0%", 0.99951: "100.0%"} {
		if got := Percent(v); got != want {
			t.Errorf("Percent(%v) = %q, want %q", v, got, want)
		}
	}
}
