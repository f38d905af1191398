"""Milestone rules, and the bulk reads a milestone sweep needs (decrypted dates, counts, keys)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import replace
from datetime import date

from sqlalchemy import func, insert, select

from rewards.milestones import MilestoneKind, MilestoneRule
from rewards.scheduler_ports import DatedEmployee
from storage.database.unit_session import UnitSession
from storage.encryption.ciphers import FieldCipher
from storage.schema.core import EmployeeRow, RecognitionRecipientRow, TransactionRow
from storage.schema.scheduling import MilestoneRuleRow

KEY_CHUNK = 500
STREAM_ROWS = 2000


class SqlMilestoneRuleRepository:
    def __init__(self, session: UnitSession) -> None:
        self.session = session

    def list(self, *, active_only: bool = False) -> list[MilestoneRule]:
        query = select(MilestoneRuleRow).order_by(MilestoneRuleRow.id)
        if active_only:
            query = query.where(MilestoneRuleRow.active.is_(True))
        return [rule_to_domain(row) for row in self.session.scalars(query)]

    def get(self, rule_id: int) -> MilestoneRule | None:
        row = self.session.get(MilestoneRuleRow, rule_id)
        return None if row is None else rule_to_domain(row)

    def get_by_code(self, code: str) -> MilestoneRule | None:
        row = self.session.scalars(select(MilestoneRuleRow).where(MilestoneRuleRow.code == code)).first()
        return None if row is None else rule_to_domain(row)

    def add(self, rule: MilestoneRule) -> MilestoneRule:
        new_id = self.session.execute(
            insert(MilestoneRuleRow).values(**_values(rule)).returning(MilestoneRuleRow.id)
        ).scalar_one()
        return replace(rule, id=new_id)

    def save(self, rule: MilestoneRule) -> None:
        row = self.session.get(MilestoneRuleRow, rule.id)
        if row is None:
            raise LookupError(f"milestone rule {rule.id} does not exist")
        for name, value in _values(rule).items():
            setattr(row, name, value)
        self.session.flush()


def _values(rule: MilestoneRule) -> dict:
    return {
        "code": rule.code,
        "kind": MilestoneKind(rule.kind).value,
        "name": rule.name,
        "points": rule.points,
        "points_table": json.dumps({str(k): v for k, v in sorted(rule.points_table.items())}),
        "thresholds": json.dumps(sorted(rule.thresholds)),
        "weekend_to_friday": rule.weekend_to_friday,
        "offset_days": rule.offset_days,
        "active": rule.active,
        "created_at": rule.created_at,
        "updated_at": rule.updated_at,
    }


def rule_to_domain(row: MilestoneRuleRow) -> MilestoneRule:
    return MilestoneRule(
        id=row.id,
        code=row.code,
        kind=MilestoneKind(row.kind),
        name=row.name,
        points=row.points,
        points_table={int(k): int(v) for k, v in json.loads(row.points_table or "{}").items()},
        thresholds=tuple(int(t) for t in json.loads(row.thresholds or "[]")),
        weekend_to_friday=row.weekend_to_friday,
        offset_days=row.offset_days,
        active=row.active,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _active_people():
    return (EmployeeRow.status == "active", EmployeeRow.erased_at.is_(None), EmployeeRow.is_bot.is_(False))


class SqlMilestoneData:
    """Bulk reads for the sweep, decrypting only the two date columns."""

    def __init__(self, session: UnitSession, cipher: FieldCipher) -> None:
        self.session = session
        self.cipher = cipher

    def dated_employees(self) -> Iterator[DatedEmployee]:
        query = (
            select(
                EmployeeRow.id, EmployeeRow.timezone, EmployeeRow.hire_date_enc, EmployeeRow.birth_date_enc
            )
            .where(*_active_people())
            .execution_options(yield_per=STREAM_ROWS)
        )
        decrypt = self.cipher.decrypt
        for emp_id, tz, hire_enc, birth_enc in self.session.execute(query):
            hire = (
                date.fromisoformat(decrypt(hire_enc, "employees", "hire_date_enc", emp_id))
                if hire_enc
                else None
            )
            birth = (
                date.fromisoformat(decrypt(birth_enc, "employees", "birth_date_enc", emp_id))
                if birth_enc
                else None
            )
            yield DatedEmployee(emp_id, tz, hire, birth)

    def received_counts(self, at_least: int) -> list[tuple[str, int]]:
        count = func.count().label("n")
        query = (
            select(RecognitionRecipientRow.employee_id, count)
            .join(EmployeeRow, EmployeeRow.id == RecognitionRecipientRow.employee_id)
            .where(*_active_people())
            .group_by(RecognitionRecipientRow.employee_id)
            .having(count >= at_least)
        )
        return [(emp, int(n)) for emp, n in self.session.execute(query)]

    def missing_keys(self, keys: Iterable[str]) -> set[str]:
        wanted = list(dict.fromkeys(keys))
        missing = set(wanted)
        for start in range(0, len(wanted), KEY_CHUNK):
            chunk = wanted[start : start + KEY_CHUNK]
            missing -= set(
                self.session.scalars(
                    select(TransactionRow.idempotency_key).where(TransactionRow.idempotency_key.in_(chunk))
                )
            )
        return missing

    def active_employee_ids(self) -> list[str]:
        return list(
            self.session.scalars(select(EmployeeRow.id).where(*_active_people()).order_by(EmployeeRow.id))
        )
