# Settings and inputs of the lifecycle team's stack.

waymark {
  required_version = ">= 0.1.0"
  stack            = "lifecycle"

  required_providers {
    smtp    = { source = "waymark/smtp" }
    inbound = { source = "waymark/inbound" }
    log     = { source = "waymark/log" }
  }
}

variable "first_order_discount" {
  type        = number
  default     = 10
  description = "The first-order discount offered to new customers who browsed, in percent."
  validation {
    condition     = var.first_order_discount >= 5 && var.first_order_discount <= 30
    error_message = "The first-order discount must be between 5 and 30 percent."
  }
}

variable "alerts_log_path" {
  type        = string
  default     = "-"
  description = "Where KPI alerts are written, one JSON line each; \"-\" is the runtime's standard output."
}

locals {
  brand    = "Acme"
  shop_url = "https://shop.acme.test"
  app_url  = "https://acme.test/app"
}
