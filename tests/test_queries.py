"""Read-side queries: balances, history, leaderboards and recent kudos as a person sees them."""

from __future__ import annotations

from sqlalchemy import text

from rewards.policy import RecognitionPolicy
from rewards.services.recognition import GiveRecognition, give_recognition
from storage.database.engine import is_sqlite
from storage.reads import activity
from storage.reads import leaderboard as boards
from tests.factories import employee, fund_wallet, give_allowance

POLICY = RecognitionPolicy()


def kudos(store, giver, recipient, points, key, value=None):
    return give_recognition(
        store.uow(),
        GiveRecognition(
            giver_id=giver.id,
            recipient_ids=[recipient.id],
            points=points,
            reason="great work",
            value=value,
            idempotency_key=key,
        ),
        POLICY,
        store.clock,
    )


def test_balances_history_and_recent_kudos(store):
    ana, ben = employee(store), employee(store)
    give_allowance(store, ana, 50)
    fund_wallet(store, ben, 5)
    kudos(store, ana, ben, 20, "k1")

    assert activity.balances(store, ana.id) == activity.Balances(allowance=30, wallet=0, held=0)
    assert activity.balances(store, ben.id).wallet == 25
    newest = activity.history(store, ben.id, limit=5)
    assert [(h.kind, h.account_kind, h.amount) for h in newest] == [
        ("recognition", "wallet", 20),
        ("award", "wallet", 5),
    ]
    assert [r.points_each for r in activity.recent_recognitions(store, ben.id)] == [20]
    assert [r.recipient_ids for r in activity.recent_recognitions(store, ana.id, given=True)] == [[ben.id]]


def test_leaderboard_by_period_and_value(store, clock):
    ana, ben, cy = employee(store), employee(store), employee(store)
    give_allowance(store, ana, 100)
    give_allowance(store, cy, 100)
    kudos(store, ana, ben, 10, "a", value="teamwork")
    clock.advance(days=10)
    kudos(store, ana, cy, 30, "b", value="ownership")
    kudos(store, cy, ben, 5, "c", value="ownership")

    def board(window: str, value: str | None = None) -> list[boards.LeaderboardRow]:
        return boards.leaderboard(store, window, value, at=clock.now(), timezone="UTC")

    everyone = board("all")
    assert [(r.employee_id, r.points, r.recognitions) for r in everyone] == [(cy.id, 30, 1), (ben.id, 15, 2)]
    assert [(r.employee_id, r.points) for r in board("day")] == [(cy.id, 30), (ben.id, 5)]
    assert [(r.employee_id, r.points) for r in board("all", "teamwork")] == [(ben.id, 10)]


def test_sqlite_runs_with_wal_foreign_keys_and_a_busy_timeout(store):
    if not is_sqlite(store.engine):
        return
    with store.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() >= 5000
