package builtin

import (
	"reflect"
	"testing"
)

func TestProvidersMatchSchemas(t *testing.T) {
	schemas := Schemas("1.2.3")
	if len(schemas) != len(Names) {
		t.Fatalf("%d schemas for %d names", len(schemas), len(Names))
	}
	for _, name := range Names {
		p, ok := Provider(name, "1.2.3")
		if !ok {
			t.Fatalf("no provider %s", name)
		}
		want := schemas[Source(name)]
		if want == nil || !reflect.DeepEqual(p.Schema, *want) {
			t.Errorf("%s: provider schema %+v, want %+v", name, p.Schema, want)
		}
		if err := p.Schema.Validate(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if p.Deliver == nil {
			t.Errorf("%s: no Deliver", name)
		}
	}
	if _, ok := Provider("fax", "1"); ok {
		t.Error("Provider(fax) found")
	}
}
