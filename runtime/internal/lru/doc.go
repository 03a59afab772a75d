// Package lru is a bounded cache that drops the least recently used entry
// when full. Its entries live in one slice linked by index, so a full cache
// allocates nothing more as entries come and go.
package lru
