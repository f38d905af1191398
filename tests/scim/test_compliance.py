"""A SCIM compliance suite nobody here wrote (scim2-tester) against the live server over HTTP:
no failure in discovery, CRUD, PATCH and attribute filtering for Users and Groups. scim2-tester
0.5 has no check of `filter` expressions, so the filters identity providers use are checked here
too, over the same HTTP, from their documented forms."""

from __future__ import annotations

from collections import Counter

import httpx2
import pytest
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import CheckResult, Status, check_server

from api.config import ApiConfig
from tests.scim.live_scim import LiveScim, live_scim

FAILED = {Status.ERROR, Status.CRITICAL}
# What each resource type must have passed (not merely skipped): every kind of check named.
REQUIRED = {
    "crud:create",
    "crud:read",
    "crud:update",
    "crud:delete",
    "patch:add",
    "patch:replace",
    "patch:remove",
}
UNLIMITED = ApiConfig(scim_rate_per_second=0)


def run_suite(scim: LiveScim) -> list[CheckResult]:
    http = httpx2.Client(
        base_url=scim.base_url, headers={"Authorization": f"Bearer {scim.token}"}, timeout=30
    )
    try:
        return check_server(SyncSCIMClient(http), resource_types=["User", "Group"])
    finally:
        http.close()


def summary(results: list[CheckResult]) -> Counter[tuple[str, str, str]]:
    """(resource type or 'service', check family, status) -> how many."""
    counted: Counter[tuple[str, str, str]] = Counter()
    for result in results:
        family = ",".join(sorted({tag.split(":")[0] for tag in result.tags} - {"*"})) or "untagged"
        counted[(result.resource_type or "service", family, result.status.name)] += 1
    return counted


def test_scim2_tester_finds_no_failure(store):
    with live_scim(store, UNLIMITED) as scim:
        results = run_suite(scim)
    failures = [r for r in results if r.status in FAILED]
    assert failures == [], "\n".join(f"{r.resource_type} {r.title}: {r.reason}" for r in failures)
    for resource_type in ("User", "Group"):
        passed = {
            tag
            for r in results
            if r.resource_type == resource_type and r.status == Status.SUCCESS
            for tag in r.tags
        }
        assert passed >= REQUIRED, (resource_type, sorted(REQUIRED - passed))
    discovery = {r.title for r in results if "discovery" in r.tags and r.status == Status.SUCCESS}
    assert discovery, "no discovery check passed"
    print("\nscim2-tester:", ", ".join(f"{k}={v}" for k, v in sorted(summary(results).items())))


def test_the_filters_identity_providers_send(store):
    with live_scim(store, UNLIMITED) as scim:
        http = httpx2.Client(base_url=scim.base_url, headers=scim.headers, timeout=30)
        people = {}
        for n, (user, given) in enumerate([("ana.lima", "Ana"), ("ben.ode", "Ben"), ("cy.roe", "Cy")]):
            body = {
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": f"{user}@example.com",
                "name": {"givenName": given, "familyName": "Tester"},
                "displayName": f"{given} Tester",
                "emails": [{"value": f"{user}@example.com", "type": "work"}],  # no `primary`
                "active": True,
                **({"externalId": f"okta-{n}"} if n < 2 else {}),
            }
            created = http.post("/Users", json=body)
            assert created.status_code == 201, created.text
            people[given] = created.json()["id"]
        off = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"]}
        off["Operations"] = [{"op": "replace", "value": {"active": False}}]  # Okta's form
        assert http.patch(f"/Users/{people['Cy']}", json=off).status_code == 200

        def users(filter_text: str) -> set[str]:
            answer = http.get("/Users", params={"filter": filter_text})
            assert answer.status_code == 200, (filter_text, answer.text)
            body = answer.json()
            assert body["totalResults"] == len(body.get("Resources", []))
            return {
                person
                for person, pid in people.items()
                if pid in {r["id"] for r in body.get("Resources", [])}
            }

        assert users('userName eq "ana.lima@example.com"') == {"Ana"}
        assert users('userName eq "ANA.LIMA@example.com"') == {"Ana"}  # userName is not case-exact
        assert users('userName sw "ben"') == {"Ben"}
        assert users('userName co "example.com"') == {"Ana", "Ben", "Cy"}
        assert users('externalId eq "okta-1"') == {"Ben"}
        assert users("externalId pr") == {"Ana", "Ben"}
        assert users('emails.value eq "cy.roe@example.com"') == {"Cy"}
        assert users('emails co "lima"') == {"Ana"}
        assert users('displayName sw "Be"') == {"Ben"}
        assert users("active eq false") == {"Cy"}
        assert users('userName sw "ana" or userName sw "cy"') == {"Ana", "Cy"}
        assert users('active eq true and emails.value co "example.com"') == {"Ana", "Ben"}
        assert users('not (userName sw "ana") and active eq true') == {"Ben"}
        assert users('userName eq "nobody@example.com"') == set()
        assert users('userName ew "roe@example.com"') == {"Cy"}
        assert users('userName ne "ana.lima@example.com"') == {"Ben", "Cy"}
        assert users('meta.lastModified gt "2000-01-01T00:00:00Z"') == {"Ana", "Ben", "Cy"}
        assert users('meta.created lt "2000-01-01T00:00:00Z"') == set()
        bad = http.get("/Users", params={"filter": 'userName eq "unclosed'})
        assert bad.status_code == 400 and bad.json()["scimType"] == "invalidFilter"

        page = http.get("/Users", params={"startIndex": 2, "count": 1}).json()
        assert (page["totalResults"], page["startIndex"], page["itemsPerPage"]) == (3, 2, 1)

        team = {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": "Sales EMEA",
            "externalId": "grp-1",
            "members": [{"value": people["Ana"]}, {"value": people["Ben"]}],
        }
        sales = http.post("/Groups", json=team)
        assert sales.status_code == 201, sales.text
        other = {"schemas": team["schemas"], "displayName": "Support", "members": [{"value": people["Cy"]}]}
        assert http.post("/Groups", json=other).status_code == 201

        def groups(filter_text: str) -> list[str]:
            answer = http.get("/Groups", params={"filter": filter_text})
            assert answer.status_code == 200, (filter_text, answer.text)
            return sorted(r["displayName"] for r in answer.json().get("Resources", []))

        assert groups('displayName eq "sales emea"') == ["Sales EMEA"]  # Entra's lookup
        assert groups('externalId eq "grp-1"') == ["Sales EMEA"]
        assert groups(f'members.value eq "{people["Cy"]}"') == ["Support"]
        assert groups('displayName sw "S"') == ["Sales EMEA", "Support"]
        assert groups('displayName co "port" or externalId eq "grp-1"') == ["Sales EMEA", "Support"]
        http.close()


@pytest.mark.parametrize("path", ["/Users", "/Groups"])
def test_every_scim_route_wants_the_token(store, path):
    with live_scim(store, UNLIMITED) as scim:
        answer = httpx2.get(scim.base_url + path, timeout=30)
    assert answer.status_code == 401
    assert answer.json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
