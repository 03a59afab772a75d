package lru

// Cache holds at most its capacity of entries. The zero value is not
// usable: make one with New. It is not safe for concurrent use.
type Cache[K comparable, V any] struct {
	index   map[K]int32
	entries []entry[K, V]
	free    []int32 // entries removed, to reuse
	head    int32   // most recently used, -1 when empty
	max     int
}

type entry[K comparable, V any] struct {
	key        K
	val        V
	prev, next int32 // towards the head and the tail; the list is circular
}

// New makes a cache of at most n entries (at least one).
func New[K comparable, V any](n int) *Cache[K, V] {
	return &Cache[K, V]{index: map[K]int32{}, head: -1, max: min(max(n, 1), 1<<31-1)}
}

// Len is the number of entries.
func (c *Cache[K, V]) Len() int { return len(c.index) }

// Get returns the value of key and makes it the most recently used.
func (c *Cache[K, V]) Get(key K) (V, bool) {
	i, ok := c.index[key]
	if !ok {
		var zero V
		return zero, false
	}
	c.toFront(i)
	return c.entries[i].val, true
}

// Add sets the value of key, the most recently used, dropping the least
// recently used entry if the cache is full.
func (c *Cache[K, V]) Add(key K, val V) {
	if i, ok := c.index[key]; ok {
		c.entries[i].val = val
		c.toFront(i)
		return
	}
	var i int32
	switch {
	case len(c.free) > 0:
		i = c.free[len(c.free)-1]
		c.free = c.free[:len(c.free)-1]
	case len(c.entries) < c.max:
		c.entries = append(c.entries, entry[K, V]{})
		i = int32(len(c.entries) - 1)
	default:
		i = c.entries[c.head].prev // the tail
		delete(c.index, c.entries[i].key)
		c.unlink(i)
	}
	c.entries[i] = entry[K, V]{key: key, val: val}
	c.index[key] = i
	c.link(i)
}

// Remove drops key.
func (c *Cache[K, V]) Remove(key K) {
	i, ok := c.index[key]
	if !ok {
		return
	}
	delete(c.index, key)
	c.unlink(i)
	var zero entry[K, V]
	c.entries[i] = zero
	c.free = append(c.free, i)
}

// link puts the unlinked entry i at the head.
func (c *Cache[K, V]) link(i int32) {
	if c.head < 0 {
		c.entries[i].prev, c.entries[i].next = i, i
	} else {
		h := c.head
		t := c.entries[h].prev
		c.entries[i].prev, c.entries[i].next = t, h
		c.entries[t].next, c.entries[h].prev = i, i
	}
	c.head = i
}

// unlink takes entry i out of the list.
func (c *Cache[K, V]) unlink(i int32) {
	p, n := c.entries[i].prev, c.entries[i].next
	if n == i {
		c.head = -1
		return
	}
	c.entries[p].next, c.entries[n].prev = n, p
	if c.head == i {
		c.head = n
	}
}

func (c *Cache[K, V]) toFront(i int32) {
	if c.head != i {
		c.unlink(i)
		c.link(i)
	}
}
