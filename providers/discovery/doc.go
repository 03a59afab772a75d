// Package discovery finds provider executables: the built-in providers,
// which are the waymark binary re-executed, and the others in the search
// directories (.waymark/providers, ~/.waymark.d/providers, the directories
// in WAYMARK_PROVIDER_PATH), laid out as
//
//	<namespace>/<name>/<version>/<os>_<arch>/waymark-provider-<name>
//
// It chooses versions by Terraform-style constraints, installs a chosen
// version into .waymark/providers, and turns the lock file's choices into
// the executables a host runs.
//
// It must not know how a provider is run or spoken to (the host), nor how
// the configuration is parsed: callers hand it Requirements.
package discovery
