"""Catalog: the rewards employees can redeem points for."""

from __future__ import annotations

from dataclasses import fields, replace
from typing import Any

from rewards import errors
from rewards.clock import Clock
from rewards.model import CatalogItem
from rewards.policy import MAX_ITEM_DESCRIPTION_LENGTH, MAX_ITEM_NAME_LENGTH
from rewards.ports import UnitOfWork
from rewards.recognition_rules import check_length
from rewards.services import lookups

EDITABLE = {f.name for f in fields(CatalogItem)} - {"id", "created_at", "updated_at"}


def add_item(uow: UnitOfWork, item: CatalogItem, clock: Clock) -> CatalogItem:
    """Add a reward to the catalog."""
    _validate(item)
    with uow:
        now = clock.now()
        added = uow.catalog.add(replace(item, created_at=now, updated_at=now))
        uow.commit()
        return added


def update_item(uow: UnitOfWork, item_id: int, changes: dict[str, Any], clock: Clock) -> CatalogItem:
    """Change some fields of a reward."""
    unknown = set(changes) - EDITABLE
    if unknown:
        raise ValueError(f"unknown catalog fields: {sorted(unknown)}")
    with uow:
        item = lookups.catalog_item(uow, item_id, for_update=True)
        updated = replace(item, **changes, updated_at=clock.now())
        _validate(updated)
        uow.catalog.save(updated)
        uow.commit()
        return updated


def _validate(item: CatalogItem) -> None:
    if not item.name.strip():
        raise errors.DomainError("A reward needs a name.")
    check_length(item.name, MAX_ITEM_NAME_LENGTH, "A reward's name")
    check_length(item.description, MAX_ITEM_DESCRIPTION_LENGTH, "A reward's description")
    if item.points_cost < 1:
        raise errors.InvalidPoints("A reward costs at least 1 point.")
    if item.stock is not None and item.stock < 0:
        raise errors.DomainError("Stock cannot be negative.")
