# Order confirmations are transactional (docs/governance.md): every order
# gets its receipt at once, whatever the marketing rules say. The email
# channel's weekly cap, its quiet hours and its consent (email_opt_in) do
# not hold it back, and it does not count toward the cap, so a reminder
# after it is still allowed. Its own limit still holds.

journey "order_confirmation" {
  description = "Confirm every order by email."
  reentry     = "after_leaving" # every order after the last one was confirmed

  entry {
    event = event.order_placed
  }

  stage "ordered" {
    description = "Placed an order; the receipt is on its way."
    timeout     = "10m"
  }

  action "receipt_email" {
    description   = "The order confirmation, sent as the order is placed."
    channel       = channel.email
    stages        = [stage.ordered] # no trigger: due on entering the stage
    transactional = true
    limit { # a safety net against a tracker that repeats orders
      max = 20
      per = "1d"
    }
    message {
      subject = "Your ${local.brand} order is confirmed"
      body    = "<p>Thank you, ${customer.first_name}. We have your order and will write again when it ships.</p>"
      text    = "Thank you, ${customer.first_name}. We have your order and will write again when it ships."
    }
  }
}
