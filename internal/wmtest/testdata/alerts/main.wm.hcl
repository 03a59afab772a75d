event "cart_updated" {}
event "checkout_started" {}

channel "web" {
  provider = inbound
}

channel "ops" {
  provider = webhook
  url      = "http://127.0.0.1:1/hooks" # never reached: the sink takes alerts
}

journey "cart" {
  entry { event = event.cart_updated }
  stage "browsing" {}
  stage "checkout" {
    entry { event = event.checkout_started }
    timeout = "1d"
  }
  kpi "checkout_dropoff" {
    metric = dropoff(stage.checkout)
    window = "7d"
    target {
      below       = 0.4
      min_samples = 2
    }
    alert { channel = channel.ops }
  }
}
