"""The local Slack: a fake Web API, signed requests, and a text view of messages (`plaudit try`, tests)."""
