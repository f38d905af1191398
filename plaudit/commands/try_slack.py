"""`plaudit try`: act as a named person, type /kudos, press buttons, read what the bot posts.

No Slack needed: every request goes through the real signed /slack/events path of the web app,
and the bot's Web API calls go to a local fake Slack whose record is printed as text.
"""

from __future__ import annotations

import logging
import shlex
import sys
import tempfile
from pathlib import Path

from slack_sdk import WebClient
from sqlalchemy.engine import make_url

from bot.outbound.messages import all_renderers
from bot.outbound.notifier import RenderContext, SlackNotifier
from bot.simulator.fake_slack import FakeSlack
from bot.simulator.signed_requests import SlackDriver, flask_transport
from plaudit import try_world
from plaudit.assembly import bring_up_to_date, build_web_app
from plaudit.settings import Settings, SettingsError
from scheduler.outbox import deliver_due
from storage.database.engine import make_engine
from storage.encryption.ciphers import BlindIndex, Keyring, generate_key
from storage.store import Store

SECRET = "plaudit-try-signing-secret"
HELP = """Commands (you act as the person shown in the prompt):
  /kudos …                 e.g. /kudos @ben @cy 20 for the demo #teamwork   (@team = everyone)
  as <name>                become someone else: ana, ben, cy, dee (ben manages ana and cy)
  home                     open your App Home
  press <n>                press button [n]
  select <action> <value>  pick an option, e.g. select celebration_choice private
  submit k=v …             submit the open form, e.g. submit to=ben points=5 reason="tea" value=teamwork
  react @name / unreact @name   add or remove the :clap: reaction on a message by that person
  shortcut @name           "Give kudos for this" on a message by that person
  help, quit"""


def register(sub) -> None:
    parser = sub.add_parser("try", help="try Plaudit without Slack, as a named person")
    parser.add_argument("--as", dest="person", default="ana", choices=try_world.PEOPLE)
    parser.add_argument("--database", help="database URL (default: a temporary SQLite file)")
    parser.set_defaults(handler=run)


def run(args) -> int:
    logging.getLogger("plaudit").setLevel(logging.WARNING)  # keep the screen for the conversation
    with tempfile.TemporaryDirectory() as tmp, FakeSlack() as fake:
        session = TrySession(fake, args.database or f"sqlite:///{Path(tmp) / 'try.db'}", args.person)
        try:
            session.repl(sys.stdin, sys.stdout)
        finally:
            session.close()
    return 0


def _shown(database_url: str) -> str:
    return make_url(database_url).render_as_string(hide_password=True)


class TrySession:
    """One person at a keyboard, speaking Slack to the real app."""

    def __init__(self, fake: FakeSlack, database_url: str, person: str = "ana") -> None:
        self.fake = fake
        settings = Settings.from_env(
            {
                "DATABASE_URL": database_url,
                "SLACK_BOT_TOKEN": "xoxb-try",
                "SLACK_SIGNING_SECRET": SECRET,
                "SLACK_API_URL": fake.url,
                "PLAUDIT_APPROVAL_THRESHOLD": "300",
            }
        )
        engine = make_engine(database_url)
        try:
            keys = try_world.claim_database(engine)
        except try_world.NotATryWorld as exc:
            raise SettingsError(f"refusing --database {_shown(database_url)}: {exc}") from None
        finally:
            engine.dispose()
        encryption_keys, blind_key = keys or (f"try:{generate_key()}", generate_key())
        self.store = Store.open(database_url, Keyring.parse(encryption_keys), BlindIndex.from_text(blind_key))
        if keys is None:
            try_world.mark_database(self.store.engine, encryption_keys, blind_key)
        bring_up_to_date(self.store, settings.timezone)
        if keys is None:
            try_world.populate(self.store, fake, settings)
        else:
            try_world.populate_slack(fake)
        web = build_web_app(settings, self.store)
        self.slack = SlackDriver(flask_transport(web.test_client()), SECRET, fake.team_id)
        self.notifier = SlackNotifier(
            WebClient(token="xoxb-try", base_url=fake.url),
            RenderContext(self.store, settings.extra),
            all_renderers(),
        )
        self.user = try_world.slack_id(person)
        self.screen = try_world.Screen(try_world.NAMES)
        self.seen = len(fake.calls)

    def close(self) -> None:
        self.store.close()

    def repl(self, lines, out) -> None:
        out.write(HELP + "\n")
        while True:
            out.write(f"{try_world.NAMES[self.user]}> ")
            out.flush()
            line = lines.readline()
            if not line or line.strip() in ("quit", "exit"):
                return
            out.write("\n".join(self.handle(line.strip())) + "\n")

    def handle(self, line: str) -> list[str]:
        """Do what the line says and return what the person would see."""
        if not line:
            return []
        word, _, rest = line.partition(" ")
        try:
            output = self._dispatch(word, rest.strip())
        except (ValueError, IndexError, KeyError) as exc:
            return [f"?? {exc}", "type help for the commands"]
        deliver_due(self.store, {"slack": self.notifier})
        return output + self._bot_activity()

    def _dispatch(self, word: str, rest: str) -> list[str]:
        screen = self.screen
        if word == "help":
            return [HELP]
        if word.startswith("/"):
            reply = self.slack.command(
                self.user,
                try_world.escape_mentions(rest),
                command=word,
                response_url=self.fake.hook_url(),
            )
            return screen.reply(reply, self.user)
        if word == "as":
            self.user = try_world.slack_id(rest.lstrip("@"))
            return [f"You are now {try_world.NAMES[self.user]}."]
        if word == "home":
            opened = {"type": "app_home_opened", "user": self.user, "tab": "home"}
            return screen.reply(self.slack.event(opened), self.user)
        if word == "press":
            button = screen.buttons[int(rest) - 1]
            reply = self.slack.press(
                self.user,
                button.action_id,
                button.value,
                channel=button.channel,
                message_ts=button.ts,
                view_id=button.view_id,
            )
            return screen.reply(reply, self.user)
        if word == "select":
            action, value = rest.split()
            return screen.reply(self.slack.press(self.user, action, value, view_id="VHOME"), self.user)
        if word == "submit":
            return self._submit(rest)
        if word in ("react", "unreact", "shortcut"):
            return self._on_message(word, try_world.slack_id(rest.lstrip("@")))
        raise ValueError(f"unknown command {word!r}")

    def _submit(self, rest: str) -> list[str]:
        modal = self.screen.modal
        if modal is None:
            raise ValueError("no form is open")
        fields = dict(part.partition("=")[::2] for part in shlex.split(rest))
        values = try_world.form_values(modal["callback_id"], fields)
        reply = self.slack.submit(
            self.user,
            modal["callback_id"],
            values,
            view_id=modal["id"],
            private_metadata=modal.get("private_metadata", ""),
        )
        if '"response_action": "errors"' not in reply.body.replace('":"', '": "'):
            self.screen.modal = None  # closed; after field errors it stays open to fix
        return self.screen.reply(reply, self.user)

    def _on_message(self, word: str, author: str) -> list[str]:
        ts = f"1700000000.{abs(hash(author)) % 1_000_000:06d}"
        if word == "shortcut":
            reply = self.slack.message_shortcut(
                self.user,
                "give_kudos_for_message",
                "C0GENERAL",
                {"ts": ts, "user": author, "text": "a message"},
            )
            return self.screen.reply(reply, self.user)
        kind = "reaction_added" if word == "react" else "reaction_removed"
        self.slack.event(
            {
                "type": kind,
                "user": self.user,
                "reaction": "clap",
                "item_user": author,
                "item": {"type": "message", "channel": "C0GENERAL", "ts": ts},
            }
        )
        return [
            f"(you {'added' if word == 'react' else 'removed'} :clap: on a message by "
            f"@{try_world.NAMES[author]})"
        ]

    def _bot_activity(self) -> list[str]:
        calls = self.fake.calls[self.seen :]
        self.seen = len(self.fake.calls)
        return [line for call in calls for line in self.screen.call(call)]
