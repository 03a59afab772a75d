waymark {
  stack = "growth"
  required_providers {
    inbound = { source = "waymark/inbound" }
  }
}

customer {
  attribute "age" { type = number }
  attribute "colour" { type = string }
  attribute "noise" { type = number }
  attribute "plan" { type = string }
  attribute "region" { type = string }
  attribute "spend" { type = number }
}

event "seen" {}
event "enter_cart" {}
event "cart_checkout" {}
event "enter_onboarding" {}
event "onboarding_active" {}
event "onboarding_welcome" {}

channel "web" {
  provider = inbound
}

arbitration {
  priority      = propensity
  max_actions   = 2
  control_group = 0
  model {
    half_life_responses = 3000
  }
}

journey "cart" {
  entry {
    event = event.enter_cart
  }
  stage "browsing" {}
  stage "checkout" {
    entry { event = event.cart_checkout }
  }
}

journey "onboarding" {
  entry {
    event = event.enter_onboarding
  }
  stage "setup" {}
  stage "active" {
    entry { event = event.onboarding_active }
  }
  stage "welcome" {
    entry { event = event.onboarding_welcome }
  }
}

journey "offers" {
  entry {
    event = event.seen
  }
  stage "open" {}

  action "offer" {
    channel = channel.web
    stages  = [stage.open]
  }
  action "offer_baseline" {
    channel = channel.web
    stages  = [stage.open]
    model {
      predictors          = []
      half_life_responses = 3000
    }
  }
}
