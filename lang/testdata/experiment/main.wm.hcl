journey "cart" {
  entry {
    event     = event.cart_updated
    condition = event.cart_value > 20
  }
  goal {
    event  = event.order_placed
    within = "14d"
  }
  stage "browsing" {}
  stage "checkout" {}
  action "reminder" {
    channel = channel.email
    stages  = [stage.checkout]
    message {
      subject = "Your cart"
      body    = "Come back"
    }
    experiment "subject" {
      control = "plain"
      metric  = kpi.orders
      variant "plain" { weight = 45 }
      variant "urgent" {
        weight = 45
        message { subject = "Last chance: ${customer.tier}" }
        trigger { after = "2h" }
      }
      variant "none" {
        weight  = 10
        holdout = true
      }
    }
  }
  kpi "orders" {
    metric = conversion()
    window = "7d"
  }
  kpi "slow" {
    metric = time_to_goal(0.5)
    window = "7d"
  }
}
