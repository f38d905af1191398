"""What comes in from Slack: Bolt listeners, and the handlers that turn a request into one service call."""
