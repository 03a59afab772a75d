# The customer profile and the event types this stack reads.
#
# Customer attributes and event types are runtime-wide: every stack that
# declares one must declare it exactly alike, or the runtime refuses the
# deployment. email, email_opt_in, first_name, timezone, order_placed and
# ticket_opened are declared the same way in the lifecycle and care stacks.

customer {
  attribute "email" {
    type        = string
    sensitive   = true
    description = "Where email is sent. Only the smtp channel's to may read it."
  }
  attribute "email_opt_in" {
    type        = bool
    default     = false
    description = "Marketing email consent, set by the preference centre."
  }
  attribute "first_name" {
    type    = string
    default = ""
  }
  attribute "timezone" {
    type        = string
    description = "IANA time zone name, used by the channels' quiet hours."
  }
  attribute "tier" {
    type        = string
    default     = "standard"
    description = "Loyalty tier: standard, silver or gold."
  }
}

event "cart_updated" {
  description = "The shopper added, removed or changed an item in the cart."
  attribute "cart_value" { type = number }
  attribute "item_count" { type = number }
}

event "checkout_started" {
  aliases = ["Checkout Started"]
}

event "payment_started" {
  description = "The shopper reached the payment step."
  attribute "payment_method" { type = string }
}

event "order_placed" {
  aliases = ["Order Completed"] # the name a Segment tracker sends
  attribute "amount" { type = number }
}

event "ticket_opened" {
  description = "A support ticket was opened, sent by the helpdesk."
  attribute "ticket_id" { type = string }
  attribute "category" { type = string }
}

event "unsubscribed" {
  description = "The customer unsubscribed from marketing email."
}
