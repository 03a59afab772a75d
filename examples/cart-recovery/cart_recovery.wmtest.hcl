# Scenario tests of the cart-recovery journey: `waymark test` runs each in
# its own in-memory runtime on the event clock. Times are after the test's
# start (2024-01-01T09:00:00Z by default, a Monday morning).

test "an abandoned cart moves through the stages and gets its reminder" {
  customer "c-1001" {
    traits = { email = "ada@example.test", email_opt_in = true, first_name = "Ada", tier = "gold", timezone = "Europe/London" }
  }

  event {
    customer   = "c-1001"
    type       = "cart_updated"
    attributes = { cart_value = 80, item_count = 2 }
  }
  expect {
    at       = "+10m"
    customer = "c-1001"
    journey  = "cart_recovery"
    stage    = "browsing"
  }
  event {
    at       = "+30m"
    customer = "c-1001"
    type     = "checkout_started"
  }
  expect {
    customer = "c-1001"
    journey  = "cart_recovery"
    stage    = "checkout"
  }
  expect_delivery {
    at       = "+59m"
    customer = "c-1001"
    action   = "reminder_email"
    sent     = false # the trigger waits an hour after entry
  }
  expect_delivery {
    at       = "+1h"
    customer = "c-1001"
    action   = "reminder_email"
    channel  = "email"
    fields   = { subject = "Ada, you left something in your cart" }
  }
  event {
    at         = "+2h"
    customer   = "c-1001"
    type       = "order_placed"
    attributes = { amount = 80 }
  }
  expect {
    customer = "c-1001"
    journey  = "cart_recovery"
    state    = "completed"
  }
  expect_delivery {
    at       = "+1d1h"
    customer = "c-1001"
    action   = "last_call_email"
    sent     = false # the order came first
  }
}

test "a small cart does not enter" {
  event {
    customer   = "c-2001"
    type       = "cart_updated"
    attributes = { cart_value = 10, item_count = 1 }
  }
  expect {
    customer = "c-2001"
    journey  = "cart_recovery"
    state    = "none"
  }
}

test "a cart left in checkout times out after three days" {
  event {
    customer   = "c-3001"
    type       = "cart_updated"
    attributes = { cart_value = 40, item_count = 1 }
  }
  event {
    at       = "+1h"
    customer = "c-3001"
    type     = "checkout_started"
  }
  expect {
    at       = "+3d"
    customer = "c-3001"
    journey  = "cart_recovery"
    stage    = "checkout"
  }
  expect {
    at       = "+3d1h"
    customer = "c-3001"
    journey  = "cart_recovery"
    state    = "timed_out"
  }
}

test "a gold shopper at payment is shown the VIP banner first" {
  customer "c-4001" {
    traits = { first_name = "Grace", tier = "gold" }
  }
  event {
    customer   = "c-4001"
    type       = "cart_updated"
    attributes = { cart_value = 120, item_count = 3 }
  }
  event {
    at       = "+5m"
    customer = "c-4001"
    type     = "payment_started"
  }
  expect_decision {
    customer = "c-4001"
    channel  = "web"
    context  = { page = "payment" }
    actions  = ["vip_banner", "payment_help_banner"]
    explain  = true
  }
  expect_decision {
    customer = "c-4001"
    channel  = "web"
    context  = { page = "cart" }
    actions  = ["vip_banner"]
  }
}

test "average order value counts the orders of the journey" {
  event {
    customer   = "c-5001"
    type       = "cart_updated"
    attributes = { cart_value = 50, item_count = 1 }
  }
  event {
    customer   = "c-5002"
    type       = "cart_updated"
    attributes = { cart_value = 90, item_count = 2 }
  }
  event {
    at         = "+1h"
    customer   = "c-5001"
    type       = "order_placed"
    attributes = { amount = 50 }
  }
  event {
    at         = "+2h"
    customer   = "c-5002"
    type       = "order_placed"
    attributes = { amount = 100 }
  }
  expect_kpi {
    at      = "+3h"
    journey = "cart_recovery"
    kpi     = "average_order_value"
    value   = 75
  }
  expect_kpi {
    journey = "cart_recovery"
    kpi     = "median_time_to_order"
    state   = "no_target"
  }
}

# The receipt is transactional: the reminder fills this test's weekly cap of
# one marketing email, which then holds back the last call, but not the
# receipt; nor does the night (quiet hours from 21:00) delay it.
test "an order's receipt is sent even when the weekly email cap is reached" {
  vars = { email_weekly_cap = 1 }
  customer "c-6001" {
    traits = { email = "lin@example.test", email_opt_in = true, first_name = "Lin" }
  }
  event {
    customer   = "c-6001"
    type       = "cart_updated"
    attributes = { cart_value = 60, item_count = 1 }
  }
  expect_delivery {
    at       = "+1h"
    customer = "c-6001"
    action   = "reminder_email"
  }
  expect_delivery {
    at       = "+1d1h"
    customer = "c-6001"
    action   = "last_call_email"
    sent     = false # the cap of one is reached
  }
  event {
    at         = "+1d13h" # 22:00 UTC, in quiet hours
    customer   = "c-6001"
    type       = "order_placed"
    attributes = { amount = 60 }
  }
  expect_delivery {
    customer = "c-6001"
    action   = "receipt_email"
    fields   = { subject = "Your Acme order is confirmed" }
  }
}

test "a receipt needs no marketing consent" {
  customer "c-6002" {
    traits = { email = "max@example.test", email_opt_in = false, first_name = "Max" }
  }
  event {
    customer   = "c-6002"
    type       = "order_placed"
    attributes = { amount = 15 }
  }
  expect_delivery {
    customer = "c-6002"
    action   = "receipt_email"
  }
}

test "a receipt does not count toward the weekly email cap" {
  vars = { email_weekly_cap = 1 }
  customer "c-6003" {
    traits = { email = "ida@example.test", email_opt_in = true, first_name = "Ida" }
  }
  event {
    customer   = "c-6003"
    type       = "order_placed"
    attributes = { amount = 30 }
  }
  expect_delivery {
    customer = "c-6003"
    action   = "receipt_email"
  }
  event {
    at         = "+1h"
    customer   = "c-6003"
    type       = "cart_updated"
    attributes = { cart_value = 45, item_count = 1 }
  }
  expect_delivery {
    at       = "+2h"
    customer = "c-6003"
    action   = "reminder_email" # the one marketing email the cap allows
  }
}

# Shoppers' variants of the subject_line experiment are a stable hash of
# their ids: c-1005 is in "urgent", c-1004 in the "no_email" holdout.
test "the subject line experiment sends each shopper their variant, and the holdout nothing" {
  customer "c-1005" {
    traits = { email = "eve@example.test", email_opt_in = true, first_name = "Eve" }
  }
  customer "c-1004" {
    traits = { email = "dan@example.test", email_opt_in = true, first_name = "Dan" }
  }
  event {
    customer   = "c-1005"
    type       = "cart_updated"
    attributes = { cart_value = 80, item_count = 2 }
  }
  event {
    customer   = "c-1004"
    type       = "cart_updated"
    attributes = { cart_value = 80, item_count = 2 }
  }
  expect_delivery {
    at       = "+1h"
    customer = "c-1005"
    action   = "reminder_email"
    variant  = "urgent"
    fields   = { subject = "Eve, your cart is about to expire" }
  }
  expect_delivery {
    customer = "c-1004"
    action   = "reminder_email"
    sent     = false # held out: assigned, never sent
  }
}

# reminder_conversion is attributed to the reminder: of the shoppers it was
# sent to whose journey has ended, the share who ordered after it. A
# shopper who ordered before it fell due was never sent it, and does not
# count; nor does one still in the journey.
test "reminder_conversion counts the shoppers sent the reminder who ordered after it" {
  customer "c-7001" {
    traits = { email = "ava@example.test", email_opt_in = true, first_name = "Ava" }
  }
  customer "c-7002" {
    traits = { email = "bo@example.test", email_opt_in = true, first_name = "Bo" }
  }
  customer "c-7003" {
    traits = { email = "cy@example.test", email_opt_in = true, first_name = "Cy" }
  }
  customer "c-7005" {
    traits = { email = "di@example.test", email_opt_in = true, first_name = "Di" }
  }
  event {
    customer   = "c-7001"
    type       = "cart_updated"
    attributes = { cart_value = 80, item_count = 2 }
  }
  event {
    customer   = "c-7002"
    type       = "cart_updated"
    attributes = { cart_value = 60, item_count = 1 }
  }
  event {
    customer   = "c-7003"
    type       = "cart_updated"
    attributes = { cart_value = 50, item_count = 1 }
  }
  event {
    customer   = "c-7005"
    type       = "cart_updated"
    attributes = { cart_value = 70, item_count = 1 }
  }
  event {
    at         = "+30m"
    customer   = "c-7003"
    type       = "order_placed" # before the reminder: never sent it
    attributes = { amount = 50 }
  }
  expect_delivery {
    at       = "+1h"
    customer = "c-7001"
    action   = "reminder_email"
  }
  expect_delivery {
    customer = "c-7002"
    action   = "reminder_email"
  }
  expect_delivery {
    customer = "c-7005"
    action   = "reminder_email" # still browsing at the end: not counted
  }
  event {
    at         = "+3h"
    customer   = "c-7001"
    type       = "order_placed"
    attributes = { amount = 80 }
  }
  event {
    at       = "+4h"
    customer = "c-7002"
    type     = "ticket_opened" # leaves the journey without ordering
  }
  expect_kpi {
    at      = "+5h"
    journey = "cart_recovery"
    kpi     = "reminder_conversion"
    value   = 0.5 # c-7001 of c-7001 and c-7002
    samples = 2
    state   = "insufficient_data" # under min_samples = 5
  }
  expect_kpi {
    journey = "cart_recovery"
    kpi     = "conversion"
    state   = "insufficient_data" # conversion() waits for goal.within (14d) to end
  }
}
