# The helpdesk keeps open_tickets current: every ticket event it sends carries
# the trait {"open_tickets": N}. This segment is what keeps selling away from
# customers with an open issue (see plus_upsell.wm.hcl).
segment "has_open_ticket" {
  condition = customer.open_tickets > 0
}

segment "churn_risk" {
  condition = customer.churn_score >= 0.7 || customer.tickets_90d >= 3
}
