# The customer profile and the event types this stack reads.
#
# Customer attributes and event types are runtime-wide: every stack that
# declares one must declare it exactly alike. email, email_opt_in,
# first_name, timezone, order_placed and ticket_opened match the growth
# stack; plan matches the lifecycle stack.

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
  attribute "open_tickets" {
    type        = number
    default     = 0
    description = "Support tickets open now. The helpdesk sends it as a trait with every ticket event."
  }
  attribute "tickets_90d" {
    type        = number
    default     = 0
    description = "Support tickets opened in the last 90 days, sent by the helpdesk."
  }
  attribute "churn_score" {
    type        = number
    default     = 0
    description = "Likelihood to churn in the next 90 days, 0 to 1, scored nightly by the data team."
  }
}

event "ticket_opened" {
  description = "A support ticket was opened, sent by the helpdesk."
  attribute "ticket_id" { type = string }
  attribute "category" { type = string }
}

event "ticket_resolved" {
  description = "A support ticket was solved, sent by the helpdesk."
  attribute "ticket_id" { type = string }
}

event "survey_answered" {
  aliases     = ["Survey Answered"]
  description = "A satisfaction survey was answered; either score may be missing."
  attribute "ticket_id" { type = string }
  attribute "csat" {
    type        = number
    description = "Customer satisfaction, 1 (very unhappy) to 5 (very happy)."
  }
  attribute "nps" {
    type        = number
    description = "How likely to recommend us, 0 to 10."
  }
}

event "order_placed" {
  aliases = ["Order Completed"] # the name a Segment tracker sends
  attribute "amount" { type = number }
}

event "pricing_viewed" {
  aliases = ["Pricing Viewed"]
}

event "plan_upgraded" {
  aliases = ["Plan Upgraded"]
  attribute "plan" { type = string }
}
