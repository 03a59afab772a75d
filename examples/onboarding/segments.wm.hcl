segment "paying" {
  condition = customer.plan != "free"
}

segment "domestic" {
  condition = customer.country == "GB"
}
