"""Validate manifest.yml against Slack's published manifest schema, plus the rules it lacks."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import yaml
from jsonschema import Draft7Validator

ROOT = Path(__file__).resolve().parent.parent
# Vendored with its licence (see slack_manifest/README.md) so a fresh clone validates on its own.
SCHEMA = Path(__file__).resolve().parent / "slack_manifest" / "manifest.schema.1.0.0.json"


def cross_field_problems(manifest: dict) -> list[str]:
    """Rules Slack enforces on import that its schema does not express."""
    problems = []
    settings = manifest.get("settings", {})
    socket = settings.get("socket_mode_enabled", False)
    interactivity = settings.get("interactivity", {})
    if interactivity.get("is_enabled") and not socket and not interactivity.get("request_url"):
        problems.append("interactivity is enabled without a request_url (and Socket Mode is off)")
    events = settings.get("event_subscriptions", {})
    if events and not socket and not events.get("request_url"):
        problems.append("event subscriptions need a request_url when Socket Mode is off")
    for command in manifest.get("features", {}).get("slash_commands", []):
        if not socket and not command.get("url"):
            problems.append(f"slash command {command.get('command')} has no url")
    return problems


def main() -> int:
    """Print every problem in manifest.yml; exit 1 if there is any."""
    if not SCHEMA.exists():
        print(f"manifest schema not found at {SCHEMA}", file=sys.stderr)
        return 1
    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text())
    validator = Draft7Validator(json.loads(SCHEMA.read_text()))
    problems = [
        f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
        for e in validator.iter_errors(manifest)
    ]
    problems += cross_field_problems(manifest)
    for problem in problems:
        print(f"manifest.yml: {problem}", file=sys.stderr)
    if problems:
        return 1
    print("manifest.yml is valid against Slack's manifest schema")
    return 0


if __name__ == "__main__":
    sys.exit(main())
