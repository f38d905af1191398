"""How Plaudit looks in Slack: Block Kit builders for messages and modals, and how refusals read."""
