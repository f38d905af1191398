"""/scim/v2/Users: create, read, replace, PATCH, delete and list Plaudit employees.

Writes go through the same services as the HR API (`rewards/services/employees.py`): a new person
gets their first allowance, the manager must exist, an email and a userName name one person.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from flask import Response
from scim2_models import (
    Context,
    GroupMembership,
    NotFoundException,
    PatchOp,
    ResponseParameters,
    ScimFilter,
)

from api.context import ctx
from api.scim import filters, user_filter
from api.scim.blueprint import POLICY, SCIMBadRequest, base_url, bp, json_body, scim_response
from api.scim.paging import (
    Page,
    attribute_lists,
    list_response,
    query_of_search,
    query_of_url,
    response_parameters,
)
from api.scim.user_mapping import (
    ENTERPRISE_SCHEMA,
    PLAUDIT_USER_SCHEMA,
    ScimUser,
    asserted_fields,
    employee_fields,
    to_scim,
)
from rewards.model import Employee, EmployeeStatus
from rewards.ports import UnitOfWork
from rewards.services.employees import erase_employee, provision_employee, update_employee
from rewards.services.teams import teams_of

USERS = "/Users"
CORE_USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"


@bp.get(USERS)
def list_users() -> Response:
    """Users matching `filter`, oldest first, paged by startIndex and count."""
    return _search(*query_of_url(ScimUser))


@bp.post(f"{USERS}/.search")
def search_users() -> Response:
    """The same as GET /Users, with the query in a SearchRequest body."""
    return _search(*query_of_search(ScimUser))


def _search(filter_text: str | None, page: Page, parameters: ResponseParameters[Any] | None) -> Response:
    parsed = filters.parse(ScimUser, filter_text)
    with ctx().store.reader() as uow:
        if parsed is None:
            ids = uow.employees.directory_ids()
            total, employees = len(ids), _in_order(uow.employees.get_many(page.cut(ids)).values())
            users = [to_scim(employee, base_url()) for employee in employees]
        else:
            total, users = _search_filtered(uow, parsed, page)
    _add_groups(users)
    resources = [_dump(user, Context.SEARCH_RESPONSE, parameters) for user in users]
    return scim_response(list_response(resources, total, page.start_index))


@bp.get(f"{USERS}/<employee_id>")
def get_user(employee_id: str) -> Response:
    """One user; 404 for someone unknown, erased or deprovisioned."""
    with ctx().store.reader() as uow:
        employee = _served(uow, employee_id)
    return _answer(employee, Context.RESOURCE_QUERY_RESPONSE, _response_parameters())


@bp.post(USERS)
def create_user() -> Response:
    """Provision a person; the same userName (or email, or HR id) again is 409 uniqueness."""
    body = _manager_as_object(json_body())
    user = ScimUser.model_validate(body, scim_ctx=Context.RESOURCE_CREATION_REQUEST, scim_policy=POLICY)
    # Taking over someone HR or Slack created keeps what the provider does not send (HR id...).
    fields = _named(body, employee_fields(user))
    employee, _ = provision_employee(ctx().store.uow(), fields, ctx().store.clock, ctx().allowance)
    response = _answer(employee, Context.RESOURCE_CREATION_RESPONSE, None, status=201)
    response.headers["Location"] = f"{base_url()}{USERS}/{employee.id}"
    return response


@bp.put(f"{USERS}/<employee_id>")
def replace_user(employee_id: str) -> Response:
    """Replace the attributes the body names; those left out are kept, an explicit null clears."""
    body = _manager_as_object(json_body())
    user = ScimUser.model_validate(body, scim_ctx=Context.RESOURCE_REPLACEMENT_REQUEST, scim_policy=POLICY)
    with ctx().store.reader() as uow:
        _served(uow, employee_id)
    # An IdP that does not map, say, employeeNumber must not clear the HR id HR set on each push.
    changes = _named(body, employee_fields(user, replacing=True))
    employee = update_employee(ctx().store.uow(), employee_id, changes, ctx().store.clock)
    return _answer(employee, Context.RESOURCE_REPLACEMENT_RESPONSE, None)


@bp.patch(f"{USERS}/<employee_id>")
def patch_user(employee_id: str) -> Response:
    """Apply add/replace/remove operations (Entra's and Okta's forms too) to a person."""
    body = _manager_as_object(json_body())
    _refuse_unknown_schema_paths(body)
    patch = PatchOp[ScimUser].model_validate(
        body, scim_ctx=Context.RESOURCE_PATCH_REQUEST, scim_policy=POLICY
    )
    with ctx().store.reader() as uow:
        current = _served(uow, employee_id)
    before = to_scim(current, base_url())
    user = before.model_copy(deep=True)
    patch.patch(user, scim_policy=POLICY)
    # Only what the operations changed is written, so concurrent PATCHes of other fields both land.
    wanted = employee_fields(user, before)
    changes = {name: value for name, value in wanted.items() if getattr(current, name) != value}
    employee = update_employee(ctx().store.uow(), employee_id, changes, ctx().store.clock)
    return _answer(employee, Context.RESOURCE_PATCH_RESPONSE, None)


@bp.delete(f"{USERS}/<employee_id>")
def delete_user(employee_id: str) -> Response:
    """Deactivate and stop serving the person (PLAUDIT_SCIM_DELETE=erase: erase them)."""
    with ctx().store.reader() as uow:
        _served(uow, employee_id)
    store = ctx().store
    if ctx().config.scim_delete == "erase":
        erase_employee(store.uow(), employee_id, store.clock)
    else:
        changes = {"status": EmployeeStatus.INACTIVE, "deprovisioned_at": store.clock.now()}
        update_employee(store.uow(), employee_id, changes, store.clock)
    return Response(status=204)


KNOWN_SCHEMAS = tuple(s.lower() for s in (CORE_USER_SCHEMA, ENTERPRISE_SCHEMA, PLAUDIT_USER_SCHEMA))
# A provider's own User extension (Entra's and Okta's custom mappings): accepted, not kept.
PROVIDER_EXTENSION_PATH = re.compile(r"urn:[\w.:-]+:2\.0:User(:[A-Za-z][\w$-]*(\.[A-Za-z][\w$-]*)?)?", re.I)


def _refuse_unknown_schema_paths(body: dict[str, Any]) -> None:
    """A PATCH path under a schema URN that is neither one of ours nor shaped like a provider's
    User extension is 400 invalidPath (RFC 7644 §3.5.2)."""
    operations = body.get("Operations")
    for operation in operations if isinstance(operations, list) else []:
        path = operation.get("path") if isinstance(operation, dict) else None
        if not isinstance(path, str) or not path.lower().startswith("urn:"):
            continue
        lowered = path.lower()
        if any(lowered == urn or lowered.startswith(urn + ":") for urn in KNOWN_SCHEMAS):
            continue
        if not PROVIDER_EXTENSION_PATH.fullmatch(path):
            detail = f"path {path[:200]!r} names a schema this service does not have."
            raise SCIMBadRequest(detail, "invalidPath")


def _named(body: dict[str, Any], fields: dict[str, Any]) -> dict[str, Any]:
    """The fields whose attributes the body names, plus userName and the `active` rule's status."""
    asserted = asserted_fields(body) | {"user_name", "status"}
    return {name: value for name, value in fields.items() if name in asserted}


def _manager_as_object(body: dict[str, Any]) -> dict[str, Any]:
    """Providers name the manager by id alone: Entra as the whole value of a PATCH, Okta and
    Entra as {"value": id} without the `$ref` the enterprise schema requires. Both are read as
    {"value": id, "$ref": its location}."""
    if isinstance(body.get(ENTERPRISE_SCHEMA), dict):
        _complete_manager(body[ENTERPRISE_SCHEMA], "manager")
    operations = body.get("Operations")
    for operation in operations if isinstance(operations, list) else []:
        if not isinstance(operation, dict):
            continue
        path = str(operation.get("path") or "").lower()
        if path == f"{ENTERPRISE_SCHEMA.lower()}:manager":
            _complete_manager(operation, "value")
        elif path == ENTERPRISE_SCHEMA.lower() and isinstance(operation.get("value"), dict):
            _complete_manager(operation["value"], "manager")
        elif not path and isinstance(operation.get("value"), dict):
            value = operation["value"]
            _complete_manager(value, f"{ENTERPRISE_SCHEMA}:manager")
            if isinstance(value.get(ENTERPRISE_SCHEMA), dict):
                _complete_manager(value[ENTERPRISE_SCHEMA], "manager")
    return body


def _complete_manager(holder: dict[str, Any], key: str) -> None:
    manager = holder.get(key)
    if isinstance(manager, str):
        manager = {"value": manager}
    if isinstance(manager, dict) and isinstance(manager.get("value"), str) and not manager.get("$ref"):
        manager = {**manager, "$ref": f"{base_url()}{USERS}/{manager['value']}"}
    if manager is not None:
        holder[key] = manager


def _served(uow: UnitOfWork, employee_id: str) -> Employee:
    employee = uow.employees.get(employee_id) if len(employee_id) <= 36 else None
    if employee is None or employee.erased_at is not None or employee.deprovisioned_at is not None:
        raise NotFoundException(detail=f"No user {employee_id[:40]!r}.")
    return employee


def _search_filtered(uow: UnitOfWork, parsed: ScimFilter[Any], page: Page) -> tuple[int, list[Any]]:
    """(how many match, the page's SCIM Users): SCIM Users are built for the page only when the
    filter compiles to employee fields and no index narrows it."""
    ids = filters.candidates(parsed.ast, index_lookups(uow))
    compiled = user_filter.compile_filter(parsed) if ids is None else None
    if compiled is None:  # a few candidates from an index, or a filter only full Users can answer
        matching = _matching_by_models(uow, parsed, ids)
        return len(matching), page.cut(matching)
    fields = uow.employees.directory_fields(compiled.fields)
    matching_ids = [f.id for f in fields if compiled.matches(f)]
    shown = page.cut(matching_ids)
    employees = uow.employees.get_many(shown)
    return len(matching_ids), [to_scim(employees[i], base_url()) for i in shown if i in employees]


def _matching_by_models(uow: UnitOfWork, parsed: ScimFilter[Any], ids: set[str] | None = None) -> list[Any]:
    """Every candidate (everyone served when `ids` is None) as a SCIM User, kept if it matches."""
    wanted = uow.employees.directory_ids() if ids is None else sorted(ids)
    found = uow.employees.get_many(wanted).values()
    served = [e for e in found if e.erased_at is None and e.deprovisioned_at is None]
    users = [to_scim(employee, base_url()) for employee in _in_order(served)]
    _add_groups(users)  # so `groups` filters see each person's teams
    return [user for user in users if parsed.match(user)]


def index_lookups(uow: UnitOfWork) -> dict[str, Callable[[str], Iterable[str]]]:
    """What answers a filter's `eq` through an index, by attribute: value -> the ids holding it."""

    def by_user_name(value: str) -> list[str]:
        found = [uow.employees.get_by_user_name(value)]
        by_email = uow.employees.get_by_email(value) if "@" in value else None
        if by_email is not None and by_email.user_name is None:  # shown with their email as userName
            found.append(by_email)
        by_id = uow.employees.get(value) if len(value) <= 36 else None
        if by_id is not None and by_id.user_name is None and by_id.email is None:  # shown by id
            found.append(by_id)
        return [employee.id for employee in found if employee is not None]

    def by_email(value: str) -> list[str]:
        found = uow.employees.get_by_email(value)
        return [found.id] if found else []

    def by_directory_id(value: str) -> list[str]:
        return [employee.id for employee in uow.employees.get_by_directory_id(value)]

    def by_hr_id(value: str) -> list[str]:
        found = uow.employees.get_by_external_id(value)
        return [found.id] if found and found.erased_at is None else []

    return {
        "id": lambda value: [value],
        "username": by_user_name,
        "externalid": by_directory_id,
        "emails": by_email,
        "emails.value": by_email,
        f"{ENTERPRISE_SCHEMA.lower()}:employeenumber": by_hr_id,
    }


def _in_order(employees: Iterable[Employee]) -> list[Employee]:
    return sorted(employees, key=lambda e: (e.created_at.isoformat() if e.created_at else "", e.id))


def _response_parameters() -> ResponseParameters[Any] | None:
    return _parameters(*attribute_lists())


def _parameters(attributes: list[str] | None, excluded: list[str] | None) -> ResponseParameters[Any] | None:
    return response_parameters(ScimUser, attributes, excluded)


def _dump(user: Any, context: Context, parameters: ResponseParameters[Any] | None) -> dict[str, Any]:
    return user.model_dump(scim_ctx=context, response_parameters=parameters)


def _answer(
    employee: Employee,
    context: Context,
    parameters: ResponseParameters[Any] | None,
    status: int = 200,
) -> Response:
    user = to_scim(employee, base_url())
    _add_groups([user])
    return scim_response(_dump(user, context, parameters), status)


def _add_groups(users: list[Any]) -> None:
    """Each user's read-only `groups`: the teams they belong to."""
    if not users:
        return
    memberships = teams_of(ctx().store.reader(), [user.id for user in users])
    for user in users:
        refs = memberships.get(user.id, [])
        user.groups = [
            GroupMembership.model_validate(
                {"value": ref.id, "$ref": f"{base_url()}/Groups/{ref.id}", "display": ref.display_name}
            )
            for ref in refs
        ] or None
