package expr

import (
	"math"
	"reflect"
	"testing"
)

func TestValues(t *testing.T) {
	tests := []struct {
		name string
		v    Value
		kind Kind
		null bool
		lit  string
	}{
		{"zero", Value{}, KindDynamic, true, "null"},
		{"null", NullValue(), KindDynamic, true, "null"},
		{"string", String("gold"), KindString, false, `"gold"`},
		{"nfc", String("e\u0301"), KindString, false, `"é"`},
		{"number", Number(20.5), KindNumber, false, "20.5"},
		{"NaN", Number(math.NaN()), KindDynamic, true, "null"},
		{"bool", Bool(true), KindBool, false, "true"},
		{"nil list", List(nil), KindStringList, false, "[]"},
		{"list", List([]string{"a", "e\u0301"}), KindStringList, false, `["a", "é"]`},
	}
	for _, tt := range tests {
		if tt.v.Kind() != tt.kind || tt.v.IsNull() != tt.null || tt.v.GoString() != tt.lit {
			t.Errorf("%s: kind %v, null %v, %s; want %v, %v, %s", tt.name, tt.v.Kind(), tt.v.IsNull(), tt.v.GoString(), tt.kind, tt.null, tt.lit)
		}
	}
	if !String("e\u0301").Equal(String("\u00e9")) {
		t.Error("strings are not compared in normal form C")
	}
	if String("1").Equal(Number(1)) || !NullValue().Equal(Value{}) || Number(0).Equal(NullValue()) {
		t.Error("Equal does not follow ==")
	}
	ss := []string{"a", "b"}
	if l := List(ss); &l.AsList()[0] != &ss[0] {
		t.Error("List copied a slice that was normalized already")
	}
}

func TestLayout(t *testing.T) {
	l := NewLayout(map[string]Kind{"tier": KindString, "age": KindNumber, "id": KindNumber})
	if got, want := l.Names(), []string{"id", "age", "tier"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Names = %v, want %v", got, want)
	}
	if s, ok := l.Slot("tier"); !ok || s != 2 || l.Kind(s) != KindString {
		t.Errorf("Slot(tier) = %d, %v, kind %v", s, ok, l.Kind(s))
	}
	if l.Kind(0) != KindString {
		t.Errorf("id is of kind %v, want string whatever attrs says", l.Kind(0))
	}
	if _, ok := l.Slot("nope"); ok || l.Kind(9) != KindDynamic {
		t.Error("an unknown name has a slot")
	}
	if r := l.NewRecord(); len(r) != 3 || !r[1].IsNull() {
		t.Errorf("NewRecord = %v", r)
	}
}

// TestRecordsOutOfContract: short records, and values of another kind
// than their slot's, read as null on both paths.
func TestRecordsOutOfContract(t *testing.T) {
	env := testEnv()
	a := testActivation(env)
	age, _ := env.Customer.Slot("age")
	a.Customer[age] = String("37")
	a.Event = a.Event[:1]
	for src, want := range map[string]Value{
		`customer.age == null`:         Bool(true),
		`event.cart_value == null`:     Bool(true),
		`jsonencode(customer.age)`:     String("null"),
		`jsonencode(event.cart_value)`: String("null"),
	} {
		p, err := Compile(src, env)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.Eval(a); !got.Equal(want) {
			t.Errorf("%s = %#v, want %#v", src, got, want)
		}
	}
}
