"""The `/kudos` slash command: give, subcommands, or the modal; answered through the ack."""

from __future__ import annotations

import logging

from slack_bolt import Ack, App

from bot.context import Bot
from bot.inbound import answers, giving
from bot.inbound.kudos_parser import Give, OpenModal, ParseError, Subcommand, parse
from bot.inbound.read_budget import ReadBudget
from bot.looks.blocks import kudos_blocks, kudos_text
from bot.looks.modals import give_modal
from bot.looks.replies import MESSAGE_TEXT_LIMIT, explain, fit, given_but_not_shown
from rewards.errors import DomainError

log = logging.getLogger("plaudit.slack.commands")

# Subcommands that only read run within the answer budget: not done in time, they ack "Working on
# it…" and answer at the response_url later. A give and a redeem are writes and always answer in
# the ack, exactly once through their keys; help reads nothing.
READS = frozenset({"balance", "history", "leaderboard", "rewards"})


def register(app: App, bot: Bot, reads: ReadBudget) -> None:
    @app.command(bot.config.command)
    def on_kudos(ack: Ack, command: dict, client) -> None:
        try:
            parsed = parse(command.get("text", ""))
        except ParseError as exc:
            ack(**explain(str(exc)))
            return
        if isinstance(parsed, OpenModal):
            ack()
            client.views_open(
                trigger_id=command["trigger_id"],
                view=give_modal(bot.settings.recognition, channel=command.get("channel_id")),
            )
            return
        if isinstance(parsed, Subcommand) and parsed.name in READS:
            ack(**reads.answer(lambda: _answer(bot, command, parsed), command.get("response_url")))
        else:
            ack(**_answer(bot, command, parsed))


def _answer(bot: Bot, command: dict, parsed) -> dict:
    """The acknowledgement: the public kudos, a subcommand's answer, or what went wrong."""
    if isinstance(parsed, Give):
        return _give(bot, command, parsed)
    try:
        return answers.answer(bot, command["user_id"], parsed, command["trigger_id"])
    except DomainError as exc:
        log.info("kudos refused: %s", exc.code)
        return explain(exc.message)
    except Exception:  # Slack must still hear something: say so, privately
        log.exception("kudos subcommand failed")
        return explain("Something went wrong on our side; try again shortly.", usage=False)


def _give(bot: Bot, command: dict, parsed: Give) -> dict:
    """Give, and answer in the channel: the public message is the acknowledgement itself."""
    giver = command["user_id"]
    try:
        recipients = giving.recipients_of(bot, giver, parsed.user_ids, parsed.group_ids)
        recognition = giving.give(
            bot,
            giver,
            recipients,
            parsed.points,
            parsed.reason,
            parsed.value,
            key=f"slack-command:{command['trigger_id']}",
            context={"channel": command.get("channel_id", "")},
        )
    except DomainError as exc:
        log.info("kudos refused: %s", exc.code)
        return explain(exc.message)
    except Exception:  # the service commits last, so a failure here moved nothing
        log.exception("kudos failed")
        return explain(
            "Something went wrong on our side and nothing was given; try again shortly.", usage=False
        )
    text = kudos_text(giver, recipients, recognition.points_each, recognition.reason, recognition.value)
    try:
        return {
            "response_type": "in_channel",
            "text": fit(text, MESSAGE_TEXT_LIMIT),
            "blocks": kudos_blocks(text),
        }
    except Exception:  # given, only not shown: say so, never that nothing was given
        log.exception("kudos given but not shown")
        return {"response_type": "ephemeral", "text": given_but_not_shown(recognition)}
