"""Buttons and selects: redeem, approve or reject, celebration preference, give, history pages."""

from __future__ import annotations

import logging

from slack_bolt import Ack, App

from bot.context import Bot
from bot.inbound import decisions
from bot.inbound.home_updates import HomeUpdates
from bot.looks.modals import confirm_redeem_modal, give_modal, notice_modal, reject_modal
from rewards.errors import DomainError
from rewards.services.preferences import set_celebration
from storage.reads import activity
from storage.reads.catalog_and_approvals import active_catalog

log = logging.getLogger("plaudit.slack.actions")


def register(app: App, bot: Bot, homes: HomeUpdates) -> None:
    """App Home is published through `homes`: a slow one after the ack, never holding it past 3 s."""

    @app.action("redeem")
    def on_redeem(ack: Ack, body: dict, action: dict, client) -> None:
        ack()
        item = next((i for i in active_catalog(bot.store, limit=500) if str(i.id) == action["value"]), None)
        if item is None:
            view = notice_modal("Redeem", "That reward is not available any more.")
        else:
            employee = bot.directory.employee_for(body["user"]["id"])
            view = confirm_redeem_modal(item, activity.balances(bot.store, employee.id).wallet)
        client.views_open(trigger_id=body["trigger_id"], view=view)

    @app.action("redemption_approve")
    def on_approve(ack: Ack, body: dict, action: dict) -> None:
        ack()
        decisions.decide_from_button(bot, body, action, "approve")

    @app.action("redemption_reject")
    def on_reject(ack: Ack, body: dict, action: dict, client) -> None:
        ack()
        where = decisions.origin(body)
        if not decisions.check_approver(bot, body, int(action["value"])):
            return
        key = decisions.button_key(body, action)
        client.views_open(
            trigger_id=body["trigger_id"], view=reject_modal(int(action["value"]), where[0], where[1], key)
        )

    @app.action("celebration_choice")
    def on_celebration(ack: Ack, body: dict, action: dict) -> None:
        ack()
        employee = bot.directory.employee_for(body["user"]["id"])
        try:
            set_celebration(bot.store.uow(), employee.id, action["selected_option"]["value"], bot.clock)
        except DomainError as exc:
            log.info("celebration refused: %s", exc.code)
        homes.request(body["user"]["id"])

    @app.action("history_older")
    def on_history_older(ack: Ack, body: dict, action: dict) -> None:
        ack()
        homes.request(body["user"]["id"], history_cursor=action.get("value") or None)

    @app.action("history_newest")
    def on_history_newest(ack: Ack, body: dict) -> None:
        ack()
        homes.request(body["user"]["id"])

    @app.action("open_give_modal")
    def on_open_give(ack: Ack, body: dict, client) -> None:
        ack()
        client.views_open(trigger_id=body["trigger_id"], view=give_modal(bot.settings.recognition))
