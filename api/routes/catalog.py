"""Catalog: the rewards employees can redeem points for."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field

from api.blueprints import api_blueprint, security
from api.context import ctx
from api.idempotency import idempotent
from api.pagination import id_cursor, page
from api.schemas import NOT_SENT, Body, Bool, OptionalIdempotencyHeader, Out, PageQuery, Points, StrictInt
from rewards.model import CatalogItem, ItemKind
from rewards.services import lookups
from rewards.services.catalog import add_item, update_item
from storage.reads import listings

bp = api_blueprint("catalog", "Catalog", "catalog:read", "catalog:write")
READ, WRITE = security("catalog:read"), security("catalog:write")
Kind = Literal["gift_card", "custom", "charity", "merchandise"]
Name = Field(min_length=1, max_length=200, pattern=r"\S")
Stock = Field(default=None, description="null: unlimited")
StockCount = Annotated[StrictInt, Field(ge=0, le=1_000_000_000)]


class ItemIn(Body):
    name: str = Name
    points_cost: Points
    kind: Kind = "custom"
    description: str = Field(default="", max_length=2000)
    stock: StockCount | None = Stock
    requires_approval: Bool = False
    active: Bool = True
    denomination: str | None = Field(default=None, max_length=64, description='e.g. "25 USD"')


class ItemPatch(Body):
    """Only the fields sent change; `stock` and `denomination` may be cleared with null."""

    name: str = Field(default=NOT_SENT, min_length=1, max_length=200, pattern=r"\S")
    points_cost: Points = NOT_SENT
    kind: Kind = NOT_SENT
    description: str = Field(default=NOT_SENT, max_length=2000)
    stock: StockCount | None = Stock
    requires_approval: Bool = NOT_SENT
    active: Bool = NOT_SENT
    denomination: str | None = Field(default=None, max_length=64)


class ItemOut(Out):
    id: int
    name: str
    points_cost: int
    kind: Kind
    description: str
    stock: int | None
    requires_approval: bool
    active: bool
    denomination: str | None
    created_at: datetime | None
    updated_at: datetime | None

    @classmethod
    def of(cls, item: CatalogItem) -> ItemOut:
        return cls(**{name: getattr(item, name) for name in cls.model_fields})


class ItemPage(Out):
    items: list[ItemOut]
    next_cursor: str | None


class ItemPath(Body):
    item_id: int = Field(ge=1, le=2**53, json_schema_extra={"example": 1})


class ItemQuery(PageQuery):
    active: bool | None = None


@bp.get("/catalog/items", security=READ, responses={200: ItemPage})
def list_items(query: ItemQuery):
    """Catalog items in id order."""
    rows = listings.catalog_page(
        ctx().store, after_id=id_cursor(query.cursor), active=query.active, limit=query.limit
    )
    items, cursor = page(rows, query.limit, lambda item: item.id)
    return {"items": [ItemOut.of(i).model_dump(mode="json") for i in items], "next_cursor": cursor}


@bp.post("/catalog/items", security=WRITE, responses={201: ItemOut})
@idempotent
def create_item(header: OptionalIdempotencyHeader, body: ItemIn):
    """Add a reward to the catalog."""
    item = CatalogItem(id=0, **{**body.model_dump(), "kind": ItemKind(body.kind)})
    added = add_item(ctx().store.uow(), item, ctx().store.clock)
    return ItemOut.of(added).model_dump(mode="json"), 201, {"Location": f"/api/v1/catalog/items/{added.id}"}


@bp.get("/catalog/items/<int:item_id>", security=READ, responses={200: ItemOut})
def get_item(path: ItemPath):
    """One catalog item."""
    with ctx().store.reader() as uow:
        return ItemOut.of(lookups.catalog_item(uow, path.item_id)).model_dump(mode="json")


@bp.patch("/catalog/items/<int:item_id>", security=WRITE, responses={200: ItemOut})
def patch_item(path: ItemPath, body: ItemPatch):
    """Change some fields of a catalog item (deactivate it with `active: false`)."""
    changes = body.model_dump(exclude_unset=True)
    if "kind" in changes:
        changes["kind"] = ItemKind(changes["kind"])
    updated = update_item(ctx().store.uow(), path.item_id, changes, ctx().store.clock)
    return ItemOut.of(updated).model_dump(mode="json")
