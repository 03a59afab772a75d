journey "cart_recovery" {
  description   = "Bring shoppers with an abandoned cart back to checkout and through payment."
  reentry       = "after_leaving"
  reentry_after = "30d"

  entry {
    event     = event.cart_updated
    condition = event.cart_value >= var.min_cart_value && event.item_count > 0
  }
  goal {
    event  = event.order_placed
    within = "14d"
  }
  exit {
    event = event.ticket_opened # no selling to a customer with an open issue
  }
  exit {
    event = event.unsubscribed
  }

  stage "browsing" {
    description = "Has a cart, has not started checkout."
    timeout     = "7d"
  }
  stage "checkout" {
    description = "Started checkout, has not reached payment."
    entry { event = event.checkout_started }
    timeout = "3d"
  }
  stage "payment" {
    description = "Reached the payment step without placing the order."
    entry { event = event.payment_started }
    timeout = "2d"
  }

  action "reminder_email" {
    description = "A first nudge, an hour after the cart was left."
    channel     = channel.email
    stages      = [stage.browsing, stage.checkout, stage.payment]
    trigger {
      after  = "1h"                 # after entering the first of these stages
      unless = [event.order_placed] # cancelled if this happens first
    }
    value = 1
    limit {
      max = 1
      per = "3d"
    }
    message {
      subject = "${customer.first_name}, you left something in your cart"
      body    = templatefile("templates/reminder.html", { brand = local.brand, shop_url = local.shop_url })
      text    = "Your ${local.brand} cart is waiting for you: ${local.shop_url}/cart"
    }
    # An A/B test of the subject line: each shopper gets one variant, the
    # same every time (a hash of their id keyed by this experiment's
    # address); a tenth get no reminder at all, to measure the email's own
    # lift. Compared on the journey's goal reached after the assignment.
    experiment "subject_line" {
      description = "Does naming what is in the cart beat a friendly nudge?"
      control     = "friendly"
      metric      = kpi.conversion
      variant "friendly" { weight = 45 }
      variant "urgent" {
        weight = 45
        message {
          subject = "${customer.first_name}, your cart is about to expire"
        }
      }
      variant "no_email" {
        weight  = 10
        holdout = true
      }
    }
  }

  action "last_call_email" {
    description = "A discount, a day later, for carts still not ordered."
    channel     = channel.email
    stages      = [stage.browsing, stage.checkout, stage.payment]
    trigger {
      after  = "24h"
      unless = [event.order_placed]
    }
    value = 2
    limit {
      max = 1
      per = "14d"
    }
    suppress {
      after_ignores = 3
      for           = "30d"
    }
    message {
      subject = "${var.discount_pct}% off your cart, until tomorrow"
      body = templatefile("templates/last_call.html", {
        brand    = local.brand
        shop_url = local.shop_url
        discount = var.discount_pct
      })
    }
  }

  action "vip_banner" {
    description = "Free express shipping for gold customers, shown on the cart and payment pages."
    channel     = channel.web
    stages      = [stage.checkout, stage.payment]
    eligible    = segment.vip
    value       = 5
    lever       = var.vip_banner_lever
    limit {
      max = 5
      per = "1d"
    }
  }

  action "payment_help_banner" {
    description = "Payment options and help, for shoppers stuck at payment."
    channel     = channel.web
    stages      = [stage.payment]
    eligible    = context.page == "payment"
    value       = 2
  }

  action "checkout_help_email" {
    description = "Help with checkout, sent when the checkout dropoff alert fires to everyone then at checkout."
    channel     = channel.email
    stages      = [stage.checkout]
    value       = 1
    limit {
      max = 1
      per = "7d"
    }
    message {
      subject = "Trouble checking out, ${customer.first_name}?"
      body    = "<p>Checkout at ${local.brand} had a hiccup. Your cart is saved: <a href=\"${local.shop_url}/cart\">finish your order</a>.</p>"
      text    = "Checkout at ${local.brand} had a hiccup. Your cart is saved: ${local.shop_url}/cart"
    }
  }

  kpi "conversion" {
    metric = conversion()
    window = "7d"
    target { above = 0.25 }
  }
  # Of the shoppers sent the reminder, the share who ordered after it:
  # who was reached and how they behaved, not the email's causal lift (the
  # subject_line experiment's no_email holdout measures that).
  kpi "reminder_conversion" {
    metric = conversion(action.reminder_email)
    window = "30d"
    target {
      above       = 0.5
      min_samples = 5
    }
  }
  kpi "checkout_dropoff" {
    metric = dropoff(stage.checkout)
    window = "7d"
    target { below = 0.4 }
    alert {
      channel    = channel.ops
      action     = action.checkout_help_email # to everyone at checkout when it fires
      hysteresis = 0.01                       # met again below 0.39
      cooldown   = "12h"
    }
  }
  kpi "ticket_rate" { # shoppers who needed support while in the journey
    metric = rate(event.ticket_opened)
    window = "7d"
    target { below = 0.1 }
  }
  kpi "average_order_value" {
    metric = average(event.order_placed.amount)
    window = "7d"
  }
  kpi "median_time_to_order" {
    metric = time_to_goal(0.5)
    window = "7d"
  }
  kpi "checkout_time_p90" {
    metric = time_in_stage(stage.checkout, 0.9)
    window = "7d"
  }
}
