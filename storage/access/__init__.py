"""HTTP API access: OAuth clients and tokens, and idempotency records."""
