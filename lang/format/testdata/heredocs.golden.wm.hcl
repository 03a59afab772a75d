journey "j" {
  action "a" {
    message {
      body = <<EOT
Hello ${customer.first_name},
    this indentation is the user's and is kept.
EOT
      text = <<-EOT
    Indented heredoc.
      Kept as written.
    EOT
      only = <<EOT
${customer.first_name}
EOT
    }
  }
}
