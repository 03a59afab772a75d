# A file comment, kept.

/* A block comment
   over two lines. */
waymark {
  stack = "growth" # the deployment unit
  // a line comment before an attribute
  required_version = ">= 0.1.0"
}

arbitration {
  max_actions = 3 # at most this many in one decide answer
  max_outbound = 1 # at most this many at once
  control_group = 0.05 # share of customers

  limit { # across every channel
    max = 5
    per = "7d"
  }
}
