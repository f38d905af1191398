"""manifest.yml declares what the app listens for, and passes the schema check."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_manifest_matches_the_listeners_and_validates():
    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text())
    features, settings = manifest["features"], manifest["settings"]
    assert [c["command"] for c in features["slash_commands"]] == ["/kudos"]
    assert {s["callback_id"] for s in features["shortcuts"]} == {"give_kudos_for_message", "give_kudos"}
    assert set(settings["event_subscriptions"]["bot_events"]) == {
        "app_home_opened",
        "reaction_added",
        "reaction_removed",
    }
    assert {
        "commands",
        "chat:write",
        "users:read",
        "users:read.email",
        "usergroups:read",
        "reactions:read",
    } <= set(manifest["oauth_config"]["scopes"]["bot"])
    urls = {
        settings["interactivity"]["request_url"],
        settings["event_subscriptions"]["request_url"],
        features["slash_commands"][0]["url"],
    }
    assert urls == {"https://plaudit.example.com/slack/events"}
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "validate_manifest.py")], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
