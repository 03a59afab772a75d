// Package bench measures Waymark's runtime expressions side by side with
// the expression engines users compare it with: expr-lang/expr and
// google/cel-go (published as cel.dev/cel-go). It is a separate module so
// that neither becomes a dependency of the product; it holds benchmarks
// only and must not be imported.
//
// Run it from this directory:
//
//	go test -run '^$' -bench . -benchmem -count 5 ./...
package bench
