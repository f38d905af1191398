"""Catalog items."""

from __future__ import annotations

from dataclasses import asdict, replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from rewards.model import CatalogItem, ItemKind
from storage.tables import CatalogItemRow


class SqlCatalogRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, item: CatalogItem) -> CatalogItem:
        values = asdict(item)
        values.pop("id")
        values["kind"] = ItemKind(item.kind).value
        row = CatalogItemRow(**values)
        self.session.add(row)
        self.session.flush()
        return replace(item, id=row.id)

    def get(self, item_id: int, *, for_update: bool = False) -> CatalogItem | None:
        query = select(CatalogItemRow).where(CatalogItemRow.id == item_id)
        if for_update:
            query = query.with_for_update()
        row = self.session.scalars(query).first()
        return None if row is None else to_domain(row)

    def save(self, item: CatalogItem) -> None:
        row = self.session.get(CatalogItemRow, item.id)
        if row is None:
            raise LookupError(f"catalog item {item.id} does not exist")
        for name, value in asdict(item).items():
            setattr(row, name, ItemKind(value).value if name == "kind" else value)
        self.session.flush()


def to_domain(row: CatalogItemRow) -> CatalogItem:
    return CatalogItem(
        id=row.id, name=row.name, points_cost=row.points_cost, kind=ItemKind(row.kind),
        description=row.description, stock=row.stock, requires_approval=row.requires_approval,
        active=row.active, denomination=row.denomination, created_at=row.created_at,
        updated_at=row.updated_at,
    )
