# Settings and inputs of the customer care team's stack.

waymark {
  required_version = ">= 0.1.0"
  stack            = "care"

  required_providers {
    smtp    = { source = "waymark/smtp" }
    webhook = { source = "waymark/webhook" }
    inbound = { source = "waymark/inbound" }
  }
}

variable "apology_discount_pct" {
  type        = number
  default     = 15
  description = "The discount in the apology email after a resolved ticket, in percent."
  validation {
    condition     = var.apology_discount_pct >= 5 && var.apology_discount_pct <= 40
    error_message = "The apology discount must be between 5 and 40 percent."
  }
}

variable "churn_risk_discount_pct" {
  type        = number
  default     = 25
  description = "The apology discount for customers in the churn_risk segment, in percent."
  validation {
    condition     = var.churn_risk_discount_pct >= 5 && var.churn_risk_discount_pct <= 50
    error_message = "The churn-risk discount must be between 5 and 50 percent."
  }
}

variable "upsell_lever" {
  type        = number
  default     = 1
  description = "How hard the business pushes the Plus upsell against other web actions (1 is neutral, 0 switches it off)."
  validation {
    condition     = var.upsell_lever >= 0
    error_message = "A lever is a number of at least 0."
  }
}

variable "care_alerts_url" {
  type        = string
  default     = "http://127.0.0.1:8099/hooks/care"
  description = "Where the care team's KPI alerts are posted."
}

variable "care_alerts_secret" {
  type        = string
  default     = null
  sensitive   = true
  description = "Signs KPI alerts (X-Waymark-Signature). Set WAYMARK_VAR_care_alerts_secret; unset, alerts are not signed."
}

variable "escalation_url" {
  type        = string
  default     = "http://127.0.0.1:8099/hooks/care-escalations"
  description = "The helpdesk endpoint that turns an escalation into a call-back task for a senior agent."
}

variable "sms_gateway_url" {
  type        = string
  default     = "http://127.0.0.1:8099/hooks/sms"
  description = "The SMS gateway the survey's sms treatment is posted to."
}

locals {
  brand      = "Acme"
  shop_url   = "https://shop.acme.test"
  survey_url = "https://acme.test/survey"
  desk_url   = "https://desk.acme.test"
}
