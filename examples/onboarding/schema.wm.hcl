# The customer profile and the event types this stack reads.
#
# Customer attributes and event types are runtime-wide: every stack that
# declares one must declare it exactly alike. email, email_opt_in,
# first_name, timezone and order_placed match the growth and care stacks;
# plan matches the care stack.

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
  attribute "plan" {
    type        = string
    default     = "free"
    description = "Subscription plan: free, plus or pro."
  }
  attribute "signup_source" {
    type        = string
    default     = "web"
    description = "Where the account was created: web, ios, android, partner or import."
  }
  attribute "country" {
    type        = string
    default     = ""
    description = "ISO 3166-1 alpha-2 country code of the shipping address."
  }
}

event "signed_up" {
  aliases = ["Signed Up"]
  attribute "plan" { type = string }
  attribute "source" { type = string }
}

event "profile_completed" {
  aliases     = ["Profile Completed"]
  description = "The customer filled in name, address and preferences."
}

event "product_viewed" {
  aliases = ["Product Viewed"]
  attribute "product_id" { type = string }
  attribute "category" { type = string }
}

event "order_placed" {
  aliases = ["Order Completed"] # the name a Segment tracker sends
  attribute "amount" { type = number }
}
