"""Signed Slack requests for tests, benchmarks and `plaudit try`: commands, buttons, modals, events."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

Transport = Callable[[bytes, dict[str, str]], "Reply"]
_serial = itertools.count(1)


@dataclass
class Reply:
    status: int
    body: str

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


def signed_headers(
    secret: str, body: bytes, content_type: str, *, timestamp: int | None = None, forge: bool = False
) -> dict[str, str]:
    """Headers Slack would send: a v0 HMAC signature over the timestamp and body."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    assert signature is not None  # None only without a timestamp, and there always is one
    if forge:
        signature = signature[:-4] + ("0000" if not signature.endswith("0000") else "1111")
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature, "Content-Type": content_type}


def flask_transport(client, path: str = "/slack/events") -> Transport:
    """Send through a Flask test client (the real WSGI app, no socket)."""

    def send(body: bytes, headers: dict[str, str]) -> Reply:
        response = client.post(path, data=body, headers=headers)
        return Reply(response.status_code, response.get_data(as_text=True))

    return send


class SlackDriver:
    """Acts as Slack: builds each kind of request a user's action produces, signs it, sends it."""

    def __init__(self, transport: Transport, signing_secret: str, team_id: str = "T0PLAUDIT") -> None:
        self.transport = transport
        self.secret = signing_secret
        self.team_id = team_id

    def send_form(self, fields: dict[str, str], **sign: Any) -> Reply:
        body = urlencode(fields).encode()
        headers = signed_headers(self.secret, body, "application/x-www-form-urlencoded", **sign)
        return self.transport(body, headers)

    def send_json(self, payload: dict, extra_headers: dict[str, str] | None = None, **sign: Any) -> Reply:
        body = json.dumps(payload).encode()
        headers = signed_headers(self.secret, body, "application/json", **sign)
        return self.transport(body, {**headers, **(extra_headers or {})})

    def command(
        self,
        user: str,
        text: str,
        *,
        channel: str = "C0GENERAL",
        command: str = "/kudos",
        trigger_id: str | None = None,
        response_url: str = "https://hooks.example/commands/1",
        **sign: Any,
    ) -> Reply:
        return self.send_form(
            {
                "token": "legacy",
                "team_id": self.team_id,
                "channel_id": channel,
                "user_id": user,
                "command": command,
                "text": text,
                "response_url": response_url,
                "trigger_id": trigger_id or f"trigger.{next(_serial)}",
                "api_app_id": "APLAUDIT",
            },
            **sign,
        )

    def interactive(self, payload: dict, **sign: Any) -> Reply:
        return self.send_form({"payload": json.dumps({"team": {"id": self.team_id}, **payload})}, **sign)

    def press(
        self,
        user: str,
        action_id: str,
        value: str,
        *,
        channel: str | None = None,
        message_ts: str | None = None,
        view_id: str | None = None,
        **sign: Any,
    ) -> Reply:
        """Press a button (or pick a select option when `value` is a selected option value)."""
        container = (
            {"type": "message", "channel_id": channel, "message_ts": message_ts}
            if message_ts
            else {"type": "view", "view_id": view_id or "VHOME"}
        )
        action = {
            "action_id": action_id,
            "block_id": "b",
            "value": value,
            "type": "button",
            "selected_option": {"value": value},
            "action_ts": str(time.time()),
        }
        payload = {
            "type": "block_actions",
            "user": {"id": user},
            "trigger_id": f"trigger.{next(_serial)}",
            "container": container,
            "actions": [action],
            "api_app_id": "APLAUDIT",
        }
        if message_ts:
            payload["channel"] = {"id": channel}
            payload["message"] = {"ts": message_ts, "text": ""}
        return self.interactive(payload, **sign)

    def submit(
        self,
        user: str,
        callback_id: str,
        values: dict[str, dict[str, dict]],
        *,
        view_id: str | None = None,
        private_metadata: str = "",
        **sign: Any,
    ) -> Reply:
        """Submit a modal; `values` is Slack's state.values (block id → action id → state)."""
        view = {
            "id": view_id or f"V{next(_serial):08d}",
            "callback_id": callback_id,
            "type": "modal",
            "private_metadata": private_metadata,
            "state": {"values": values},
            "hash": "h",
        }
        return self.interactive(
            {
                "type": "view_submission",
                "user": {"id": user},
                "view": view,
                "trigger_id": f"trigger.{next(_serial)}",
                "api_app_id": "APLAUDIT",
            },
            **sign,
        )

    def message_shortcut(
        self, user: str, callback_id: str, channel: str, message: dict, **sign: Any
    ) -> Reply:
        return self.interactive(
            {
                "type": "message_action",
                "callback_id": callback_id,
                "user": {"id": user},
                "channel": {"id": channel},
                "message": message,
                "trigger_id": f"trigger.{next(_serial)}",
                "response_url": "https://hooks.example/actions/1",
            },
            **sign,
        )

    def event(
        self, event: dict, *, event_id: str | None = None, retry_num: int | None = None, **sign: Any
    ) -> Reply:
        payload = {
            "token": "legacy",
            "team_id": self.team_id,
            "api_app_id": "APLAUDIT",
            "type": "event_callback",
            "event": event,
            "event_id": event_id or f"Ev{next(_serial):08d}",
            "event_time": int(time.time()),
        }
        headers = (
            {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"}
            if retry_num is not None
            else None
        )
        return self.send_json(payload, headers, **sign)


def give_form_values(
    users: list[str], points: str, reason: str, value: str | None = None, visibility: str = "public"
) -> dict:
    """state.values of the give-kudos modal."""
    return {
        "recipients": {"users": {"type": "multi_users_select", "selected_users": users}},
        "points": {"points": {"type": "plain_text_input", "value": points}},
        "value": {"value": {"type": "static_select", "selected_option": {"value": value} if value else None}},
        "reason": {"reason": {"type": "plain_text_input", "value": reason}},
        "visibility": {"visibility": {"type": "radio_buttons", "selected_option": {"value": visibility}}},
    }
