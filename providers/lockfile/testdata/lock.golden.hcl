# This file is maintained by "waymark init".
# Manual edits may be lost when it next runs.

provider "acme/slack" {
  version     = "1.2.0"
  constraints = "~> 1.2"
  hashes = [
    "sha256:60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752",
    "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
  ]
}

provider "acme/sms" {
  version = "0.3.1"
  hashes = [
    "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
  ]
}
