"""Employees, with personal fields encrypted per row and email found through a blind index."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from typing import Any
from unicodedata import normalize

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
TEXT_FIELDS = ("email", "display_name", "phone", "postal_address", "user_name", "directory_id")
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
    "deprovisioned_at",
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
BY_USER_NAME_INDEX = SELECT_ALL.where(T.c.user_name_bidx == bindparam("key")).limit(1)
BY_DIRECTORY_ID_INDEX = SELECT_ALL.where(T.c.directory_id_bidx == bindparam("key")).order_by(T.c.id)
# Who a SCIM listing serves: not erased, not deprovisioned, in the order they were created.
SERVED = (T.c.erased_at.is_(None), T.c.deprovisioned_at.is_(None))
DIRECTORY_IDS = select(T.c.id).where(*SERVED).order_by(T.c.created_at, T.c.id)
# What a listing may ask for by name: the plain columns, the personal ones (decrypted) and status.
LISTABLE = frozenset(PLAIN_FIELDS + TEXT_FIELDS + DATE_FIELDS + ("status",))
STATUSES = {status.value: status for status in EmployeeStatus}
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
        values["user_name_bidx"] = self.user_name_key(employee.user_name) if employee.user_name else None
        values["directory_id_bidx"] = (
            self.directory_id_key(employee.directory_id) if employee.directory_id else None
        )
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

    def open_field(self, row: Any, name: str) -> Any:
        """One personal field of a row, decrypted (a date field as a date)."""
        value = self._open(getattr(row, f"{name}_enc"), f"{name}_enc", row.id)
        return date.fromisoformat(value) if value is not None and name in DATE_FIELDS else value

    def user_name_key(self, user_name: str) -> str:
        """SCIM compares userName case-insensitively (NFC, lower case), so its key does too."""
        return self.blind_index.identifier("user-name", normalize("NFC", user_name.strip()).lower())

    def directory_id_key(self, directory_id: str) -> str:
        """SCIM compares externalId exactly, so its key does too."""
        return self.blind_index.identifier("directory-id", directory_id)

    def _seal(self, value: str | None, column: str, row_id: str) -> str | None:
        if value is None or value == "":
            return None
        return self.cipher.encrypt(str(value), TABLE, column, row_id)

    def _open(self, token: str | None, column: str, row_id: str) -> str | None:
        return None if token is None else self.cipher.decrypt(token, TABLE, column, row_id)


class EmployeeFields:
    """Some fields of one employee; a personal field is decrypted the first time it is read."""

    __slots__ = ("id", "_codec", "_opened", "_row")

    def __init__(self, row: Any, codec: EmployeeCodec) -> None:
        self.id: str = row.id
        self._row = row
        self._codec = codec
        self._opened: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Any:
        if name in self._opened:
            return self._opened[name]
        if name == "status":
            value: Any = STATUSES[self._row.status]
        elif name in TEXT_FIELDS or name in DATE_FIELDS:
            value = self._codec.open_field(self._row, name)
        else:
            value = getattr(self._row, name)
        self._opened[name] = value
        return value


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

    def get_by_user_name(self, user_name: str) -> Employee | None:
        """Who has this SCIM userName (compared case-insensitively)."""
        return self._one(BY_USER_NAME_INDEX, self.codec.user_name_key(user_name))

    def get_by_directory_id(self, directory_id: str) -> list[Employee]:
        """Who has this SCIM externalId (exact); identity providers keep it unique, we do not."""
        rows = self.session.connection().execute(
            BY_DIRECTORY_ID_INDEX, {"key": self.codec.directory_id_key(directory_id)}
        )
        return [self.codec.to_domain(row) for row in rows]

    def directory_ids(self) -> list[str]:
        """Everyone a SCIM listing serves (not erased, not deprovisioned), oldest first."""
        return list(self.session.connection().execute(DIRECTORY_IDS).scalars())

    def directory_fields(self, names: Collection[str]) -> list[EmployeeFields]:
        """Everyone a SCIM listing serves, oldest first, reading only these fields (and the id).

        Personal fields are decrypted when first read, so a filter that settles on a plain field
        (or on an earlier term) opens nothing it does not look at.
        """
        unknown = set(names) - LISTABLE
        if unknown:
            raise ValueError(f"not listable employee fields: {sorted(unknown)}")
        columns = [
            T.c[f"{name}_enc" if name in TEXT_FIELDS or name in DATE_FIELDS else name]
            for name in sorted(set(names))
        ]
        statement = select(T.c.id, *columns).where(*SERVED).order_by(T.c.created_at, T.c.id)
        rows = self.session.connection().execute(statement).all()
        return [EmployeeFields(row, self.codec) for row in rows]

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
