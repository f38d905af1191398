"""Employees, with personal fields encrypted per row and email found through a blind index."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from rewards.model import Celebration, Employee, EmployeeStatus
from rewards.ports import UniqueConflict
from storage.database.bulk import among
from storage.database.in_lists import InList
from storage.database.unit_session import UnitSession
from storage.encryption.ciphers import BlindIndex, FieldCipher
from storage.people import erasure
from storage.schema.core import EmployeeRow

TABLE = "employees"
TEXT_FIELDS = ("email", "display_name", "phone", "postal_address")
DATE_FIELDS = ("birth_date", "hire_date")
PLAIN_FIELDS = (
    "external_id",
    "slack_user_id",
    "manager_id",
    "department",
    "country",
    "timezone",
    "locale",
    "is_bot",
    "is_guest",
    "created_at",
    "updated_at",
    "erased_at",
)

T = EmployeeRow.__table__
# Statements are built once: SQLAlchemy then reuses their compiled form for each call.
SELECT_ALL = select(T)
BY_ID = SELECT_ALL.where(T.c.id == bindparam("key"))
BY_IDS = InList("key", lambda keys: SELECT_ALL.where(T.c.id.in_(keys)), T.c.id.type)
BY_EXTERNAL_IDS = InList(
    "key", lambda keys: SELECT_ALL.where(T.c.external_id.in_(keys)), T.c.external_id.type
)
BY_EXTERNAL_ID = SELECT_ALL.where(T.c.external_id == bindparam("key")).limit(1)
BY_ERASED_HR_ID = SELECT_ALL.where(T.c.erased_hr_bidx == bindparam("key")).order_by(T.c.id).limit(1)
BY_SLACK_ID = SELECT_ALL.where(T.c.slack_user_id == bindparam("key")).limit(1)
CLOSED_SLACK_ID = select(T.c.id).where(T.c.erased_slack_bidx == bindparam("key")).limit(1)
BY_EMAIL_INDEX = SELECT_ALL.where(T.c.email_bidx == bindparam("key")).order_by(T.c.id).limit(1)
INSERT = insert(T)
UPDATE = update(T).where(T.c.id == bindparam("row_id"))


class EmployeeCodec:
    """Turns domain employees into row values and back, encrypting personal fields."""

    def __init__(self, cipher: FieldCipher, blind_index: BlindIndex) -> None:
        self.cipher = cipher
        self.blind_index = blind_index

    def to_row(self, employee: Employee) -> dict[str, Any]:
        values: dict[str, Any] = {name: getattr(employee, name) for name in PLAIN_FIELDS}
        values["status"] = EmployeeStatus(employee.status).value
        values["celebration"] = Celebration(employee.celebration).value
        for name in TEXT_FIELDS + DATE_FIELDS:
            value = getattr(employee, name)
            if isinstance(value, date):
                value = value.isoformat()
            values[f"{name}_enc"] = self._seal(value, f"{name}_enc", employee.id)
        values["email_bidx"] = self.blind_index.email(employee.email) if employee.email else None
        return values

    def to_domain(self, row: Any, *, personal: bool = True) -> Employee:
        if not personal:  # the rules' fields only: nothing to decrypt
            return Employee(
                id=row.id,
                status=EmployeeStatus(row.status),
                celebration=Celebration(row.celebration),
                **{name: getattr(row, name) for name in PLAIN_FIELDS},
            )
        opened: dict[str, Any] = {
            name: self._open(getattr(row, f"{name}_enc"), f"{name}_enc", row.id)
            for name in TEXT_FIELDS + DATE_FIELDS
        }
        for name in DATE_FIELDS:
            if opened[name] is not None:
                opened[name] = date.fromisoformat(opened[name])
        return Employee(
            id=row.id,
            status=EmployeeStatus(row.status),
            celebration=Celebration(row.celebration),
            **{name: getattr(row, name) for name in PLAIN_FIELDS},
            **opened,
        )

    def _seal(self, value: str | None, column: str, row_id: str) -> str | None:
        if value is None or value == "":
            return None
        return self.cipher.encrypt(str(value), TABLE, column, row_id)

    def _open(self, token: str | None, column: str, row_id: str) -> str | None:
        return None if token is None else self.cipher.decrypt(token, TABLE, column, row_id)


class SqlEmployeeRepository:
    def __init__(self, session: UnitSession, codec: EmployeeCodec) -> None:
        self.session = session
        self.codec = codec

    def add(self, employee: Employee) -> None:
        try:
            self.session.connection().execute(INSERT, {"id": employee.id, **self.codec.to_row(employee)})
        except IntegrityError as exc:  # a concurrent create of the same HR or Slack id won
            raise UniqueConflict(type(exc.orig).__name__) from None

    def save(self, employee: Employee) -> None:
        try:
            changed = (
                self.session.connection()
                .execute(UPDATE, {"row_id": employee.id, **self.codec.to_row(employee)})
                .rowcount
            )
        except IntegrityError as exc:  # a concurrent write took the same Slack id or email
            raise UniqueConflict(type(exc.orig).__name__) from None
        if changed != 1:
            raise LookupError(f"employee {employee.id} does not exist")

    def get(self, employee_id: str) -> Employee | None:
        return self._one(BY_ID, employee_id)

    def get_many(self, employee_ids, *, personal: bool = True) -> dict[str, Employee]:
        """By id; `personal=False` leaves the encrypted personal fields unread (None)."""
        rows = BY_IDS.records(self.session.connection(), sorted(set(employee_ids)))
        return {row.id: self.codec.to_domain(row, personal=personal) for row in rows}

    def get_many_by_external_id(self, external_ids, *, personal: bool = True) -> dict[str, Employee]:
        """By HR id, in one query; `personal=False` leaves the personal fields unread."""
        rows = BY_EXTERNAL_IDS.records(self.session.connection(), sorted(set(external_ids)))
        return {row.external_id: self.codec.to_domain(row, personal=personal) for row in rows}

    def get_by_external_id(self, external_id: str) -> Employee | None:
        """Who holds this HR id, or else the erased person who held it (their HR id is gone)."""
        found = self._one(BY_EXTERNAL_ID, external_id)
        if found is None:
            found = self._one(BY_ERASED_HR_ID, self.codec.blind_index.identifier("hr", external_id))
        return found

    def get_by_slack_id(self, slack_user_id: str) -> Employee | None:
        return self._one(BY_SLACK_ID, slack_user_id)

    def closed_chat_account(self, slack_user_id: str) -> bool:
        """Whether this Slack user's employee was erased (only a keyed hash of the id is kept)."""
        key = self.codec.blind_index.identifier("slack", slack_user_id)
        return self.session.connection().execute(CLOSED_SLACK_ID, {"key": key}).first() is not None

    def forget_traces(self, employee: Employee) -> None:
        """Remove what other records hold of this person; see `storage.people.erasure`."""
        erasure.forget(self.session.connection(), self.codec.cipher, self.codec.blind_index, employee)

    def get_by_email(self, email: str) -> Employee | None:
        return self._one(BY_EMAIL_INDEX, self.codec.blind_index.email(email))

    def active_ids(self, employee_ids) -> set[str]:
        wanted = list(set(employee_ids))
        found: set[str] = set()
        for start in range(0, len(wanted), 5000):
            found.update(
                self.session.scalars(
                    select(T.c.id).where(
                        among(self.session, T.c.id, wanted[start : start + 5000]),
                        T.c.status == EmployeeStatus.ACTIVE.value,
                        T.c.erased_at.is_(None),
                    )
                )
            )
        return found

    def reports_of(self, manager_ids) -> list[str]:
        wanted = list(set(manager_ids))
        found: list[str] = []
        for start in range(0, len(wanted), 5000):
            found += self.session.scalars(
                select(T.c.id).where(among(self.session, T.c.manager_id, wanted[start : start + 5000]))
            )
        return found

    def _one(self, statement, key: str) -> Employee | None:
        row = self.session.connection().execute(statement, {"key": key}).first()
        return None if row is None else self.codec.to_domain(row)
