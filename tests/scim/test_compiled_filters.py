"""Filters decided on employee fields (and teams) answer exactly what matching full SCIM Users
(and Groups) answers."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from scim2_models import Group

from api.scim import filters, groups, user_filter, users
from api.scim.compiled_filter import compile_filter
from api.scim.user_mapping import ScimUser
from rewards.services.employees import erase_employee, upsert_employee
from rewards.services.teams import list_teams
from rewards.teams import TeamQuery
from tests.scim.conftest import ENTERPRISE, PLAUDIT, user_body

COMPILED = [
    'displayName co "lima"',
    'displayName sw "BOB"',
    'displayName ew "stone"',
    'displayName co "ünal"',
    'displayName gt "B"',
    'userName sw "ANA"',
    'userName co "@other"',
    "userName pr",
    'userName ne "ana@corp.example"',
    'externalId sw "idp"',  # caseExact: IDP-2 does not start with "idp"
    'externalId sw "IDP"',
    "externalId pr",
    "not (externalId pr)",
    "emails pr",
    'emails.value ew ".EXAMPLE"',
    'emails.type eq "work"',
    'emails co "CORP"',
    'emails ne "ana@corp.example"',
    "phoneNumbers pr",
    'phoneNumbers.value co "33"',
    "active eq true",
    "active ne true",
    'timezone eq "europe/paris"',
    'locale sw "fr"',
    f'{ENTERPRISE}:department ne "Sales"',
    f"{ENTERPRISE}:department pr",
    f"{ENTERPRISE}:manager.value pr",
    f"{ENTERPRISE}:manager pr",
    f'{ENTERPRISE}:employeeNumber sw "E-"',
    f'{PLAUDIT}:hireDate gt "2020-01-01"',
    f'{PLAUDIT}:country eq "fr"',
    f'{PLAUDIT}:timezone pr and {PLAUDIT}:locale co "FR"',
    'name.formatted co "a"',
    'meta.created ge "2026-01-01T00:00:00Z"',
    'meta.lastModified lt "2020-01-01T00:00:00Z"',
    'meta.resourceType eq "User"',
    'id pr and not (id eq "nobody")',
    '(displayName co "a" or emails pr) and not (active eq false)',
]
# Left to full SCIM Users (value paths, parts of a name, groups, locations): same answers, slower.
BY_MODELS = [
    'emails[type eq "work" and value co "corp"]',
    "name.givenName pr",
    "groups pr",
    'meta.location co "/Users/"',
]


@pytest.fixture
def people(store, idp, clock) -> dict[str, str]:
    """Provisioned, HR-made, inactive, deprovisioned and erased people: name -> id."""
    ids: dict[str, str] = {}

    def provision(name: str, body: dict) -> None:
        clock.advance(minutes=1)
        response = idp.post("/Users", body)
        assert response.status_code == 201, response.get_json()
        ids[name] = response.get_json()["id"]

    provision(
        "ana",
        user_body(
            "ana@corp.example",
            externalId="idp-1",
            displayName="Ana Lima",
            emails=[{"value": "ana@corp.example", "type": "work", "primary": True}],
            **{
                ENTERPRISE: {"employeeNumber": "E-1", "department": "Sales"},
                PLAUDIT: {
                    "timezone": "Europe/Paris",
                    "locale": "fr-FR",
                    "country": "fr",
                    "hireDate": "2021-09-15",
                },
            },
        ),
    )
    provision(
        "bob",
        user_body(
            "Bob@Corp.example",
            externalId="IDP-2",
            displayName="Bob Stone",
            phoneNumbers=[{"value": "+33 1 23 45 67 89"}],
            active=False,
            **{ENTERPRISE: {"manager": {"value": ids["ana"]}, "department": "Support"}},
        ),
    )
    clock.advance(minutes=1)
    cy, _ = upsert_employee(
        store.uow(),
        "E-3",
        {"email": "cy@other.example", "display_name": "Cy Ünal", "department": "Support"},
        clock,
    )
    ids["cy"] = cy.id
    clock.advance(minutes=1)
    eve, _ = upsert_employee(store.uow(), "E-5", {"display_name": "Eve Lima", "locale": "fr-CA"}, clock)
    ids["eve"] = eve.id
    provision("dee", user_body("dee@corp.example", displayName="Dee Lima"))
    assert idp.delete(f"/Users/{ids['dee']}").status_code == 204
    provision("fay", user_body("fay@corp.example", displayName="Fay Lima"))
    erase_employee(store.uow(), ids["fay"], clock)
    return ids


def listed(idp, expression: str, **params: str) -> tuple[int, list[str]]:
    query = "&".join([f"filter={quote(expression)}", *(f"{k}={v}" for k, v in params.items())])
    response = idp.get(f"/Users?{query}")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    return body["totalResults"], [user["id"] for user in body["Resources"]]


def by_models(store, scim_app, expression: str) -> list[str]:
    """What matching every served person's full SCIM User answers (the reference)."""
    with scim_app.test_request_context("/scim/v2/Users"):
        parsed = filters.parse(ScimUser, expression)
        with store.reader() as uow:
            return [user.id for user in users._matching_by_models(uow, parsed)]


@pytest.mark.parametrize("expression", COMPILED)
def test_a_compiled_filter_answers_what_full_users_answer(store, scim_app, idp, people, expression):
    assert user_filter.compile_filter(filters.parse(ScimUser, expression)) is not None
    expected = by_models(store, scim_app, expression)
    assert listed(idp, expression) == (len(expected), expected)


@pytest.mark.parametrize("expression", BY_MODELS)
def test_filters_left_to_full_users_still_answer(store, scim_app, idp, people, expression):
    assert user_filter.compile_filter(filters.parse(ScimUser, expression)) is None
    expected = by_models(store, scim_app, expression)
    assert listed(idp, expression) == (len(expected), expected)


def test_case_rules_of_rfc_7643(idp, people):
    assert listed(idp, 'userName sw "BOB@"')[1] == [people["bob"]]  # caseExact false
    assert listed(idp, 'externalId sw "idp"')[1] == [people["ana"]]  # caseExact true
    assert listed(idp, 'displayName co "LIMA"')[1] == [people["ana"], people["eve"]]
    # HR-made people without a userName show (and match) their email, or else their id.
    assert listed(idp, 'userName co "@other"')[1] == [people["cy"]]
    assert listed(idp, f'userName eq "{people["eve"]}"')[1] == [people["eve"]]


def test_only_the_page_is_built_and_the_total_counts_every_match(idp, people):
    assert listed(idp, 'displayName co "a"', startIndex="2", count="1") == (
        3,
        [people["cy"]],
    )  # ana, cy, eve match (dee and fay are not served)


def test_a_filter_decrypts_only_the_fields_it_names(store, idp, people, monkeypatch):
    opened: list[str] = []
    decrypt = store.cipher.decrypt

    def counting(token, table, column, row_id):
        opened.append(column)
        return decrypt(token, table, column, row_id)

    monkeypatch.setattr(store.cipher, "decrypt", counting)
    assert listed(idp, "active eq false", count="0") == (1, [])
    assert opened == []  # status is not personal: nothing opened
    assert listed(idp, 'displayName co "lima"', count="0") == (2, [])
    assert sorted(set(opened)) == ["display_name_enc"] and len(opened) == 4  # ana, bob, cy, eve
    opened.clear()
    assert listed(idp, 'active eq false and displayName co "stone"', count="0") == (1, [])
    assert opened == ["display_name_enc"]  # `and` stops at the first false term


GROUP_FILTERS = [
    'displayName co "ENG"',
    'displayName sw "s"',
    'displayName ne "Sales"',
    "externalId pr",
    'externalId eq "okta-g1"',
    "members pr",
    "not (members pr)",
    'members.value co "-"',
    'members.type eq "User"',
    'meta.resourceType eq "Group"',
    'meta.created ge "2026-01-01T00:00:00Z"',
]


@pytest.fixture
def teams(idp, people) -> dict[str, str]:
    made = {}
    for name, external, members in (
        ("Engineering", "okta-g1", ["ana", "bob"]),
        ("Sales", None, ["cy"]),
        ("Support engineers", "okta-g3", []),
    ):
        body = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": name}
        if external:
            body["externalId"] = external
        body["members"] = [{"value": people[who]} for who in members]
        response = idp.post("/Groups", body)
        assert response.status_code == 201, response.get_json()
        made[name] = response.get_json()["id"]
    return made


def groups_by_models(store, scim_app, expression: str) -> list[str]:
    with scim_app.test_request_context("/scim/v2/Groups"):
        parsed = filters.parse(Group, expression)
        page = list_teams(store.reader(), TeamQuery(count=1000))
        return [team.id for team in page.teams if parsed.match(groups.to_scim(team))]


@pytest.mark.parametrize("expression", GROUP_FILTERS)
def test_a_compiled_group_filter_answers_what_full_groups_answer(store, scim_app, idp, teams, expression):
    assert compile_filter(filters.parse(Group, expression), groups.ATTRIBUTES) is not None
    expected = groups_by_models(store, scim_app, expression)
    response = idp.get(f"/Groups?filter={quote(expression)}").get_json()
    assert (response["totalResults"], [g["id"] for g in response["Resources"]]) == (len(expected), expected)


def test_a_group_filter_on_a_member_or_a_name(idp, people, teams):
    cy = people["cy"]
    expression = f'members eq "{cy}" or displayName sw "Eng"'
    response = idp.get(f"/Groups?filter={quote(expression)}")
    assert sorted(g["displayName"] for g in response.get_json()["Resources"]) == ["Engineering", "Sales"]
    assert compile_filter(filters.parse(Group, 'members[display co "a"]'), groups.ATTRIBUTES) is None
