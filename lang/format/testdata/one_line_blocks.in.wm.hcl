customer {
  attribute "timezone" {type=string}
  attribute "tier"     {   type = string   }
}

event "checkout_started" {   }
event "ticket_opened" {}
event "order_placed" {
  attribute "amount" {type = number}
}
kpi "conversion" {
  target {above=0.25}
}
