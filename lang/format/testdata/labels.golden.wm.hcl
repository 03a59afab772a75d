event "cart_updated" {
  attribute "cart_value" { type = number }
}

journey "cart_recovery" {
  stage "browsing" {}
  stage "checkout" {}
}
