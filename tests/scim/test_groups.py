"""SCIM Groups are Plaudit teams: create, read, replace, PATCH members (Okta's and Entra's forms),
delete, and list with filters."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.scim.conftest import patch_body, user_body

GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"


@pytest.fixture
def users(idp) -> list[str]:
    return [idp.post("/Users", user_body(f"u{n}@example.com")).get_json()["id"] for n in range(3)]


def member_ids(response) -> list[str]:
    return sorted(member["value"] for member in response.get_json().get("members", []))


def group(idp, name: str, members=(), external_id=None) -> dict:
    body = {"schemas": [GROUP_SCHEMA], "displayName": name, "members": [{"value": m} for m in members]}
    if external_id:
        body["externalId"] = external_id
    response = idp.post("/Groups", body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_create_read_replace_delete(idp, users):
    created = group(idp, "Sales", users[:2], external_id="okta-sales")
    assert created["displayName"] == "Sales"
    assert sorted(m["value"] for m in created["members"]) == sorted(users[:2])
    assert all(m["type"] == "User" and m["$ref"].endswith(m["value"]) for m in created["members"])
    read = idp.get(f"/Groups/{created['id']}")
    assert member_ids(read) == sorted(users[:2])
    replaced = idp.put(
        f"/Groups/{created['id']}",
        {"schemas": [GROUP_SCHEMA], "displayName": "Sales EMEA", "members": [{"value": users[2]}]},
    )
    assert replaced.get_json()["displayName"] == "Sales EMEA"
    assert member_ids(replaced) == [users[2]]
    assert "externalId" not in replaced.get_json()
    assert idp.delete(f"/Groups/{created['id']}").status_code == 204
    assert idp.get(f"/Groups/{created['id']}").status_code == 404
    assert idp.get(f"/Users/{users[2]}").status_code == 200  # the people stay


def test_a_user_shows_their_groups(idp, users):
    team = group(idp, "Support", users[:1])
    groups = idp.get(f"/Users/{users[0]}").get_json()["groups"]
    assert [(g["value"], g["display"]) for g in groups] == [(team["id"], "Support")]


def test_okta_group_push(idp, users):
    """Okta: add with a value list, remove by a value filter, rename with the id repeated."""
    team = group(idp, "Test SCIMv2")
    add = patch_body({"op": "add", "path": "members", "value": [{"value": users[0], "display": "u0"}]})
    assert member_ids(idp.patch(f"/Groups/{team['id']}", add)) == [users[0]]
    remove = patch_body({"op": "remove", "path": f'members[value eq "{users[0]}"]'})
    assert member_ids(idp.patch(f"/Groups/{team['id']}", remove)) == []
    rename = patch_body({"op": "replace", "value": {"id": team["id"], "displayName": "Renamed"}})
    assert idp.patch(f"/Groups/{team['id']}", rename).get_json()["displayName"] == "Renamed"


def test_entra_group_members(idp, users):
    """Entra: capitalised ops, `$ref: null`, and Remove with the members in its value."""
    team = group(idp, "Engineering")
    add = patch_body({"op": "Add", "path": "members", "value": [{"$ref": None, "value": u} for u in users]})
    assert member_ids(idp.patch(f"/Groups/{team['id']}", add)) == sorted(users)
    remove = patch_body({"op": "Remove", "path": "members", "value": [{"$ref": None, "value": users[1]}]})
    assert member_ids(idp.patch(f"/Groups/{team['id']}", remove)) == sorted([users[0], users[2]])
    replace = patch_body({"op": "Replace", "path": "displayName", "value": "Eng"})
    assert idp.patch(f"/Groups/{team['id']}", replace).get_json()["displayName"] == "Eng"
    clear = patch_body({"op": "remove", "path": "members"})
    assert member_ids(idp.patch(f"/Groups/{team['id']}", clear)) == []


def test_filters_on_groups(idp, users, clock):
    sales = group(idp, "Sales", users[:1], external_id="ext-sales")
    clock.advance(minutes=1)
    group(idp, "Support", users[1:2])
    clock.advance(minutes=1)
    group(idp, "Marketing")

    def listed(expression: str) -> list[str]:
        response = idp.get(f"/Groups?filter={quote(expression)}")
        assert response.status_code == 200, response.get_json()
        return [g["displayName"] for g in response.get_json()["Resources"]]

    assert listed('displayName eq "sales"') == ["Sales"]
    assert listed('displayName sw "S"') == ["Sales", "Support"]
    assert listed('displayName co "ket"') == ["Marketing"]
    assert listed('externalId eq "ext-sales"') == ["Sales"]
    assert listed(f'members.value eq "{users[1]}"') == ["Support"]
    assert listed('displayName eq "Marketing" or externalId pr') == ["Sales", "Marketing"]
    assert listed("members pr") == ["Sales", "Support"]
    page = idp.get("/Groups?startIndex=2&count=1").get_json()
    assert (page["totalResults"], [g["displayName"] for g in page["Resources"]]) == (3, ["Support"])
    assert idp.get(f"/Groups/{sales['id']}?attributes=displayName").get_json().keys() == {
        "schemas",
        "id",
        "displayName",
    }


def test_group_refusals(idp, users):
    team = group(idp, "Sales", external_id="ext")
    unknown_member = idp.post(
        "/Groups", {"schemas": [GROUP_SCHEMA], "displayName": "X", "members": [{"value": "nobody"}]}
    )
    assert unknown_member.status_code == 400
    assert unknown_member.get_json()["scimType"] == "invalidValue"
    taken = idp.post("/Groups", {"schemas": [GROUP_SCHEMA], "displayName": "Y", "externalId": "ext"})
    assert taken.status_code == 409 and taken.get_json()["scimType"] == "uniqueness"
    nameless = idp.post("/Groups", {"schemas": [GROUP_SCHEMA]})
    assert nameless.status_code == 400
    bad_path = patch_body({"op": "replace", "path": "members[value eq", "value": []})
    assert idp.patch(f"/Groups/{team['id']}", bad_path).status_code == 400
    unknown_attribute = patch_body({"op": "replace", "path": "nickName", "value": "x"})
    assert idp.patch(f"/Groups/{team['id']}", unknown_attribute).status_code == 400
    assert idp.get("/Groups/nobody").status_code == 404
    assert idp.delete("/Groups/nobody").status_code == 404
