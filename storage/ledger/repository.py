"""The ledger: accounts, balanced append-only transactions, and guarded cached balances."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import bindparam, case, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from rewards import errors
from rewards.ledger import check_balanced
from rewards.model import (
    EMPLOYEE_ACCOUNT_KINDS,
    AccountKind,
    LedgerTransaction,
    Posting,
)
from rewards.ports import DuplicateKey
from storage.database.bulk import among
from storage.database.engine import write_lock
from storage.database.in_lists import FIXED_LENGTHS, InList
from storage.database.prepared import Prepared, integrity_error
from storage.database.unit_session import UnitSession
from storage.schema.core import AccountRow, PostingRow, TransactionRow

A = AccountRow.__table__
TXN = TransactionRow.__table__
POSTING = PostingRow.__table__
# Built once: SQLAlchemy reuses the compiled form, which makes each call several times cheaper.
ACCOUNT_ID = select(A.c.id).where(A.c.code == bindparam("code"))
BALANCE = select(A.c.balance).where(A.c.id == bindparam("id"))
LOCK = InList(
    "id", lambda ids: select(A.c.id, A.c.balance).where(A.c.id.in_(ids)).order_by(A.c.id), A.c.id.type
)
LOCK_FOR_UPDATE = InList("id", lambda ids: LOCK.build(ids).with_for_update(), A.c.id.type)
OPEN_ACCOUNT = insert(A)
FIND_TXN = select(TXN).where(TXN.c.idempotency_key == bindparam("key"))
TXN_POSTINGS = (
    select(POSTING.c.account_id, POSTING.c.amount)
    .where(POSTING.c.transaction_id == bindparam("txn"))
    .order_by(POSTING.c.id)
)
INSERT_TXN = insert(TXN).returning(TXN.c.id)
INSERT_POSTING = insert(POSTING)
# PostgreSQL: the transaction and its postings in one round trip (data-modifying CTEs).
_TXN_AND_POSTINGS = (
    "WITH t AS (INSERT INTO transactions"
    " (kind, idempotency_key, fingerprint, reference, actor, memo, created_at)"
    " VALUES (:kind, :idempotency_key, :fingerprint, :reference, :actor, :memo, :created_at)"
    " RETURNING id),"
    " p AS (INSERT INTO postings (transaction_id, account_id, amount)"
    " SELECT t.id, v.account_id, v.amount FROM t, unnest(CAST(:account_ids AS bigint[]),"
    " CAST(:amounts AS bigint[])) WITH ORDINALITY AS v(account_id, amount, n) ORDER BY v.n)"
)
INSERT_TXN_WITH_POSTINGS = text(_TXN_AND_POSTINGS + " SELECT id FROM t").bindparams(
    bindparam("created_at", type_=TXN.c.created_at.type)
)
# PostgreSQL, a small transaction whose accounts this transaction has locked (or that changes one
# account's balance): the transaction, its postings and the guarded balance changes in one round
# trip. The UPDATE changes only rows that stay non-negative and returns them; a missing one means
# the caller must roll back.
INSERT_TXN_POSTINGS_BALANCES = text(
    _TXN_AND_POSTINGS + ","
    " u AS (UPDATE accounts SET balance = accounts.balance + c.delta"
    " FROM unnest(CAST(:change_ids AS bigint[]), CAST(:change_deltas AS bigint[])) AS c(id, delta)"
    " WHERE accounts.id = c.id AND accounts.balance + c.delta >= 0 RETURNING accounts.id)"
    " SELECT (SELECT id FROM t), ARRAY(SELECT id FROM u)"
).bindparams(bindparam("created_at", type_=TXN.c.created_at.type))
# Apply a delta only if the balance stays non-negative: the check and the write are one statement.
GUARDED_CHANGE = (
    update(A)
    .where(A.c.id == bindparam("account"), A.c.balance + bindparam("delta") >= 0)
    .values(balance=A.c.balance + bindparam("delta"))
)
# PostgreSQL batches: lock many accounts in id order, then credit them all in one statement.
LOCK_MANY_IN_ORDER = text(
    "SELECT count(*) FROM (SELECT id FROM accounts WHERE id = ANY(CAST(:ids AS bigint[]))"
    " ORDER BY id FOR UPDATE) AS locked"
)
CREDIT_MANY = text(
    "UPDATE accounts SET balance = accounts.balance + v.delta"
    " FROM unnest(CAST(:ids AS bigint[]), CAST(:deltas AS bigint[])) AS v(id, delta)"
    " WHERE accounts.id = v.id"
)
BULK_CREDIT_THRESHOLD = 20  # more credited accounts than this: one statement for them all
BULK_LOCK_THRESHOLD = 100


def _deltas_statement(count: int):
    """One guarded UPDATE applying a delta to each of `count` accounts (a0/d0, a1/d1, …)."""
    ids = [bindparam(f"a{i}", type_=A.c.id.type) for i in range(count)]
    change = case(*[(A.c.id == ids[i], bindparam(f"d{i}", type_=A.c.balance.type)) for i in range(count)])
    return (
        update(A)
        .where(A.c.id.in_(ids), A.c.balance + change >= 0)
        .values(balance=A.c.balance + change)
        .returning(A.c.id)
    )


APPLY_DELTAS = {count: _deltas_statement(count) for count in range(2, FIXED_LENGTHS + 1)}
# The per-give statements, run on the driver's cursor (storage/database/prepared.py).
RUN_INSERT_TXN = Prepared(
    INSERT_TXN, ["kind", "idempotency_key", "fingerprint", "reference", "actor", "memo", "created_at"]
)
RUN_INSERT_POSTINGS = Prepared(INSERT_POSTING, ["transaction_id", "account_id", "amount"])
RUN_INSERT_TXN_WITH_POSTINGS = Prepared(INSERT_TXN_WITH_POSTINGS)
RUN_INSERT_TXN_POSTINGS_BALANCES = Prepared(INSERT_TXN_POSTINGS_BALANCES)
RUN_APPLY_DELTAS = {count: Prepared(statement) for count, statement in APPLY_DELTAS.items()}
RUN_GUARDED_CHANGE = Prepared(GUARDED_CHANGE)


def account_code(owner_id: str | None, kind: AccountKind) -> str:
    return f"system:{kind.value}" if owner_id is None else f"{owner_id}:{kind.value}"


class AccountDirectory:
    """Process-wide cache of account ids: an account's id never changes once created."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self.system_ids: set[int] = set()


class SqlLedgerRepository:
    def __init__(self, session: UnitSession, directory: AccountDirectory, lock_rows: bool) -> None:
        self.session = session
        self.directory = directory
        self.lock_rows = lock_rows  # SELECT … FOR UPDATE (PostgreSQL); SQLite serialises writers
        self.locked: set[int] = set()  # rows this transaction holds FOR UPDATE (cleared at its end)
        # Accounts created in this unit of work are not cached process-wide until they exist
        # for everyone: the transaction may still roll back (and SQLite may reuse the id).
        self._created_here: set[str] = set()
        self._system_here: set[int] = set()

    def account_id(self, owner_id: str | None, kind: AccountKind) -> int:
        code = account_code(owner_id, kind)
        cached = self.directory.ids.get(code)
        if cached is not None:
            return cached
        found = self.session.connection().execute(ACCOUNT_ID, {"code": code}).scalar()
        if found is None:
            if owner_id is not None:
                raise errors.EmployeeNotFound("That employee has no accounts.", employee_id=owner_id)
            found = self._create_system_account(kind)
            self._created_here.add(code)
        if code in self._created_here:
            if owner_id is None:
                self._system_here.add(found)
            return found
        self.directory.ids[code] = found
        if owner_id is None:
            self.directory.system_ids.add(found)
        return found

    def account_ids(self, owner_ids, kind: AccountKind) -> dict[str, int]:
        codes = {account_code(owner, kind): owner for owner in owner_ids}
        found = {codes[c]: self.directory.ids[c] for c in codes if c in self.directory.ids}
        missing = [c for c in codes if codes[c] not in found]
        for start in range(0, len(missing), 5000):
            rows = self.session.execute(
                select(AccountRow.code, AccountRow.id).where(
                    among(self.session, AccountRow.code, missing[start : start + 5000])
                )
            )
            for code, account_id in rows:
                if code not in self._created_here:
                    self.directory.ids[code] = account_id
                found[codes[code]] = account_id
        unknown = [owner for owner in codes.values() if owner not in found]
        if unknown:
            raise errors.EmployeeNotFound("That employee has no accounts.", employee_id=unknown[0])
        return found

    def _create_system_account(self, kind: AccountKind) -> int:
        code = account_code(None, kind)
        try:
            with self.session.begin_nested():
                self.session.execute(insert(AccountRow).values(code=code, kind=kind.value, balance=0))
        except IntegrityError:
            pass  # created concurrently
        return self.session.execute(select(AccountRow.id).where(AccountRow.code == code)).scalar_one()

    def open_accounts(self, owner_id: str) -> None:
        self._created_here.update(account_code(owner_id, kind) for kind in EMPLOYEE_ACCOUNT_KINDS)
        self.session.connection().execute(
            OPEN_ACCOUNT,
            [
                {"code": account_code(owner_id, kind), "owner_id": owner_id, "kind": kind.value, "balance": 0}
                for kind in EMPLOYEE_ACCOUNT_KINDS
            ],
        )

    def lock(self, account_ids: Iterable[int]) -> dict[int, int]:
        ids = sorted(set(account_ids))
        conn = self.session.connection()
        write_lock(conn)  # SQLite: a unit of work that read before its write lock takes it here
        if len(ids) > BULK_LOCK_THRESHOLD:  # a batch: one array parameter, not thousands of binds
            query = (
                select(A.c.id, A.c.balance)
                .where(among(self.session, A.c.id, ids, integers=True))
                .order_by(A.c.id)
            )
            rows = self.session.execute(query.with_for_update() if self.lock_rows else query).all()
        else:
            rows = (LOCK_FOR_UPDATE if self.lock_rows else LOCK).rows(conn, ids)
        if self.lock_rows:
            self.locked.update(ids)
        return {account_id: balance for account_id, balance in rows}

    def balance(self, account_id: int) -> int:
        return self.session.connection().execute(BALANCE, {"id": account_id}).scalar() or 0

    def find(self, idempotency_key: str) -> LedgerTransaction | None:
        conn = self.session.connection()
        row = conn.execute(FIND_TXN, {"key": idempotency_key}).first()
        if row is None:
            return None
        postings = conn.execute(TXN_POSTINGS, {"txn": row.id}).all()
        return _to_domain(row, [Posting(a, m) for a, m in postings])

    def post(
        self,
        kind: str,
        idempotency_key: str,
        postings: Sequence[Posting],
        *,
        at: datetime,
        actor: str | None = None,
        memo: str | None = None,
        reference: str | None = None,
        fingerprint: str | None = None,
    ) -> LedgerTransaction:
        check_balanced(postings)
        values = {
            "kind": kind,
            "idempotency_key": idempotency_key,
            "fingerprint": fingerprint,
            "reference": reference,
            "actor": actor,
            "memo": memo,
            "created_at": at,
        }
        conn = self.session.connection()
        together = bool(postings) and conn.dialect.name == "postgresql"
        changes = self._locked_changes(postings) if together else None
        try:  # no savepoint: a duplicate key ends this unit of work, the caller rolls back
            if changes:
                txn_id, changed = self._post_and_apply(conn, values, postings, changes)
            elif together:
                txn_id = RUN_INSERT_TXN_WITH_POSTINGS.scalar(
                    conn,
                    {
                        **values,
                        "account_ids": [p.account_id for p in postings],
                        "amounts": [p.amount for p in postings],
                    },
                )
            else:
                txn_id = RUN_INSERT_TXN.scalar(conn, values)
        except (IntegrityError, integrity_error(conn)) as exc:
            if "idempotency_key" in str(getattr(exc, "orig", exc)):
                raise DuplicateKey(idempotency_key) from None
            raise
        if postings and not together:
            RUN_INSERT_POSTINGS.run_many(
                conn,
                [
                    {"transaction_id": txn_id, "account_id": p.account_id, "amount": p.amount}
                    for p in postings
                ],
            )
        if changes:
            _check_changed(changes, changed)
        else:
            self._apply_to_balances(conn, postings)
        return LedgerTransaction(
            id=txn_id,
            kind=kind,
            idempotency_key=idempotency_key,
            actor=actor,
            memo=memo,
            created_at=at,
            reference=reference,
            fingerprint=fingerprint,
            postings=list(postings),
        )

    def _locked_changes(self, postings: Sequence[Posting]) -> dict[int, int] | None:
        """The balance changes to make in the same statement as the postings, in id order: a few
        employee accounts this transaction holds locked, or a single one (its UPDATE takes the
        one row lock, as `_apply_to_balances` would); None when `_apply_to_balances` must do it."""
        if not self.lock_rows or len(postings) > FIXED_LENGTHS + 1:
            return None
        deltas: dict[int, int] = defaultdict(int)
        system = self.directory.system_ids | self._system_here
        for posting in postings:
            if posting.account_id not in system:
                deltas[posting.account_id] += posting.amount
        changes = {a: deltas[a] for a in sorted(deltas) if deltas[a] != 0}
        if not changes or (len(changes) > 1 and not self.locked.issuperset(changes)):
            return None
        return changes

    def _post_and_apply(
        self, conn, values: dict, postings: Sequence[Posting], changes: dict[int, int]
    ) -> tuple[int, set[int]]:
        cursor = RUN_INSERT_TXN_POSTINGS_BALANCES.run(
            conn,
            {
                **values,
                "account_ids": [p.account_id for p in postings],
                "amounts": [p.amount for p in postings],
                "change_ids": list(changes),
                "change_deltas": list(changes.values()),
            },
        )
        txn_id, changed = cursor.fetchone()
        cursor.close()
        return txn_id, set(changed)

    def _apply_to_balances(self, conn, postings: Sequence[Posting]) -> None:
        deltas: dict[int, int] = defaultdict(int)
        system = self.directory.system_ids | self._system_here
        for posting in postings:
            if posting.account_id not in system:
                deltas[posting.account_id] += posting.amount
        credits = {a: d for a, d in deltas.items() if d > 0}
        if len(credits) > BULK_CREDIT_THRESHOLD:
            self.credit_many(credits)  # a batch: credits cannot overdraw, so update them together
            deltas = {a: d for a, d in deltas.items() if a not in credits}
        changes = {a: deltas[a] for a in sorted(deltas) if deltas[a] != 0}
        if changes.keys() and (not self.lock_rows or self.locked.issuperset(changes)):
            statement = RUN_APPLY_DELTAS.get(len(changes))
            if statement is not None:  # rows already locked (or SQLite): no lock order to keep
                self._apply_together(conn, statement, changes)
                return
        for account_id, delta in changes.items():  # one lock order everywhere: no deadlocks
            cursor = RUN_GUARDED_CHANGE.run(conn, {"account": account_id, "delta": delta})
            changed = cursor.rowcount
            cursor.close()
            if changed != 1:
                raise errors.InsufficientPoints(
                    "Not enough points for this.",
                    account_id=account_id,
                    needed=-delta,
                )

    def _apply_together(self, conn, statement, changes: dict[int, int]) -> None:
        params = {}
        for i, (account_id, delta) in enumerate(changes.items()):
            params[f"a{i}"], params[f"d{i}"] = account_id, delta
        cursor = statement.run(conn, params)
        changed = {row[0] for row in cursor.fetchall()}
        cursor.close()
        _check_changed(changes, changed)

    def credit_many(self, credits: dict[int, int]) -> None:
        """Add each positive delta to its account in one go (batches): locked in id order."""
        ids = sorted(credits)
        if self.lock_rows:
            # In id order, like every other writer, so batches never deadlock; the rows' balances
            # are not needed (a credit cannot overdraw), so none travel back.
            self.session.execute(LOCK_MANY_IN_ORDER, {"ids": ids})
            self.locked.update(ids)
            self.session.execute(CREDIT_MANY, {"ids": ids, "deltas": [credits[i] for i in ids]})
            return
        self.session.connection().execute(
            update(AccountRow.__table__)
            .where(AccountRow.__table__.c.id == bindparam("account"))
            .values(balance=AccountRow.__table__.c.balance + bindparam("delta")),
            [{"account": i, "delta": credits[i]} for i in ids],
        )


def _check_changed(changes: dict[int, int], changed: set[int]) -> None:
    for account_id, delta in changes.items():  # one would overdraw: the caller rolls back
        if account_id not in changed:
            raise errors.InsufficientPoints(
                "Not enough points for this.", account_id=account_id, needed=-delta
            )


def _to_domain(row, postings: list[Posting]) -> LedgerTransaction:
    return LedgerTransaction(
        id=row.id,
        kind=row.kind,
        idempotency_key=row.idempotency_key,
        actor=row.actor,
        memo=row.memo,
        created_at=row.created_at,
        reference=row.reference,
        fingerprint=row.fingerprint,
        postings=postings,
    )
