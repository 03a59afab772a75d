package addrs

import "testing"

func TestParseRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Address
	}{
		{"arbitration", Address{Kind: Arbitration}},
		{"customer.attribute.email", Address{Kind: CustomerAttribute, Name: "email"}},
		{"segment.vip", Address{Kind: Segment, Name: "vip"}},
		{"journey.cart", Address{Kind: Journey, Journey: "cart"}},
		{"journey.cart.stage.pay", Address{Kind: Stage, Journey: "cart", Name: "pay"}},
		{`journey.cart["eu"]`, Address{Kind: Journey, Journey: `cart["eu"]`}},
		{`journey.cart[2].kpi.conv`, Address{Kind: KPI, Journey: `cart[2]`, Name: "conv"}},
		{`journey.cart.action.remind["email"]`, Address{Kind: Action, Journey: "cart", Name: `remind["email"]`}},
		{"module.shop.journey.cart", Address{Kind: Journey, Journey: "module.shop.journey.cart"}},
		{`module.shop["eu"].journey.cart.stage.pay`, Address{Kind: Stage, Journey: `module.shop["eu"].journey.cart`, Name: "pay"}},
		{`module.a.module.b[1].journey.c["x"].action.d["y \"z\""]`, Address{Kind: Action, Journey: `module.a.module.b[1].journey.c["x"]`, Name: `d["y \"z\""]`}},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := Parse(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Fatalf("Parse = %#v, want %#v", got, tc.want)
			}
			if s := got.String(); s != tc.in {
				t.Fatalf("String = %s, want %s", s, tc.in)
			}
		})
	}
}

func TestParseRefuses(t *testing.T) {
	for _, in := range []string{
		"journey", "journey.cart.stage", `journey.cart.stage.pay["x"]`, `segment.vip["x"]`,
		`module.shop.segment.vip`, `journey.cart[1.5]`, `journey.cart["a"]["b"]`, "module.shop", "stage.x",
	} {
		if a, err := Parse(in); err == nil {
			t.Errorf("Parse(%s) = %#v, want an error", in, a)
		}
	}
}
