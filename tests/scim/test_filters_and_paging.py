"""SCIM list queries: filters (eq, co, sw, pr, and, or), startIndex/count, attributes."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.scim.conftest import ENTERPRISE, user_body


@pytest.fixture
def people(idp, clock) -> dict[str, str]:
    """Four users: name -> SCIM id, created a minute apart in this order (lists go oldest first)."""
    specs = [
        ("ana", "Ana Lima", "ana@corp.example", "idp-1", True),
        ("bob", "Bob Stone", "bob@corp.example", "idp-2", True),
        ("cara", "Cara Lima", "cara@other.example", None, False),
        ("dan", "Dan Brown", None, "idp-4", True),
    ]
    ids = {}
    for user_name, display, email, external, active in specs:
        extra = {"displayName": display, "active": active, ENTERPRISE: {"employeeNumber": f"E-{user_name}"}}
        if email:
            extra["emails"] = [{"value": email}]
        if external:
            extra["externalId"] = external
        clock.advance(minutes=1)
        response = idp.post("/Users", user_body(user_name, **extra))
        assert response.status_code == 201, response.get_json()
        ids[user_name] = response.get_json()["id"]
    return ids


def names(idp, expression: str, **params: str) -> list[str]:
    query = "&".join([f"filter={quote(expression)}", *(f"{k}={v}" for k, v in params.items())])
    response = idp.get(f"/Users?{query}")
    assert response.status_code == 200, response.get_json()
    return [user["userName"] for user in response.get_json()["Resources"]]


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ('userName eq "ANA"', ["ana"]),
        ('externalId eq "idp-2"', ["bob"]),
        ('emails.value eq "cara@other.example"', ["cara"]),
        ('emails eq "bob@corp.example"', ["bob"]),
        ('displayName co "lima"', ["ana", "cara"]),
        ('displayName sw "Da"', ["dan"]),
        ('userName sw "b"', ["bob"]),
        ("externalId pr", ["ana", "bob", "dan"]),
        ("emails pr", ["ana", "bob", "cara"]),
        ("active eq false", ["cara"]),
        ('active eq true and displayName co "Lima"', ["ana"]),
        ('userName eq "ana" or externalId eq "idp-4"', ["ana", "dan"]),
        ('userName eq "ana" or displayName sw "Bob"', ["ana", "bob"]),
        ('emails.value co "corp" and not (userName eq "bob")', ["ana"]),
        (f'{ENTERPRISE}:employeeNumber eq "E-cara"', ["cara"]),
        ('userName eq "nobody"', []),
    ],
)
def test_filters(idp, people, expression, expected):
    assert names(idp, expression) == expected


def test_paging_with_start_index_and_count(idp, people):
    page = idp.get("/Users?startIndex=2&count=2").get_json()
    assert (page["totalResults"], page["startIndex"], page["itemsPerPage"]) == (4, 2, 2)
    assert [user["userName"] for user in page["Resources"]] == ["bob", "cara"]
    assert names(idp, "userName pr", startIndex="4", count="10") == ["dan"]
    only_total = idp.get("/Users?count=0").get_json()
    assert (only_total["totalResults"], only_total["Resources"]) == (4, [])
    assert idp.get("/Users?startIndex=0&count=1").get_json()["Resources"][0]["userName"] == "ana"


def test_attributes_and_excluded_attributes(idp, people):
    listed = idp.get("/Users?attributes=userName&count=1").get_json()["Resources"][0]
    assert set(listed) == {"schemas", "id", "userName"}
    one = idp.get(f"/Users/{people['ana']}?excludedAttributes=emails,displayName").get_json()
    assert "emails" not in one and "displayName" not in one and one["userName"] == "ana"


def test_search_by_post(idp, people):
    body = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
        "filter": 'displayName co "Lima"',
        "attributes": ["userName"],
        "startIndex": 1,
        "count": 1,
    }
    response = idp.post("/Users/.search", body).get_json()
    assert response["totalResults"] == 2
    assert [set(user) for user in response["Resources"]] == [{"schemas", "id", "userName"}]


@pytest.mark.parametrize(
    "expression",
    ["userName eq", 'nosuchattribute eq "x"', 'userName zz "x"', '(userName eq "a"', "x" * 3000],
)
def test_a_bad_filter_is_400_invalid_filter(idp, expression):
    response = idp.get(f"/Users?filter={quote(expression)}")
    assert response.status_code == 400
    assert response.get_json()["scimType"] == "invalidFilter"


def test_a_bad_count_is_400_invalid_value(idp):
    response = idp.get("/Users?count=many")
    assert response.status_code == 400
    assert response.get_json()["scimType"] == "invalidValue"
    assert "count" in response.get_json()["detail"]
