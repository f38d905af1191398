"""Random sequences of ledger operations keep every invariant (hypothesis state machine)."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from rewards import errors
from rewards.model import CatalogItem
from rewards.policy import RecognitionPolicy, RedemptionPolicy
from rewards.services.allowance import expire_allowance, grant_allowance
from rewards.services.catalog import add_item
from rewards.services.recognition import GiveRecognition, give_recognition
from rewards.services.redemptions import decide_redemption, request_redemption
from storage.ledger.verify import verify_ledger
from tests.factories import balances, employee, fund_wallet

RECOGNITION = RecognitionPolicy(max_points=40, daily_cap_per_recipient=1000)
REDEMPTION = RedemptionPolicy(approval_threshold=30)
keys = itertools.count()


def run_ledger_machine(store) -> None:
    class LedgerMachine(RuleBasedStateMachine):
        @initialize()
        def people(self):
            self.people = [employee(store) for _ in range(3)]
            self.items = [
                add_item(
                    store.uow(), CatalogItem(id=0, name=f"item {c}", points_cost=c, stock=s), store.clock
                )
                for c, s in ((10, None), (45, 2))
            ]
            self.redemptions: list[int] = []

        def _refused_without_change(self, action) -> None:
            before = [balances(store, p) for p in self.people]
            try:
                action()
            except errors.DomainError:
                assert [balances(store, p) for p in self.people] == before

        @rule(who=st.integers(0, 2), points=st.integers(1, 80))
        def grant(self, who, points):
            grant_allowance(store.uow(), self.people[who].id, points, f"p{next(keys)}", store.clock)

        @rule(who=st.integers(0, 2), points=st.integers(1, 60))
        def award(self, who, points):
            fund_wallet(store, self.people[who], points)

        @rule(giver=st.integers(0, 2), to=st.sets(st.integers(0, 2), max_size=3), points=st.integers(-5, 50))
        def recognise(self, giver, to, points):
            cmd = GiveRecognition(
                giver_id=self.people[giver].id,
                recipient_ids=[self.people[i].id for i in sorted(to)],
                points=points,
                reason="for the help",
                idempotency_key=f"g{next(keys)}",
            )
            self._refused_without_change(lambda: give_recognition(store.uow(), cmd, RECOGNITION, store.clock))

        @rule(who=st.integers(0, 2), which=st.integers(0, 1))
        def redeem(self, who, which):
            def act():
                r = request_redemption(
                    store.uow(),
                    self.people[who].id,
                    self.items[which].id,
                    f"r{next(keys)}",
                    REDEMPTION,
                    store.clock,
                )
                self.redemptions.append(r.id)

            self._refused_without_change(act)

        @precondition(lambda self: self.redemptions)
        @rule(
            pick=st.integers(0, 1000),
            action=st.sampled_from(["approve", "reject", "cancel", "expire", "fulfill"]),
        )
        def decide(self, pick, action):
            rid = self.redemptions[pick % len(self.redemptions)]
            self._refused_without_change(
                lambda: decide_redemption(
                    store.uow(),
                    rid,
                    action,
                    f"d{next(keys)}",
                    store.clock,
                    REDEMPTION,
                    reason="because",
                    fulfilment="CODE-1",
                    check_approver=False,
                )
            )

        @rule(who=st.integers(0, 2))
        def expire(self, who):
            expire_allowance(store.uow(), self.people[who].id, f"e{next(keys)}", store.clock)

        @invariant()
        def ledger_holds(self):
            assert verify_ledger(store.engine) == []

    LedgerMachine.TestCase.settings = settings(
        max_examples=15,
        stateful_step_count=15,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    LedgerMachine.TestCase().runTest()


def test_random_ledger_operations_keep_every_invariant(store):
    run_ledger_machine(store)
