waymark {
  stack = "growth"
}

customer {
  attribute "email" {
    type      = string
    sensitive = true
  }
  attribute "tier" { type = string }
}

event "cart_updated" {
  attribute "cart_value" { type = number }
}
event "checkout_started" {}
event "order_placed" {}
event "signed_up" {}

channel "email" {
  provider = smtp
  host     = "127.0.0.1"
  from     = "Acme <hello@acme.test>"
  to       = customer.email
}

channel "web" {
  provider = inbound
}

channel "ops" {
  provider = webhook
  url      = "https://ops.acme.test/hooks/waymark"
}

journey "cart_recovery" {
  entry {
    event     = event.cart_updated
    condition = event.cart_value > 20
  }
  goal {
    event  = event.order_placed
    within = "14d"
  }

  stage "browsing" {}
  stage "checkout" {
    entry { event = event.checkout_started }
    timeout    = "2h"
    timeout_to = stage.rescue
  }
  stage "rescue" {
    timeout = "1d"
  }

  action "reminder_email" {
    channel = channel.email
    stages  = [stage.browsing, stage.checkout]
    trigger { after = "1h" }
    message {
      subject = "You left something behind"
      body    = "Hello"
    }
  }

  action "vip_banner" {
    channel  = channel.web
    stages   = [stage.checkout, stage.rescue]
    eligible = customer.tier == "gold"
  }
}

journey "onboarding" {
  entry { event = event.signed_up }

  stage "welcome" {}

  action "alert_team" {
    channel = channel.ops
    stages  = [stage.welcome]
  }
}
