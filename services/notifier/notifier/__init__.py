"""The notifier service: sends the journey's messages (email over SMTP, webhooks) and reports back."""
