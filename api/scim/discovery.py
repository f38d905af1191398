"""Discovery (RFC 7644 §4): ServiceProviderConfig, ResourceTypes and Schemas.

The schemas published are the standard ones cut to the attributes Plaudit keeps, so a provider
(or a compliance checker) never sends something it expects back that is not stored.
"""

from __future__ import annotations

from typing import Any

from flask import Response
from scim2_models import (
    AuthenticationScheme,
    Bulk,
    ChangePassword,
    Context,
    EnterpriseUser,
    ETag,
    Filter,
    Group,
    Meta,
    NotFoundException,
    Patch,
    Required,
    ResourceType,
    Schema,
    ServiceProviderConfig,
    Sort,
    User,
)

from api.scim.blueprint import base_url, bp, scim_response
from api.scim.paging import MAX_RESULTS, list_response
from api.scim.user_mapping import LOCALE_EXAMPLES, ZONE_EXAMPLES, PlauditUser

# The attributes kept, per schema: a name maps to its kept sub-attributes (None: a simple one).
USER_ATTRIBUTES: dict[str, tuple[str, ...] | None] = {
    "userName": None,
    "name": ("formatted",),
    "displayName": None,
    "emails": ("value", "type"),
    "phoneNumbers": ("value", "type"),
    "active": None,
    "locale": None,
    "timezone": None,
    "groups": ("value", "$ref", "display", "type"),
}
ENTERPRISE_ATTRIBUTES: dict[str, tuple[str, ...] | None] = {
    "employeeNumber": None,
    "department": None,
    "manager": ("value", "$ref", "displayName"),
}
GROUP_ATTRIBUTES: dict[str, tuple[str, ...] | None] = {
    "displayName": None,
    "members": ("value", "$ref", "type"),
}
CANONICAL = {"timezone": ZONE_EXAMPLES, "locale": LOCALE_EXAMPLES, "type": ["work"]}


def _kept(schema: Schema, kept: dict[str, tuple[str, ...] | None]) -> Schema:
    attributes = []
    for attribute in schema.attributes or []:
        if attribute.name not in kept:
            continue
        subs = kept[attribute.name]
        update: dict[str, Any] = {}
        if subs is not None:
            update["sub_attributes"] = [
                _canonical(sub, attribute.name) for sub in attribute.sub_attributes or [] if sub.name in subs
            ]
        if attribute.name in CANONICAL and subs is None:
            update["canonical_values"] = CANONICAL[attribute.name]
        if attribute.name == "active":  # always present: a User sent without it is active
            update["required"] = Required.true
        attributes.append(attribute.model_copy(update=update))
    return schema.model_copy(update={"attributes": attributes})


def _canonical(sub: Any, parent: str) -> Any:
    if sub.name == "type" and parent in ("emails", "phoneNumbers"):
        return sub.model_copy(update={"canonical_values": CANONICAL["type"]})
    return sub


def schemas() -> list[Schema]:
    """The schemas this service publishes, each with its meta."""
    published = [
        _kept(User.to_schema(), USER_ATTRIBUTES),
        _kept(EnterpriseUser.to_schema(), ENTERPRISE_ATTRIBUTES),
        PlauditUser.to_schema(),
        _kept(Group.to_schema(), GROUP_ATTRIBUTES),
    ]
    return [
        schema.model_copy(
            update={"meta": Meta(resource_type="Schema", location=f"{base_url()}/Schemas/{schema.id}")}
        )
        for schema in published
    ]


def resource_types() -> list[ResourceType]:
    """User (with the enterprise and Plaudit extensions) and Group."""
    user = ResourceType.model_validate(
        {
            "id": "User",
            "name": "User",
            "endpoint": "/Users",
            "description": "A Plaudit employee",
            "schema": str(User.__schema__),
            "schemaExtensions": [
                {"schema": str(EnterpriseUser.__schema__), "required": False},
                {"schema": str(PlauditUser.__schema__), "required": False},
            ],
        }
    )
    group = ResourceType.model_validate(
        {
            "id": "Group",
            "name": "Group",
            "endpoint": "/Groups",
            "description": "A Plaudit team",
            "schema": str(Group.__schema__),
        }
    )
    return [
        kind.model_copy(
            update={
                "meta": Meta(resource_type="ResourceType", location=f"{base_url()}/ResourceTypes/{kind.id}")
            }
        )
        for kind in (user, group)
    ]


def service_provider_config() -> ServiceProviderConfig:
    """What this service supports: PATCH and filters yes; bulk, sort, ETags, password change no."""
    return ServiceProviderConfig(
        patch=Patch(supported=True),
        bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
        filter=Filter(supported=True, max_results=MAX_RESULTS),
        change_password=ChangePassword(supported=False),
        sort=Sort(supported=False),
        etag=ETag(supported=False),
        authentication_schemes=[
            AuthenticationScheme.model_validate(
                {
                    "type": "oauthbearertoken",
                    "name": "Bearer token",
                    "description": "A long-lived token per identity provider: plaudit scim token create.",
                    "primary": True,
                }
            )
        ],
        meta=Meta(resource_type="ServiceProviderConfig", location=f"{base_url()}/ServiceProviderConfig"),
    )


def _dump(resource: Any) -> dict[str, Any]:
    return resource.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE)


def _listed(items: list[Any]) -> Response:
    return scim_response(list_response([_dump(item) for item in items], len(items), 1))


@bp.get("/ServiceProviderConfig")
def get_service_provider_config() -> Response:
    return scim_response(_dump(service_provider_config()))


@bp.get("/ResourceTypes")
def list_resource_types() -> Response:
    return _listed(resource_types())


@bp.get("/ResourceTypes/<name>")
def get_resource_type(name: str) -> Response:
    for kind in resource_types():
        if kind.id == name:
            return scim_response(_dump(kind))
    raise NotFoundException(detail=f"No resource type {name!r}.")


@bp.get("/Schemas")
def list_schemas() -> Response:
    return _listed(schemas())


@bp.get("/Schemas/<path:schema_id>")
def get_schema(schema_id: str) -> Response:
    for schema in schemas():
        if schema.id == schema_id:
            return scim_response(_dump(schema))
    raise NotFoundException(detail=f"No schema {schema_id!r}.")
