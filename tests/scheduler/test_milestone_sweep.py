"""The milestone sweep against a real database: every occurrence once, on the local date."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from rewards.milestones import anniversary, celebration_day, fire_time
from rewards.services.awards import issue_award
from rewards.services.employees import upsert_employee
from rewards.services.milestone_rules import list_rules, update_rule
from rewards.services.milestones import Planned, SweepOptions, SweepReport, _award_batch, award_command
from storage.ledger.verify import verify_ledger
from storage.scheduling.unit_of_work import scheduler_uow
from storage.schema.core import OutboxRow
from tests.factories import balances, employee
from tests.scheduler.helpers import keys_by_employee, milestone_transactions, sweep

ZONES = ["Pacific/Auckland", "America/Los_Angeles", "Asia/Kolkata", "UTC"]
DATES = [date(2024, 2, 29), date(2020, 1, 1), date(2015, 12, 31), date(2019, 6, 15)]


def rule(store, code):
    return next(r for r in list_rules(scheduler_uow(store), store.clock) if r.code == code)


def test_across_years_and_zones_every_milestone_once_on_its_local_date_after_9(store, clock):
    clock.set(datetime(2027, 12, 1, tzinfo=UTC))
    anniversary_rule = rule(store, "work-anniversary")
    update_rule(scheduler_uow(store), anniversary_rule.id, {"weekend_to_friday": True}, clock)
    people = {}
    for zone in ZONES:
        for anchor in DATES:
            person = employee(store, timezone=zone, hire_date=anchor, birth_date=anchor)
            people[person.id] = (zone, anchor)
    end = datetime(2029, 3, 10, tzinfo=UTC)
    while clock.now() < end:
        sweep(store)
        clock.advance(hours=8)

    awarded = {txn.idempotency_key: txn.created_at for txn in milestone_transactions(store)}
    expected = set()
    for emp_id, (zone, anchor) in people.items():
        tz = ZoneInfo(zone)
        for code, weekend in (("work-anniversary", True), ("birthday", False)):
            rule_id = rule(store, code).id
            for year in (2027, 2028, 2029):
                nominal = anniversary(anchor, year)
                day = celebration_day(nominal, weekend)
                if not datetime(2027, 12, 1, tzinfo=UTC) <= fire_time(day, tz) <= end:
                    continue
                key = f"milestone:{emp_id}:{rule_id}:{nominal.isoformat()}"
                expected.add(key)
                local = awarded[key].astimezone(tz)
                assert local.date() == day, (zone, anchor, code)
                assert local.hour >= 9
    assert set(awarded) == expected
    assert len(expected) > 40
    leap_keys = [k for k in expected if k.endswith("2029-02-28")]
    assert len(leap_keys) == 8  # the 29 February people, both rules, in every zone
    assert verify_ledger(store.engine) == []


def test_scheduler_down_three_days_awards_missed_milestones_once_when_it_starts(store, clock):
    clock.set(datetime(2026, 6, 14, 12, 0, tzinfo=UTC))
    person = employee(
        store, timezone="Asia/Kolkata", hire_date=date(2021, 6, 15), birth_date=date(1990, 6, 16)
    )
    sweep(store)
    assert milestone_transactions(store) == []

    clock.advance(days=3)  # down through 15 and 16 June
    report = sweep(store)
    again = sweep(store)

    assert report.awarded == 2 and again.awarded == 0
    assert len(keys_by_employee(store)[person.id]) == 2
    assert balances(store, person)["wallet"] == rule(store, "work-anniversary").points_for(5) + 50
    assert verify_ledger(store.engine) == []


def test_occurrences_older_than_the_window_are_not_paid(store, clock):
    clock.set(datetime(2026, 6, 1, tzinfo=UTC))
    person = employee(store, hire_date=date(2021, 6, 2), birth_date=None)
    clock.set(datetime(2026, 6, 12, tzinfo=UTC))
    assert sweep(store, window_days=7).awarded == 0
    assert balances(store, person)["wallet"] == 0


def test_each_award_publishes_milestone_awarded_without_personal_data(store, clock):
    clock.set(datetime(2026, 6, 15, 10, 0, tzinfo=UTC))
    person = employee(
        store,
        hire_date=date(2021, 6, 15),
        birth_date=None,
        display_name="Ana Secret",
        email="ana@example.com",
    )
    sweep(store)
    with store.reader() as uow:
        rows = uow.session.scalars(
            select(OutboxRow.payload).where(
                OutboxRow.topic == "milestone.awarded", OutboxRow.channel == "slack"
            )
        ).all()
    assert len(rows) == 1
    data = json.loads(rows[0])["data"]
    assert data["employee_ids"] == [person.id] and data["milestone"] == "work_anniversary"
    assert data["number"] == 5 and data["celebration_channel"] == "C0CELEBRATE"
    for secret in ("Ana", "example.com", "2021", "06-15"):
        assert secret not in json.dumps(data)


def test_recognition_badges_at_10_received_once(store, clock):
    from rewards.policy import RecognitionPolicy
    from rewards.services.recognition import GiveRecognition, give_recognition
    from tests.factories import give_allowance

    giver, star = employee(store, birth_date=None), employee(store, birth_date=None)
    give_allowance(store, giver, 1000)
    for n in range(10):
        give_recognition(
            store.uow(),
            GiveRecognition(giver.id, [star.id], 1, "thanks a lot", f"kudos-{n}"),
            RecognitionPolicy(),
            clock,
        )
    sweep(store)
    sweep(store)
    keys = keys_by_employee(store).get(star.id, [])
    assert keys == [f"milestone:{star.id}:{rule(store, 'recognition-badges').id}:n10"]


def test_inactive_and_erased_people_get_nothing(store, clock):
    clock.set(datetime(2026, 6, 15, 10, 0, tzinfo=UTC))
    person = employee(store, hire_date=date(2021, 6, 15))
    upsert_employee(store.uow(), person.external_id, {"status": "inactive"}, clock)
    assert sweep(store).awarded == 0


def test_a_batch_meeting_an_award_made_elsewhere_replays_it_and_awards_the_rest(store, clock):
    clock.set(datetime(2026, 6, 15, 10, 0, tzinfo=UTC))
    one, two = employee(store), employee(store)
    anniversary_rule = rule(store, "work-anniversary")
    planned = [
        Planned(f"milestone:{p.id}:{anniversary_rule.id}:2026-06-15", p.id, anniversary_rule, 3)
        for p in (one, two)
    ]
    options = SweepOptions()
    issue_award(store.uow(), award_command(planned[0], options), clock)
    report = SweepReport()

    _award_batch(scheduler_uow(store), planned, clock, options, clock.now(), report)

    assert report.failed == 0
    assert balances(store, one)["wallet"] == balances(store, two)["wallet"] == 300
    assert verify_ledger(store.engine) == []


def test_rules_accept_json_shaped_input_and_refuse_bad_rules(store, clock):
    from rewards.milestones import MilestoneRule
    from rewards.services.milestone_rules import InvalidMilestoneRule, add_rule

    added = add_rule(
        scheduler_uow(store),
        MilestoneRule(0, "five", "work_anniversary", "Five", 10, points_table={"5": 999}),
        clock,
    )
    assert added.points_for(5) == 999 and added.kind == "work_anniversary"
    changed = update_rule(scheduler_uow(store), added.id, {"points_table": {"6": 5}}, clock)
    assert changed.points_table == {6: 5}
    for bad in ({"points": 0}, {"kind": "birthday"}, {"colour": "red"}, {"points_table": {"x": 1}}):
        with pytest.raises(InvalidMilestoneRule):
            update_rule(scheduler_uow(store), added.id, bad, clock)
