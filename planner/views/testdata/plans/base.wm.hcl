waymark {
  stack = "growth"
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
}

event "cart_updated" {
  attribute "cart_value" { type = number }
}
event "checkout_started" {}
event "order_placed" {}
event "ticket_opened" {}

channel "web" {
  provider = inbound
}

channel "ops" {
  provider = webhook
  url      = "https://ops.acme.test/hooks/waymark"
}
