# Channels are runtime-wide: their consent, contact limit and quiet hours hold
# for every stack. The lifecycle and care stacks declare "email" and "web"
# exactly as here.

channel "email" {
  provider        = smtp
  host            = "127.0.0.1" # a local SMTP sink in development
  port            = var.smtp_port
  starttls        = "off"
  from            = "Acme <hello@acme.test>"
  to              = customer.email        # per delivery; the only place email may appear
  consent         = customer.email_opt_in # never contacted on this channel without it
  unsubscribe_url = "https://acme.test/email/unsubscribe"
  timeout         = "30s"

  limit {
    max = var.email_weekly_cap # 4, as the lifecycle and care stacks declare it
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

channel "ops" {
  provider = webhook
  url      = var.ops_webhook_url
  timeout  = "10s"
  headers = {
    "X-Waymark-Team" = "growth"
  }
  rate { # the chat tool takes at most 5 posts a second; more wait in the outbox
    max = 5
    per = "1s"
  }
}
