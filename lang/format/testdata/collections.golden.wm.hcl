waymark {
  required_providers {
    smtp    = { source = "waymark/smtp", version = "~> 0.1" }
    webhook = { source = "waymark/webhook" }
  }
}

event "order_placed" {
  aliases = ["Order Completed", "order.placed"]
}

locals {
  stages = [
    "browsing",
    "checkout",
  ]
  limits = {
    email        = 3
    sms_and_push = 1
  }
  nested = {
    a = [1, 2, 3]
    b = { x = "y" }
  }
}
