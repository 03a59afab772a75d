channel "email" {
  provider = smtp
  host = "127.0.0.1"
  port=1025
  from     =   "hello@acme.test"

  to = customer.email
  consent = customer.email_opt_in
}

segment "vip" {
condition = customer.tier == "gold"
}
