package units

import (
	"math"
	"strconv"
)

var steps = []struct {
	n    int64
	name string
}{{86400, "d"}, {3600, "h"}, {60, "m"}, {1, "s"}}

// Duration prints sec seconds in at most parts units, the largest first
// ("3d4h" with two, "3d4h12m" with three), a zero unit ending it early;
// under ten seconds to a tenth ("4.5s").
func Duration(sec float64, parts int) string {
	neg := ""
	if sec < 0 {
		neg, sec = "-", -sec
	}
	if sec < 10 {
		return neg + strconv.FormatFloat(math.Round(sec*10)/10, 'f', -1, 64) + "s"
	}
	s := int64(math.Round(sec))
	for i, u := range steps {
		if s < u.n {
			continue
		}
		out := neg + strconv.FormatInt(s/u.n, 10) + u.name
		rest := s % u.n
		for _, v := range steps[i+1 : min(i+parts, len(steps))] {
			if rest/v.n == 0 {
				break
			}
			out += strconv.FormatInt(rest/v.n, 10) + v.name
			rest %= v.n
		}
		return out
	}
	return "0s"
}

// Percent prints a share (0 to 1) as a percentage to a tenth: "57.1%".
func Percent(v float64) string {
	return strconv.FormatFloat(math.Round(v*1000)/10, 'f', 1, 64) + "%"
}
