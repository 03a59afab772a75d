journey "cart_recovery" {
  description = "Bring shoppers back."
  entry {
    event     = event.cart_updated
    condition = event.cart_value > 20
  }
  action "reminder_email" {
    channel = channel.email
    trigger {
      after  = "1h"
      unless = [event.order_placed]
    }
    limit {
      max = 1
      per = "3d"
    }
  }
}
