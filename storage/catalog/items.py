"""Catalog items."""

from __future__ import annotations

from dataclasses import asdict, replace

from sqlalchemy import bindparam, insert, select, update

from rewards.model import CatalogItem, ItemKind
from storage.database.unit_session import UnitSession
from storage.schema.core import CatalogItemRow

C = CatalogItemRow.__table__
INSERT = insert(C).returning(C.c.id)
BY_ID = select(C).where(C.c.id == bindparam("id"))
BY_ID_FOR_UPDATE = BY_ID.with_for_update()
UPDATE = update(C).where(C.c.id == bindparam("row_id"))


def _values(item: CatalogItem) -> dict:
    values = asdict(item)
    values.pop("id")
    values["kind"] = ItemKind(item.kind).value
    return values


class SqlCatalogRepository:
    def __init__(self, session: UnitSession) -> None:
        self.session = session

    def add(self, item: CatalogItem) -> CatalogItem:
        new_id = self.session.connection().execute(INSERT, _values(item)).scalar_one()
        return replace(item, id=new_id)

    def get(self, item_id: int, *, for_update: bool = False) -> CatalogItem | None:
        statement = BY_ID_FOR_UPDATE if for_update else BY_ID
        row = self.session.connection().execute(statement, {"id": item_id}).first()
        return None if row is None else to_domain(row)

    def save(self, item: CatalogItem) -> None:
        changed = self.session.connection().execute(UPDATE, {"row_id": item.id, **_values(item)}).rowcount
        if changed != 1:
            raise LookupError(f"catalog item {item.id} does not exist")


def to_domain(row) -> CatalogItem:
    return CatalogItem(
        id=row.id,
        name=row.name,
        points_cost=row.points_cost,
        kind=ItemKind(row.kind),
        description=row.description,
        stock=row.stock,
        requires_approval=row.requires_approval,
        active=row.active,
        denomination=row.denomination,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )
