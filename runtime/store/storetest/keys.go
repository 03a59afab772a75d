package storetest

import (
	"context"
	"reflect"
	"sync"
	"testing"

	"github.com/waymarkhq/waymark/runtime/store"
)

// testCustomerKeys: a key is added once (the first add wins, also between
// handles adding at once), read back, survives a reopen, and is gone for
// good once deleted; a ref added again after its deletion holds the new
// key.
func testCustomerKeys(t *testing.T, o Opener) {
	ctx := context.Background()
	s, c := open(t, o)
	if got := must(s.CustomerKeys(ctx, []string{"a", "b"})); len(got) != 0 {
		t.Fatalf("keys of an empty store: %v", got)
	}
	got := must(s.AddCustomerKeys(ctx, map[string][]byte{"a": []byte("ka"), "b": []byte("kb")}))
	if want := map[string][]byte{"a": []byte("ka"), "b": []byte("kb")}; !reflect.DeepEqual(got, want) {
		t.Fatalf("added %q, want %q", got, want)
	}
	s2 := share(t, o, s, c)
	got = must(s2.AddCustomerKeys(ctx, map[string][]byte{"a": []byte("other"), "c": []byte("kc")}))
	if want := map[string][]byte{"a": []byte("ka"), "c": []byte("kc")}; !reflect.DeepEqual(got, want) {
		t.Fatalf("adding again: %q, want the first key kept: %q", got, want)
	}
	// Handles adding one ref at once all get the same key.
	var wg sync.WaitGroup
	won := make([]string, 8)
	for i := range won {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h := s
			if i%2 == 1 {
				h = s2
			}
			k, err := h.AddCustomerKeys(ctx, map[string][]byte{"race": {byte('0' + i)}})
			if err != nil {
				t.Error(err)
				return
			}
			won[i] = string(k["race"])
		}()
	}
	wg.Wait()
	for _, w := range won {
		if w != won[0] || w == "" {
			t.Fatalf("concurrent adds got different keys: %q", won)
		}
	}
	check(s.DeleteCustomerKey(ctx, "a"))
	check(s.DeleteCustomerKey(ctx, "nothing"))
	if reopen(t, o, &s, c) {
		s2 = s
	}
	got = must(s2.CustomerKeys(ctx, []string{"a", "b", "c", "z"}))
	if want := map[string][]byte{"b": []byte("kb"), "c": []byte("kc")}; !reflect.DeepEqual(got, want) {
		t.Fatalf("after deleting a: %q, want %q", got, want)
	}
	got = must(s.AddCustomerKeys(ctx, map[string][]byte{"a": []byte("new")}))
	if string(got["a"]) != "new" {
		t.Fatalf("a added after its deletion holds %q", got["a"])
	}
	var _ store.CustomerKeys = s
}
