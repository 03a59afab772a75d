journey "onboarding" {
  description = "Take a new sign-up from welcome to a first purchase within 30 days."
  reentry     = "never" # onboarding happens once per customer

  entry {
    event     = event.signed_up
    condition = event.source != "import" # bulk-imported accounts skip onboarding
  }
  goal {
    event  = event.order_placed
    within = "30d"
  }

  stage "welcome" {
    description = "Signed up; nothing else yet."
  }
  stage "profile_completed" { # was "profile_done": see moved.wm.hcl
    description = "Filled in the profile."
    entry { event = event.profile_completed }
  }
  stage "browsed" {
    description = "Looked at a product, has not bought yet."
    entry {
      event     = event.product_viewed
      condition = event.category != "gift_cards"
    }
  }

  # Email, in order: welcome at once, a profile reminder after a day, picks a
  # day after the profile is done, a first-order discount two days after
  # browsing, and a last nudge three weeks in. Leaving a stage cancels the
  # emails of that stage that have not gone out yet.

  action "welcome_email" {
    channel = channel.email
    stages  = [stage.welcome] # no trigger: due on entering the stage
    value   = 1
    limit {
      max = 1
      per = "30d"
    }
    message {
      subject = "Welcome to ${local.brand}, ${customer.first_name}"
      body    = templatefile("templates/welcome.html", { brand = local.brand, app_url = local.app_url })
    }
  }

  action "complete_profile_email" {
    channel = channel.email
    stages  = [stage.welcome]
    trigger {
      after = "1d"
    }
    eligible = customer.signup_source != "partner" # partners send complete profiles
    value    = 1
    message {
      subject = "Two minutes to a better ${local.brand}"
      body    = templatefile("templates/complete_profile.html", { brand = local.brand, app_url = local.app_url })
    }
  }

  action "picks_email" {
    channel = channel.email
    stages  = [stage.profile_completed]
    trigger {
      after = "1d"
    }
    value = 1
    message {
      subject = "Picked for you, ${customer.first_name}"
      body    = templatefile("templates/picks.html", { brand = local.brand, shop_url = local.shop_url })
    }
  }

  action "first_order_email" {
    channel = channel.email
    stages  = [stage.browsed]
    trigger {
      after  = "2d"
      unless = [event.order_placed]
    }
    value = 2
    message {
      subject = "${var.first_order_discount}% off your first order"
      body = templatefile("templates/first_order.html", {
        brand    = local.brand
        shop_url = local.shop_url
        discount = var.first_order_discount
      })
    }
  }

  action "last_nudge_email" {
    description = "Three weeks in, whatever the stage; the timer keeps running across stages."
    channel     = channel.email
    stages      = [stage.welcome, stage.profile_completed, stage.browsed]
    trigger {
      after  = "21d"
      unless = [event.order_placed]
    }
    value = 1
    suppress {
      after_ignores = 4
      for           = "60d"
    }
    message {
      subject = "Still looking, ${customer.first_name}?"
      body = templatefile("templates/still_looking.html", {
        brand    = local.brand
        shop_url = local.shop_url
        discount = var.first_order_discount
      })
    }
  }

  # In-app cards, answered through POST /v1/decide when the app asks.

  action "profile_card" {
    channel  = channel.app
    stages   = [stage.welcome]
    eligible = context.screen == "home"
    value    = 3
    limit {
      max = 3
      per = "1d"
    }
  }

  action "free_shipping_card" {
    description = "First order ships free in the home market."
    channel     = channel.app
    stages      = [stage.profile_completed, stage.browsed]
    eligible    = segment.domestic
    value       = 2
  }

  action "first_order_card" {
    channel  = channel.app
    stages   = [stage.browsed]
    eligible = context.screen != "checkout"
    value    = segment.paying ? 4 : 2 # worth more for customers already paying for a plan
    lever    = 1.2
    suppress {
      after_ignores = 5
      for           = "7d"
    }
  }

  kpi "profile_completion" {
    metric = rate(event.profile_completed)
    window = "30d"
    target {
      above       = 0.5
      min_samples = 50
    }
    alert { channel = channel.lifecycle_alerts }
  }
  kpi "conversion" {
    metric = conversion()
    window = "30d"
    target { above = 0.15 }
    alert { channel = channel.lifecycle_alerts }
  }
  kpi "median_time_to_first_purchase" {
    metric = time_to_goal(0.5)
    window = "30d"
  }
}
