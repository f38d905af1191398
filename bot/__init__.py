"""The Slack adapter: Bolt app factory, listeners, Block Kit builders and the Slack notifier."""
