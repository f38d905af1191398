"""A SCIM User is a Plaudit employee: the attribute mapping, both ways.

| SCIM attribute | employee field |
|---|---|
| `id` | `id` (read-only) |
| `userName` (required, unique, case-insensitive) | `user_name` (encrypted, blind index) |
| `externalId` | `directory_id` (encrypted, blind index) |
| `displayName`, else `name.formatted`, else `name.givenName name.familyName` | `display_name` |
| `emails`: the primary one, else the `work` one, else the first | `email` (unique) |
| `phoneNumbers`: the same choice | `phone` |
| `active` (also the strings "True"/"False") | `status` active / inactive |
| core `timezone`, `locale` (or the Plaudit extension's) | `timezone`, `locale` |
| enterprise `employeeNumber` | `external_id` (the HR id) |
| enterprise `department` | `department` |
| enterprise `manager.value` (the manager's SCIM id) | `manager_id` |
| Plaudit extension `country`, `hireDate` (YYYY-MM-DD) | `country`, `hire_date` |

Everything else a provider sends (`password`, `title`, addresses...) is accepted and not kept.
A PUT changes only the attributes its body names (RFC 7644 §3.5.1 lets an omitted attribute
read as "not asserted"): an explicit null or empty value clears, an absent one is kept.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, ClassVar
from zoneinfo import ZoneInfo

from pydantic import Field
from scim2_models import (
    URN,
    AnyExtension,
    ComplexAttribute,
    Email,
    EnterpriseUser,
    Extension,
    GroupMembership,
    InvalidValueException,
    Manager,
    Meta,
    Name,
    PhoneNumber,
    User,
)

from rewards.model import Employee, EmployeeStatus

PLAUDIT_USER_SCHEMA = "urn:plaudit:params:scim:schemas:extension:plaudit:2.0:User"
ENTERPRISE_SCHEMA = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

# Canonical values the schema suggests (identity providers and testers pick from them).
ZONE_EXAMPLES = ["Europe/Paris", "America/New_York", "Asia/Tokyo", "UTC"]
LOCALE_EXAMPLES = ["en-US", "fr-FR", "de-DE", "ja-JP"]
COUNTRY_EXAMPLES = ["US", "FR", "DE", "JP"]
DATE_EXAMPLES = ["2019-03-01", "2021-09-15", "2024-01-08"]

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
COUNTRY = re.compile(r"^[A-Za-z]{2}$")
ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
ZONE_LIMIT = 64  # the longest IANA zone name is about 30 characters


class PlauditUser(Extension):
    """Plaudit's own attributes of a person, as a SCIM extension."""

    __schema__ = URN(PLAUDIT_USER_SCHEMA)

    timezone: Annotated[str | None, Field(examples=ZONE_EXAMPLES)] = None
    """The person's IANA time zone (for birthdays, anniversaries and digests on their local date)."""

    locale: Annotated[str | None, Field(examples=LOCALE_EXAMPLES)] = None
    """The person's locale, such as en-US."""

    country: Annotated[str | None, Field(examples=COUNTRY_EXAMPLES)] = None
    """The ISO 3166-1 alpha-2 code of the country the person works in."""

    hire_date: Annotated[str | None, Field(examples=DATE_EXAMPLES)] = None
    """The day the person was hired, YYYY-MM-DD (for work anniversaries)."""


class ProvidedEmail(Email):
    """An email as providers send it: the address checked by Plaudit's own rule, not RFC 5321's
    strictest reading (Okta's documented examples use addresses at .local)."""

    value: str | None = None


class CoreUser(User[AnyExtension]):
    """The core User, with emails read as `ProvidedEmail`."""

    emails: list[ProvidedEmail] | None = None  # type: ignore[assignment]
    Emails: ClassVar[type[ComplexAttribute]] = ProvidedEmail


ScimUser = CoreUser[EnterpriseUser | PlauditUser]


def to_scim(employee: Employee, base_url: str, groups: list[GroupMembership] | None = None) -> Any:
    """The SCIM User an employee is (with both extensions); `base_url` ends with /scim/v2."""
    user = ScimUser(
        id=employee.id,
        external_id=employee.directory_id,
        user_name=employee.user_name or employee.email or employee.id,
        display_name=employee.display_name,
        name=Name(formatted=employee.display_name) if employee.display_name else None,
        emails=[ProvidedEmail(value=employee.email, type=Email.Type.work)] if employee.email else None,
        phone_numbers=[PhoneNumber(value=employee.phone, type=PhoneNumber.Type.work)]
        if employee.phone
        else None,
        active=employee.status == EmployeeStatus.ACTIVE,
        timezone=employee.timezone,
        locale=employee.locale,
        groups=groups or None,
        meta=Meta(
            resource_type="User",
            created=employee.created_at,
            last_modified=employee.updated_at,
            location=f"{base_url}/Users/{employee.id}",
        ),
    )
    enterprise = EnterpriseUser(
        employee_number=employee.external_id,
        department=employee.department,
        manager=_manager(employee.manager_id, base_url),
    )
    plaudit = PlauditUser(
        timezone=employee.timezone,
        locale=employee.locale,
        country=employee.country,
        hire_date=employee.hire_date.isoformat() if employee.hire_date else None,
    )
    if any(getattr(enterprise, name) is not None for name in ("employee_number", "department", "manager")):
        user[EnterpriseUser] = enterprise
    if any(getattr(plaudit, name) is not None for name in ("timezone", "locale", "country", "hire_date")):
        user[PlauditUser] = plaudit
    return user


def _manager(manager_id: str | None, base_url: str) -> Manager | None:
    if not manager_id:
        return None
    return Manager.model_validate({"value": manager_id, "$ref": f"{base_url}/Users/{manager_id}"})


def employee_fields(user: Any, before: Any | None = None, *, replacing: bool = False) -> dict[str, Any]:
    """The employee fields a SCIM User sets: every field SCIM manages, None where it is absent.

    `before` is the User a PATCH started from: of two attributes holding one field (displayName
    and name, the core and the extension's timezone and locale), the one that changed wins. An
    absent `active` keeps the status when changing a person (PUT: `replacing`, or PATCH).
    """
    enterprise = user[EnterpriseUser] or EnterpriseUser()
    plaudit = user[PlauditUser] or PlauditUser()
    fields: dict[str, Any] = {
        "user_name": _user_name(user.user_name),
        "directory_id": _text(user.external_id, "externalId", 200),
        "display_name": _text(_display_name(user, before), "displayName", 200),
        "email": _email(_chosen(user.emails)),
        "phone": _text(_chosen(user.phone_numbers), "phoneNumbers", 40),
        "external_id": _text(enterprise.employee_number, "employeeNumber", 200),
        "department": _text(enterprise.department, "department", 200),
        "manager_id": _text(enterprise.manager.value if enterprise.manager else None, "manager", 36),
        "timezone": _zone(_preferred(user, plaudit, before, "timezone")),
        "locale": _text(_preferred(user, plaudit, before, "locale"), "locale", 35),
        "country": _country(plaudit.country),
        "hire_date": _date(plaudit.hire_date),
    }
    if user.active is not None:
        fields["status"] = EmployeeStatus.ACTIVE if user.active else EmployeeStatus.INACTIVE
    elif before is None and not replacing:
        fields["status"] = EmployeeStatus.ACTIVE
    return fields


# Raw (lower-case) attribute names of a body -> the employee fields they set.
CORE_KEYS = {
    "username": ("user_name",),
    "externalid": ("directory_id",),
    "displayname": ("display_name",),
    "name": ("display_name",),
    "emails": ("email",),
    "phonenumbers": ("phone",),
    "timezone": ("timezone",),
    "locale": ("locale",),
}
EXTENSION_KEYS = {
    ENTERPRISE_SCHEMA.lower(): {
        "employeenumber": ("external_id",),
        "department": ("department",),
        "manager": ("manager_id",),
    },
    PLAUDIT_USER_SCHEMA.lower(): {
        "timezone": ("timezone",),
        "locale": ("locale",),
        "country": ("country",),
        "hiredate": ("hire_date",),
    },
}


def asserted_fields(body: dict[str, Any]) -> set[str]:
    """The employee fields a replacement body asserts: those whose attributes it names.

    Attribute names and schema URNs are case-insensitive (RFC 7643 §2.1). An extension given as
    null asserts all its attributes (they are cleared); `active` follows its own rule.
    """
    asserted: set[str] = set()
    for key, value in body.items():
        name = str(key).lower()
        asserted.update(CORE_KEYS.get(name, ()))
        attributes = EXTENSION_KEYS.get(name)
        if attributes is None:
            continue
        if value is None:
            asserted.update(field for fields in attributes.values() for field in fields)
        elif isinstance(value, dict):
            for attribute in value:
                asserted.update(attributes.get(str(attribute).lower(), ()))
    return asserted


def _preferred(user: Any, plaudit: PlauditUser, before: Any | None, name: str) -> str | None:
    core = getattr(user, name)
    extended = getattr(plaudit, name)
    if before is not None and core != getattr(before, name):
        return core
    return extended if extended is not None else core


def _display_name(user: Any, before: Any | None) -> str | None:
    """displayName, else the name; after a PATCH, the one of the two that changed."""
    if before is None:
        return str(user.display_name) if user.display_name else _formatted(user.name)
    if user.display_name == before.display_name and _formatted(user.name) != _formatted(before.name):
        return _formatted(user.name)
    return str(user.display_name) if user.display_name else None


def _formatted(name: Any) -> str | None:
    if name is None:
        return None
    if name.formatted:
        return str(name.formatted)
    parts = [part for part in (name.given_name, name.family_name) if part]
    return " ".join(parts) or None


def _chosen(values: list[Any] | None) -> str | None:
    """The primary value, else the work one, else the first (providers may omit `primary`)."""
    entries = [entry for entry in values or [] if entry.value]
    if not entries:
        return None
    for wanted in (lambda e: e.primary is True, lambda e: str(e.type or "").lower() == "work"):
        for entry in entries:
            if wanted(entry):
                return str(entry.value)
    return str(entries[0].value)


def _user_name(value: str | None) -> str:
    text = (value or "").strip()
    if not text:
        raise InvalidValueException(detail="userName is required and must not be blank")
    if len(text) > 320:
        raise InvalidValueException(detail="userName is longer than 320 characters")
    return text


def _text(value: Any, attribute: str, limit: int) -> str | None:
    if value is None or value == "":
        return None
    text = str(value)
    if len(text) > limit:
        raise InvalidValueException(detail=f"{attribute} is longer than {limit} characters")
    return text


def _email(value: str | None) -> str | None:
    if value is None:
        return None
    if len(value) > 320 or not EMAIL.match(value):
        raise InvalidValueException(detail="emails.value must be an email address")
    return value


def _zone(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        if len(value) > ZONE_LIMIT:  # the OS refuses longer file names with OSError
            raise ValueError(value)
        ZoneInfo(value)
    except (KeyError, ValueError, OSError):
        raise InvalidValueException(
            detail="timezone must be an IANA time zone name such as Europe/Paris"
        ) from None
    return value


def _country(value: str | None) -> str | None:
    if value is None:
        return None
    if not COUNTRY.match(value):
        raise InvalidValueException(detail="country must be a two-letter ISO 3166-1 code such as FR")
    return value.upper()


def _date(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        if not ISO_DATE.fullmatch(value):  # fromisoformat also takes 20240108 and week dates
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidValueException(detail="hireDate must be a date, YYYY-MM-DD") from None
