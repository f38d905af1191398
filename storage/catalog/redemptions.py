"""Redemptions, with the fulfilment (a code, link or instructions) encrypted per row."""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import datetime

from sqlalchemy import bindparam, insert, select, update

from rewards.model import Redemption, RedemptionState
from storage.database.unit_session import UnitSession
from storage.encryption.ciphers import FieldCipher
from storage.schema.core import RedemptionRow

PLAIN = [f.name for f in fields(Redemption) if f.name not in ("id", "state", "fulfilment")]
R = RedemptionRow.__table__
INSERT = insert(R).returning(R.c.id)
BY_ID = select(R).where(R.c.id == bindparam("id"))
BY_ID_FOR_UPDATE = BY_ID.with_for_update()
UPDATE = update(R).where(R.c.id == bindparam("row_id"))


class SqlRedemptionRepository:
    def __init__(self, session: UnitSession, cipher: FieldCipher) -> None:
        self.session = session
        self.cipher = cipher

    def add(self, redemption: Redemption) -> Redemption:
        new_id = (
            self.session.connection()
            .execute(
                INSERT,
                {
                    "state": redemption.state.value,
                    "fulfilment_enc": None,
                    **{name: getattr(redemption, name) for name in PLAIN},
                },
            )
            .scalar_one()
        )
        added = replace(redemption, id=new_id)
        if redemption.fulfilment:
            self.save(added)
        return added

    def get(self, redemption_id: int, *, for_update: bool = False) -> Redemption | None:
        statement = BY_ID_FOR_UPDATE if for_update else BY_ID
        row = self.session.connection().execute(statement, {"id": redemption_id}).first()
        return None if row is None else self.to_domain(row)

    def save(self, redemption: Redemption) -> None:
        sealed = (
            self.cipher.encrypt(redemption.fulfilment, "redemptions", "fulfilment_enc", redemption.id)
            if redemption.fulfilment
            else None
        )
        changed = (
            self.session.connection()
            .execute(
                UPDATE,
                {
                    "row_id": redemption.id,
                    "state": redemption.state.value,
                    "fulfilment_enc": sealed,
                    **{name: getattr(redemption, name) for name in PLAIN},
                },
            )
            .rowcount
        )
        if changed != 1:
            raise LookupError(f"redemption {redemption.id} does not exist")

    def in_state(self, state: RedemptionState, before: datetime | None = None) -> list[Redemption]:
        query = select(R).where(R.c.state == state.value)
        if before is not None:
            query = query.where(R.c.created_at < before)
        rows = self.session.connection().execute(query.order_by(R.c.id))
        return [self.to_domain(r) for r in rows]

    def open_of(self, employee_id: str) -> list[Redemption]:
        open_states = [RedemptionState.REQUESTED.value, RedemptionState.APPROVED.value]
        query = (
            select(R)
            .where(R.c.employee_id == employee_id, R.c.state.in_(open_states))
            .order_by(R.c.id)
            .with_for_update()
        )
        return [self.to_domain(r) for r in self.session.connection().execute(query)]

    def waiting(self, employee_ids, limit: int) -> list[Redemption]:
        query = select(R).where(R.c.state == RedemptionState.REQUESTED.value).order_by(R.c.id).limit(limit)
        if employee_ids is not None:
            query = query.where(R.c.employee_id.in_(list(employee_ids)))
        return [self.to_domain(r) for r in self.session.connection().execute(query)]

    def to_domain(self, row) -> Redemption:
        fulfilment = (
            self.cipher.decrypt(row.fulfilment_enc, "redemptions", "fulfilment_enc", row.id)
            if row.fulfilment_enc
            else None
        )
        return Redemption(
            id=row.id,
            state=RedemptionState(row.state),
            fulfilment=fulfilment,
            **{name: getattr(row, name) for name in PLAIN},
        )
