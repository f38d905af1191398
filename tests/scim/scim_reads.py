"""The SCIM Users list reads, as api/scim/users.py makes them, for tests/fast_paths/test_read_plans.py."""

from __future__ import annotations

from typing import Any, cast

from api.scim import users
from api.scim.paging import Page
from storage.store import Store


def users_page(store: Store, page: Page = Page(start_index=1, count=100)) -> object:
    """GET /Users with no filter: everyone served, in order, then the page's people."""
    with store.reader() as uow:
        ids = uow.employees.directory_ids()
        return uow.employees.get_many(page.cut(ids))


def users_where(store: Store, attribute: str, value: str) -> object:
    """A filter's `eq` on an indexed attribute ("username", "externalid"...): the ids holding it."""
    with store.reader() as uow:
        found = list(users.index_lookups(uow)[attribute](value))
        return uow.employees.get_many(found)


def users_scanned(store: Store, fields: tuple[str, ...] = ("display_name",)) -> object:
    """A filter no index answers (co, sw, pr...): the fields it names, of everyone served."""
    with store.reader() as uow:
        return [row.id for row in cast(Any, uow.employees).directory_fields(fields)]
