"""Plaudit's composition root: settings, the CLI and the web app that mounts Slack and the API."""
