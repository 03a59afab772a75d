# Channels are runtime-wide: "email" is declared exactly as the growth and
# care stacks declare it, so its consent, limit and quiet hours hold for all
# teams together.

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

channel "app" {
  provider = inbound # the mobile app asks POST /v1/decide which card to show
}

channel "lifecycle_alerts" {
  provider = log
  path     = var.alerts_log_path
}
