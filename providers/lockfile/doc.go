// Package lockfile reads and writes .waymark.lock.hcl, the record of the
// version and the executable hashes of each provider that `waymark init`
// chose, in the layout of Terraform's .terraform.lock.hcl:
//
//	provider "acme/slack" {
//	  version     = "1.2.0"
//	  constraints = "~> 1.2"
//	  hashes = [
//	    "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
//	  ]
//	}
//
// Built-in providers are never locked. A hash is "sha256:" and the hex
// SHA-256 of the provider's executable for one platform.
//
// It must not know where providers are installed or how they are run.
package lockfile
