package repocheck

import (
	"os"
	"reflect"
	"testing"
)

// The module has no stale Makefile target nor error named in a comment.
func TestModule(t *testing.T) {
	f, err := os.Open("../../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got, err := PhonyWithoutRule(f); err != nil || len(got) != 0 {
		t.Errorf("Makefile targets declared .PHONY without a rule: %v %v", got, err)
	}
	got, err := StaleErrorNames("../..")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range got {
		t.Errorf("a comment names an error nothing declares: %s", s)
	}
}

// The checks find what is stale in testdata, as they would have found the
// overload error runtime/service's doc named and the Makefile's
// test-short.
func TestFindsStale(t *testing.T) {
	f, err := os.Open("testdata/Makefile.stale")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := PhonyWithoutRule(f)
	if want := []string{"check-generate", "test-short"}; err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("phony without rule: %v %v, want %v", got, err, want)
	}
	names, err := StaleErrorNames("testdata/stale")
	want := []string{"a/a.go:1: OverloadedError", "a/a.go:1: a.ErrClosed", "a/a.go:7: ErrOverloaded"}
	if err != nil || !reflect.DeepEqual(names, want) {
		t.Errorf("stale errors: %q %v, want %q", names, err, want)
	}
}
