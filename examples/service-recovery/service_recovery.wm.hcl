journey "service_recovery" {
  description = "After a support ticket: keep selling away, apologise with a discount once it is solved, ask how we did, and escalate unhappy answers."
  reentry     = "after_leaving" # every new ticket after the last run ended starts a new run

  entry {
    event = event.ticket_opened
  }
  goal { # recovered: a good score on the survey
    event     = event.survey_answered
    condition = event.csat >= 4
    within    = "30d"
  }

  stage "open" {
    description = "The ticket is open."
    timeout     = "21d"
  }
  stage "resolved" {
    description = "The ticket is solved; apology and survey go out."
    entry { event = event.ticket_resolved }
    timeout = "14d"
  }
  stage "unhappy" {
    description = "Answered the survey with a CSAT of 2 or less."
    entry {
      event     = event.survey_answered
      condition = event.csat <= 2
    }
    timeout = "7d"
  }

  action "ticket_status_banner" {
    description = "On the website, the ticket's status and a link to it, in place of any offer."
    channel     = channel.web
    stages      = [stage.open]
    value       = 10 # outranks every offer on the web channel
  }

  action "apology_email" {
    channel = channel.email
    stages  = [stage.resolved]
    trigger {
      after  = "2h"
      unless = [event.ticket_opened] # a new problem first: no apology yet
    }
    eligible = !segment.churn_risk
    value    = 2
    message {
      subject = "Sorry for the trouble, ${customer.first_name}"
      body = templatefile("templates/apology.html", {
        brand    = local.brand
        shop_url = local.shop_url
        discount = var.apology_discount_pct
      })
    }
  }

  action "apology_email_churn_risk" {
    description = "The same apology with a larger discount, for customers we are likely to lose."
    channel     = channel.email
    stages      = [stage.resolved]
    trigger {
      after  = "2h"
      unless = [event.ticket_opened]
    }
    eligible = segment.churn_risk
    value    = 4
    message {
      subject = "Sorry for the trouble, ${customer.first_name}"
      body = templatefile("templates/apology.html", {
        brand    = local.brand
        shop_url = local.shop_url
        discount = var.churn_risk_discount_pct
      })
    }
  }

  action "survey" {
    description = "Asks how we did, by email or by SMS: each treatment has its own model, and the runtime sends the one that gets answers (SMS when email has no consent)."
    stages      = [stage.resolved]
    trigger {
      after  = "1d"
      unless = [event.survey_answered]
    }
    value = 1
    treatment "email" {
      channel = channel.email
      message {
        subject = "How did we do, ${customer.first_name}?"
        body    = templatefile("templates/survey.html", { brand = local.brand, survey_url = local.survey_url })
      }
    }
    treatment "sms" {
      channel = channel.sms
      message {
        text = "${local.brand}: how did we do, ${customer.first_name}? ${local.survey_url}"
      }
    }
  }

  action "senior_agent_callback" {
    description = "Asks the helpdesk for a call-back by a senior agent, as soon as a survey comes back unhappy."
    channel     = channel.care_escalations
    stages      = [stage.unhappy] # no trigger: due on entering the stage
    value       = 5
    message {
      title = "Unhappy after a ticket: call back ${customer.first_name} (${customer.id})"
      text  = "Plan ${customer.plan}, ${customer.tickets_90d} tickets in 90 days, churn score ${customer.churn_score}. Call back within one working day."
      url   = "${local.desk_url}/customers/${customer.id}"
    }
  }

  kpi "csat" {
    metric = average(event.survey_answered.csat)
    window = "30d"
    target {
      above       = 4
      min_samples = 20
    }
    alert { channel = channel.care_alerts }
  }
  kpi "nps" {
    metric = nps(event.survey_answered.nps)
    window = "30d"
    target {
      above       = 30
      min_samples = 50
    }
    alert { channel = channel.care_alerts }
  }
  kpi "recovered" {
    metric = conversion()
    window = "30d"
    target { above = 0.6 }
    alert { channel = channel.care_alerts }
  }
  kpi "resolution_time_p90" {
    metric = time_in_stage(stage.open, 0.9)
    window = "7d"
  }
}
