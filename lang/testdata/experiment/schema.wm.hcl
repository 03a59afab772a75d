customer {
  attribute "tier" { type = string }
  attribute "email" {
    type      = string
    sensitive = true
  }
  attribute "orders" { type = number }
}

event "cart_updated" {
  attribute "cart_value" { type = number }
}
event "order_placed" {}
event "survey_answered" {
  attribute "score" { type = number }
}
