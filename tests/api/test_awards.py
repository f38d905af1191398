"""Awards over HTTP: single awards, all-or-nothing batches, and Idempotency-Key semantics."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from storage.ledger.verify import verify_ledger
from storage.schema.core import TransactionRow
from tests.api.callers import call
from tests.factories import balances, employee


def people(store, n: int):
    return [employee(store, external_id=f"E-{i}") for i in range(n)]


def test_an_award_credits_each_wallet(store, hr):
    ana, ben = people(store, 2)
    response = hr.post(
        "/api/v1/awards",
        key="a-1",
        json={"employee_ids": ["E-0", "E-1"], "points": 25, "reason": "Quarter close", "value": "ownership"},
    )
    body = response.get_json()
    assert response.status_code == 201
    assert body["total_points"] == 50 and body["employee_ids"] == ["E-0", "E-1"]
    assert balances(store, ana)["wallet"] == balances(store, ben)["wallet"] == 25
    assert verify_ledger(store.engine) == []


def test_an_award_needs_an_idempotency_key(store, hr):
    people(store, 1)
    response = hr.post("/api/v1/awards", json={"employee_ids": ["E-0"], "points": 5, "reason": "x"})
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "header.Idempotency-Key"


def test_unknown_employees_are_named_and_nothing_moves(store, hr):
    (ana,) = people(store, 1)
    response = hr.post(
        "/api/v1/awards", key="a-1", json={"employee_ids": ["E-0", "E-404"], "points": 5, "reason": "x"}
    )
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "body.employee_ids.1"
    assert balances(store, ana)["wallet"] == 0


def test_same_key_same_body_replays_the_first_response(store, hr):
    (ana,) = people(store, 1)
    award = {"employee_ids": ["E-0"], "points": 5, "reason": "Thanks"}
    first = hr.post("/api/v1/awards", key="a-1", json=award)
    again = hr.post("/api/v1/awards", key="a-1", json=dict(reversed(award.items())))
    assert again.status_code == first.status_code == 201
    assert again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert balances(store, ana)["wallet"] == 5


def test_same_key_other_body_is_422(store, hr):
    (ana,) = people(store, 1)
    hr.post("/api/v1/awards", key="a-1", json={"employee_ids": ["E-0"], "points": 5, "reason": "x"})
    other = hr.post("/api/v1/awards", key="a-1", json={"employee_ids": ["E-0"], "points": 9, "reason": "x"})
    assert other.status_code == 422
    assert other.get_json()["code"] == "idempotency_key_reused"
    assert balances(store, ana)["wallet"] == 5


def test_keys_belong_to_one_client(store, hr, make_caller):
    (ana,) = people(store, 1)
    other = make_caller("awards:write")
    award = {"employee_ids": ["E-0"], "points": 5, "reason": "x"}
    assert hr.post("/api/v1/awards", key="same", json=award).status_code == 201
    assert other.post("/api/v1/awards", key="same", json=award).status_code == 201
    assert balances(store, ana)["wallet"] == 10


def test_the_same_key_sent_concurrently_has_one_effect(store, hr, live_server):
    (ana,) = people(store, 1)
    award = {"employee_ids": ["E-0"], "points": 7, "reason": "race"}

    def send(_):
        return call(live_server, "POST", "/api/v1/awards", hr.token, award, {"Idempotency-Key": "k"})

    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(send, range(10)))
    statuses = sorted(status for status, _, _ in results)
    assert set(statuses) <= {201, 409}
    assert statuses.count(201) >= 1
    assert balances(store, ana)["wallet"] == 7
    with store.engine.connect() as conn:
        assert (
            conn.scalar(
                select(func.count()).select_from(TransactionRow).where(TransactionRow.kind == "award")
            )
            == 1
        )


def test_a_batch_is_one_all_or_nothing_transaction(store, hr):
    staff = people(store, 30)
    items = [{"employee_id": f"E-{i}", "points": 1 + i % 3} for i in range(30)]
    response = hr.post("/api/v1/awards/batch", key="b-1", json={"reason": "Q3", "items": items})
    body = response.get_json()
    assert response.status_code == 201
    assert body["awarded"] == 30 and body["total_points"] == sum(i["points"] for i in items)
    assert [balances(store, e)["wallet"] for e in staff[:3]] == [1, 2, 3]
    assert verify_ledger(store.engine) == []


def test_a_batch_with_a_bad_item_awards_nothing(store, hr):
    staff = people(store, 3)
    hr.delete("/api/v1/employees/E-1")
    items = [{"employee_id": f"E-{i}", "points": 5} for i in range(3)]
    response = hr.post("/api/v1/awards/batch", key="b-1", json={"reason": "Q3", "items": items})
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "body.items.1.employee_id"
    assert all(balances(store, e)["wallet"] == 0 for e in staff)
    unknown = hr.post(
        "/api/v1/awards/batch",
        key="b-2",
        json={
            "reason": "Q3",
            "items": [{"employee_id": "E-0", "points": 5}, {"employee_id": "E-404", "points": 5}],
        },
    )
    assert unknown.status_code == 422
    assert unknown.get_json()["code"] == "unknown_employee"


def test_a_batch_refuses_duplicates_and_more_than_10000_items(store, hr):
    people(store, 1)
    dup = hr.post(
        "/api/v1/awards/batch",
        key="b-1",
        json={
            "reason": "Q3",
            "items": [{"employee_id": "E-0", "points": 5}, {"employee_id": "E-0", "points": 5}],
        },
    )
    assert dup.status_code == 422
    huge = hr.post(
        "/api/v1/awards/batch",
        key="b-2",
        json={"reason": "Q3", "items": [{"employee_id": "E-0", "points": 1}] * 10_001},
    )
    assert huge.status_code == 422
    assert huge.get_json()["errors"][0]["field"] == "body.items"


def test_same_key_with_notify_changed_is_422(store, hr):
    (ana,) = people(store, 1)
    award = {"employee_ids": ["E-0"], "points": 5, "reason": "x"}
    assert hr.post("/api/v1/awards", key="a-1", json=award).status_code == 201
    quiet = hr.post("/api/v1/awards", key="a-1", json={**award, "notify": False})
    assert quiet.status_code == 422
    assert quiet.get_json()["code"] == "idempotency_key_reused"
    assert balances(store, ana)["wallet"] == 5


def test_a_refused_award_repeated_gets_the_first_refusal(store, hr):
    (ana,) = people(store, 1)
    award = {"employee_ids": ["E-0", "E-404"], "points": 5, "reason": "x"}
    first = hr.post("/api/v1/awards", key="a-1", json=award)
    again = hr.post("/api/v1/awards", key="a-1", json=award)
    other = hr.post("/api/v1/awards", key="a-1", json={**award, "points": 6})
    assert first.status_code == again.status_code == 422
    assert again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert other.get_json()["code"] == "idempotency_key_reused"
    assert balances(store, ana)["wallet"] == 0


def test_an_award_repeated_after_the_employee_left_still_replays(store, hr):
    (ana,) = people(store, 1)
    award = {"employee_ids": ["E-0"], "points": 5, "reason": "x"}
    first = hr.post("/api/v1/awards", key="a-1", json=award)
    assert hr.delete("/api/v1/employees/E-0").status_code in (200, 204)
    again = hr.post("/api/v1/awards", key="a-1", json=award)
    assert again.status_code == 201 and again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"


def test_a_refused_key_stays_refused_even_once_the_cause_is_fixed(store, hr):
    (ana,) = people(store, 1)
    award = {"employee_ids": ["E-0", "E-1"], "points": 5, "reason": "x"}
    first = hr.post("/api/v1/awards", key="a-1", json=award)
    assert first.status_code == 422
    people(store, 2)  # now E-1 exists too
    again = hr.post("/api/v1/awards", key="a-1", json=award)
    assert again.status_code == 422 and again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    valid_other = hr.post("/api/v1/awards", key="a-1", json={**award, "employee_ids": ["E-0"]})
    assert valid_other.get_json()["code"] == "idempotency_key_reused"
    assert balances(store, ana)["wallet"] == 0
    assert hr.post("/api/v1/awards", key="a-2", json=award).status_code == 201  # a new key works


def test_a_malformed_twin_of_a_used_key_does_not_take_the_key_from_its_award(store, hr):
    (ana,) = people(store, 1)
    award = {"employee_ids": ["E-0"], "points": 5, "reason": "x"}
    first = hr.post("/api/v1/awards", key="a-1", json=award)
    twin = hr.post("/api/v1/awards", key="a-1", json={**award, "employee_ids": ["E-0", "E-0"]})
    assert twin.status_code == 422 and twin.get_json()["code"] == "idempotency_key_reused"
    again = hr.post("/api/v1/awards", key="a-1", json=award)
    assert again.status_code == 201 and again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert balances(store, ana)["wallet"] == 5
