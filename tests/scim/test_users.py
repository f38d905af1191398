"""SCIM Users: create, read, replace, PATCH, delete, and what each does to the employee record."""

from __future__ import annotations

from sqlalchemy import select, text

from api.config import ApiConfig
from rewards.model import EmployeeStatus
from rewards.services.employees import upsert_employee
from storage.access.scim_tokens import create_token
from storage.ledger.verify import verify_ledger
from storage.reads.activity import balances
from storage.schema.core import EmployeeRow
from tests.api.callers import new_caller
from tests.scim.conftest import (
    ENTERPRISE,
    OKTA_CREATE,
    PLAUDIT,
    USER_SCHEMA,
    Provider,
    make_scim_app,
    patch_body,
    user_body,
)


def employee(store, employee_id):
    with store.reader() as uow:
        return uow.employees.get(employee_id)


def full_body(user_name="ana@example.com", **extra):
    return {
        "schemas": [USER_SCHEMA, ENTERPRISE, PLAUDIT],
        "userName": user_name,
        "externalId": "idp-ana",
        "displayName": "Ana Lima",
        "emails": [{"value": user_name, "type": "work", "primary": True}],
        "phoneNumbers": [{"value": "+33 1 23 45 67 89", "type": "work"}],
        "active": True,
        ENTERPRISE: {"employeeNumber": "E-100", "department": "Sales"},
        PLAUDIT: {"timezone": "Europe/Paris", "locale": "fr-FR", "country": "fr", "hireDate": "2021-09-15"},
        **extra,
    }


def test_create_makes_an_employee_with_every_mapped_field_and_a_first_allowance(store, idp):
    response = idp.post("/Users", full_body())
    assert response.status_code == 201
    assert response.mimetype == "application/scim+json"
    body = response.get_json()
    assert response.headers["Location"].endswith(f"/scim/v2/Users/{body['id']}")
    assert body["userName"] == "ana@example.com"
    assert body[ENTERPRISE] == {"employeeNumber": "E-100", "department": "Sales"}
    assert body[PLAUDIT] == {
        "timezone": "Europe/Paris",
        "locale": "fr-FR",
        "country": "FR",
        "hireDate": "2021-09-15",
    }
    person = employee(store, body["id"])
    assert (person.email, person.display_name, person.external_id, person.department) == (
        "ana@example.com",
        "Ana Lima",
        "E-100",
        "Sales",
    )
    assert (person.user_name, person.directory_id, person.phone) == (
        "ana@example.com",
        "idp-ana",
        "+33 1 23 45 67 89",
    )
    assert (person.timezone, person.locale, person.country, str(person.hire_date)) == (
        "Europe/Paris",
        "fr-FR",
        "FR",
        "2021-09-15",
    )
    assert balances(store, person.id).allowance > 0
    assert verify_ledger(store.engine) == []


def test_personal_attributes_are_not_readable_in_the_database(store, idp):
    body = idp.post("/Users", full_body("secret.person@example.com")).get_json()
    with store.engine.connect() as conn:
        row = conn.execute(select(EmployeeRow).where(EmployeeRow.id == body["id"])).one()
        dump = " ".join(str(value) for value in row)
    for clear in ("secret.person", "idp-ana", "Ana Lima", "+33 1 23"):
        assert clear not in dump
    assert row.user_name_bidx and row.directory_id_bidx


def test_get_answers_the_user_and_an_unknown_id_is_a_scim_404(idp):
    created = idp.post("/Users", user_body("bo@example.com")).get_json()
    assert idp.get(f"/Users/{created['id']}").get_json()["userName"] == "bo@example.com"
    missing = idp.get("/Users/00000000-0000-0000-0000-000000000000")
    assert missing.status_code == 404
    assert missing.get_json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    assert missing.get_json()["status"] == "404"


def test_put_changes_what_it_names_and_keeps_what_it_leaves_out(store, idp):
    created = idp.post("/Users", full_body()).get_json()
    replaced = idp.put(
        f"/Users/{created['id']}",
        {"schemas": [USER_SCHEMA], "userName": "ana@example.com", "displayName": "Ana L."},
    )
    assert replaced.status_code == 200
    person = employee(store, created["id"])
    assert person.display_name == "Ana L."
    assert (person.email, person.department, person.external_id, person.timezone) == (
        "ana@example.com",
        "Sales",
        "E-100",
        "Europe/Paris",
    )
    assert replaced.get_json()[ENTERPRISE]["employeeNumber"] == "E-100"
    assert person.status == EmployeeStatus.ACTIVE  # `active` left out keeps the status


def test_put_clears_what_it_sends_as_null_or_empty(store, idp):
    created = idp.post("/Users", full_body()).get_json()
    replaced = idp.put(
        f"/Users/{created['id']}",
        {
            "schemas": [USER_SCHEMA, ENTERPRISE],
            "userName": "ana@example.com",
            "EMAILS": [],
            "phoneNumbers": None,
            ENTERPRISE.upper(): {"employeeNumber": None, "Department": ""},
            PLAUDIT: None,
        },
    )
    assert replaced.status_code == 200, replaced.get_json()
    person = employee(store, created["id"])
    assert (person.email, person.phone, person.external_id, person.department) == (None,) * 4
    assert (person.timezone, person.locale, person.country, person.hire_date) == (None,) * 4
    assert (person.display_name, person.directory_id) == ("Ana Lima", "idp-ana")  # not named: kept


def test_an_okta_profile_push_keeps_what_hr_set_and_okta_does_not_map(store, idp):
    hr = new_caller(store, idp.http)
    made = hr.put(
        "/api/v1/employees/E-42",
        json={
            "email": "test.user@okta.local",
            "display_name": "Test User",
            "department": "Finance",
            "timezone": "America/New_York",
            "hire_date": "2020-02-03",
            "country": "US",
        },
    )
    assert made.status_code == 201, made.get_json()
    taken = idp.post(
        "/Users",
        OKTA_CREATE,
    ).get_json()
    assert taken["id"] == made.get_json()["id"]
    # Okta's profile push: the whole user as Okta maps it, no employeeNumber, no extensions.
    pushed = idp.put(
        f"/Users/{taken['id']}",
        {
            "schemas": [USER_SCHEMA],
            "id": taken["id"],
            "userName": "test.user@okta.local",
            "name": {"givenName": "Another", "familyName": "User"},
            "emails": [{"primary": True, "value": "test.user@okta.local", "type": "work"}],
            "active": True,
            "groups": [],
            "meta": {"resourceType": "User"},
        },
    )
    assert pushed.status_code == 200, pushed.get_json()
    person = employee(store, taken["id"])
    assert person.display_name == "Another User"
    assert (person.external_id, person.department, person.timezone, person.country) == (
        "E-42",
        "Finance",
        "America/New_York",
        "US",
    )
    assert (person.hire_date.isoformat(), person.locale, person.directory_id) == (
        "2020-02-03",
        "en-US",
        "00ujl29u0le5T6Aj10h7",
    )
    assert hr.get("/api/v1/employees/E-42").get_json()["department"] == "Finance"


def test_patch_with_paths_and_value_filters(store, idp):
    created = idp.post("/Users", full_body()).get_json()
    response = idp.patch(
        f"/Users/{created['id']}",
        patch_body(
            {"op": "replace", "path": 'emails[type eq "work"].value', "value": "ana.lima@example.com"},
            {"op": "replace", "path": f"{ENTERPRISE}:department", "value": "Support"},
            {"op": "remove", "path": "phoneNumbers"},
            {"op": "add", "path": "timezone", "value": "America/New_York"},
        ),
    )
    assert response.status_code == 200, response.get_json()
    person = employee(store, created["id"])
    assert (person.email, person.department, person.phone, person.timezone) == (
        "ana.lima@example.com",
        "Support",
        None,
        "America/New_York",
    )
    assert response.get_json()[PLAUDIT]["timezone"] == "America/New_York"


def test_manager_is_the_scim_id_of_another_user_and_must_exist(store, idp):
    boss = idp.post("/Users", user_body("boss@example.com")).get_json()
    worker = idp.post(
        "/Users", user_body("w@example.com", **{ENTERPRISE: {"manager": {"value": boss["id"]}}})
    ).get_json()
    assert employee(store, worker["id"]).manager_id == boss["id"]
    assert worker[ENTERPRISE]["manager"]["value"] == boss["id"]
    unknown = idp.post(
        "/Users",
        user_body("x@example.com", **{ENTERPRISE: {"manager": {"value": "no-such-person"}}}),
    )
    assert unknown.status_code == 400
    assert unknown.get_json()["scimType"] == "invalidValue"
    assert "manager" in unknown.get_json()["detail"]


def test_delete_deactivates_stops_serving_and_keeps_the_record(store, idp):
    created = idp.post("/Users", full_body()).get_json()
    assert idp.delete(f"/Users/{created['id']}").status_code == 204
    assert idp.get(f"/Users/{created['id']}").status_code == 404
    assert idp.get('/Users?filter=userName eq "ana@example.com"').get_json()["totalResults"] == 0
    person = employee(store, created["id"])
    assert person.status == EmployeeStatus.INACTIVE
    assert person.erased_at is None and person.email == "ana@example.com"


def test_a_deleted_user_provisioned_again_gets_their_record_and_history_back(store, idp):
    created = idp.post("/Users", full_body()).get_json()
    allowance = balances(store, created["id"]).allowance
    idp.delete(f"/Users/{created['id']}")
    again = idp.post("/Users", full_body())
    assert again.status_code == 201
    assert again.get_json()["id"] == created["id"]
    assert employee(store, created["id"]).status == EmployeeStatus.ACTIVE
    assert balances(store, created["id"]).allowance == allowance  # granted once, kept
    assert verify_ledger(store.engine) == []


def test_delete_erases_when_the_operator_chose_erasure(store):
    app = make_scim_app(
        store, ApiConfig(rate_limit_per_second=0, scim_rate_per_second=1000.0, scim_delete="erase")
    )
    _, secret = create_token(store, "entra")
    idp = Provider(app.test_client(), secret)
    created = idp.post("/Users", full_body()).get_json()
    assert idp.delete(f"/Users/{created['id']}").status_code == 204
    person = employee(store, created["id"])
    assert person.erased_at is not None
    assert (person.email, person.user_name, person.directory_id) == (None, None, None)


def test_someone_hr_created_is_taken_over_by_email_not_duplicated(store, idp):
    hr_made, _ = upsert_employee(
        store.uow(), "E-7", {"email": "cy@example.com", "display_name": "Cy"}, store.clock
    )
    listed = idp.get('/Users?filter=userName eq "cy@example.com"').get_json()
    assert [user["id"] for user in listed["Resources"]] == [hr_made.id]  # email stands in for userName
    created = idp.post("/Users", user_body("cy@example.com", emails=[{"value": "cy@example.com"}]))
    assert created.status_code == 201
    assert created.get_json()["id"] == hr_made.id
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM employees")).scalar() == 1


def test_active_false_deactivates_without_erasing(store, idp):
    created = idp.post("/Users", full_body()).get_json()
    response = idp.patch(
        f"/Users/{created['id']}", patch_body({"op": "replace", "path": "active", "value": False})
    )
    assert response.get_json()["active"] is False
    person = employee(store, created["id"])
    assert person.status == EmployeeStatus.INACTIVE and person.erased_at is None
    back = idp.patch(
        f"/Users/{created['id']}", patch_body({"op": "replace", "path": "active", "value": True})
    )
    assert back.get_json()["active"] is True
