# This file is maintained by "waymark init".
# Manual edits may be lost when it next runs.

provider "acme/slack" {
  version     = "1.2.0"
  constraints = "~> 1.0"
  hashes = [
    "sha256:$HASH",
  ]
}
