package expr

import (
	"fmt"
	"testing"
)

// BenchmarkCompileLargeEnv compiles one expression in an environment of n
// journeys and segments: a deployment compiles one expression per action,
// so the cost of one compile must not grow with n.
func BenchmarkCompileLargeEnv(b *testing.B) {
	for _, n := range []int{10, 1000, 10000} {
		env := &Env{
			Customer: NewLayout(map[string]Kind{"tier": KindString}),
			Segments: map[string]int{},
			Journeys: map[string]int{},
			Context:  true,
		}
		for i := 0; i < n; i++ {
			env.Segments[fmt.Sprintf("s%d", i)] = i
			env.Journeys[fmt.Sprintf("j%d", i)] = i
		}
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			for b.Loop() {
				if _, err := Compile(`segment.s1 && journey.j2.stage == "checkout" && customer.tier == "gold"`, env); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
