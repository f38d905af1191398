"""/scim/v2/Groups: Plaudit teams, through `rewards/services/teams.py`.

A PATCH becomes member changes applied in order with the team locked (`patch_members`), so two
providers' concurrent adds never lose each other; displayName and externalId change with them.
"""

from __future__ import annotations

from typing import Any

from flask import Response
from scim2_models import (
    Context,
    Group,
    GroupMember,
    InvalidPathException,
    InvalidValueException,
    Meta,
    NotFoundException,
    PatchOp,
    PatchOperation,
    ResponseParameters,
)
from scim2_models.path import CompareOperator, Comparison, FilterNode, LogicalExpr, LogicalOperator

from api.context import ctx
from api.scim import filters
from api.scim.blueprint import POLICY, base_url, bp, json_body, scim_response
from api.scim.compiled_filter import Attribute, Attributes, compile_filter
from api.scim.paging import (
    Page,
    attribute_lists,
    list_response,
    query_of_search,
    query_of_url,
    response_parameters,
)
from rewards.services import teams as service
from rewards.teams import KEEP, MemberOp, Team, TeamQuery, TextMatch

GROUPS = "/Groups"
ALL_TEAMS_PAGE = 1000


@bp.get(GROUPS)
def list_groups() -> Response:
    """Groups matching `filter`, oldest first, paged by startIndex and count."""
    return _search(*query_of_url(Group))


@bp.post(f"{GROUPS}/.search")
def search_groups() -> Response:
    """The same as GET /Groups, with the query in a SearchRequest body."""
    return _search(*query_of_search(Group))


@bp.get(f"{GROUPS}/<team_id>")
def get_group(team_id: str) -> Response:
    """One group with its members."""
    team = service.get_team(ctx().store.reader(), _known(team_id))
    return _answer(team, Context.RESOURCE_QUERY_RESPONSE, _parameters(*attribute_lists()))


@bp.post(GROUPS)
def create_group() -> Response:
    """A new team; members must be existing users, an externalId names one team."""
    group = Group.model_validate(json_body(), scim_ctx=Context.RESOURCE_CREATION_REQUEST, scim_policy=POLICY)
    team = service.create_team(
        ctx().store.uow(),
        group.display_name or "",
        ctx().store.clock,
        external_id=group.external_id,
        member_ids=_member_ids(group.members),
    )
    response = _answer(team, Context.RESOURCE_CREATION_RESPONSE, None, status=201)
    response.headers["Location"] = f"{base_url()}{GROUPS}/{team.id}"
    return response


@bp.put(f"{GROUPS}/<team_id>")
def replace_group(team_id: str) -> Response:
    """Replace the team's name, externalId and members."""
    group = Group.model_validate(
        json_body(), scim_ctx=Context.RESOURCE_REPLACEMENT_REQUEST, scim_policy=POLICY
    )
    team = service.replace_team(
        ctx().store.uow(),
        _known(team_id),
        group.display_name or "",
        ctx().store.clock,
        external_id=group.external_id,
        member_ids=_member_ids(group.members),
    )
    return _answer(team, Context.RESOURCE_REPLACEMENT_RESPONSE, None)


@bp.patch(f"{GROUPS}/<team_id>")
def patch_group(team_id: str) -> Response:
    """add/remove/replace members (with value filters), displayName and externalId."""
    patch = PatchOp[Group].model_validate(
        json_body(), scim_ctx=Context.RESOURCE_PATCH_REQUEST, scim_policy=POLICY
    )
    ops: list[MemberOp] = []
    renamed: dict[str, Any] = {}
    for operation in patch.operations or []:
        _translate(operation, ops, renamed)
    team = service.patch_members(
        ctx().store.uow(),
        _known(team_id),
        ops,
        ctx().store.clock,
        display_name=renamed.get("display_name"),
        external_id=renamed.get("external_id", KEEP),
    )
    return _answer(team, Context.RESOURCE_PATCH_RESPONSE, None)


@bp.delete(f"{GROUPS}/<team_id>")
def delete_group(team_id: str) -> Response:
    """Delete the team; its people stay."""
    service.delete_team(ctx().store.uow(), _known(team_id))
    return Response(status=204)


def _known(team_id: str) -> str:
    if len(team_id) > 36:
        raise NotFoundException(detail="No such group.")
    return team_id


def _translate(operation: PatchOperation[Any], ops: list[MemberOp], renamed: dict[str, Any]) -> None:
    """One PATCH operation as member changes and renames (Okta's and Entra's forms included)."""
    action = operation.op.value
    if operation.path is None:
        if not isinstance(operation.value, dict):
            raise InvalidValueException(detail="A PATCH without a path takes an object as its value.")
        for key, value in operation.value.items():
            _apply_attribute(key, action, value, None, ops, renamed)
        return
    binding = operation.path.resolve()
    name = binding.field_name if binding is not None else str(operation.path)
    if binding is not None and binding.sub_field_name is not None:
        raise InvalidPathException(detail=f"Only whole attributes can be changed: {operation.path}")
    _apply_attribute(name, action, operation.value, operation.path.value_filter, ops, renamed)


def _apply_attribute(
    name: str,
    action: str,
    value: Any,
    value_filter: FilterNode | None,
    ops: list[MemberOp],
    renamed: dict[str, Any],
) -> None:
    key = name.replace("_", "").lower()
    if key == "members":
        ops.append(_member_op(action, value, value_filter))
    elif key == "displayname":
        if action == "remove" or not isinstance(value, str):
            raise InvalidValueException(detail="displayName is required and must be a string.")
        renamed["display_name"] = value
    elif key == "externalid":
        if action != "remove" and value is not None and not isinstance(value, str):
            raise InvalidValueException(detail="externalId must be a string.")
        renamed["external_id"] = None if action == "remove" else value
    elif key not in ("schemas", "id"):  # Okta repeats the group's id in a rename
        raise InvalidPathException(detail=f"Groups keep displayName, externalId and members, not {name}.")


def _member_op(action: str, value: Any, value_filter: FilterNode | None) -> MemberOp:
    if value_filter is not None:
        if action != "remove":
            raise InvalidPathException(detail="A members filter selects members to remove only.")
        return MemberOp("remove", _filtered_ids(value_filter))
    ids = _member_ids(_members(value)) if value is not None else ()
    if action == "remove":
        return MemberOp("remove", ids) if value is not None else MemberOp("replace", ())
    return MemberOp("add" if action == "add" else "replace", ids)


def _members(value: Any) -> list[GroupMember]:
    entries = value if isinstance(value, list) else [value]
    try:
        return [GroupMember.model_validate(entry) for entry in entries]
    except ValueError:
        raise InvalidValueException(detail="members holds objects with a value (an employee id).") from None


def _filtered_ids(node: FilterNode) -> tuple[str, ...]:
    """`value eq "id"` terms joined by `or`: the members they name."""
    terms = node.terms if isinstance(node, LogicalExpr) and node.op == LogicalOperator.or_ else (node,)
    ids = []
    for term in terms:
        if not (
            isinstance(term, Comparison)
            and term.op == CompareOperator.eq
            and term.attr_path.attr.lower() == "value"
            and isinstance(term.value, str)
        ):
            raise InvalidPathException(detail='A members filter names members by value: value eq "<id>".')
        ids.append(term.value)
    return tuple(ids)


def _member_ids(members: list[GroupMember] | None) -> tuple[str, ...]:
    ids = []
    for member in members or []:
        if not member.value:
            raise InvalidValueException(detail="Each member needs a value (an employee id).")
        ids.append(str(member.value))
    return tuple(ids)


def _search(filter_text: str | None, page: Page, parameters: ResponseParameters[Any] | None) -> Response:
    parsed = filters.parse(Group, filter_text)
    teams = _all_teams(_narrowing(parsed.ast) if parsed is not None else TeamQuery())
    compiled = compile_filter(parsed, ATTRIBUTES) if parsed is not None else None
    if parsed is None or compiled is not None:  # SCIM Groups (a model per member) for the page only
        matching = [team for team in teams if compiled is None or compiled.matches(team)]
        total, groups = len(matching), [to_scim(team) for team in page.cut(matching)]
    else:
        every = [group for group in (to_scim(team) for team in teams) if parsed.match(group)]
        total, groups = len(every), page.cut(every)
    resources = [_dump(group, Context.SEARCH_RESPONSE, parameters) for group in groups]
    return scim_response(list_response(resources, total, page.start_index))


GROUP = str(Group.__schema__)
# How a filter reads a team the way `to_scim` shows it (see api.scim.compiled_filter).
ATTRIBUTES: Attributes = {
    (GROUP, "id", None): Attribute((), lambda team: team.id),
    (GROUP, "display_name", None): Attribute((), lambda team: team.display_name),
    (GROUP, "external_id", None): Attribute((), lambda team: team.external_id),
    (GROUP, "members", None): Attribute((), lambda team: list(team.member_ids) or None),
    (GROUP, "members", "value"): Attribute((), lambda team: list(team.member_ids) or None),
    (GROUP, "members", "type"): Attribute((), lambda team: ["User"] * len(team.member_ids) or None),
    (GROUP, "meta", "created"): Attribute((), lambda team: team.created_at),
    (GROUP, "meta", "last_modified"): Attribute((), lambda team: team.updated_at),
    (GROUP, "meta", "resource_type"): Attribute((), lambda _: "Group"),
}


def _narrowing(node: FilterNode) -> TeamQuery:
    """The team query one indexed term of the filter allows (the filter still decides after)."""
    terms = node.terms if isinstance(node, LogicalExpr) and node.op == LogicalOperator.and_ else (node,)
    for term in terms:
        if not isinstance(term, Comparison) or not isinstance(term.value, str) or term.attr_path.uri:
            continue
        name = term.attr_path.attr.lower() + (
            f".{term.attr_path.sub_attr.lower()}" if term.attr_path.sub_attr else ""
        )
        if name == "displayname" and term.op in (CompareOperator.eq, CompareOperator.co, CompareOperator.sw):
            return TeamQuery(display_name=TextMatch(term.op.value, term.value))  # type: ignore[arg-type]
        if name == "externalid" and term.op == CompareOperator.eq:
            return TeamQuery(external_id=term.value)
        if name in ("members", "members.value") and term.op == CompareOperator.eq:
            return TeamQuery(member_id=term.value)
    return TeamQuery()


def _all_teams(query: TeamQuery) -> list[Team]:
    teams: list[Team] = []
    while True:
        page = service.list_teams(
            ctx().store.reader(),
            TeamQuery(
                display_name=query.display_name,
                external_id=query.external_id,
                member_id=query.member_id,
                start_index=len(teams) + 1,
                count=ALL_TEAMS_PAGE,
            ),
        )
        teams += page.teams
        if not page.teams or len(teams) >= page.total:
            return teams


def to_scim(team: Team) -> Group:
    """The SCIM Group a team is; members are employees (their SCIM User ids)."""
    members = [
        GroupMember.model_validate(
            {"value": member_id, "$ref": f"{base_url()}/Users/{member_id}", "type": "User"}
        )
        for member_id in team.member_ids
    ]
    return Group(
        id=team.id,
        external_id=team.external_id,
        display_name=team.display_name,
        members=members or None,
        meta=Meta(
            resource_type="Group",
            created=team.created_at,
            last_modified=team.updated_at,
            location=f"{base_url()}{GROUPS}/{team.id}",
        ),
    )


def _parameters(attributes: list[str] | None, excluded: list[str] | None) -> ResponseParameters[Any] | None:
    return response_parameters(Group, attributes, excluded)


def _dump(group: Group, context: Context, parameters: ResponseParameters[Any] | None) -> dict[str, Any]:
    return group.model_dump(scim_ctx=context, response_parameters=parameters)


def _answer(
    team: Team, context: Context, parameters: ResponseParameters[Any] | None, status: int = 200
) -> Response:
    return scim_response(_dump(to_scim(team), context, parameters), status)
