"""Delivery after commit: the outbox, webhook subscriptions and their delivery log."""
