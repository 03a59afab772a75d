// Package initcmd implements waymark init: it finds the providers that
// required_providers names, installs them into .waymark/providers, checks
// that each speaks the provider protocol, and writes or checks
// .waymark.lock.hcl.
//
// ReadConfig, which reads required_providers and the channels' providers,
// stands in for the language loader until the loader can be called here.
// It must not know how providers are found or run beyond the discovery and
// host packages' APIs.
package initcmd
