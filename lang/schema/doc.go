// Package schema declares every block and attribute of the Waymark language
// as Go values: names, labels, kinds, types, defaults and descriptions.
//
// The loader builds its hcl.BodySchemas from these values and the language
// reference in docs/ is generated from them, so the two cannot drift apart.
// The package says what may be written, not what it means: it must not know
// how a configuration is loaded, checked or deployed.
package schema
