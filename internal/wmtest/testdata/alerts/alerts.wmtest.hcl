test "dropped checkouts raise the alert" {
  event {
    customer = "c1"
    type     = "cart_updated"
  }
  event {
    customer = "c1"
    type     = "checkout_started"
  }
  event {
    customer = "c2"
    type     = "cart_updated"
  }
  event {
    customer = "c2"
    type     = "checkout_started"
  }
  expect_alert {
    at      = "+12h"
    journey = "cart"
    kpi     = "checkout_dropoff"
    sent    = false
  }
  expect_kpi {
    at      = "+1d"
    journey = "cart"
    kpi     = "checkout_dropoff"
    value   = 1
    state   = "missed"
  }
  expect_alert { # raised at the next hour boundary, over what happened before it
    at      = "+25h"
    journey = "cart"
    kpi     = "checkout_dropoff"
    state   = "missed"
  }
}
