// Package provschema describes what a channel provider accepts: the
// attributes of a channel block that uses it and of an action's message
// block, and how the loader asks a provider to validate them.
//
// It is the contract between the language and the providers: lang validates
// channel and message bodies through a Source, and the providers package
// serves these same values from real plugin processes. It must not know
// about plugins, gRPC or how a Source finds its providers.
package provschema
