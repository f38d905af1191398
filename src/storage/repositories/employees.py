"""Employees, with personal fields encrypted per row and email found through a blind index."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from rewards.model import Celebration, Employee, EmployeeStatus
from storage.bulk import among
from storage.crypto import BlindIndex, FieldCipher
from storage.tables import EmployeeRow

TABLE = "employees"
TEXT_FIELDS = ("email", "display_name", "phone", "postal_address")
DATE_FIELDS = ("birth_date", "hire_date")
PLAIN_FIELDS = ("external_id", "slack_user_id", "manager_id", "department", "country",
                "timezone", "locale", "is_bot", "is_guest", "created_at", "updated_at",
                "erased_at")


class EmployeeCodec:
    """Turns domain employees into rows and back, encrypting personal fields."""

    def __init__(self, cipher: FieldCipher, blind_index: BlindIndex) -> None:
        self.cipher = cipher
        self.blind_index = blind_index

    def fill_row(self, row: EmployeeRow, employee: Employee) -> None:
        for name in PLAIN_FIELDS:
            setattr(row, name, getattr(employee, name))
        row.status = EmployeeStatus(employee.status).value
        row.celebration = Celebration(employee.celebration).value
        for name in TEXT_FIELDS + DATE_FIELDS:
            value = getattr(employee, name)
            if isinstance(value, date):
                value = value.isoformat()
            setattr(row, f"{name}_enc", self._seal(value, f"{name}_enc", employee.id))
        row.email_bidx = self.blind_index.email(employee.email) if employee.email else None

    def to_domain(self, row: EmployeeRow) -> Employee:
        opened = {name: self._open(getattr(row, f"{name}_enc"), f"{name}_enc", row.id)
                  for name in TEXT_FIELDS + DATE_FIELDS}
        for name in DATE_FIELDS:
            if opened[name] is not None:
                opened[name] = date.fromisoformat(opened[name])
        return Employee(
            id=row.id, status=EmployeeStatus(row.status), celebration=Celebration(row.celebration),
            **{name: getattr(row, name) for name in PLAIN_FIELDS}, **opened,
        )

    def _seal(self, value: str | None, column: str, row_id: str) -> str | None:
        if value is None or value == "":
            return None
        return self.cipher.encrypt(str(value), TABLE, column, row_id)

    def _open(self, token: str | None, column: str, row_id: str) -> str | None:
        return None if token is None else self.cipher.decrypt(token, TABLE, column, row_id)


class SqlEmployeeRepository:
    def __init__(self, session: Session, codec: EmployeeCodec) -> None:
        self.session = session
        self.codec = codec

    def add(self, employee: Employee) -> None:
        row = EmployeeRow(id=employee.id)
        self.codec.fill_row(row, employee)
        self.session.add(row)
        self.session.flush()

    def save(self, employee: Employee) -> None:
        row = self.session.get(EmployeeRow, employee.id)
        if row is None:
            raise LookupError(f"employee {employee.id} does not exist")
        self.codec.fill_row(row, employee)
        self.session.flush()

    def get(self, employee_id: str) -> Employee | None:
        row = self.session.get(EmployeeRow, employee_id)
        return None if row is None else self.codec.to_domain(row)

    def get_by_external_id(self, external_id: str) -> Employee | None:
        return self._one(EmployeeRow.external_id == external_id)

    def get_by_slack_id(self, slack_user_id: str) -> Employee | None:
        return self._one(EmployeeRow.slack_user_id == slack_user_id)

    def get_by_email(self, email: str) -> Employee | None:
        return self._one(EmployeeRow.email_bidx == self.codec.blind_index.email(email))

    def active_ids(self, employee_ids) -> set[str]:
        wanted = list(set(employee_ids))
        found: set[str] = set()
        for start in range(0, len(wanted), 5000):
            found.update(self.session.scalars(select(EmployeeRow.id).where(
                among(self.session, EmployeeRow.id, wanted[start:start + 5000]),
                EmployeeRow.status == EmployeeStatus.ACTIVE.value, EmployeeRow.erased_at.is_(None))))
        return found

    def _one(self, condition) -> Employee | None:
        row = self.session.scalars(select(EmployeeRow).where(condition).limit(1)).first()
        return None if row is None else self.codec.to_domain(row)
