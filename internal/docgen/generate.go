package docgen

//go:generate go run ./gen -out ../../docs/language.md
