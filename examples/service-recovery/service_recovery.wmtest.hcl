# Scenario tests of the care stack: `waymark test` runs each in its own
# in-memory runtime on the event clock. Times are after the test's start
# (2024-01-01T09:00:00Z by default).

test "a solved ticket gets an apology, and an unhappy survey a call-back" {
  customer "c-3001" {
    traits = { email = "ada@example.test", email_opt_in = true, first_name = "Ada", plan = "free", open_tickets = 1, tickets_90d = 1, churn_score = 0.2 }
  }
  event {
    customer   = "c-3001"
    type       = "ticket_opened"
    attributes = { ticket_id = "t-1", category = "delivery" }
  }
  expect {
    customer = "c-3001"
    journey  = "service_recovery"
    stage    = "open"
  }
  expect_decision {
    customer = "c-3001"
    channel  = "web"
    actions  = ["ticket_status_banner"]
  }
  event {
    at         = "+4h"
    customer   = "c-3001"
    type       = "ticket_resolved"
    attributes = { ticket_id = "t-1" }
    traits     = { open_tickets = 0 }
  }
  expect {
    customer = "c-3001"
    journey  = "service_recovery"
    stage    = "resolved"
  }
  expect_delivery {
    at       = "+6h"
    customer = "c-3001"
    action   = "apology_email"
    fields   = { subject = "Sorry for the trouble, Ada" }
  }
  expect_delivery {
    customer = "c-3001"
    action   = "apology_email_churn_risk"
    sent     = false # not at risk: the plain apology only
  }
  event {
    at         = "+1d"
    customer   = "c-3001"
    type       = "survey_answered"
    attributes = { ticket_id = "t-1", csat = 1, nps = 2 }
  }
  expect {
    customer = "c-3001"
    journey  = "service_recovery"
    stage    = "unhappy"
  }
  expect_delivery {
    at       = "+1d1m"
    customer = "c-3001"
    action   = "senior_agent_callback"
    channel  = "care_escalations"
    fields   = { title = "Unhappy after a ticket: call back Ada (c-3001)" }
  }
  expect_kpi {
    journey = "service_recovery"
    kpi     = "csat"
    value   = 1
    state   = "insufficient_data" # 20 answers are needed to judge
  }
}

test "a churn risk gets the larger apology" {
  customer "c-3002" {
    traits = { email = "grace@example.test", email_opt_in = true, first_name = "Grace", churn_score = 0.9 }
  }
  event {
    customer = "c-3002"
    type     = "ticket_opened"
  }
  event {
    at       = "+1h"
    customer = "c-3002"
    type     = "ticket_resolved"
  }
  expect_delivery {
    at       = "+3h"
    customer = "c-3002"
    action   = "apology_email_churn_risk"
  }
  expect_delivery {
    customer = "c-3002"
    action   = "apology_email"
    sent     = false
  }
}

test "no upsell while a ticket is open" {
  customer "c-3003" {
    traits = { plan = "free", open_tickets = 0, churn_score = 0.1 }
  }
  event {
    customer   = "c-3003"
    type       = "order_placed"
    attributes = { amount = 60 }
  }
  expect_decision {
    customer = "c-3003"
    channel  = "web"
    actions  = ["plus_banner"]
  }
  event {
    at       = "+1h"
    customer = "c-3003"
    type     = "ticket_opened"
    traits   = { open_tickets = 1 }
  }
  expect {
    customer = "c-3003"
    journey  = "plus_upsell"
    state    = "exited"
  }
  expect_decision {
    customer = "c-3003"
    channel  = "web"
    actions  = ["ticket_status_banner"]
  }
}

# A lever of 0 ranks the banner at priority 0 (see -explain); the runtime
# still offers it when nothing else is eligible.
test "the test's vars override the configuration's" {
  vars = { upsell_lever = 0 }
  customer "c-3004" {
    traits = { plan = "free", open_tickets = 0, churn_score = 0.1 }
  }
  event {
    customer   = "c-3004"
    type       = "order_placed"
    attributes = { amount = 60 }
  }
  expect {
    customer = "c-3004"
    journey  = "plus_upsell"
    stage    = "prospect"
  }
  expect_decision {
    customer = "c-3004"
    channel  = "web"
    actions  = ["plus_banner"]
    explain  = true
  }
}

test "without email consent the survey goes by SMS" {
  customer "c-3004" {
    traits = { email = "alan@example.test", email_opt_in = false, first_name = "Alan", churn_score = 0.1 }
  }
  event {
    customer = "c-3004"
    type     = "ticket_opened"
  }
  event {
    at       = "+1h"
    customer = "c-3004"
    type     = "ticket_resolved"
  }
  expect_delivery {
    at        = "+1d2h"
    customer  = "c-3004"
    action    = "survey"
    treatment = "sms"
    channel   = "sms"
    fields    = { text = "Acme: how did we do, Alan? https://acme.test/survey" }
  }
  expect_delivery {
    customer  = "c-3004"
    action    = "survey"
    treatment = "email"
    sent      = false # no consent on email
  }
}

test "with email consent the survey goes by email" {
  customer "c-3005" {
    traits = { email = "edsger@example.test", email_opt_in = true, first_name = "Edsger", churn_score = 0.1 }
  }
  event {
    customer = "c-3005"
    type     = "ticket_opened"
  }
  event {
    at       = "+1h"
    customer = "c-3005"
    type     = "ticket_resolved"
  }
  expect_delivery {
    at        = "+1d2h"
    customer  = "c-3005"
    action    = "survey"
    treatment = "email" # the models start alike: the first treatment by name
    fields    = { subject = "How did we do, Edsger?" }
  }
}
