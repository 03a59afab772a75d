# One arbitration ranks the actions of every stack on the runtime, so only
# one stack declares it: the growth stack owns it. The lifecycle and care
# stacks have none.

arbitration {
  priority      = propensity * value * lever
  max_actions   = 3    # at most this many in one decide answer
  max_outbound  = 1    # at most this many sent when timers fall due together
  control_group = 0.05 # share of customers who get a random eligible action

  limit { # contacts per customer across every channel and stack
    max = 10
    per = "7d"
  }
}
