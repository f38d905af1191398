"""The contract: OpenAPI 3.1 served, offline docs, problem+json errors, strict validation."""

from __future__ import annotations

import re

import pytest

from tests.factories import employee

PROBLEM = "application/problem+json"


def test_openapi_31_document_is_served_and_lists_the_api(http):
    spec = http.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"] == "3.1.0"
    assert "/api/v1/awards/batch" in spec["paths"]
    flows = spec["components"]["securitySchemes"]["oauth2"]["flows"]
    assert flows["clientCredentials"]["tokenUrl"] == "/oauth/token"
    assert spec["paths"]["/api/v1/awards"]["post"]["responses"]["422"]["content"] == {
        PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}
    }


def test_docs_page_works_offline(http):
    page = http.get("/api/docs", follow_redirects=True)
    assert page.status_code == 200
    swagger = http.get("/api/docs/swagger")
    html = swagger.get_data(as_text=True)
    assert not re.search(r"""(src|href)=["']https?://""", html)  # nothing from a CDN
    assert '"validatorUrl": null' in html
    for asset in re.findall(r"""(?:src|href)="(swagger/[^"]+)""", html):
        assert http.get(f"/api/docs/{asset}").status_code == 200, asset


def test_health_check_still_answers(http):
    assert http.get("/healthz").get_json() == {"status": "ok", "database": "ok"}


def test_unknown_path_is_a_problem(hr):
    response = hr.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.mimetype == PROBLEM
    assert response.get_json()["code"] == "not_found"


def test_wrong_method_is_a_problem_with_allow(hr):
    response = hr.delete("/api/v1/awards")
    assert response.status_code == 405
    assert response.mimetype == PROBLEM
    assert "POST" in response.headers["Allow"]


def test_non_json_body_is_415(hr):
    response = hr.post("/api/v1/awards", key="k", data="points=5", content_type="text/plain")
    assert response.status_code == 415
    assert response.mimetype == PROBLEM


def test_malformed_json_is_400(hr):
    response = hr.post("/api/v1/awards", key="k", data="{", content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["code"] == "malformed_json"


def test_too_large_body_is_413(store, http, hr, app):
    app.config["MAX_CONTENT_LENGTH"] = 1000
    response = hr.post(
        "/api/v1/awards", key="k", data="[" + "1," * 1000 + "1]", content_type="application/json"
    )
    assert response.status_code == 413
    assert response.mimetype == PROBLEM


def test_validation_errors_name_each_bad_field(hr):
    response = hr.post("/api/v1/awards", key="k", json={"employee_ids": [], "points": 0, "extra": 1})
    assert response.status_code == 422
    problem = response.get_json()
    assert response.mimetype == PROBLEM
    fields = {e["field"] for e in problem["errors"]}
    assert {"body.employee_ids", "body.points", "body.reason", "body.extra"} <= fields


@pytest.mark.parametrize(
    ("points", "accepted"),
    [
        (5, True),
        (5.0, True),
        ("5", False),
        (True, False),
        (5.5, False),
        (None, False),
    ],
)
def test_integers_are_strict(store, hr, points, accepted):
    ana = employee(store, external_id="E-1")
    assert ana
    response = hr.post(
        "/api/v1/awards",
        key=f"k-{points!r}",
        json={"employee_ids": ["E-1"], "points": points, "reason": "launch"},
    )
    assert (response.status_code == 201) is accepted, response.get_json()
    if not accepted:
        assert response.get_json()["errors"][0]["field"] == "body.points"


def test_domain_errors_keep_their_code_and_status(store, hr):
    employee(store, external_id="E-1")
    hr.post("/api/v1/catalog/items", json={"name": "Mug", "points_cost": 50})
    response = hr.post("/api/v1/redemptions", key="r1", json={"employee_id": "E-1", "item_id": 1})
    assert response.status_code == 409
    assert response.get_json()["code"] == "insufficient_points"
    assert response.mimetype == PROBLEM
