"""Hostile SCIM input and races (issue 15): each is a clear 4xx or a consistent record, never a 500."""

from __future__ import annotations

import threading

import pytest

from api.ratelimit import AddressLimit
from rewards.model import EmployeeStatus
from rewards.services import teams as teams_service
from rewards.services.employees import erase_employee
from storage.access.scim_tokens import create_token
from tests.api.callers import new_caller
from tests.scim.conftest import ERROR, PLAUDIT, Provider, make_scim_app, patch_body, user_body

DEEP = "[" * 100_000 + "]" * 100_000
# Valid JSON well within the parser's recursion limit, yet deeper than any SCIM resource.
NESTED = '{"userName": "n", "x": ' + "[" * 40 + "]" * 40 + "}"


def assert_scim_error(response, status: int, scim_type: str | None = None) -> dict:
    body = response.get_json()
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    assert body["schemas"] == [ERROR]
    if scim_type is not None:
        assert body["scimType"] == scim_type
    return body


def user_count(idp: Provider) -> int:
    return idp.get("/Users").get_json()["totalResults"]


@pytest.fixture
def ids(idp):
    user = idp.post("/Users", user_body("a@example.com")).get_json()["id"]
    group = idp.post("/Groups", {"displayName": "Team"}).get_json()["id"]
    return user, group


def json_routes(user: str, group: str) -> list[tuple[str, str]]:
    return [
        ("POST", "/Users"),
        ("PUT", f"/Users/{user}"),
        ("PATCH", f"/Users/{user}"),
        ("POST", "/Users/.search"),
        ("POST", "/Groups"),
        ("PUT", f"/Groups/{group}"),
        ("PATCH", f"/Groups/{group}"),
        ("POST", "/Groups/.search"),
    ]


@pytest.mark.parametrize("body", [DEEP, NESTED], ids=["past-the-parser", "past-max-depth"])
def test_deeply_nested_json_is_invalid_syntax_on_every_json_route(idp, ids, body):
    for method, path in json_routes(*ids):
        assert_scim_error(idp.call(method, path, body), 400, "invalidSyntax")
    assert user_count(idp) == 1


BAD_STRINGS = {"nul": "a\\u0000b", "lone-surrogate": "a\\ud800b"}


@pytest.mark.parametrize("bad", BAD_STRINGS.values(), ids=BAD_STRINGS.keys())
@pytest.mark.parametrize(
    "template, attribute",
    [
        ('{"userName": "BAD"}', "userName"),
        ('{"userName": "u", "displayName": "BAD"}', "displayName"),
        ('{"userName": "u", "externalId": "BAD"}', "externalId"),
        ('{"userName": "u", "emails": [{"value": "BAD@example.com"}]}', "emails.value"),
        (
            '{"userName": "u", "PLAUDIT": {"timezone": "BAD"}}'.replace("PLAUDIT", PLAUDIT),
            f"{PLAUDIT}.timezone",
        ),
    ],
)
def test_nul_and_lone_surrogates_in_a_user_are_invalid_value_naming_the_attribute(
    idp, bad, template, attribute
):
    body = template.replace("BAD", bad)
    response = idp.post("/Users", body)
    error = assert_scim_error(response, 400, "invalidValue")
    assert error["detail"].startswith(attribute)
    assert user_count(idp) == 0


@pytest.mark.parametrize("bad", BAD_STRINGS.values(), ids=BAD_STRINGS.keys())
def test_bad_strings_in_patches_and_groups_change_nothing(idp, ids, bad):
    user, group = ids
    before = idp.get(f"/Users/{user}").get_json()
    patch = '{"schemas": ["%s"], "Operations": [{"op": "replace", "path": "displayName", "value": "%s"}]}'
    patch = patch % ("urn:ietf:params:scim:api:messages:2.0:PatchOp", bad)
    assert_scim_error(idp.patch(f"/Users/{user}", patch), 400, "invalidValue")
    assert_scim_error(idp.post("/Groups", '{"displayName": "BAD"}'.replace("BAD", bad)), 400, "invalidValue")
    members = '{"displayName": "T", "members": [{"value": "BAD"}]}'.replace("BAD", bad)
    assert "members" in assert_scim_error(idp.put(f"/Groups/{group}", members), 400)["detail"]
    assert idp.get(f"/Users/{user}").get_json() == before
    assert idp.get("/Groups").get_json()["totalResults"] == 1


def test_a_nul_in_a_path_id_is_404_and_in_a_query_400(idp, ids):
    user, group = ids
    for method in ("GET", "DELETE"):
        assert_scim_error(idp.call(method, f"/Users/{user}%00"), 404)
        assert_scim_error(idp.call(method, f"/Groups/{group}%00"), 404)
    assert_scim_error(idp.patch(f"/Users/%00{user}", patch_body()), 404)
    query = assert_scim_error(idp.get('/Users?filter=userName%20eq%20"a%00"'), 400, "invalidValue")
    assert query["detail"].startswith("filter")
    assert idp.get(f"/Users/{user}").status_code == 200


@pytest.mark.parametrize("escape", ["\\u0000", "\\ud800"])
@pytest.mark.parametrize(
    "path, attribute",
    [
        ("/Users", "userName"),
        ("/Users", "externalId"),
        ("/Users", "emails.value"),
        ("/Groups", "displayName"),
    ],
)
def test_a_filter_escaping_to_nul_or_a_lone_surrogate_is_invalid_value(idp, ids, path, attribute, escape):
    query = f'{attribute} eq "a{escape}"'
    error = assert_scim_error(idp.get(path, query_string={"filter": query}), 400, "invalidValue")
    assert error["detail"].startswith("filter")
    assert_scim_error(idp.post(f"{path}/.search", {"filter": query}), 400, "invalidValue")


def test_an_overlong_timezone_is_invalid_value(idp):
    for zone in ("A" * 300, "Europe/" + "x" * 250):
        response = idp.post("/Users", user_body("t@example.com", timezone=zone))
        assert "timezone" in assert_scim_error(response, 400, "invalidValue")["detail"]
    assert user_count(idp) == 0


@pytest.mark.parametrize("hire_date", ["20240108", "2024-W02-1", "2024-01-08T00:00", "2024-01-08\n"])
def test_hire_date_must_be_yyyy_mm_dd_exactly(idp, hire_date):
    response = idp.post("/Users", user_body("h@example.com", **{PLAUDIT: {"hireDate": hire_date}}))
    assert "hireDate" in assert_scim_error(response, 400, "invalidValue")["detail"]


def test_groups_filters_match_the_people_in_the_team(idp):
    member = idp.post("/Users", user_body("m@example.com")).get_json()["id"]
    idp.post("/Users", user_body("loner@example.com"))
    group = idp.post("/Groups", {"displayName": "T", "members": [{"value": member}]}).get_json()["id"]
    for query in (f'groups.value eq "{group}"', "groups pr", f'groups[value eq "{group}"]'):
        found = idp.get("/Users", query_string={"filter": query}).get_json()
        assert [r["id"] for r in found["Resources"]] == [member], query
        assert found["totalResults"] == 1
    none = idp.get("/Users", query_string={"filter": 'groups.value eq "nobody"'}).get_json()
    assert none["totalResults"] == 0


def test_a_patch_path_under_an_unknown_schema_urn_is_invalid_path(idp, ids):
    user, _ = ids
    before = idp.get(f"/Users/{user}").get_json()
    for path in ("urn:bad:schema:foo", "urn:ietf:params:scim:schemas:core:2.0:Group:displayName"):
        response = idp.patch(f"/Users/{user}", patch_body({"op": "replace", "path": path, "value": "x"}))
        assert_scim_error(response, 400, "invalidPath")
    assert idp.get(f"/Users/{user}").get_json() == before


def test_a_deprovisioned_person_cannot_join_a_team(idp, ids):
    user, group = ids
    assert idp.delete(f"/Users/{user}").status_code == 204
    add = patch_body({"op": "add", "path": "members", "value": [{"value": user}]})
    assert user in assert_scim_error(idp.patch(f"/Groups/{group}", add), 400, "invalidValue")["detail"]
    created = idp.post("/Groups", {"displayName": "U", "members": [{"value": user}]})
    assert_scim_error(created, 400, "invalidValue")
    assert idp.get(f"/Groups/{group}").get_json().get("members") in (None, [])


def test_an_erasure_racing_a_member_add_leaves_no_erased_member(store, idp, ids, monkeypatch):
    """The erasure starts once the add has checked the person; it must wait for the add's
    commit (and then remove the membership) or be seen by it."""
    user, group = ids
    checked = teams_service._check_members
    erasure = threading.Thread(target=lambda: erase_employee(store.uow(), user, store.clock))

    def check_then_race(uow, employee_ids):
        checked(uow, employee_ids)
        erasure.start()
        erasure.join(timeout=2)  # without the lock the erasure commits here, before the add

    monkeypatch.setattr(teams_service, "_check_members", check_then_race)
    idp.patch(f"/Groups/{group}", patch_body({"op": "add", "path": "members", "value": [{"value": user}]}))
    erasure.join()
    with store.reader() as uow:
        assert uow.employees.get(user).erased_at is not None
        assert user not in uow.teams.get(group).member_ids


def test_a_delete_racing_a_patch_leaves_the_person_deprovisioned(store, idp, monkeypatch):
    import api.scim.users as users

    user = idp.post("/Users", user_body("p@example.com", active=False)).get_json()["id"]
    served = users._served

    def served_then_deleted(uow, employee_id):
        employee = served(uow, employee_id)
        deprovision = {"status": EmployeeStatus.INACTIVE, "deprovisioned_at": store.clock.now()}
        users.update_employee(store.uow(), employee_id, deprovision, store.clock)
        return employee

    monkeypatch.setattr(users, "_served", served_then_deleted)
    response = idp.patch(f"/Users/{user}", patch_body({"op": "replace", "path": "active", "value": True}))
    assert_scim_error(response, 404)
    with store.reader() as uow:
        employee = uow.employees.get(user)
    assert employee.status == EmployeeStatus.INACTIVE
    assert employee.deprovisioned_at is not None


def test_bad_tokens_from_a_shared_address_do_not_lock_out_valid_ones(store):
    """Okta's and Entra's egress addresses are shared by tenants: one tenant's failures spend
    the address bucket, another's valid SCIM token or API token still gets through."""
    app = make_scim_app(store)
    app.extensions["plaudit.address_limit"] = AddressLimit(0.001, 3)
    http = app.test_client()
    caller = new_caller(store, http, ["employees:read"])  # spends one: a token request
    _, secret = create_token(store, "entra")
    good = Provider(http, secret)
    bad = Provider(http, "scim_not-a-token")
    statuses = [bad.get("/Users").status_code for _ in range(4)]
    assert statuses[:2] == [401, 401]
    assert_scim_error(bad.get("/Users"), 429)
    assert good.get("/Users").status_code == 200
    assert caller.get("/api/v1/employees").status_code == 200
    assert http.get("/api/v1/employees", headers={"Authorization": "Bearer nope"}).status_code == 429
    assert http.post("/oauth/token", data={"grant_type": "client_credentials"}).status_code == 429
