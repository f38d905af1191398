"""A floor for bench/api_awards.py: Flask plus the SQL of a single award on the raw driver.

POST /floor/awards runs the statements a Plaudit award runs (the stored-refusal lookup, the
employee by HR id, the ledger transaction with its postings and the balance change, the outbox
row) on a DB-API connection per worker, and answers 201. No auth, no validation, no rules, no
Plaudit code: no implementation of these writes can pass it, so it tells how much of the gap
to the hello-world endpoint is the database's. It reads the employees and accounts the
benchmark's set-up created (DATABASE_URL, as for the Plaudit server).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import threading
import uuid
from datetime import UTC, datetime

from flask import Flask, jsonify, request
from sqlalchemy.engine import make_url

URL = make_url(os.environ["DATABASE_URL"])
SQLITE = URL.get_backend_name() == "sqlite"
REFUSAL = "SELECT id, fingerprint FROM api_idempotency WHERE client_id = %s AND key = %s"
EMPLOYEE = "SELECT id, status, is_bot FROM employees WHERE external_id = %s"
TRANSACTION = ("INSERT INTO transactions (kind, idempotency_key, fingerprint, reference, actor, memo,"
               " created_at) VALUES ('award', %s, %s, %s, NULL, 'bench', %s) RETURNING id")
POSTINGS = "INSERT INTO postings (transaction_id, account_id, amount) VALUES (%s, %s, -1), (%s, %s, 1)"
CREDIT = "UPDATE accounts SET balance = balance + 1 WHERE id = %s"
OUTBOX = ("INSERT INTO outbox (channel, topic, event_id, payload, status, attempts, progress,"
          " available_at, created_at) VALUES ('slack', 'award.issued', %s, %s, 'pending', 0, 0, %s, %s)")
if SQLITE:
    REFUSAL, EMPLOYEE, TRANSACTION, POSTINGS, CREDIT, OUTBOX = (
        sql.replace("%s", "?") for sql in (REFUSAL, EMPLOYEE, TRANSACTION, POSTINGS, CREDIT, OUTBOX))


def connect():
    if SQLITE:
        import sqlite3
        conn = sqlite3.connect(URL.database, isolation_level=None, check_same_thread=False, timeout=30)
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
            conn.execute(f"PRAGMA {pragma}")
        return conn
    import psycopg
    return psycopg.connect(host=URL.host, port=URL.port, user=URL.username, password=URL.password,
                           dbname=URL.database, autocommit=True)  # BEGIN and COMMIT are ours


def accounts() -> dict[tuple[str | None, str], int]:
    conn = connect()
    cursor = conn.cursor()
    cursor.execute("SELECT owner_id, kind, id FROM accounts")
    found = {(owner, kind): account for owner, kind, account in cursor.fetchall()}
    conn.close()
    return found


ACCOUNTS = accounts()
ISSUANCE = ACCOUNTS.get((None, "issuance"))
local = threading.local()
thread_lock = threading.Lock()
lock_fd = os.open(f"{URL.database}-floorlock", os.O_RDWR | os.O_CREAT) if SQLITE else None
app = Flask("floor")


def award(hr_id: str, key: str) -> int:
    conn = getattr(local, "conn", None) or connect()
    local.conn = conn
    now = datetime.now(UTC).replace(tzinfo=None)
    cursor = conn.cursor()
    cursor.execute(REFUSAL, ("bench", key))
    cursor.fetchall()
    if SQLITE:  # one writer at a time, queued as Plaudit's gate queues them
        thread_lock.acquire()
        fcntl.flock(lock_fd, fcntl.LOCK_EX)
    try:
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
    finally:
        if SQLITE:
            fcntl.flock(lock_fd, fcntl.LOCK_UN)
            thread_lock.release()
    return txn


@app.post("/floor/awards")
def floor_award():
    body = request.get_json()
    txn = award(body["employee_ids"][0], request.headers.get("Idempotency-Key") or uuid.uuid4().hex)
    return jsonify({"transaction_id": txn}), 201


@app.get("/healthz")
def healthz():
    return {"status": "ok"}
