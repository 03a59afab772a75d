package modeleval

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"

	"github.com/waymarkhq/waymark/runtime/models"
)

// Row is one labelled response: the customer as the model sees them, the
// outcome, and the true probability when known (NaN otherwise).
type Row struct {
	X     models.Features
	Y     bool
	Truth float64
}

// Generate makes n responses of customers whose true probability is a
// known function of two numbers, two symbols and their stage in two
// journeys, with three predictors of noise beside; with shift, from the
// middle on the effect of the plan is reversed (a drift the models must
// follow).
func Generate(n int, seed uint64, shift bool) []Row {
	r := rand.New(rand.NewPCG(seed, seed^0x5eed))
	plans := []string{"free", "basic", "pro", "team"}
	regions := []string{"north", "south", "east", "west", "centre", "islands"}
	onboarding := []string{"welcome", "setup", "active"}
	cart := []string{"browsing", "checkout"}
	out := make([]Row, n)
	for i := range out {
		age := 18 + 60*r.Float64()
		spend := math.Exp(r.NormFloat64()*0.8 + 3)
		plan := r.IntN(len(plans))
		region := r.IntN(len(regions))
		z := -1.1
		z += 0.8 * math.Exp(-(age-35)*(age-35)/200) // a bump near 35
		z += 0.35 * math.Log(spend/20)
		effect := []float64{-0.6, 0, 0.5, 0.9}[plan]
		if shift && i >= n/2 {
			effect = -effect
		}
		z += effect
		z += []float64{0.2, -0.1, 0, 0.1, -0.3, 0.3}[region]
		x := models.Features{
			models.NewFeature("customer.age", models.Number, age, ""),
			models.NewFeature("customer.spend", models.Number, spend, ""),
			models.NewFeature("customer.plan", models.Symbol, 0, plans[plan]),
			models.NewFeature("customer.region", models.Symbol, 0, regions[region]),
			models.NewFeature("customer.noise", models.Number, r.Float64(), ""),
			models.NewFeature("customer.colour", models.Symbol, 0, []string{"red", "green", "blue"}[r.IntN(3)]),
			models.NewFeature("context.page", models.Symbol, 0, []string{"home", "cart", "search"}[r.IntN(3)]),
		}
		if r.IntN(10) == 0 {
			x[0] = models.NewFeature("customer.age", models.Missing, 0, "")
			z -= 0.3
		}
		if k := r.IntN(4); k < 3 {
			x = append(x, models.NewFeature("stage.growth/onboarding", models.Symbol, 0, onboarding[k]))
			z += []float64{-0.2, 0.4, 0.1}[k]
		} else {
			x = append(x, models.NewFeature("stage.growth/onboarding", models.Missing, 0, ""))
		}
		if k := r.IntN(3); k < 2 {
			x = append(x, models.NewFeature("stage.growth/cart", models.Symbol, 0, cart[k]))
			z += []float64{0, 0.6}[k]
		} else {
			x = append(x, models.NewFeature("stage.growth/cart", models.Missing, 0, ""))
		}
		p := 1 / (1 + math.Exp(-z))
		out[i] = Row{X: x, Y: r.Float64() < p, Truth: p}
	}
	return out
}

// ReadCSV reads rows from a CSV file with a header: the column label is
// the outcome (1, true, yes or a positive outcome name for positive), every
// other column a predictor (customer.<column>): a number when it parses as
// one, else a symbol; empty, NA or null is missing.
func ReadCSV(r io.Reader, label string) ([]Row, error) {
	cr := csv.NewReader(bufio.NewReader(r))
	cr.ReuseRecord = false
	head, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("reading the header: %w", err)
	}
	li := -1
	for i, h := range head {
		if h == label {
			li = i
		}
	}
	if li < 0 {
		return nil, fmt.Errorf("no column %q in the header %v", label, head)
	}
	var rows []Row
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		row := Row{Truth: math.NaN()}
		for i, v := range rec {
			if i == li {
				y, ok := positive(v)
				if !ok {
					return nil, fmt.Errorf("line %d: the label %q is not 0/1, true/false or yes/no", line, v)
				}
				row.Y = y
				continue
			}
			row.X = append(row.X, feature("customer."+head[i], v))
		}
		rows = append(rows, row)
	}
}

// ReadJSONL reads rows from JSON Lines: one object per line, the label a
// field of it, every other field a predictor.
func ReadJSONL(r io.Reader, label string) ([]Row, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	var rows []Row
	for line := 1; sc.Scan(); line++ {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var obj map[string]any
		if err := json.Unmarshal(sc.Bytes(), &obj); err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		lv, ok := obj[label]
		if !ok {
			return nil, fmt.Errorf("line %d: no field %q", line, label)
		}
		row := Row{Truth: math.NaN()}
		if row.Y, ok = positive(fmt.Sprint(lv)); !ok {
			return nil, fmt.Errorf("line %d: the label %v is not 0/1, true/false or yes/no", line, lv)
		}
		keys := make([]string, 0, len(obj))
		for k := range obj {
			if k != label {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			v := obj[k]
			s := ""
			if v != nil {
				s = fmt.Sprint(v)
			}
			row.X = append(row.X, feature("customer."+k, s))
		}
		rows = append(rows, row)
	}
	return rows, sc.Err()
}

func feature(name, v string) models.Feature {
	v = strings.TrimSpace(v)
	switch strings.ToLower(v) {
	case "", "na", "null", "none", "unknown":
		return models.NewFeature(name, models.Missing, 0, "")
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
		return models.NewFeature(name, models.Number, f, "")
	}
	return models.NewFeature(name, models.Symbol, 0, v)
}

func positive(v string) (bool, bool) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "1", "1.0", "true", "yes", "y", "accepted", "clicked", "converted":
		return true, true
	case "0", "0.0", "false", "no", "n", "rejected", "ignored", "unsubscribed":
		return false, true
	}
	return false, false
}
