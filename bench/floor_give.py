"""A floor for bench/slack_ack.py: bare Bolt plus the SQL of a give on the raw driver, no Plaudit code.

The /kudos listener runs the statements a Plaudit give runs (employees, balances locked, the
daily-cap sum, the recognition, the ledger transaction with its postings, the guarded balance
update, the outbox row) in one transaction on a DB-API connection per thread, then acknowledges
in the channel. It parses nothing but the one mention the bench sends and checks no rule, so
no implementation of a give on this database can be faster: it tells how much of the gap to
the bare app is the database's. It reads the employees and accounts a Plaudit run created.

With FLOOR_ONE_ROW=1 the transaction writes just one outbox row instead: the cost of any
durable write per request on this database, whatever the schema.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from datetime import UTC, datetime

from flask import Flask, request
from slack_bolt import App
from slack_bolt.adapter.flask import SlackRequestHandler
from slack_sdk import WebClient

from floor_db import SQLITE, PerThread, Writer, for_driver, rows

LOCK = " FOR UPDATE" if not SQLITE else ""
STATEMENTS = [
    ("SELECT id, status, is_bot, is_guest, timezone FROM employees WHERE id IN (%s, %s)", "all"),
    ("SELECT id, balance FROM accounts WHERE id IN (%s, %s) ORDER BY id" + LOCK, "all"),
    (
        "SELECT rr.employee_id, sum(r.points_each) FROM recognitions r JOIN recognition_recipients rr"
        " ON rr.recognition_id = r.id WHERE r.giver_id = %s AND rr.employee_id IN (%s)"
        " AND r.created_at >= %s GROUP BY rr.employee_id",
        "all",
    ),
    (
        "INSERT INTO recognitions (giver_id, points_each, value, reason, source, private, created_at)"
        " VALUES (%s, 1, NULL, 'the benchmark', 'slack', false, %s) RETURNING id",
        "one",
    ),
    ("INSERT INTO recognition_recipients (recognition_id, employee_id) VALUES (%s, %s)", None),
    (
        "INSERT INTO transactions (kind, idempotency_key, fingerprint, reference, actor, memo, created_at)"
        " VALUES ('recognition', %s, %s, %s, %s, 'slack recognition', %s) RETURNING id",
        "one",
    ),
    ("INSERT INTO postings (transaction_id, account_id, amount) VALUES (%s, %s, -1), (%s, %s, 1)", None),
    (
        "UPDATE accounts SET balance = balance + CASE WHEN id = %s THEN -1 ELSE 1 END"
        " WHERE id IN (%s, %s) AND balance + CASE WHEN id = %s THEN -1 ELSE 1 END >= 0 RETURNING id",
        "all",
    ),
    (
        "INSERT INTO outbox (channel, topic, event_id, payload, status, attempts, progress, available_at,"
        " created_at) VALUES ('slack', 'recognition.created', %s, %s, 'pending', 0, 0, %s, %s)",
        None,
    ),
]
STATEMENTS = [(for_driver(sql), fetch) for sql, fetch in STATEMENTS]


EMPLOYEES = dict(rows("SELECT slack_user_id, id FROM employees WHERE slack_user_id IS NOT NULL"))
ACCOUNTS = {
    (owner, kind): account
    for owner, kind, account in rows("SELECT owner_id, kind, id FROM accounts WHERE owner_id IS NOT NULL")
}
ONE_ROW = os.environ.get("FLOOR_ONE_ROW") == "1"
writer = Writer()
connections = PerThread()


def give(giver: str, recipient: str, key: str) -> None:
    conn = connections.get()
    now = datetime.now(UTC).replace(tzinfo=None)
    with writer:
        cursor = conn.cursor()
        cursor.execute("BEGIN IMMEDIATE" if SQLITE else "BEGIN")
        if ONE_ROW:
            cursor.execute(STATEMENTS[8][0], (f"evt_{uuid.uuid4().hex}", "{}", now, now))
            cursor.execute("COMMIT")
            return
        allowance, wallet = ACCOUNTS[(giver, "allowance")], ACCOUNTS[(recipient, "wallet")]

        def run(index: int, *params):
            sql, fetch = STATEMENTS[index]
            cursor.execute(sql, params)
            if fetch == "one":
                return cursor.fetchone()[0]
            return cursor.fetchall() if fetch else None

        run(0, giver, recipient)
        run(1, min(allowance, wallet), max(allowance, wallet))
        run(2, giver, recipient, now.replace(hour=0, minute=0, second=0, microsecond=0))
        recognition = run(3, giver, now)
        run(4, recognition, recipient)
        txn = run(5, key, hashlib.sha256(key.encode()).hexdigest(), f"recognition:{recognition}", giver, now)
        run(6, txn, allowance, txn, wallet)
        run(7, allowance, allowance, wallet, allowance)
        run(8, f"evt_{uuid.uuid4().hex}", json.dumps({"recognition_id": recognition}), now, now)
        cursor.execute("COMMIT")


client = WebClient(token="xoxb-bench", base_url=os.environ["SLACK_API_URL"])
bolt = App(
    signing_secret=os.environ["SLACK_SIGNING_SECRET"],
    client=client,
    token_verification_enabled=False,
    process_before_response=True,
)


@bolt.command("/kudos")
def kudos(ack, command):
    text = command["text"]
    if not text.startswith("<@"):  # the bench's warm-up asks for a balance
        ack(text="Your balance: plenty.")
        return
    mention = text[2 : text.index(">")].split("|")[0]
    give(EMPLOYEES[command["user_id"]], EMPLOYEES[mention], f"floor:{command['trigger_id']}")
    message = f"<@{command['user_id']}> gave <@{mention}> 1 point for the benchmark"
    ack(
        response_type="in_channel",
        text=message,
        blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": message}}],
    )


handler = SlackRequestHandler(bolt)
app = Flask("floor")


@app.post("/slack/events")
def events():
    return handler.handle(request)


@app.get("/healthz")
def healthz():
    return {"status": "ok"}
