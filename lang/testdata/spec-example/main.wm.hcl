waymark {
  required_version = ">= 0.1.0"
  stack            = "growth" # the deployment unit on the runtime

  required_providers {
    smtp    = { source = "waymark/smtp", version = "~> 0.1" }
    webhook = { source = "waymark/webhook" }
  }
}

variable "discount_pct" {
  type    = number
  default = 10
  validation {
    condition     = var.discount_pct > 0 && var.discount_pct <= 50
    error_message = "The discount must be between 1 and 50 percent."
  }
}

locals {
  brand = "Acme"
}

customer {
  attribute "email" {
    type      = string
    sensitive = true
  }
  attribute "email_opt_in" {
    type    = bool
    default = false
  }
  attribute "first_name" {
    type    = string
    default = ""
  }
  attribute "tier" {
    type    = string
    default = "standard"
  }
  attribute "timezone" { type = string } # IANA name, used by quiet_hours
}

event "cart_updated" {
  attribute "cart_value" { type = number }
}
event "checkout_started" {}
event "order_placed" {
  aliases = ["Order Completed"] # the name a Segment tracker sends
  attribute "amount" { type = number }
}
event "ticket_opened" {}
event "survey_answered" {
  attribute "score" { type = number }
}

channel "email" {
  provider = smtp
  host     = "127.0.0.1"
  port     = 1025
  from     = "${local.brand} <hello@acme.test>"
  to       = customer.email        # a recipient field of the smtp schema
  consent  = customer.email_opt_in # never contacted on this channel without it

  limit { # contact policy for the whole channel, across all stacks
    max = 3
    per = "7d"
  }
  quiet_hours {
    start    = "21:00"
    end      = "08:00"
    timezone = "UTC" # when the customer has none
    on_quiet = "defer"
  }
}

channel "web" {
  provider = inbound # built in: answered through the decide API, never delivered
}

channel "ops" {
  provider = webhook
  url      = "https://ops.acme.test/hooks/waymark"
}

segment "vip" {
  condition = customer.tier == "gold"
}

journey "cart_recovery" {
  description   = "Bring shoppers with an abandoned cart back to checkout."
  reentry       = "after_leaving"
  reentry_after = "30d"

  entry {
    event     = event.cart_updated
    condition = event.cart_value > 20
  }
  goal {
    event  = event.order_placed
    within = "14d"
  }
  exit {
    event = event.ticket_opened # no selling to a customer with an open issue
  }

  stage "browsing" {}
  stage "checkout" {
    entry { event = event.checkout_started }
    timeout = "2h" # then the customer leaves the journey as timed out
  }

  action "reminder_email" {
    channel = channel.email
    stages  = [stage.browsing, stage.checkout]
    trigger {
      after  = "1h"                 # after entering the first of these stages
      unless = [event.order_placed] # cancelled if this happens first
    }
    eligible = customer.email != null
    value    = 1
    limit {
      max = 1
      per = "3d"
    }
    suppress {
      after_ignores = 3
      for           = "30d"
    }
    message { # its schema comes from the channel's provider
      subject = "${customer.first_name}, you left something behind"
      body    = templatefile("templates/reminder.html", { discount = var.discount_pct })
    }
  }

  action "vip_discount_banner" {
    channel  = channel.web
    stages   = [stage.checkout]
    eligible = segment.vip
    value    = 5
    lever    = 1.5
  }

  kpi "conversion" {
    metric = conversion()
    window = "7d"
    target { above = 0.25 }
  }
  kpi "checkout_dropoff" {
    metric = dropoff(stage.checkout)
    window = "7d"
    target { below = 0.4 }
    alert { channel = channel.ops }
  }
  kpi "satisfaction" {
    metric = nps(event.survey_answered.score)
    window = "30d"
    target {
      above       = 20
      min_samples = 50
    }
  }
}

arbitration {
  priority      = propensity * value * lever
  max_actions   = 3    # at most this many in one decide answer
  max_outbound  = 1    # at most this many sent when timers fall due together
  control_group = 0.05 # share of customers who get a random eligible action

  limit { # across every channel
    max = 5
    per = "7d"
  }
}
