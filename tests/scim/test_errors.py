"""Bad requests get SCIM error documents (never a 500), and change nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from api.config import ApiConfig
from storage.access.scim_tokens import create_token
from tests.scim.conftest import ERROR, Provider, make_scim_app, patch_body, user_body


def employee_count(store) -> int:
    with store.engine.connect() as conn:
        return conn.execute(text("SELECT COUNT(*) FROM employees")).scalar()


def assert_scim_error(response, status: int, scim_type: str | None = None) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/scim+json"
    body = response.get_json()
    assert body["schemas"] == [ERROR]
    assert body["status"] == str(status)
    assert body.get("scimType") == scim_type
    return body


@pytest.mark.parametrize("raw", [b"not json", b"[1, 2]", b'"a string"', b"\xff\xfe", b""])
def test_a_body_that_is_not_a_json_object_is_400_invalid_syntax(store, idp, raw):
    assert_scim_error(idp.post("/Users", raw), 400, "invalidSyntax")
    assert employee_count(store) == 0


def test_a_body_over_the_limit_is_413(store):
    config = ApiConfig(rate_limit_per_second=0, scim_rate_per_second=1000.0, max_body_bytes=2000)
    app = make_scim_app(store, config)
    app.config["MAX_CONTENT_LENGTH"] = 2000
    _, secret = create_token(store, "okta")
    idp = Provider(app.test_client(), secret)
    assert_scim_error(idp.post("/Users", user_body("a@example.com", displayName="x" * 5000)), 413)
    assert employee_count(store) == 0


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        ({"emails": [{"value": "not-an-address"}]}, "emails"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"displayName": "x" * 201}, "displayName"),
        ({"urn:plaudit:params:scim:schemas:extension:plaudit:2.0:User": {"country": "France"}}, "country"),
        ({"urn:plaudit:params:scim:schemas:extension:plaudit:2.0:User": {"hireDate": "soon"}}, "hireDate"),
        ({"active": "perhaps"}, "active"),
    ],
)
def test_a_bad_attribute_is_400_invalid_value_naming_it(store, idp, extra, named):
    body = assert_scim_error(idp.post("/Users", user_body("a@example.com", **extra)), 400, "invalidValue")
    assert named in body["detail"]
    assert employee_count(store) == 0


def test_a_blank_or_missing_username_is_refused(store, idp):
    assert idp.post("/Users", user_body("   ")).status_code == 400
    missing = idp.post("/Users", {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"]})
    assert missing.status_code == 400
    assert employee_count(store) == 0


def test_a_taken_email_is_409_uniqueness(idp):
    idp.post("/Users", user_body("a", emails=[{"value": "same@example.com"}]))
    taken = idp.post("/Users", user_body("b", emails=[{"value": "same@example.com"}]))
    body = assert_scim_error(taken, 409, "uniqueness")
    assert "emails" in body["detail"]


def test_patch_errors(store, idp):
    user_id = idp.post("/Users", user_body("a@example.com")).get_json()["id"]
    unknown_op = patch_body({"op": "merge", "path": "displayName", "value": "x"})
    assert_scim_error(idp.patch(f"/Users/{user_id}", unknown_op), 400, "invalidValue")
    read_only = patch_body({"op": "replace", "path": "id", "value": "other"})
    assert_scim_error(idp.patch(f"/Users/{user_id}", read_only), 400, "mutability")
    no_target = patch_body({"op": "remove"})
    assert_scim_error(idp.patch(f"/Users/{user_id}", no_target), 400, "noTarget")
    bad_path = patch_body({"op": "replace", "path": "emails[type eq", "value": "x"})
    assert idp.patch(f"/Users/{user_id}", bad_path).status_code == 400
    username_removed = patch_body({"op": "remove", "path": "userName"})
    assert_scim_error(idp.patch(f"/Users/{user_id}", username_removed), 400, "mutability")
    assert idp.get(f"/Users/{user_id}").get_json()["userName"] == "a@example.com"


def test_unknown_ids_paths_and_methods(idp):
    assert_scim_error(idp.get("/Users/nobody"), 404)
    assert_scim_error(idp.put("/Users/nobody", user_body("x")), 404)
    assert_scim_error(
        idp.patch("/Users/nobody", patch_body({"op": "add", "path": "title", "value": "x"})), 404
    )
    assert_scim_error(idp.delete("/Users/nobody"), 404)
    assert_scim_error(idp.get("/Users/" + "x" * 300), 404)
    assert_scim_error(idp.get("/Nothing"), 404)
    refused = assert_scim_error(idp.delete("/ServiceProviderConfig"), 405)
    assert refused is not None
    assert "GET" in idp.delete("/ServiceProviderConfig").headers["Allow"]


def test_no_token_is_401_and_answers_are_not_cached(scim_app, idp):
    anonymous = scim_app.test_client().get("/scim/v2/Users")
    assert_scim_error(anonymous, 401)
    assert idp.get("/Users").headers["Cache-Control"] == "no-store"
    assert idp.get("/ServiceProviderConfig").headers["Cache-Control"] == "no-store"


def test_unauthenticated_calls_spend_the_address_bucket(store):
    from api.ratelimit import AddressLimit

    app = make_scim_app(store)
    app.extensions["plaudit.address_limit"] = AddressLimit(1, 2)
    client = app.test_client()
    statuses = [client.get("/scim/v2/Users").status_code for _ in range(4)]
    assert statuses[:2] == [401, 401]
    limited = client.get("/scim/v2/Users")
    assert_scim_error(limited, 429)
    assert "Retry-After" in limited.headers


HOSTILE_PATCHES = [
    {"Operations": "replace everything"},
    {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": []},
    {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [None]},
    {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "add"}]},
    {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": 7, "value": {}}]},
    {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "emails", "value": "not a list"}],
    },
    {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "add", "path": "name", "value": 5}],
    },
    {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "value": ["a", "b"]}],
    },
    {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "urn:nope:x", "value": 1}],
    },
    {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "userName", "value": None}],
    },
]


@pytest.mark.parametrize("body", HOSTILE_PATCHES)
def test_hostile_patches_are_scim_400s_and_change_nothing(idp, body):
    user_id = idp.post("/Users", user_body("a@example.com", displayName="A")).get_json()["id"]
    group_id = idp.post(
        "/Groups", {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "G"}
    ).get_json()["id"]
    before = idp.get(f"/Users/{user_id}").get_json()
    for path in (f"/Users/{user_id}", f"/Groups/{group_id}"):
        response = idp.patch(path, body)
        assert 400 <= response.status_code < 500, (path, response.get_data(as_text=True))
        assert response.get_json()["schemas"] == [ERROR]
    assert idp.get(f"/Users/{user_id}").get_json() == before


def test_a_patch_of_an_attribute_plaudit_does_not_know_changes_nothing(idp):
    """Providers send attributes the app has not declared (custom Okta or Entra mappings)."""
    user_id = idp.post("/Users", user_body("a@example.com", displayName="A")).get_json()["id"]
    before = idp.get(f"/Users/{user_id}?excludedAttributes=meta").get_json()
    unknown = patch_body({"op": "replace", "path": "urn:example:custom:2.0:User:costCode", "value": "x"})
    assert idp.patch(f"/Users/{user_id}", unknown).status_code == 200
    assert idp.get(f"/Users/{user_id}?excludedAttributes=meta").get_json() == before


@pytest.mark.parametrize(
    "query",
    [
        "attributes=emails[type",
        "attributes=userName&excludedAttributes=emails",
        "startIndex=1e9",
        "filter=" + "(" * 500,
        "filter=userName%20eq%20%22%00%22",
    ],
)
def test_hostile_list_queries_are_scim_400s_or_answers(idp, query):
    response = idp.get(f"/Users?{query}")
    assert response.status_code in (200, 400), response.get_data(as_text=True)
    assert response.mimetype == "application/scim+json"


@pytest.mark.parametrize(
    "body",
    [{"filter": 5}, {"count": "many"}, {"attributes": "x[y"}, {"startIndex": [1]}],
)
def test_hostile_searches_are_scim_400s(idp, body):
    response = idp.post(
        "/Users/.search", {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], **body}
    )
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.get_json()["schemas"] == [ERROR]
