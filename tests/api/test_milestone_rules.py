"""Milestone rules over HTTP: the seeded defaults, adding, changing, refusing bad rules."""

from __future__ import annotations

from rewards.services.milestone_rules import list_rules
from storage.scheduling.unit_of_work import scheduler_uow

TEN_YEARS = {
    "code": "ten-years",
    "kind": "work_anniversary",
    "name": "Ten years with us",
    "points": 150,
    "points_table": {"10": 2000, "20": 5000},
    "weekend_to_friday": True,
}


def test_the_defaults_are_listed_and_each_can_be_read(hr):
    listing = hr.get("/api/v1/milestone-rules")
    assert listing.status_code == 200
    rules = {rule["code"]: rule for rule in listing.get_json()["items"]}
    assert set(rules) == {"work-anniversary", "birthday", "first-week", "recognition-badges"}
    assert rules["work-anniversary"]["points_table"] == {"1": 100, "3": 300, "5": 500, "10": 1000}
    assert rules["recognition-badges"]["thresholds"] == [10, 50, 100]
    one = hr.get(f"/api/v1/milestone-rules/{rules['birthday']['id']}")
    assert one.status_code == 200 and one.get_json() == rules["birthday"]
    missing = hr.get("/api/v1/milestone-rules/999")
    assert missing.status_code == 404
    assert missing.headers["Content-Type"] == "application/problem+json"


def test_a_rule_is_added_and_the_scheduler_sees_it(store, hr):
    created = hr.post("/api/v1/milestone-rules", json=TEN_YEARS)
    assert created.status_code == 201, created.get_json()
    rule = created.get_json()
    assert created.headers["Location"] == f"/api/v1/milestone-rules/{rule['id']}"
    assert rule["points_table"] == {"10": 2000, "20": 5000} and rule["weekend_to_friday"] is True
    stored = {r.code: r for r in list_rules(scheduler_uow(store), store.clock)}["ten-years"]
    assert stored.points_table == {10: 2000, 20: 5000} and stored.points_for(10) == 2000
    again = hr.post("/api/v1/milestone-rules", json=TEN_YEARS)
    assert again.status_code == 422 and "exists already" in again.get_json()["detail"]


def test_a_rule_is_changed_field_by_field(store, hr):
    birthday = next(
        r for r in hr.get("/api/v1/milestone-rules").get_json()["items"] if r["code"] == "birthday"
    )
    changed = hr.patch(
        f"/api/v1/milestone-rules/{birthday['id']}", json={"points": 75, "weekend_to_friday": True}
    )
    assert changed.status_code == 200
    body = changed.get_json()
    assert (body["points"], body["weekend_to_friday"], body["name"]) == (75, True, "Birthday")
    off = hr.patch(f"/api/v1/milestone-rules/{birthday['id']}", json={"active": False})
    assert off.get_json()["active"] is False
    stored = {r.code: r for r in list_rules(scheduler_uow(store), store.clock)}["birthday"]
    assert (stored.points, stored.active) == (75, False)
    assert hr.patch("/api/v1/milestone-rules/999", json={"points": 5}).status_code == 404


def test_bad_rules_are_refused_naming_the_field_and_change_nothing(store, hr):
    before = list_rules(scheduler_uow(store), store.clock)
    bad = hr.post(
        "/api/v1/milestone-rules",
        json={
            "code": "Bad Code",
            "kind": "promotion",
            "name": " ",
            "points": "100",
            "points_table": {"zero": 5},
        },
    )
    assert bad.status_code == 422
    fields = {error["field"] for error in bad.get_json()["errors"]}
    assert {"body.code", "body.kind", "body.name", "body.points"} <= fields
    assert any(field.startswith("body.points_table") for field in fields)
    rule_id = before[0].id
    for patch in ({"code": "renamed"}, {"kind": "birthday"}, {"points": 0}, {"points": None}):
        refused = hr.patch(f"/api/v1/milestone-rules/{rule_id}", json=patch)
        assert refused.status_code == 422, patch
    assert list_rules(scheduler_uow(store), store.clock) == before


def test_rules_need_the_milestone_scopes(make_caller):
    reader = make_caller("milestones:read")
    assert reader.get("/api/v1/milestone-rules").status_code == 200
    assert reader.post("/api/v1/milestone-rules", json=TEN_YEARS).status_code == 403
    stranger = make_caller("awards:write", name="awards-only")
    assert stranger.get("/api/v1/milestone-rules").status_code == 403
