"""Small shared lookups that raise the domain's not-found errors."""

from __future__ import annotations

from rewards import errors
from rewards.model import CatalogItem, Employee, Redemption
from rewards.ports import UnitOfWork


def employee(uow: UnitOfWork, employee_id: str) -> Employee:
    found = uow.employees.get(employee_id)
    if found is None:
        raise errors.EmployeeNotFound("No such employee.", employee_id=employee_id)
    return found


def employees(uow: UnitOfWork, employee_ids: list[str], *, personal: bool = True) -> list[Employee]:
    """These employees in the order asked, fetched together; the first unknown id raises.
    `personal=False` skips decrypting personal fields, for rules that never read them."""
    found = uow.employees.get_many(employee_ids, personal=personal)
    for employee_id in employee_ids:
        if employee_id not in found:
            raise errors.EmployeeNotFound("No such employee.", employee_id=employee_id)
    return [found[employee_id] for employee_id in employee_ids]


def catalog_item(uow: UnitOfWork, item_id: int, *, for_update: bool = False) -> CatalogItem:
    found = uow.catalog.get(item_id, for_update=for_update)
    if found is None:
        raise errors.CatalogItemNotFound("No such reward in the catalog.", item_id=item_id)
    return found


def redemption(uow: UnitOfWork, redemption_id: int, *, for_update: bool = False) -> Redemption:
    found = uow.redemptions.get(redemption_id, for_update=for_update)
    if found is None:
        raise errors.RedemptionNotFound("No such redemption.", redemption_id=redemption_id)
    return found


def reference_id(reference: str | None, prefix: str) -> int:
    """The numeric id in a transaction reference such as "redemption:12"."""
    if not reference or not reference.startswith(prefix + ":"):
        raise RuntimeError(f"transaction reference {reference!r} is not a {prefix}")
    return int(reference.split(":", 1)[1])
