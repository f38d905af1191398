"""What goes out to Slack: the notifier that delivers outbox messages, and one renderer per topic."""
