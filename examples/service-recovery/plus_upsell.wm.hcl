# No upsell for a customer with an open support ticket. Three rules, each
# enough on its own in the common case, together covering the edge cases:
#
#   1. every offer's eligible starts with !segment.has_open_ticket: the
#      helpdesk's open_tickets trait is the truth, whatever journeys the
#      customer is or is not in;
#   2. ... && journey.service_recovery.stage == null: nor while care is still
#      making it right (ticket solved, apology or survey pending, unhappy);
#   3. the exit on ticket_opened takes the customer out of this journey the
#      moment a ticket opens.

journey "plus_upsell" {
  description   = "Offer the Plus plan on the website to free-plan customers who keep ordering."
  reentry       = "after_leaving"
  reentry_after = "90d"

  entry {
    event     = event.order_placed
    condition = event.amount >= 40 && customer.plan == "free"
  }
  goal {
    event  = event.plan_upgraded
    within = "60d"
  }
  exit {
    event = event.ticket_opened
  }

  stage "prospect" {
    description = "A free-plan customer with a sizeable order."
  }
  stage "considering" {
    description = "Has looked at the pricing page."
    entry { event = event.pricing_viewed }
  }

  action "plus_banner" {
    channel  = channel.web
    stages   = [stage.prospect, stage.considering]
    eligible = !segment.has_open_ticket && journey.service_recovery.stage == null && !segment.churn_risk
    value    = 3
    lever    = var.upsell_lever
    limit {
      max = 3
      per = "1d"
    }
    suppress {
      after_ignores = 5
      for           = "14d"
    }
  }

  action "plus_trial_offer" {
    description = "A 30-day Plus trial, for customers who looked at pricing."
    channel     = channel.web
    stages      = [stage.considering]
    eligible    = !segment.has_open_ticket && journey.service_recovery.stage == null && !segment.churn_risk
    value       = 6
    lever       = var.upsell_lever
    limit {
      max = 2
      per = "1d"
    }
  }

  action "free_month_offer" {
    description = "Retention instead of upsell: a free month of Plus for customers likely to churn."
    channel     = channel.web
    stages      = [stage.prospect, stage.considering]
    eligible    = !segment.has_open_ticket && journey.service_recovery.stage == null && segment.churn_risk
    value       = 8
    limit {
      max = 2
      per = "1d"
    }
  }

  kpi "upgrade_rate" {
    metric = conversion()
    window = "30d"
    target { above = 0.05 }
  }
  kpi "pricing_interest" {
    metric = rate(event.pricing_viewed)
    window = "7d"
  }
}
