# Settings and inputs of the growth team's stack.

waymark {
  required_version = ">= 0.1.0"
  stack            = "growth"

  required_providers {
    smtp    = { source = "waymark/smtp" }
    webhook = { source = "waymark/webhook" }
    inbound = { source = "waymark/inbound" }
  }

  runtime {
    address = "http://127.0.0.1:7400" # WAYMARK_ADDR overrides it
  }
}

variable "min_cart_value" {
  type        = number
  default     = 20
  description = "Carts worth less than this (in the shop's currency) do not enter the journey."
}

variable "discount_pct" {
  type        = number
  default     = 10
  description = "The discount offered in the last-call email, in percent."
  validation {
    condition     = var.discount_pct > 0 && var.discount_pct <= 50
    error_message = "The discount must be between 1 and 50 percent."
  }
}

variable "vip_banner_lever" {
  type        = number
  default     = 1.5
  description = "How hard the business pushes the VIP banner against other web actions (1 is neutral)."
  validation {
    condition     = var.vip_banner_lever >= 0
    error_message = "A lever is a number of at least 0."
  }
}

variable "email_weekly_cap" {
  type        = number
  default     = 4
  description = "The most marketing emails a customer gets in 7 days, across every stack. The lifecycle and care stacks declare the email channel with 4: keep it so when they share the runtime."
}

variable "smtp_port" {
  type        = number
  default     = 1025
  description = "Port of the SMTP server on 127.0.0.1 that the email channel delivers to."
}

variable "ops_webhook_url" {
  type        = string
  default     = "http://127.0.0.1:8099/hooks/growth"
  description = "Where KPI alerts of the growth stack are posted."
}

locals {
  brand    = "Acme"
  shop_url = "https://shop.acme.test"
}
