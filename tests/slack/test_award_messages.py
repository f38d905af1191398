"""Awards issued by HR reach each person in Slack through the outbox."""

from __future__ import annotations

from rewards.services.awards import IssueAward, issue_award
from tests.factories import employee


def test_each_person_awarded_gets_a_dm_unless_notify_is_off(store, deliver, fake):
    ana = employee(store, slack_user_id="UANA")
    ben = employee(store, slack_user_id="UBEN")
    issue_award(
        store.uow(),
        IssueAward(
            employee_ids=[ana.id, ben.id],
            points=50,
            reason="closing the quarter",
            value="ownership",
            idempotency_key="hr-1",
        ),
        store.clock,
    )
    issue_award(
        store.uow(),
        IssueAward(employee_ids=[ana.id], points=5, reason="quiet one", idempotency_key="hr-2", notify=False),
        store.clock,
    )
    deliver()
    dms = {c.args["channel"]: c.args["text"] for c in fake.calls_to("chat.postMessage")}
    assert set(dms) == {"UANA", "UBEN"}
    assert "*50 points*" in dms["UANA"] and "closing the quarter #ownership" in dms["UANA"]
