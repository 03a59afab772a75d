locals {
  brand = "Acme"
  name = "${local.brand}"
  spaced = "${ var.discount_pct }"
  stripped = "${~ local.brand ~}"
  called = "${lower("${local.brand}")}"
  greeting = "Hello ${local.brand}"
  pair = "${local.brand}${local.brand}"
  directive = "%{ if var.on }yes%{ endif }"
  escaped = "$${not_an_interpolation}"
  plain = "just text"
  long = "${
    var.on
    ? "a"
    : "b"
  }"
  wrapped = "${(
    var.on ? "a" : "b"
  )}"
}

journey "j" {
  action "a" {
    eligible = "${segment.vip}"
    message {
      subject = "${customer.first_name}, you left something behind"
      preheader = "${customer.first_name}"
      body = templatefile("templates/reminder.html", { discount = "${var.discount_pct}" })
    }
  }
}
