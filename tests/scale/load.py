"""Mixed load over several app servers, every request recorded with its ledger key and outcome.

Kudos are signed `/kudos` slash commands (ledger key `slack-command:<trigger_id>`); awards,
redemptions and approvals are API calls (ledger key `api:<client_id>:<Idempotency-Key>`).
"""

from __future__ import annotations

import json
import random
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

from bot.simulator.signed_requests import signed_headers
from tests.scale.cluster import SECRET, api, call

Answer = tuple[int, dict | None]


@dataclass
class Outcome:
    kind: str  # kudos | award | redeem | approve
    key: str  # the ledger transaction's idempotency key
    port: int
    status: int | None  # None: no answer (refused, reset, timed out)
    accepted: bool | None  # True: the client saw success; False: a refusal; None: unknown
    seconds: float
    send: Callable[[int], Answer]  # the same request again, to a given port
    detail: str = ""  # why it was refused: the problem code, or the start of Slack's answer

    def retry(self, port: int) -> Outcome:
        return attempt(self.kind, self.key, port, self.send)


def attempt(kind: str, key: str, port: int, send: Callable[[int], Answer]) -> Outcome:
    started = time.monotonic()
    try:
        status, body = send(port)
    except OSError:
        status, body = None, None
    accepted = judge(kind, status, body)
    detail = "" if accepted or not body else str(body.get("code") or body.get("text", ""))[:60]
    return Outcome(kind, key, port, status, accepted, time.monotonic() - started, send, detail)


def judge(kind: str, status: int | None, body: dict | None) -> bool | None:
    if status is None or status >= 500:
        return None
    if kind == "kudos":
        if status != 200 or not body:
            return None
        if body.get("response_type") == "in_channel":
            return True
        return None if "went wrong" in body.get("text", "") else False
    if status in (409, 429) and body and body.get("code") in ("idempotency_key_in_use", "rate_limited"):
        return None
    return 200 <= status < 300


def kudos_sender(team: str, giver: str, text: str, trigger: str) -> Callable[[int], Answer]:
    fields = {
        "token": "legacy",
        "team_id": team,
        "channel_id": "C0GENERAL",
        "user_id": giver,
        "command": "/kudos",
        "text": text,
        "response_url": "https://hooks.example/c/1",
        "trigger_id": trigger,
        "api_app_id": "APLAUDIT",
    }
    raw = urlencode(fields).encode()

    def send(port: int) -> Answer:
        headers = signed_headers(SECRET, raw, "application/x-www-form-urlencoded")
        status, answer = call(port, "POST", "/slack/events", body=raw, headers=headers)
        return status, (json.loads(answer) if answer.strip().startswith(b"{") else None)

    return send


class Load:
    """Closed-loop clients sending a mix of kudos, awards, redemptions and approvals."""

    def __init__(
        self,
        ports: list[int],
        token: str,
        client_id: str,
        people: list[tuple[str, str]],
        item_id: int,
        seed: int = 7,
    ) -> None:
        self.ports, self.token, self.client_id = ports, token, client_id
        self.people, self.item_id = people, item_id  # (external id, Slack user id)
        self.outcomes: list[Outcome] = []
        self.waiting: deque[int] = deque()  # redemptions to approve
        self.lock = threading.Lock()
        self.seed = seed

    def run(self, seconds: float, clients: int, max_requests: int = 100_000) -> list[Outcome]:
        stop = time.monotonic() + seconds
        threads = [
            threading.Thread(target=self._client, args=(n, stop, max_requests // clients))
            for n in range(clients)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(seconds + 60)
        return self.outcomes

    def _client(self, n: int, stop: float, limit: int) -> None:
        rng = random.Random(self.seed * 1000 + n)
        for sent in range(limit):
            if time.monotonic() >= stop:
                return
            ports = self.ports  # replaced, never mutated, when a server goes away
            port = ports[(n + sent) % len(ports)]
            outcome = self._one(rng, port)
            with self.lock:
                self.outcomes.append(outcome)

    def _one(self, rng: random.Random, port: int) -> Outcome:
        roll = rng.random()
        if roll < 0.1:
            with self.lock:
                waiting = self.waiting.popleft() if self.waiting else None
            if waiting is not None:
                return self._api("approve", port, f"/api/v1/redemptions/{waiting}/approve", {})
        if roll < 0.5:
            return self._kudos(rng, port)
        if roll < 0.75:
            external = rng.choice(self.people)[0]
            return self._api(
                "award",
                port,
                "/api/v1/awards",
                {"employee_ids": [external], "points": rng.randint(1, 5), "reason": "load", "notify": True},
            )
        outcome = self._api(
            "redeem",
            port,
            "/api/v1/redemptions",
            {"employee_id": rng.choice(self.people)[0], "item_id": self.item_id},
            keep=True,
        )
        return outcome

    def _kudos(self, rng: random.Random, port: int) -> Outcome:
        giver, taker = rng.sample(self.people, 2)
        if rng.random() < 0.05:
            taker = giver  # refused: nobody thanks themselves
        trigger = f"trig-{uuid.uuid4().hex}"
        send = kudos_sender("T0PLAUDIT", giver[1], f"<@{taker[1]}> {rng.randint(1, 5)} for the help", trigger)
        return attempt("kudos", f"slack-command:{trigger}", port, send)

    def _api(self, kind: str, port: int, path: str, payload: dict, keep: bool = False) -> Outcome:
        key = uuid.uuid4().hex
        answers: list[Answer] = []

        def send(to: int) -> Answer:
            answer = api(to, "POST", path, self.token, payload, key)
            answers.append(answer)
            return answer

        outcome = attempt(kind, f"api:{self.client_id}:{key}", port, send)
        if keep and outcome.accepted and answers[-1][1].get("state") == "requested":
            with self.lock:
                self.waiting.append(answers[-1][1]["id"])
        return outcome


def seed_people(port: int, token: str, count: int, fake=None, **fields) -> list[tuple[str, str]]:
    """`count` employees over the API, each with a Slack user id the FakeSlack knows."""
    people = []
    for n in range(count):
        external, slack_id = f"E-{n}", f"U{n:06d}"
        if fake is not None:
            fake.add_user(slack_id, name=f"Person {n}", email=f"person{n}@example.com")
        status, body = api(
            port,
            "PUT",
            f"/api/v1/employees/{external}",
            token,
            {"slack_user_id": slack_id, "display_name": f"Person {n}", **fields},
        )
        assert status in (200, 201), body
        people.append((external, slack_id))
    return people


def catalog_item(port: int, token: str, cost: int = 5, approval: bool = True) -> int:
    status, body = api(
        port,
        "POST",
        "/api/v1/catalog/items",
        token,
        {"name": "Team lunch", "kind": "custom", "points_cost": cost, "requires_approval": approval},
    )
    assert status == 201, body
    return body["id"]
