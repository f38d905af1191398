"""The report over HTTP reads the tallies cut in the organisation's zone, and says what it counts."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from sqlalchemy import update

from api.context import EXTENSION
from api.routes.reports import ReportOut
from rewards.services.employees import erase_employee
from rewards.services.reactions import React, give_reaction_kudos, reverse_reaction_kudos
from rewards.services.recognition import GiveRecognition, give_recognition
from storage.reads import reports
from storage.recognition import tallies
from storage.recognition.reactions import SqlReactionLog
from storage.schema.tallies import RecognitionTallyRow
from tests.api.callers import new_caller
from tests.factories import employee, give_allowance
from tests.test_report_tallies import POLICY, ZONE, local

REPORT = "/api/v1/reports/recognition"


def gives(store, clock):
    ana = employee(store, external_id="E-1", department="Sales")
    ben = employee(store, external_id="E-2", department="Support")
    cy = employee(store, external_id="E-3", department="Support")
    for person in (ana, ben):
        give_allowance(store, person, 1000)
    moments = [local("2025-03-03", 10), local("2025-03-09", 23.5), local("2025-03-20", 1)]
    for n, at in enumerate(moments):
        clock.set(at)
        cmd = GiveRecognition(ana.id, [ben.id, cy.id], 10 + n, "for the release", f"k-{n}", value="teamwork")
        give_recognition(store.uow(), cmd, POLICY, clock)
    clock.set(local("2025-03-09", 22))
    react = React(ben.id, ana.id, "C1:9:tada", "r-1", "tada")
    give_reaction_kudos(store.uow(), SqlReactionLog.of, react, POLICY, clock)
    clock.advance(seconds=20)
    assert reverse_reaction_kudos(
        store.uow(), SqlReactionLog.of, ben.id, "C1:9:tada", "u-1", timedelta(minutes=5), clock, timezone=ZONE
    )
    clock.set(local("2025-04-01", 9))


def test_the_report_counts_per_recipient_by_department_in_the_organisation_zone(store, app, http, clock):
    app.extensions[EXTENSION].recognition_policy = POLICY
    gives(store, clock)
    tallies.rebuild(store.engine, ZONE)
    hr = new_caller(store, http)
    # March in New York, spelled in UTC; the three recognitions, the reaction taken back left out.
    query = {"from": "2025-03-01T05:00:00Z", "to": "2025-04-01T04:00:00Z", "group_by": "department"}
    report = hr.get(REPORT, query_string=query).get_json()
    assert report["rows"] == [{"key": "Support", "recognitions": 6, "points": 66}]
    assert (report["participation"]["gave"], report["participation"]["received"]) == (1, 2)
    by_giver = hr.get(REPORT, query_string={**query, "group_by": "giver"}).get_json()["rows"]
    assert by_giver == [{"key": "E-1", "recognitions": 3, "points": 66}]
    # From the evening of the 9th (local) to the 20th at 00:30: one recognition, mid-day edges.
    part = {"from": "2025-03-09T23:00:00-04:00", "to": "2025-03-20T00:30:00-04:00", "group_by": "value"}
    assert hr.get(REPORT, query_string=part).get_json()["rows"] == [
        {"key": "teamwork", "recognitions": 1, "points": 22}
    ]


def test_the_route_reads_the_tallies_of_its_zone_and_the_history_otherwise(store, app, http, clock):
    gives(store, clock)
    tallies.rebuild(store.engine, ZONE)
    with store.engine.begin() as conn:  # a tampered month: only a read of the tallies sees it
        conn.execute(
            update(RecognitionTallyRow)
            .where(RecognitionTallyRow.grain == "month", RecognitionTallyRow.role == "given")
            .values(points=RecognitionTallyRow.points + 1000)
        )
    hr = new_caller(store, http)
    query = {"from": "2025-03-01T05:00:00Z", "to": "2025-04-01T04:00:00Z", "group_by": "giver"}
    app.extensions[EXTENSION].recognition_policy = POLICY
    assert hr.get(REPORT, query_string=query).get_json()["rows"][0]["points"] == 1066
    app.extensions[EXTENSION].recognition_policy = type(POLICY)()  # UTC: the tallies are not its
    assert hr.get(REPORT, query_string=query).get_json()["rows"][0]["points"] == 66


def test_the_openapi_document_says_what_department_counts(http):
    spec = http.get("/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/reports/recognition"]["get"]
    assert "counts twice there" in operation["description"]
    row = spec["components"]["schemas"]["ReportRowOut"]["properties"]["recognitions"]
    assert "recognitions received" in row["description"]


def test_by_person_the_route_shows_hr_ids_read_with_the_report_and_keeps_the_documented_shape(
    store, app, http, clock
):
    gives(store, clock)
    with store.reader() as uow:
        people = {x: e.id for x, e in uow.employees.get_many_by_external_id(["E-1", "E-2", "E-3"]).items()}
    erase_employee(store.uow(), people["E-3"], clock)  # an erased person shows as null
    tallies.rebuild(store.engine, ZONE)
    hr = new_caller(store, http)
    start, end = local("2025-03-01"), local("2025-04-01")
    query = {"from": start.isoformat(), "to": end.isoformat()}
    hr_of = {person: external for external, person in people.items() if external != "E-3"}
    for zone in (ZONE, "UTC"):  # from the tallies, then from the history (no tallies in UTC)
        app.extensions[EXTENSION].recognition_policy = POLICY if zone == ZONE else type(POLICY)()
        for group_by in ("giver", "recipient"):
            body = hr.get(REPORT, query_string={**query, "group_by": group_by}).get_json()
            assert ReportOut.model_validate(body).model_dump(mode="json") == body
            rows, _ = reports.recognition_report(store, start, end, group_by, timezone=zone)
            assert body["rows"] == [
                {"key": hr_of.get(key), "recognitions": n, "points": p} for key, n, p in rows
            ]
    want = {"giver": [["E-1", "3", "66"]], "recipient": [["E-2", "3", "33"], ["", "3", "33"]]}
    for group_by, rows in want.items():
        as_csv = hr.get(REPORT, query_string={**query, "group_by": group_by}, headers={"Accept": "text/csv"})
        lines = list(csv.reader(io.StringIO(as_csv.get_data(as_text=True))))
        assert sorted(lines[1 : 1 + len(rows)]) == sorted(rows) and lines[1 + len(rows)] == []


def test_a_range_to_the_ends_of_time_reports_everything_instead_of_failing(store, app, http, clock):
    app.extensions[EXTENSION].recognition_policy = POLICY
    gives(store, clock)
    tallies.rebuild(store.engine, ZONE)
    hr = new_caller(store, http)
    for start, end in [
        ("0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z"),
        ("0001-01-01T00:00:00Z", "1000-01-01T00:00:00Z"),
        ("9999-01-01T00:00:00Z", "9999-12-31T18:00:00-05:00"),
    ]:
        for group_by in ("department", "value", "giver", "recipient"):
            answer = hr.get(REPORT, query_string={"from": start, "to": end, "group_by": group_by})
            assert answer.status_code == 200, (start, end, group_by, answer.get_data(as_text=True))
    everything = {"from": "0001-01-01T00:00:00Z", "to": "9999-12-31T23:59:59Z"}
    rows = hr.get(REPORT, query_string={**everything, "group_by": "giver"}).get_json()["rows"]
    assert rows == [{"key": "E-1", "recognitions": 3, "points": 66}]
