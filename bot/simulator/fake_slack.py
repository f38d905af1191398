"""A local fake of the Slack Web API: records every call, answers like Slack, fails on request.

Used by the tests and by `plaudit try`; point a WebClient at it with `base_url=fake.url`. It also
receives the POSTs a command's response_url gets (`hook_url`), recorded as calls of "response_url".
"""

from __future__ import annotations

import contextlib
import itertools
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

STALL_LIMIT_SECONDS = 60  # a stalled call is answered by then even if the test never releases it


@dataclass
class Call:
    method: str  # e.g. "chat.postMessage"
    args: dict[str, Any]
    token: str | None
    reply: dict[str, Any] | None = None  # what the fake answered (e.g. the ts of a posted message)
    at: float = field(default_factory=time.monotonic)  # when it arrived (time.monotonic)
    status: int = 200  # the HTTP status it was answered with
    path: str = ""  # the request's path (tells response_url hooks apart)


@dataclass
class ScriptedReply:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    channel: str | None = None  # only calls to this channel (None: any)


class FakeSlack:
    """An HTTP server on 127.0.0.1 that behaves enough like slack.com/api for Plaudit."""

    def __init__(self, team_id: str = "T0PLAUDIT", bot_user_id: str = "UBOT", port: int = 0) -> None:
        self.team_id = team_id
        self.bot_user_id = bot_user_id
        self.calls: list[Call] = []
        self.users: dict[str, dict[str, Any]] = {}
        self.usergroups: dict[str, list[str]] = {}
        self._scripts: dict[str, deque[ScriptedReply]] = {}
        self._stalls: dict[str, threading.Event] = {}
        self._ts = itertools.count(1)
        self._views = itertools.count(1)
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        self._server = ThreadingHTTPServer(("127.0.0.1", port), self._handler_class())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}/api/"

    def hook_url(self, name: str = "commands/1") -> str:
        """A response_url on this fake: what is POSTed there is recorded as a "response_url" call."""
        return f"http://127.0.0.1:{self._server.server_port}/hooks/{name}"

    def start(self) -> FakeSlack:
        self._thread.start()
        return self

    def stop(self) -> None:
        for stalled in list(self._stalls.values()):  # let held requests finish before closing
            stalled.set()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- arranging ---------------------------------------------------------------------------
    def add_user(
        self,
        user_id: str,
        *,
        name: str = "",
        email: str | None = None,
        is_bot: bool = False,
        deleted: bool = False,
        guest: bool = False,
        tz: str = "UTC",
    ) -> None:
        self.users[user_id] = {
            "id": user_id,
            "team_id": self.team_id,
            "name": name or user_id.lower(),
            "real_name": name,
            "deleted": deleted,
            "is_bot": is_bot,
            "is_restricted": guest,
            "is_ultra_restricted": False,
            "tz": tz,
            "profile": {"real_name": name, "display_name": name, "email": email},
        }

    def add_usergroup(self, group_id: str, members: list[str]) -> None:
        self.usergroups[group_id] = list(members)

    def fail_next(
        self,
        method: str,
        status: int = 500,
        *,
        body: dict | None = None,
        headers: dict[str, str] | None = None,
        times: int = 1,
        channel: str | None = None,
    ) -> None:
        """Answer the next `times` calls of `method` (to `channel`, if named) with this status.

        For example 429 with a Retry-After header.
        """
        reply = ScriptedReply(status, body or {"ok": False, "error": "fake_failure"}, headers or {}, channel)
        self._scripts.setdefault(method, deque()).extend([reply] * times)

    def fail_always(self, method: str, status: int = 500) -> None:
        self.fail_next(method, status, times=1_000_000)

    def stall(self, method: str) -> threading.Event:
        """Hold every call of `method` (recorded as it arrives) unanswered until the event is set.

        A slow Slack, for tests: `release = fake.stall("views.publish")`, then `release.set()`.
        """
        release = threading.Event()
        with self._lock:
            self._stalls[method] = release
        return release

    # -- inspecting --------------------------------------------------------------------------
    def calls_to(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def wait_for(self, method: str, count: int = 1, timeout: float = 10.0) -> list[Call]:
        """The calls of `method` once `count` of them have arrived (fewer if `timeout` passes first)."""
        with self._arrived:
            self._arrived.wait_for(
                lambda: len([c for c in self.calls if c.method == method]) >= count, timeout
            )
            return [c for c in self.calls if c.method == method]

    def reset_calls(self) -> None:
        with self._lock:
            self.calls.clear()

    # -- answering ---------------------------------------------------------------------------
    def _answer(self, method: str, args: dict[str, Any]) -> ScriptedReply:
        script = self._scripts.get(method)
        for reply in script or ():
            if reply.channel is None or reply.channel == args.get("channel"):
                script.remove(reply)  # type: ignore[union-attr]
                return reply
        handler = getattr(self, "_" + method.replace(".", "_"), None)
        body = handler(args) if handler else {"ok": True}
        return ScriptedReply(200, body)

    def _auth_test(self, args):
        return {
            "ok": True,
            "team_id": self.team_id,
            "team": "Plaudit Test",
            "user": "plaudit",
            "user_id": self.bot_user_id,
            "bot_id": "BPLAUDIT",
            "url": "https://example.slack.com/",
        }

    def _chat_postMessage(self, args):
        ts = f"1700000000.{next(self._ts):06d}"
        return {
            "ok": True,
            "channel": args.get("channel"),
            "ts": ts,
            "message": {"text": args.get("text"), "ts": ts},
        }

    def _chat_update(self, args):
        return {"ok": True, "channel": args.get("channel"), "ts": args.get("ts")}

    def _chat_postEphemeral(self, args):
        return {"ok": True, "message_ts": f"1700000000.{next(self._ts):06d}"}

    def _chat_getPermalink(self, args):
        return {
            "ok": True,
            "permalink": f"https://example.slack.com/archives/"
            f"{args.get('channel')}/p{str(args.get('message_ts', '')).replace('.', '')}",
        }

    def _conversations_open(self, args):
        users = str(args.get("users", ""))
        return {"ok": True, "channel": {"id": "D" + users.split(",")[0]}}

    def _views_open(self, args):
        return {"ok": True, "view": {"id": f"V{next(self._views):08d}", "hash": "h"}}

    _views_push = _views_open
    _views_update = _views_open
    _views_publish = _views_open

    def _users_info(self, args):
        user = self.users.get(str(args.get("user")))
        return {"ok": True, "user": user} if user else {"ok": False, "error": "user_not_found"}

    def _usergroups_users_list(self, args):
        members = self.usergroups.get(str(args.get("usergroup")))
        if members is None:
            return {"ok": False, "error": "no_such_subteam"}
        return {"ok": True, "users": members}

    def _handler_class(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                hook = self.path.startswith("/hooks/")
                method = "response_url" if hook else self.path.rstrip("/").rsplit("/", 1)[-1]
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode() if length else ""
                args = _parse_args(raw, self.headers.get("Content-Type", ""))
                auth = self.headers.get("Authorization", "")
                token = auth.removeprefix("Bearer ") or args.get("token")
                with fake._lock:
                    call = Call(method, args, token, path=self.path)
                    fake.calls.append(call)
                    fake._arrived.notify_all()
                    stalled = fake._stalls.get(method)
                if stalled is not None:
                    stalled.wait(STALL_LIMIT_SECONDS)
                with fake._lock:
                    reply = fake._answer(method, args)
                    call.reply, call.status = reply.body, reply.status
                body = json.dumps(reply.body).encode()
                with contextlib.suppress(ConnectionError):  # a client that gave up on a stalled call
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/json; charset=utf-8")
                    self.send_header("Content-Length", str(len(body)))
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(body)

            do_GET = do_POST  # noqa: N815

            def log_message(self, *args):  # keep test output quiet
                pass

        return Handler


def _parse_args(raw: str, content_type: str) -> dict[str, Any]:
    if not raw:
        return {}
    if "json" in content_type:
        return json.loads(raw)
    args: dict[str, Any] = dict(parse_qsl(raw))
    for key in ("blocks", "view", "attachments"):
        if isinstance(args.get(key), str):
            with contextlib.suppress(ValueError):
                args[key] = json.loads(args[key])
    return args
