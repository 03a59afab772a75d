package expr

import (
	"sync"
	"testing"
)

// TestNoAllocations checks the promise of the hot paths: evaluating a
// condition over records allocates nothing.
func TestNoAllocations(t *testing.T) {
	env := testEnv()
	a := testActivation(env)
	for _, src := range []string{
		`customer.tier == "gold" && event.cart_value > 20`,
		`customer.tier == "gold" && event.cart_value > 20 && customer.email_opt_in && customer.country != "US"`,
		`segment.vip || journey.onboarding.stage == "welcome"`,
		`customer.email != null && contains(["gold", "silver"], customer.tier)`,
		`context.page == "checkout" && propensity * value * lever > 1`,
		`event.cart_value >= 20.1 ? customer.age > 3 : length(customer.tags) > 1`,
	} {
		p, err := Compile(src, env)
		if err != nil {
			t.Fatal(err)
		}
		if n := testing.AllocsPerRun(100, func() { p.EvalBool(a) }); n != 0 {
			t.Errorf("%s: %v allocations per EvalBool, want 0", src, n)
		}
	}
	tp, err := CompileTemplate(`Hi ${customer.first_name}, your cart holds ${event.cart_value}`, env)
	if err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(100, func() { tp.Render(a) }); n > 1 {
		t.Errorf("%v allocations per Render, want at most the string's", n)
	}
}

// TestConcurrentEval runs one program from many goroutines (go test -race
// checks that they share nothing mutable).
func TestConcurrentEval(t *testing.T) {
	env := testEnv()
	p, err := Compile(`customer.tier == "gold" && [for t in customer.tags : t][0] == "vip"`, env)
	if err != nil {
		t.Fatal(err)
	}
	tp, err := CompileTemplate(`Hi ${customer.first_name}`, env)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a := testActivation(env)
			for j := 0; j < 200; j++ {
				if r, null := p.EvalBool(a); !r || null {
					t.Errorf("EvalBool = %v, %v", r, null)
					return
				}
				if s, err := tp.Render(a); s != "Hi Ada" || err != nil {
					t.Errorf("Render = %q, %v", s, err)
					return
				}
			}
		}()
	}
	wg.Wait()
}
