package lru

import "testing"

// TestCache: a full cache drops the least recently used entry, Get counts
// as a use, and removed entries' room is reused.
func TestCache(t *testing.T) {
	c := New[string, int](3)
	c.Add("a", 1)
	c.Add("b", 2)
	c.Add("c", 3)
	if v, ok := c.Get("a"); !ok || v != 1 {
		t.Fatalf("a: %v %v", v, ok)
	}
	c.Add("d", 4) // drops b, the least recently used
	if _, ok := c.Get("b"); ok {
		t.Fatal("b is still cached, though least recently used")
	}
	for k, want := range map[string]int{"a": 1, "c": 3, "d": 4} {
		if v, ok := c.Get(k); !ok || v != want {
			t.Fatalf("%s: %v %v", k, v, ok)
		}
	}
	c.Add("c", 30)
	c.Remove("a")
	c.Remove("nothing")
	if c.Len() != 2 {
		t.Fatalf("len %d after a removal", c.Len())
	}
	c.Add("e", 5)
	c.Add("f", 6) // full again: drops d (c was used after it)
	if _, ok := c.Get("d"); ok {
		t.Fatal("d is still cached")
	}
	for k, want := range map[string]int{"c": 30, "e": 5, "f": 6} {
		if v, ok := c.Get(k); !ok || v != want {
			t.Fatalf("%s: %v %v", k, v, ok)
		}
	}
	if len(c.entries) != 3 {
		t.Fatalf("%d entries allocated for a cache of 3", len(c.entries))
	}
	for _, k := range []string{"c", "e", "f"} {
		c.Remove(k)
	}
	c.Add("g", 7)
	if v, ok := c.Get("g"); !ok || v != 7 || c.Len() != 1 {
		t.Fatalf("g in an emptied cache: %v %v, len %d", v, ok, c.Len())
	}
}
