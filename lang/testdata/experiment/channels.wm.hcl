channel "web" {
  provider = inbound
}

channel "email" {
  provider = smtp
  host     = "127.0.0.1"
  from     = "shop@acme.test"
  to       = customer.email
}
