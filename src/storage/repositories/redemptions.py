"""Redemptions, with the fulfilment (a code, link or instructions) encrypted per row."""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from rewards.model import Redemption, RedemptionState
from storage.crypto import FieldCipher
from storage.tables import RedemptionRow

PLAIN = [f.name for f in fields(Redemption) if f.name not in ("id", "state", "fulfilment")]


class SqlRedemptionRepository:
    def __init__(self, session: Session, cipher: FieldCipher) -> None:
        self.session = session
        self.cipher = cipher

    def add(self, redemption: Redemption) -> Redemption:
        row = RedemptionRow(state=redemption.state.value,
                            **{name: getattr(redemption, name) for name in PLAIN})
        self.session.add(row)
        self.session.flush()
        added = replace(redemption, id=row.id)
        if redemption.fulfilment:
            self.save(added)
        return added

    def get(self, redemption_id: int, *, for_update: bool = False) -> Redemption | None:
        query = select(RedemptionRow).where(RedemptionRow.id == redemption_id)
        if for_update:
            query = query.with_for_update()
        row = self.session.scalars(query).first()
        return None if row is None else self.to_domain(row)

    def save(self, redemption: Redemption) -> None:
        row = self.session.get(RedemptionRow, redemption.id)
        if row is None:
            raise LookupError(f"redemption {redemption.id} does not exist")
        row.state = redemption.state.value
        for name in PLAIN:
            setattr(row, name, getattr(redemption, name))
        row.fulfilment_enc = (
            self.cipher.encrypt(redemption.fulfilment, "redemptions", "fulfilment_enc", row.id)
            if redemption.fulfilment else None
        )
        self.session.flush()

    def in_state(self, state: RedemptionState, before: datetime | None = None) -> list[Redemption]:
        query = select(RedemptionRow).where(RedemptionRow.state == state.value)
        if before is not None:
            query = query.where(RedemptionRow.created_at < before)
        return [self.to_domain(r) for r in self.session.scalars(query.order_by(RedemptionRow.id))]

    def to_domain(self, row: RedemptionRow) -> Redemption:
        fulfilment = (
            self.cipher.decrypt(row.fulfilment_enc, "redemptions", "fulfilment_enc", row.id)
            if row.fulfilment_enc else None
        )
        return Redemption(id=row.id, state=RedemptionState(row.state), fulfilment=fulfilment,
                          **{name: getattr(row, name) for name in PLAIN})
