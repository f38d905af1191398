"""Benchmark data: many employees with their accounts, an API client and its token."""

from __future__ import annotations

import os
import time
import uuid
from datetime import UTC, datetime

from sqlalchemy import insert

from api.app import create_app
from api.config import ApiConfig
from rewards.model import EMPLOYEE_ACCOUNT_KINDS
from storage.access import clients
from storage.database.engine import make_engine
from storage.encryption.ciphers import BlindIndex, Keyring, generate_key
from storage.ledger.repository import account_code
from storage.schema import migrate
from storage.schema.core import AccountRow, EmployeeRow, TransactionRow
from storage.store import Store


def prepared_store(url: str, employees: int) -> tuple[dict[str, str], str, list[str]]:
    """Migrate, add `employees` people (bulk SQL, not measured), and get a token; returns
    (environment for the server, bearer token, the employees' HR ids)."""
    key, bidx = generate_key(), generate_key()
    store = Store.open(url, Keyring.parse(f"k1:{key}"), BlindIndex.from_text(bidx))
    migrate.upgrade(store.engine)
    externals = _add_employees(store, employees)
    client, secret = clients.create_client(store, "bench", ["awards:write"])
    app = create_app(store, config=ApiConfig(rate_limit_per_second=0))
    response = app.test_client().post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=(client.id, secret)
    )
    token = response.get_json()["access_token"]
    store.close()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "PLAUDIT_ENCRYPTION_KEYS": f"k1:{key}",
        "PLAUDIT_BLIND_INDEX_KEY": bidx,
        "PLAUDIT_API_RATE_LIMIT": "0",
    }
    return env, token, externals


def _add_employees(store: Store, count: int) -> list[str]:
    now = datetime.now(UTC)
    people = [
        {
            "id": str(uuid.uuid4()),
            "external_id": f"B-{n}",
            "status": "active",
            "is_bot": False,
            "is_guest": False,
            "celebration": "public",
            "created_at": now,
            "updated_at": now,
        }
        for n in range(count)
    ]
    accounts = [
        {"code": account_code(p["id"], kind), "owner_id": p["id"], "kind": kind.value, "balance": 0}
        for p in people
        for kind in EMPLOYEE_ACCOUNT_KINDS
    ]
    with store.engine.begin() as conn:
        conn.execute(insert(EmployeeRow), people)
        conn.execute(insert(AccountRow), accounts)
    return [p["external_id"] for p in people]


def raw_executemany_rate(url: str, rows: int) -> float:
    """Rows/s of a bare executemany of `rows` postings (one transaction row), rolled back after."""
    engine = make_engine(url)
    with engine.connect() as conn:
        accounts = (
            conn.exec_driver_sql(
                f"SELECT id FROM accounts WHERE kind = 'wallet' ORDER BY id LIMIT {int(rows)}"
            )
            .scalars()
            .all()
        )
        conn.rollback()
        trans = conn.begin()
        txn_id = conn.execute(
            insert(TransactionRow)
            .values(
                kind="bench",
                idempotency_key=f"bench-{uuid.uuid4().hex}",
                created_at=datetime.now(UTC),
            )
            .returning(TransactionRow.id)
        ).scalar_one()
        params = [(txn_id, account, 1) for account in accounts]
        cursor = conn.connection.driver_connection.cursor()
        marker = "?" if engine.dialect.name == "sqlite" else "%s"
        started = time.monotonic()
        cursor.executemany(
            f"INSERT INTO postings (transaction_id, account_id, amount)"
            f" VALUES ({marker}, {marker}, {marker})",
            params,
        )
        elapsed = time.monotonic() - started
        trans.rollback()
    engine.dispose()
    return len(params) / elapsed
