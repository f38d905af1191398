"""What real identity providers send, as their public documentation shows it.

Okta: "SCIM 2.0 protocol reference" (developer.okta.com/docs/api/openapi/okta-scim/guides/scim-20).
Microsoft Entra ID: "Tutorial: Develop and plan provisioning for a SCIM endpoint" and "Known issues
and resolutions with SCIM 2.0 protocol compliance" (learn.microsoft.com).
"""

from __future__ import annotations

import threading
from urllib.parse import quote

from sqlalchemy import text

from rewards.model import EmployeeStatus
from storage.ledger.verify import verify_ledger
from storage.reads.activity import balances
from tests.scim.conftest import ENTERPRISE, OKTA_CREATE, USER_SCHEMA, Provider

PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


ENTRA_CREATE = {
    "schemas": [
        "urn:ietf:params:scim:schemas:core:2.0:User",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
    ],
    "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
    "userName": "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1",
    "active": True,
    "emails": [
        {
            "primary": True,
            "type": "work",
            "value": "Test_User_fd0ea19b-0777-472c-9f96-4f70d2226f2e@testuser.com",
        }
    ],
    "meta": {"resourceType": "User"},
    "name": {"formatted": "givenName familyName", "familyName": "familyName", "givenName": "givenName"},
    "roles": [],
}


def users_where(expression: str) -> str:
    return "/Users?filter=" + quote(expression)


def employee(store, employee_id):
    with store.reader() as uow:
        return uow.employees.get(employee_id)


def employee_count(store) -> int:
    with store.engine.connect() as conn:
        return conn.execute(text("SELECT COUNT(*) FROM employees")).scalar()


def test_okta_looks_up_by_username_before_every_push(store, idp):
    lookup = users_where('userName eq "test.user@okta.local"') + "&startIndex=1&count=100"
    empty = idp.get(lookup).get_json()
    assert (empty["totalResults"], empty["Resources"]) == (0, [])
    created = idp.post("/Users", OKTA_CREATE)
    assert created.status_code == 201
    found = idp.get(lookup).get_json()
    assert found["totalResults"] == 1
    assert found["Resources"][0]["id"] == created.get_json()["id"]
    person = employee(store, created.get_json()["id"])
    assert (person.display_name, person.locale, person.directory_id) == (
        "Test User",
        "en-US",
        "00ujl29u0le5T6Aj10h7",
    )


def test_okta_deactivates_with_a_patch_without_path(store, idp):
    user_id = idp.post("/Users", OKTA_CREATE).get_json()["id"]
    body = {"schemas": [PATCH_OP], "Operations": [{"op": "replace", "value": {"active": False}}]}
    response = idp.patch(f"/Users/{user_id}", body)
    assert response.status_code == 200
    assert response.get_json()["active"] is False
    assert employee(store, user_id).status == EmployeeStatus.INACTIVE
    assert employee(store, user_id).erased_at is None


def test_entra_patch_with_capitalised_ops_and_active_as_a_string(store, idp):
    user_id = idp.post("/Users", ENTRA_CREATE).get_json()["id"]
    disable = {"schemas": [PATCH_OP], "Operations": [{"op": "Replace", "path": "active", "value": "False"}]}
    assert idp.patch(f"/Users/{user_id}", disable).get_json()["active"] is False
    assert employee(store, user_id).status == EmployeeStatus.INACTIVE
    enable = {"schemas": [PATCH_OP], "Operations": [{"op": "Replace", "path": "active", "value": "True"}]}
    assert idp.patch(f"/Users/{user_id}", enable).get_json()["active"] is True
    update = {
        "schemas": [PATCH_OP],
        "Operations": [
            {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "updatedEmail@microsoft.com"},
            {"op": "Add", "path": "displayName", "value": "Updated Name"},
        ],
    }
    response = idp.patch(f"/Users/{user_id}", update)
    assert response.status_code == 200, response.get_json()
    person = employee(store, user_id)
    assert (person.email, person.display_name) == ("updatedEmail@microsoft.com", "Updated Name")


def test_entra_sets_the_manager_with_the_id_as_the_whole_value(store, idp):
    boss_id = idp.post(
        "/Users", {**ENTRA_CREATE, "userName": "boss", "externalId": "b", "emails": []}
    ).get_json()["id"]
    user_id = idp.post("/Users", ENTRA_CREATE).get_json()["id"]
    body = {
        "schemas": [PATCH_OP],
        "Operations": [{"op": "Add", "path": f"{ENTERPRISE}:manager", "value": boss_id}],
    }
    response = idp.patch(f"/Users/{user_id}", body)
    assert response.status_code == 200, response.get_json()
    assert employee(store, user_id).manager_id == boss_id


def test_entra_finds_users_by_external_id(idp):
    user_id = idp.post("/Users", ENTRA_CREATE).get_json()["id"]
    found = idp.get(users_where('externalId eq "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"'))
    assert [user["id"] for user in found.get_json()["Resources"]] == [user_id]


def test_emails_without_primary_keep_the_work_address(store, idp):
    body = {
        "schemas": [USER_SCHEMA],
        "userName": "jdoe",
        "emails": [
            {"value": "jdoe@home.example", "type": "home"},
            {"value": "jdoe@corp.example", "type": "work"},
        ],
    }
    user_id = idp.post("/Users", body).get_json()["id"]
    assert employee(store, user_id).email == "jdoe@corp.example"
    plain = {"schemas": [USER_SCHEMA], "userName": "kim", "emails": [{"value": "kim@corp.example"}]}
    assert employee(store, idp.post("/Users", plain).get_json()["id"]).email == "kim@corp.example"


def test_a_retried_create_is_409_uniqueness_and_grants_nothing_twice(store, idp):
    first = idp.post("/Users", OKTA_CREATE)
    retry = idp.post("/Users", OKTA_CREATE)
    assert first.status_code == 201
    assert retry.status_code == 409
    assert retry.get_json()["scimType"] == "uniqueness"
    assert retry.get_json()["status"] == "409"
    assert employee_count(store) == 1
    assert balances(store, first.get_json()["id"]).allowance > 0
    assert verify_ledger(store.engine) == []


def test_the_same_username_in_another_case_is_the_same_person(idp):
    idp.post("/Users", OKTA_CREATE)
    again = idp.post("/Users", {**OKTA_CREATE, "userName": "TEST.USER@OKTA.LOCAL", "emails": []})
    assert again.status_code == 409
    assert again.get_json()["scimType"] == "uniqueness"


def test_the_same_create_sent_twice_at_once_makes_one_employee(store, scim_app, idp):
    """A provider that times out and retries while the first request still runs."""
    statuses: list[int] = []
    start = threading.Barrier(4)

    def push() -> None:
        caller = Provider(scim_app.test_client(), idp.token)
        start.wait()
        statuses.append(caller.post("/Users", OKTA_CREATE).status_code)

    threads = [threading.Thread(target=push) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [201, 409, 409, 409]
    assert employee_count(store) == 1
    assert verify_ledger(store.engine) == []
