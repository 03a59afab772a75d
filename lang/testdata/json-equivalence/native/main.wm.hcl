variable "min_value" {
  type    = number
  default = 20
}

customer {
  attribute "tier" { type = string }
}

event "cart_updated" {
  attribute "cart_value" { type = number }
}

channel "web" {
  provider = inbound
}

segment "vip" {
  condition = customer.tier == "gold" # a comment that must not matter
}

journey "cart" {
  entry {
    event     = event.cart_updated
    condition = event.cart_value > var.min_value
  }
  stage "browsing" {}
  action "banner" {
    channel  = channel.web
    stages   = [stage.browsing]
    eligible = segment.vip
    value    = 5
    experiment "colour" {
      metric = "conversion"
      variant "red" { weight = 1 }
      variant "blue" {
        weight = 1
        value  = 2
      }
    }
  }
}
