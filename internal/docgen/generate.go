package docgen

//go:generate go run ./gen -out ../../docs/language.md
//go:generate go run ./gen -testing -out ../../docs/testing.md
