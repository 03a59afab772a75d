package modeleval

import (
	"math"
	"sort"

	"github.com/waymarkhq/waymark/runtime/models"
)

// lr is an offline logistic regression over one-hot bins: numbers by
// the deciles of the training values, symbols as they are, missing its
// own bin; fitted by Newton's method with an L2 penalty.
type lr struct {
	edges map[string][]float64
	index map[string]int // predictor \x00 bin label
	w     []float64
}

func (m *lr) cols(x models.Features, add bool) []int {
	out := []int{0}
	for _, f := range x {
		var label string
		switch f.Kind {
		case models.Missing:
			label = "\x01missing"
		case models.Number:
			label = "\x02" + string(rune('a'+sort.SearchFloat64s(m.edges[f.Name], f.Num)))
		default:
			label = f.Sym
		}
		k := f.Name + "\x00" + label
		i, ok := m.index[k]
		if !ok {
			if !add {
				continue
			}
			i = len(m.index) + 1
			m.index[k] = i
		}
		out = append(out, i)
	}
	return out
}

func fitLR(rows []Row, lambda float64) *lr {
	m := &lr{edges: map[string][]float64{}, index: map[string]int{}}
	nums := map[string][]float64{}
	for _, r := range rows {
		for _, f := range r.X {
			if f.Kind == models.Number {
				nums[f.Name] = append(nums[f.Name], f.Num)
			}
		}
	}
	for name, v := range nums {
		sort.Float64s(v)
		var e []float64
		for i := 1; i < 10; i++ {
			q := v[i*len(v)/10]
			if len(e) == 0 || q > e[len(e)-1] {
				e = append(e, q)
			}
		}
		m.edges[name] = e
	}
	X := make([][]int, len(rows))
	for i, r := range rows {
		X[i] = m.cols(r.X, true)
	}
	d := len(m.index) + 1
	m.w = make([]float64, d)
	for iter := 0; iter < 12; iter++ {
		g := make([]float64, d)
		H := make([][]float64, d)
		for i := range H {
			H[i] = make([]float64, d)
			H[i][i] = lambda
			g[i] = lambda * m.w[i]
		}
		H[0][0] -= lambda // no penalty on the intercept
		g[0] -= lambda * m.w[0]
		for i, cs := range X {
			z := 0.0
			for _, c := range cs {
				z += m.w[c]
			}
			p := 1 / (1 + math.Exp(-z))
			y := 0.0
			if rows[i].Y {
				y = 1
			}
			for _, a := range cs {
				g[a] += p - y
				for _, b := range cs {
					H[a][b] += p * (1 - p)
				}
			}
		}
		step := solve(H, g)
		for i := range m.w {
			m.w[i] -= step[i]
		}
	}
	return m
}

func (m *lr) predict(x models.Features) float64 {
	z := 0.0
	for _, c := range m.cols(x, false) {
		z += m.w[c]
	}
	return 1 / (1 + math.Exp(-z))
}

// solve solves H s = g by Gaussian elimination with partial pivoting.
func solve(H [][]float64, g []float64) []float64 {
	n := len(g)
	a := make([][]float64, n)
	for i := range a {
		a[i] = append(append([]float64(nil), H[i]...), g[i])
	}
	for c := 0; c < n; c++ {
		p := c
		for r := c + 1; r < n; r++ {
			if math.Abs(a[r][c]) > math.Abs(a[p][c]) {
				p = r
			}
		}
		a[c], a[p] = a[p], a[c]
		if a[c][c] == 0 {
			continue
		}
		for r := c + 1; r < n; r++ {
			f := a[r][c] / a[c][c]
			for k := c; k <= n; k++ {
				a[r][k] -= f * a[c][k]
			}
		}
	}
	s := make([]float64, n)
	for r := n - 1; r >= 0; r-- {
		v := a[r][n]
		for k := r + 1; k < n; k++ {
			v -= a[r][k] * s[k]
		}
		if a[r][r] != 0 {
			s[r] = v / a[r][r]
		}
	}
	return s
}
