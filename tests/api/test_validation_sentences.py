"""Validation errors read as sentences a person can act on: no regular expressions, no class names."""

from __future__ import annotations

import re

import pytest

from api.problems import PATTERN_SENTENCES, TYPE_SENTENCES

# What a leak looks like: pydantic's own wording, a pattern, or a model's class name.
LEAKS = re.compile(
    r"String should|Input should|Field required|Extra inputs|Value error|pattern|\^|\$|\\[sSdw]|"
    r"[A-Z][a-z]+(?:In|Out|Query|Path|Header|Patch)\b|BulkEmployee"
)


def _messages(response) -> dict[str, str]:
    assert response.status_code == 422, response.get_json()
    problem = response.get_json()
    for error in problem["errors"]:
        assert not LEAKS.search(error["message"]), error
    assert not LEAKS.search(problem["detail"]), problem["detail"]
    return {e["field"]: e["message"] for e in problem["errors"]}


def test_employee_fields_say_what_a_value_must_look_like(hr):
    response = hr.put(
        "/api/v1/employees/E-1",
        json={
            "email": "not-an-email",
            "country": "pt",
            "slack_user_id": "u1",
            "hire_date": "01/02/2021",
            "birth_date": "1990-13-01",
            "display_name": "a" * 201,
            "status": "gone",
            "is_guest": "yes",
            "manager_external_id": "E 1000",
            "nickname": "Ana",
        },
    )
    messages = _messages(response)
    assert messages["body.email"] == "must be an email address such as ana@example.com"
    assert messages["body.country"] == "must be a two-letter country code in capitals, such as PT"
    assert messages["body.slack_user_id"] == "must be a Slack user id such as U012ABC"
    assert "YYYY-MM-DD" in messages["body.hire_date"] and "YYYY-MM-DD" in messages["body.birth_date"]
    assert messages["body.display_name"] == "must be at most 200 characters"
    assert messages["body.status"] == "must be one of 'active' or 'inactive'"
    assert messages["body.is_guest"] == "must be true or false"
    assert messages["body.manager_external_id"].startswith("must be an HR id such as E-1001")
    assert messages["body.nickname"] == "is not a field of this request (check the spelling)"
    assert "body.email must be an email address" in response.get_json()["detail"]


def test_lists_items_and_queries_say_it_in_sentences(hr):
    def batch(body):
        return _messages(hr.post("/api/v1/awards/batch", key="k", json={"reason": "launch", **body}))

    bad_id = batch({"items": [{"employee_id": "E 1", "points": 5}]})
    assert bad_id == {"body.items.0.employee_id": PATTERN_SENTENCES[r"^[A-Za-z0-9._:@-]+$"]}
    assert batch({"items": [1]}) == {"body.items.0": "must be a JSON object"}
    assert batch({"items": "E-1"}) == {"body.items": "must be a JSON array"}
    assert batch({}) == {"body.items": "is required"}
    query = _messages(hr.get("/api/v1/employees?limit=0&updated_since=yesterday"))
    assert query["query.limit"] == "must be at least 1"
    assert "2026-03-01T00:00:00Z" in query["query.updated_since"]


def test_blank_text_and_codes_are_named_not_patterned(hr):
    assert _messages(hr.post("/api/v1/catalog/items", json={"name": "   ", "points_cost": 5})) == {
        "body.name": "must not be blank"
    }
    rule = {"code": "Ten Years", "kind": "birthday", "name": "x", "points": 5, "points_table": {"ten": 5}}
    messages = _messages(hr.post("/api/v1/milestone-rules", json=rule))
    assert messages["body.code"].startswith("must be lower-case letters")
    assert any(field.startswith("body.points_table") for field in messages)


def _patterns(schema: object) -> set[str]:
    found: set[str] = set()
    if isinstance(schema, dict):
        for key, value in schema.items():
            if key == "pattern" and isinstance(value, str):
                found.add(value)
            else:
                found |= _patterns(value)
    elif isinstance(schema, list):
        for value in schema:
            found |= _patterns(value)
    return found


def test_every_pattern_in_the_openapi_document_has_a_sentence(http):
    document = http.get("/api/v1/openapi.json").get_json()
    assert len(document["paths"]) > 10  # the walk reads the real document
    patterns = _patterns(document)
    assert r"^[A-Za-z0-9._:@-]+$" in patterns
    assert patterns <= set(PATTERN_SENTENCES), patterns - set(PATTERN_SENTENCES)


@pytest.mark.parametrize("kind", sorted(TYPE_SENTENCES))
def test_type_sentences_carry_no_internals(kind):
    assert not LEAKS.search(TYPE_SENTENCES[kind])


def test_a_date_time_with_no_time_in_utc_is_named_not_a_500(hr):
    # Year 1 at +05:00 is the year 0 in UTC, which no date-time can hold.
    for path, name in [
        ("/api/v1/employees?updated_since=0001-01-01T00:00:00%2B05:00", "query.updated_since"),
        ("/api/v1/ledger/transactions?until=9999-12-31T23:00:00-05:00", "query.until"),
        (
            "/api/v1/reports/recognition?from=0001-01-01T00:00:00%2B05:00&to=2026-01-01T00:00:00Z",
            "query.from",
        ),
    ]:
        answer = hr.get(path)
        assert answer.status_code == 422, (path, answer.get_data(as_text=True))
        assert "years 1 to 9999" in _messages(answer)[name]
