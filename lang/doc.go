// Package lang loads a Waymark configuration: the *.wm.hcl and *.wm.json
// files of one directory, read with hashicorp/hcl/v2 and go-cty, checked
// against the language's schema (package schema), with static references
// resolved and kind-checked, config-time expressions evaluated, runtime
// expressions partially evaluated and type-checked (package rtexpr), and
// channel and message bodies validated against their providers' schemas
// (package provschema). The result is the configuration's deployable form
// (package deploy) and the diagnostics, with ranges, of everything wrong.
//
// lang imports nothing of Waymark's outside its own tree. It must not know
// about the runtime, the planner, plugin processes or the CLI: providers
// reach it through provschema.Source, and callers render its diagnostics.
package lang
