package views

import (
	"reflect"

	"github.com/waymarkhq/waymark/planner/plans"
)

// op is one element of a list change: kept (NoOp), deleted or created.
type op struct {
	action plans.Action
	value  any
}

// diffSlices pairs two lists along their longest common subsequence; at
// each gap the deleted elements come before the created ones.
func diffSlices(before, after []any) []op {
	n, m := len(before), len(after)
	// lcs[i][j] is the length of the LCS of before[i:] and after[j:].
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if reflect.DeepEqual(before[i], after[j]) {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	out := make([]op, 0, max(n, m))
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && reflect.DeepEqual(before[i], after[j]):
			out = append(out, op{plans.NoOp, before[i]})
			i++
			j++
		case i < n && (j == m || lcs[i+1][j] >= lcs[i][j+1]):
			out = append(out, op{plans.Delete, before[i]})
			i++
		default:
			out = append(out, op{plans.Create, after[j]})
			j++
		}
	}
	return out
}
