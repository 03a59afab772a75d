// Package builtin lists the providers built into the waymark binary:
// inbound, webhook, smtp and log. Each lives in its own sub-package, written
// with the same SDK that outside authors use.
//
// It must not know about the CLI or the runtime; they reach the providers
// through the providers host.
package builtin
