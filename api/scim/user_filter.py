"""How a SCIM User filter reads an employee's fields, so it is decided without building the User.

Each attribute reads what `user_mapping.to_scim` shows for it, from `EmployeeFields` (which
decrypts a personal field only when the filter looks at it); see `api.scim.compiled_filter`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from scim2_models import ScimFilter, User

from api.scim.compiled_filter import Attribute, Attributes, CompiledFilter
from api.scim.compiled_filter import compile_filter as compile_with
from api.scim.user_mapping import ENTERPRISE_SCHEMA, PLAUDIT_USER_SCHEMA
from rewards.model import EmployeeStatus

CORE, ENTERPRISE, PLAUDIT = str(User.__schema__), ENTERPRISE_SCHEMA, PLAUDIT_USER_SCHEMA


class Fields(Protocol):
    """An employee's id and fields by name (`storage.people.employees.EmployeeFields`)."""

    id: str

    def __getitem__(self, name: str) -> Any: ...


def _one(name: str) -> Attribute:
    return Attribute((name,), lambda f: f[name])


def _listed(name: str, entry: Callable[[Any], Any]) -> Attribute:
    """A multi-valued attribute holding at most one entry (Plaudit keeps one email, one phone)."""
    return Attribute((name,), lambda f: None if f[name] is None else [entry(f[name])])


def _user_name(f: Fields) -> Any:
    return f["user_name"] or f["email"] or f.id  # people without a userName show their email


# (schema URN, attribute, sub-attribute) as scim2-models names them -> how to read it; see to_scim.
ATTRIBUTES: Attributes = {
    (CORE, "id", None): Attribute((), lambda f: f.id),
    (CORE, "external_id", None): _one("directory_id"),
    (CORE, "user_name", None): Attribute(("user_name", "email"), _user_name),
    (CORE, "display_name", None): _one("display_name"),
    (CORE, "name", "formatted"): _one("display_name"),
    (CORE, "emails", None): _listed("email", lambda value: value),
    (CORE, "emails", "value"): _listed("email", lambda value: value),
    (CORE, "emails", "type"): _listed("email", lambda _: "work"),
    (CORE, "emails", "primary"): _listed("email", lambda _: None),
    (CORE, "phone_numbers", None): _listed("phone", lambda value: value),
    (CORE, "phone_numbers", "value"): _listed("phone", lambda value: value),
    (CORE, "phone_numbers", "type"): _listed("phone", lambda _: "work"),
    (CORE, "phone_numbers", "primary"): _listed("phone", lambda _: None),
    (CORE, "active", None): Attribute(("status",), lambda f: f["status"] == EmployeeStatus.ACTIVE),
    (CORE, "timezone", None): _one("timezone"),
    (CORE, "locale", None): _one("locale"),
    (CORE, "meta", "created"): _one("created_at"),
    (CORE, "meta", "last_modified"): _one("updated_at"),
    (CORE, "meta", "resource_type"): Attribute((), lambda _: "User"),
    (ENTERPRISE, "employee_number", None): _one("external_id"),
    (ENTERPRISE, "department", None): _one("department"),
    (ENTERPRISE, "manager", None): _one("manager_id"),
    (ENTERPRISE, "manager", "value"): _one("manager_id"),
    (PLAUDIT, "timezone", None): _one("timezone"),
    (PLAUDIT, "locale", None): _one("locale"),
    (PLAUDIT, "country", None): _one("country"),
    (PLAUDIT, "hire_date", None): Attribute(
        ("hire_date",), lambda f: f["hire_date"].isoformat() if f["hire_date"] else None
    ),
}


def compile_filter(parsed: ScimFilter[Any]) -> CompiledFilter | None:
    """The User filter as a predicate over `Fields`, or None when it needs full SCIM Users."""
    return compile_with(parsed, ATTRIBUTES)
