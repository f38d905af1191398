"""A floor for bench/api_awards.py: Flask plus the SQL of a single award on the raw driver.

POST /floor/awards runs the statements a Plaudit award runs (the stored-refusal lookup, the
employee by HR id, the ledger transaction with its postings and the balance change, the outbox
row) on a DB-API connection per worker, and answers 201. No auth, no validation, no rules, no
Plaudit code: no implementation of these writes can pass it, so it tells how much of the gap
to the hello-world endpoint is the database's. It reads the employees and accounts the
benchmark's set-up created (DATABASE_URL, as for the Plaudit server).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime

from flask import Flask, jsonify, request

from floor_db import SQLITE, PerThread, Writer, for_driver, rows

REFUSAL = "SELECT id, fingerprint FROM api_idempotency WHERE client_id = %s AND key = %s"
EMPLOYEE = "SELECT id, status, is_bot FROM employees WHERE external_id = %s"
TRANSACTION = (
    "INSERT INTO transactions (kind, idempotency_key, fingerprint, reference, actor, memo,"
    " created_at) VALUES ('award', %s, %s, %s, NULL, 'bench', %s) RETURNING id"
)
POSTINGS = "INSERT INTO postings (transaction_id, account_id, amount) VALUES (%s, %s, -1), (%s, %s, 1)"
CREDIT = "UPDATE accounts SET balance = balance + 1 WHERE id = %s"
OUTBOX = (
    "INSERT INTO outbox (channel, topic, event_id, payload, status, attempts, progress,"
    " available_at, created_at) VALUES ('slack', 'award.issued', %s, %s, 'pending', 0, 0, %s, %s)"
)
REFUSAL, EMPLOYEE, TRANSACTION, POSTINGS, CREDIT, OUTBOX = (
    for_driver(sql) for sql in (REFUSAL, EMPLOYEE, TRANSACTION, POSTINGS, CREDIT, OUTBOX)
)


ACCOUNTS = {
    (owner, kind): account for owner, kind, account in rows("SELECT owner_id, kind, id FROM accounts")
}
ISSUANCE = ACCOUNTS.get((None, "issuance"))
writer = Writer()
connections = PerThread()
app = Flask("floor")


def award(hr_id: str, key: str) -> int:
    conn = connections.get()
    now = datetime.now(UTC).replace(tzinfo=None)
    cursor = conn.cursor()
    cursor.execute(REFUSAL, ("bench", key))
    cursor.fetchall()
    with writer:
        cursor.execute("BEGIN IMMEDIATE" if SQLITE else "BEGIN")
        cursor.execute(EMPLOYEE, (hr_id,))
        employee = cursor.fetchone()[0]
        cursor.execute(TRANSACTION, (key, hashlib.sha256(key.encode()).hexdigest(), f"award:{key}", now))
        txn = cursor.fetchone()[0]
        wallet = ACCOUNTS[(employee, "wallet")]
        cursor.execute(POSTINGS, (txn, ISSUANCE, txn, wallet))
        cursor.execute(CREDIT, (wallet,))
        cursor.execute(OUTBOX, (f"evt_{uuid.uuid4().hex}", json.dumps({"transaction_id": txn}), now, now))
        cursor.execute("COMMIT")
    return txn


@app.post("/floor/awards")
def floor_award():
    body = request.get_json()
    txn = award(body["employee_ids"][0], request.headers.get("Idempotency-Key") or uuid.uuid4().hex)
    return jsonify({"transaction_id": txn}), 201


@app.get("/healthz")
def healthz():
    return {"status": "ok"}
