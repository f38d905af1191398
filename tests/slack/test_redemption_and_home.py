"""Rewards and redemption with approval in Slack, and the App Home, through /slack/events."""

from __future__ import annotations

import json
import threading

from rewards.model import CatalogItem, Celebration, RedemptionState
from rewards.services.catalog import add_item
from storage.ledger.verify import verify_ledger
from tests.factories import employee, fund_wallet
from tests.slack.helpers import wallet_of


def arrange(store):
    ben = employee(store, slack_user_id="UBEN")
    ana = employee(store, slack_user_id="UANA", manager_id=ben.id)
    fund_wallet(store, ana, 500)
    mug = add_item(store.uow(), CatalogItem(id=0, name="Coffee mug", points_cost=50), store.clock)
    trip = add_item(store.uow(), CatalogItem(id=0, name="Team trip", points_cost=200), store.clock)
    return ana, ben, mug, trip


def request_trip(slack, fake, store, trip, view_id="VCONFIRM"):
    slack.press("UANA", "redeem", str(trip.id), view_id="VHOME")
    confirm = fake.calls_to("views.open")[-1].args["view"]
    reply = slack.submit(
        "UANA", "redeem_confirm", {}, view_id=view_id, private_metadata=confirm["private_metadata"]
    )
    return reply.json()


def approval_message(fake):
    call = next(c for c in fake.calls_to("chat.postMessage") if c.args["channel"] == "UBEN")
    return call.args


def test_rewards_list_redeem_confirm_and_approval_by_the_manager(slack, fake, store, deliver):
    ana, ben, mug, trip = arrange(store)

    listing = slack.command("UANA", "rewards").json()
    buttons = [b["accessory"] for b in listing["blocks"] if b.get("accessory")]
    assert [b["value"] for b in buttons] == [str(mug.id), str(trip.id)]
    assert all(b["action_id"] == "redeem" for b in buttons)

    answer = request_trip(slack, fake, store, trip)
    assert answer["response_action"] == "update" and "approver" in json.dumps(answer["view"])
    assert wallet_of(store, "UANA") == 300
    deliver()
    approval = approval_message(fake)
    actions = next(b for b in approval["blocks"] if b["type"] == "actions")["elements"]
    assert [a["action_id"] for a in actions] == ["redemption_approve", "redemption_reject"]
    ts, rid = "1700000000.000999", actions[0]["value"]

    slack.press("UCY", "redemption_approve", rid, channel="DBEN", message_ts=ts)
    refusal = fake.calls_to("chat.postEphemeral")[-1].args
    assert refusal["user"] == "UCY" and "designated approver" in refusal["text"]

    for _ in range(2):  # a double click
        assert slack.press("UBEN", "redemption_approve", rid, channel="DBEN", message_ts=ts).status == 200
    updates = fake.calls_to("chat.update")
    assert updates[0].args["ts"] == ts and "Approved by <@UBEN>" in updates[0].args["text"]
    with store.reader() as uow:
        assert uow.redemptions.get(int(rid)).state == RedemptionState.APPROVED
    fake.reset_calls()
    deliver()
    told = [c.args["text"] for c in fake.calls_to("chat.postMessage") if c.args["channel"] == "UANA"]
    assert any("approved by <@UBEN>" in t for t in told)
    assert verify_ledger(store.engine) == []


def test_reject_asks_for_a_reason_and_gives_the_points_back(slack, fake, store, deliver):
    ana, ben, mug, trip = arrange(store)
    request_trip(slack, fake, store, trip)
    deliver()
    rid = approval_message(fake)["blocks"][1]["elements"][1]["value"]

    slack.press("UBEN", "redemption_reject", rid, channel="DBEN", message_ts="1.5")
    modal = fake.calls_to("views.open")[-1].args["view"]
    assert modal["callback_id"] == "reject_reason"
    empty = slack.submit(
        "UBEN",
        "reject_reason",
        {"reason": {"reason": {"value": ""}}},
        private_metadata=modal["private_metadata"],
    ).json()
    assert "reason" in empty["errors"]
    slack.submit(
        "UBEN",
        "reject_reason",
        {"reason": {"reason": {"value": "over budget"}}},
        private_metadata=modal["private_metadata"],
    )

    assert wallet_of(store, "UANA") == 500
    assert "Rejected by <@UBEN>: over budget" in fake.calls_to("chat.update")[-1].args["text"]
    deliver()
    told = [c.args["text"] for c in fake.calls_to("chat.postMessage") if c.args["channel"] == "UANA"]
    assert any("rejected by <@UBEN>: over budget" in t for t in told)


def test_simultaneous_approve_and_reject_end_in_one_decision(slack, fake, store, deliver):
    ana, ben, mug, trip = arrange(store)
    request_trip(slack, fake, store, trip)
    deliver()
    rid = approval_message(fake)["blocks"][1]["elements"][0]["value"]
    slack.press("UBEN", "redemption_reject", rid, channel="DBEN", message_ts="1.7")
    meta = fake.calls_to("views.open")[-1].args["view"]["private_metadata"]
    go = threading.Barrier(3)

    def approve():
        go.wait()
        slack.press("UBEN", "redemption_approve", rid, channel="DBEN", message_ts="1.7")

    def reject():
        go.wait()
        slack.submit("UBEN", "reject_reason", {"reason": {"reason": {"value": "no"}}}, private_metadata=meta)

    threads = [threading.Thread(target=f) for f in (approve, approve, reject)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with store.reader() as uow:
        state = uow.redemptions.get(int(rid)).state
    assert state in (RedemptionState.APPROVED, RedemptionState.REJECTED)
    assert wallet_of(store, "UANA") == (300 if state == RedemptionState.APPROVED else 500)
    shown = {c.args["text"] for c in fake.calls_to("chat.update")}  # a replayed press shows it again
    verdict = "Approved" if state == RedemptionState.APPROVED else "Rejected"
    assert len(shown) == 1 and verdict in shown.pop()
    assert verify_ledger(store.engine) == []


def test_cheap_reward_by_command_completes_at_once(slack, fake, store, deliver):
    arrange(store)
    reply = slack.command("UANA", "redeem coffee mug").json()
    assert "is yours" in reply["text"] and wallet_of(store, "UANA") == 450
    unknown = slack.command("UANA", "redeem yacht").json()
    assert unknown["response_type"] == "ephemeral" and "no reward" in unknown["text"]
    deliver()
    assert [c.args["channel"] for c in fake.calls_to("chat.postMessage")] == ["UANA"]


def test_app_home_shows_balances_catalog_approvals_and_preference(slack, fake, store, deliver):
    ana, ben, mug, trip = arrange(store)
    request_trip(slack, fake, store, trip)

    slack.event({"type": "app_home_opened", "user": "UBEN", "tab": "home"})
    published = fake.calls_to("views.publish")[-1].args
    assert published["user_id"] == "UBEN"
    text = json.dumps(published["view"])
    assert "left to give" in text and "renews on 01 Apr 2026" in text
    assert "Coffee mug" in text and "Waiting for your approval" in text and "redemption_approve" in text

    slack.event({"type": "app_home_opened", "user": "UANA", "tab": "home"})
    home = json.dumps(fake.calls_to("views.publish")[-1].args["view"])
    assert "300 points* to spend (200 held)" in home and "Waiting for your approval" not in home

    slack.press("UANA", "celebration_choice", "private", view_id="VHOME")
    with store.reader() as uow:
        assert uow.employees.get(ana.id).celebration == Celebration.PRIVATE
    assert len(fake.calls_to("views.publish")) == 3


def test_balance_history_leaderboard_and_help(slack, store):
    slack.command("UANA", "<@UBEN> 30 for the launch #ownership")
    slack.command("UCY", "<@UDEE> 10 for tea")
    assert "100 points* left to give" in slack.command("UBEN", "balance").json()["text"]
    assert "30 points* to spend" in slack.command("UBEN", "balance").json()["text"]
    history = slack.command("UBEN", "history").json()["text"]
    assert "<@UANA> thanked you 30 for the launch #ownership" in history
    board = slack.command("UANA", "leaderboard week").json()["text"]
    assert board.index("<@UBEN>") < board.index("<@UDEE>")
    only = slack.command("UANA", "leaderboard all #ownership").json()["text"]
    assert "<@UBEN>" in only and "<@UDEE>" not in only
    assert "Usage" in slack.command("UANA", "help").json()["text"]


def test_slack_approvers_decide_for_people_without_a_manager(store, fake, deliver):
    from bot.simulator.signed_requests import SlackDriver, flask_transport
    from plaudit.assembly import build_web_app
    from tests.slack.helpers import SECRET, make_settings

    web = build_web_app(make_settings(store, fake, PLAUDIT_SLACK_APPROVERS="UDEE"), store)
    slack = SlackDriver(flask_transport(web.test_client()), SECRET)
    cy = employee(store, slack_user_id="UCY")
    fund_wallet(store, cy, 300)
    trip = add_item(store.uow(), CatalogItem(id=0, name="Team trip", points_cost=200), store.clock)

    assert "approver will decide" in slack.command("UCY", "redeem team trip").json()["text"]
    deliver()
    approval = next(c for c in fake.calls_to("chat.postMessage") if c.args["channel"] == "UDEE").args
    rid = approval["blocks"][1]["elements"][0]["value"]
    slack.press("UDEE", "redemption_approve", rid, channel="DDEE", message_ts="9.9")
    with store.reader() as uow:
        assert uow.redemptions.get(int(rid)).state == RedemptionState.APPROVED
    assert trip.points_cost == 200


def test_approving_from_app_home_republishes_it(slack, fake, store, deliver):
    ana, ben, mug, trip = arrange(store)
    request_trip(slack, fake, store, trip)
    slack.event({"type": "app_home_opened", "user": "UBEN", "tab": "home"})
    home = fake.calls_to("views.publish")[-1].args["view"]
    approve = next(
        e
        for b in home["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == "redemption_approve"
    )

    slack.press("UBEN", "redemption_approve", approve["value"], view_id="VHOMEBEN")

    with store.reader() as uow:
        assert uow.redemptions.get(int(approve["value"])).state == RedemptionState.APPROVED
    assert "Waiting for your approval" not in json.dumps(fake.calls_to("views.publish")[-1].args["view"])


def test_the_employee_is_told_of_fulfilment_cancellation_and_expiry(slack, fake, store, settings, deliver):
    from rewards.services.redemptions import decide_redemption, request_redemption

    ana, ben, mug, trip = arrange(store)
    policy = settings.redemption

    def ask(key):
        return request_redemption(store.uow(), ana.id, trip.id, key, policy, store.clock)

    def decide(r, action, **kw):
        decide_redemption(
            store.uow(), r.id, action, f"{action}-{r.id}", store.clock, policy, check_approver=False, **kw
        )

    first, second = ask("r1"), ask("r2")
    decide(first, "approve")
    decide(first, "fulfill", fulfilment="CODE-1234")
    decide(second, "expire")
    third = ask("r3")
    decide(third, "cancel")
    fake.reset_calls()
    deliver()
    told = "\n".join(c.args["text"] for c in fake.calls_to("chat.postMessage") if c.args["channel"] == "UANA")
    assert "is here.\nCODE-1234" in told
    assert "request for *Team trip* expired" in told and "was cancelled" in told
