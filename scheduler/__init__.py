"""The time adapter: APScheduler jobs, the outbox dispatcher and leader election."""
