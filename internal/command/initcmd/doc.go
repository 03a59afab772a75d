// Package initcmd implements waymark init: it finds the providers that
// required_providers names, installs them into .waymark/providers, checks
// that each speaks the provider protocol, and writes or checks
// .waymark.lock.hcl.
//
// ReadConfig reads required_providers and the channels' providers from the
// files cfgload.ReadFiles reads, the language loader's files, without the
// loader, which needs the providers installed. The package must not know how providers are found or run beyond the discovery and
// host packages' APIs.
package initcmd
