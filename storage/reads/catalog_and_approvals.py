"""Read-only queries the Slack adapter needs: the catalog, and which reaction kudos were taken back."""

from __future__ import annotations

from sqlalchemy import select

from rewards.model import CatalogItem
from storage.catalog.items import to_domain
from storage.recognition.reactions import TAKEN_BACK
from storage.schema.core import (
    CatalogItemRow,
)
from storage.schema.reactions import ReactionKudosRow
from storage.store import Store


def reversed_among(store: Store, recognition_ids: list[int]) -> set[int]:
    """Which of these recognitions were reaction kudos taken back."""
    if not recognition_ids:
        return set()
    with store.reader() as uow:
        taken_back = TAKEN_BACK.where(ReactionKudosRow.recognition_id.in_(recognition_ids))
        return set(uow.session.scalars(taken_back))


def active_catalog(store: Store, limit: int = 25) -> list[CatalogItem]:
    """Rewards on offer, cheapest first."""
    query = (
        select(CatalogItemRow)
        .where(CatalogItemRow.active.is_(True))
        .order_by(CatalogItemRow.points_cost, CatalogItemRow.id)
        .limit(limit)
    )
    with store.reader() as uow:
        return [to_domain(row) for row in uow.session.scalars(query)]


def find_item(store: Store, wanted: str) -> CatalogItem | None:
    """An active reward by id, or by name (case-insensitive)."""
    items = active_catalog(store, limit=500)
    cleaned = wanted.strip().lstrip("#").lower()
    for item in items:
        if str(item.id) == cleaned or item.name.lower() == cleaned:
            return item
    matches = [item for item in items if cleaned and cleaned in item.name.lower()]
    return matches[0] if len(matches) == 1 else None
