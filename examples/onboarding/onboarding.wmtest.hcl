# Scenario tests of the onboarding journey: `waymark test` runs each in its
# own in-memory runtime on the event clock. Times are after the test's
# start (2024-01-01T09:00:00Z by default).

test "a sign-up is welcomed at once and moves on with the profile" {
  customer "c-2001" {
    traits = { email = "ada@example.test", email_opt_in = true, first_name = "Ada", timezone = "Europe/London", signup_source = "ios", country = "GB" }
  }
  event {
    customer   = "c-2001"
    type       = "signed_up"
    attributes = { plan = "free", source = "ios" }
  }
  expect {
    customer = "c-2001"
    journey  = "onboarding"
    stage    = "welcome"
  }
  expect_delivery {
    at       = "+1m"
    customer = "c-2001"
    action   = "welcome_email"
    channel  = "email"
    fields   = { subject = "Welcome to Acme, Ada" }
  }
  event {
    at       = "+2h"
    customer = "c-2001"
    type     = "profile_completed"
  }
  expect {
    customer = "c-2001"
    journey  = "onboarding"
    stage    = "profile_completed"
  }
  expect_delivery {
    at       = "+1d3h"
    customer = "c-2001"
    action   = "complete_profile_email"
    sent     = false # leaving the welcome stage cancelled it
  }
  expect_delivery {
    customer = "c-2001"
    action   = "picks_email"
    fields   = { subject = "Picked for you, Ada" }
  }
}

test "an imported account skips onboarding" {
  event {
    customer   = "c-2003"
    type       = "signed_up"
    attributes = { plan = "free", source = "import" }
  }
  expect {
    customer = "c-2003"
    journey  = "onboarding"
    state    = "none"
  }
}

test "a domestic browser is shown the first-order card before free shipping" {
  customer "c-2010" {
    traits = { first_name = "Alan", country = "GB", plan = "plus" }
  }
  event {
    customer   = "c-2010"
    type       = "signed_up"
    attributes = { plan = "plus", source = "web" }
  }
  expect_decision {
    at       = "+1m"
    customer = "c-2010"
    channel  = "app"
    context  = { screen = "home" }
    actions  = ["profile_card"]
  }
  event {
    at         = "+10m"
    customer   = "c-2010"
    type       = "product_viewed"
    attributes = { product_id = "p-1", category = "shoes" }
  }
  expect_decision {
    customer = "c-2010"
    channel  = "app"
    context  = { screen = "product" }
    actions  = ["first_order_card", "free_shipping_card"]
  }
}

test "the first order completes onboarding and counts toward conversion" {
  event {
    customer   = "c-2020"
    type       = "signed_up"
    attributes = { plan = "free", source = "web" }
  }
  event {
    at         = "+3d"
    customer   = "c-2020"
    type       = "order_placed"
    attributes = { amount = 40 }
  }
  expect {
    customer = "c-2020"
    journey  = "onboarding"
    state    = "completed"
  }
  expect_kpi {
    journey   = "onboarding"
    kpi       = "median_time_to_first_purchase"
    value     = 259200 # three days, in seconds
    tolerance = 3600   # quantiles come from a sketch, within 1%
  }
}
