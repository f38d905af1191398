"""Read-only queries the Slack adapter needs: the catalog, approvals waiting, a reversal-aware leaderboard."""

from __future__ import annotations

from sqlalchemy import select

from rewards.model import CatalogItem, Redemption
from storage.catalog.items import to_domain
from storage.reads.activity import REVERSED_REACTIONS
from storage.schema.core import (
    CatalogItemRow,
    EmployeeRow,
    RedemptionRow,
)
from storage.schema.reactions import ReactionKudosRow
from storage.store import Store


def reversed_among(store: Store, recognition_ids: list[int]) -> set[int]:
    """Which of these recognitions were reaction kudos taken back."""
    if not recognition_ids:
        return set()
    with store.reader() as uow:
        taken_back = REVERSED_REACTIONS.where(ReactionKudosRow.recognition_id.in_(recognition_ids))
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


def pending_redemptions(
    store: Store, employee_ids: list[str] | None = None, limit: int = 20
) -> list[Redemption]:
    """Redemptions waiting for a decision, oldest first (of these employees, when given)."""
    query = (
        select(RedemptionRow.id)
        .where(RedemptionRow.state == "requested")
        .order_by(RedemptionRow.id)
        .limit(limit)
    )
    if employee_ids is not None:
        query = query.where(RedemptionRow.employee_id.in_(employee_ids))
    with store.reader() as uow:
        # Ids and rows are read in one transaction: every id is found.
        found = (uow.redemptions.get(rid) for rid in uow.session.scalars(query).all())
        return [redemption for redemption in found if redemption is not None]


def reports_of(store: Store, manager_id: str) -> list[str]:
    with store.reader() as uow:
        return list(
            uow.session.scalars(select(EmployeeRow.id).where(EmployeeRow.manager_id == manager_id)).all()
        )
