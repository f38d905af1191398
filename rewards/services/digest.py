"""The weekly digest: last week's recognitions, top values and milestones, posted once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from rewards.clock import Clock
from rewards.milestones import zone_for
from rewards.scheduler_ports import SchedulerUnitOfWork


@dataclass(frozen=True)
class DigestOptions:
    channel: str
    org_timezone: str = "UTC"
    weekday: int = 0  # Monday
    hour: int = 9


def last_week(now: datetime, options: DigestOptions) -> tuple[str, datetime, datetime] | None:
    """(label, since, until) of the week the digest due now covers; None before it is due."""
    zone = zone_for(None, options.org_timezone)
    local = now.astimezone(zone)
    days_back = (local.weekday() - options.weekday) % 7
    post_day = local.date() - timedelta(days=days_back)
    post_at = datetime.combine(post_day, time(options.hour), tzinfo=zone)
    if post_at > local:
        post_day -= timedelta(days=7)
    until = datetime.combine(post_day, time(0), tzinfo=zone)
    since = datetime.combine(post_day - timedelta(days=7), time(0), tzinfo=zone)
    year, week, _ = since.date().isocalendar()
    return f"{year}-W{week:02d}", since.astimezone(UTC), until.astimezone(UTC)


def post_weekly_digest(uow: SchedulerUnitOfWork, options: DigestOptions, clock: Clock) -> bool:
    """Publish the digest of the last completed week unless it was published; True if now."""
    found = last_week(clock.now(), options)
    if found is None:
        return False
    label, since, until = found
    with uow:
        if not uow.marks.add_once(f"digest:{label}", clock.now()):
            return False
        summary = uow.digest.summary(since, until)
        uow.events.publish(
            "digest.weekly",
            {
                "week": label,
                "channel": options.channel,
                "recognitions": summary.recognitions,
                "points": summary.points,
                "top_values": summary.top_values,
                "top_recipient_ids": summary.top_recipient_ids,
                "milestones": summary.milestones,
            },
        )
        uow.commit()
        return True
