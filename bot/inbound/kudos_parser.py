"""Parse the text of `/kudos`: a give (mentions, points, value, reason) or a subcommand."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

MAX_HISTORY_PAGE = 50
MAX_DIGITS = 9  # more is never a sensible page or amount; int() of thousands of digits raises
SUBCOMMANDS = ("balance", "leaderboard", "history", "rewards", "redeem", "help")
PERIODS = ("week", "month", "quarter", "year", "all")

USAGE = (
    "*Usage*\n"
    "• `/kudos @ana @ben 20 for shipping the release #ownership` — give 20 points to each\n"
    "• `/kudos @team +5 great demo` — a user group works too; the points may be left out\n"
    "• `/kudos balance` · `/kudos history [page]`\n"
    "• `/kudos leaderboard [week|month|quarter|year|all] [#value]`\n"
    "• `/kudos rewards` · `/kudos redeem <reward>` · `/kudos help`\n"
    "• `/kudos` alone opens a form"
)

_USER = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_GROUP = re.compile(r"<!subteam\^([A-Z0-9]+)(?:\|[^>]*)?>")
_VALUE = re.compile(r"(?<!\S)#([A-Za-z][\w-]*)")
_INTEGER = re.compile(r"\+?[0-9]+")
_NUMBERISH = re.compile(r"[+-]?[\d.,]+\w*")
_POINT_WORDS = ("points", "point", "pts", "pt")
_JOINERS = ("and", "&", "&amp;")


class ParseError(ValueError):
    """The text cannot be understood; the message says what was wrong."""


@dataclass(frozen=True)
class Give:
    user_ids: list[str]
    group_ids: list[str]
    points: int | None  # None: the configured default
    reason: str
    value: str | None = None


@dataclass(frozen=True)
class Subcommand:
    name: str
    args: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class OpenModal:
    pass


def parse(text: str) -> Give | Subcommand | OpenModal:
    """Understand the command text, or raise ParseError saying what was wrong."""
    cleaned = (text or "").strip()
    if not cleaned:
        return OpenModal()
    first, _, rest = cleaned.partition(" ")
    if first.lower() in SUBCOMMANDS:
        return _subcommand(first.lower(), rest.split())
    return _give(cleaned)


def _subcommand(name: str, args: list[str]) -> Subcommand:
    if name == "leaderboard":
        for arg in args:
            if arg.lower() not in PERIODS and not arg.startswith("#"):
                raise ParseError(f"`{arg}` is not a period: use one of {', '.join(PERIODS)}.")
    if name == "history" and (len(args) > 1 or (args and not _page_number(args[0]))):
        raise ParseError(
            f"`{_shown(' '.join(args))}` is not a page: use a number from 1 to {MAX_HISTORY_PAGE},"
            " e.g. `/kudos history 2`."
        )
    if name == "redeem" and not args:
        raise ParseError("Say which reward to redeem, e.g. `/kudos redeem 3` (see `/kudos rewards`).")
    return Subcommand(name, args)


def _page_number(arg: str) -> bool:
    number = _whole_number(arg)
    return number is not None and 1 <= number <= MAX_HISTORY_PAGE


def _whole_number(token: str) -> int | None:
    """The ASCII whole number a token spells (an optional +), or None; bounded before int()."""
    digits = token.removeprefix("+")
    if not (digits.isascii() and digits.isdigit()) or len(digits) > MAX_DIGITS:
        return None
    return int(digits)


def _give(text: str) -> Give:
    tokens = text.split()
    users, groups, index = _mentions(tokens)
    if not users and not groups:
        raise ParseError("Name at least one person with @ (pick them from Slack's list so they are linked).")
    points, index = _points(tokens, index)
    reason_words = tokens[index:]
    if reason_words and reason_words[0].lower() == "for":
        reason_words = reason_words[1:]
    reason, value = _reason_and_value(" ".join(reason_words))
    return Give(users, groups, points, reason, value)


def _mentions(tokens: list[str]) -> tuple[list[str], list[str], int]:
    """The leading mentions ("@ana @ben", "@ana and @ben"), and where the rest begins."""
    users: list[str] = []
    groups: list[str] = []
    index = 0
    while index < len(tokens):
        joined = tokens[index].lower() in _JOINERS and (users or groups) and index + 1 < len(tokens)
        step = 2 if joined else 1
        if not _mention(tokens[index + step - 1], users, groups):
            break
        index += step
    return users, groups, index


def _mention(token: str, users: list[str], groups: list[str]) -> bool:
    """Consume one token of mentions (possibly several glued with commas); False if not one."""
    pieces = [p for p in token.split(",") if p]
    found: list[tuple[list[str], str]] = []
    for piece in pieces:
        if user := _USER.fullmatch(piece):
            found.append((users, user.group(1)))
        elif group := _GROUP.fullmatch(piece):
            found.append((groups, group.group(1)))
        else:
            return False
    for target, ident in found:
        if ident not in target:
            target.append(ident)
    return bool(found)


def _points(tokens: list[str], index: int) -> tuple[int | None, int]:
    if index >= len(tokens):
        return None, index
    token = tokens[index]
    if _INTEGER.fullmatch(token):
        amount = _whole_number(token)
        if amount is None:
            raise ParseError(f"`{_shown(token)}` is too large: points are a whole number, like 10.")
        index += 1
        if index < len(tokens) and tokens[index].lower() in _POINT_WORDS:
            index += 1
        return amount, index
    if token.startswith("-") and _INTEGER.fullmatch(token[1:]):
        raise ParseError(f"Points cannot be negative ({token}); give a whole number from 1.")
    if _NUMBERISH.fullmatch(token) and any(ch.isdigit() for ch in token):
        kind = "fractional" if re.fullmatch(r"[+-]?\d*\.\d+", token) else "not a number"
        raise ParseError(f"`{_shown(token)}` is {kind}: points are a whole number, like 10.")
    following = tokens[index + 1].lower() if index + 1 < len(tokens) else ""
    if following == "for" and token.lower() != "for":  # "/kudos @ana ten for …": meant as points
        raise ParseError(f"`{_shown(token)}` is not a number: points are a whole number, like 10.")
    return None, index


def _shown(token: str) -> str:
    return token if len(token) <= 20 else token[:12] + "…"


def _reason_and_value(text: str) -> tuple[str, str | None]:
    values = _VALUE.findall(text)
    if len(values) > 1:
        raise ParseError("Tag one value per kudos (found " + ", ".join(f"#{v}" for v in values) + ").")
    reason = " ".join(_VALUE.sub("", text).split())
    return reason, values[0] if values else None
