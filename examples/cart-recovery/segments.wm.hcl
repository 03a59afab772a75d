segment "vip" {
  condition = customer.tier == "gold"
}
