// Package host runs channel providers as go-plugin processes and calls
// them: it launches each provider on first use (verifying its executable's
// hash against the lock), negotiates the protocol version over the
// handshake with automatic mutual TLS, logs the provider's standard error
// through hclog under the provider's name, restarts a provider that died on
// its next use (retrying once the call that found it dead), gives every
// call a deadline, and kills every process on Close. On Linux each child
// also gets the parent-death signal, so that no provider outlives a host
// killed with SIGKILL.
//
// Host implements provschema.Source for the language loader, and offers
// Configure, Deliver and Health for the runtime's delivery outbox.
//
// It must not know where providers are installed (discovery), what the lock
// file looks like beyond its hashes, or what a provider does.
package host
