# Channels are runtime-wide: "email" and "web" are declared exactly as the
# growth stack declares them, so their consent, limit and quiet hours hold
# for all teams together, and care's web banners compete with growth's in
# one arbitration.

channel "email" {
  provider        = smtp
  host            = "127.0.0.1" # a local SMTP sink in development
  port            = 1025
  starttls        = "off"
  from            = "Acme <hello@acme.test>"
  to              = customer.email        # per delivery; the only place email may appear
  consent         = customer.email_opt_in # never contacted on this channel without it
  unsubscribe_url = "https://acme.test/email/unsubscribe"
  timeout         = "30s"

  limit {
    max = 4
    per = "7d"
  }
  quiet_hours {
    start    = "21:00"
    end      = "08:00"
    timezone = "UTC" # for customers without a timezone attribute
    on_quiet = "defer"
  }
}

channel "web" {
  provider = inbound # the shop asks POST /v1/decide which banner to show
}

channel "care_alerts" {
  provider = webhook
  url      = var.care_alerts_url
  secret   = var.care_alerts_secret # sensitive: never shown by plan or the API
  timeout  = "10s"
}

channel "care_escalations" {
  provider = webhook
  url      = var.escalation_url
  timeout  = "10s"
  headers = {
    "X-Waymark-Team" = "care"
  }
}

channel "sms" {
  provider = webhook # an SMS gateway that texts the customer's number on file
  url      = var.sms_gateway_url
  timeout  = "10s"
}
