"""`plaudit outbox status|retry`: see what waits or died in the outbox, and send dead letters again."""

from __future__ import annotations

from plaudit.assembly import build_store
from plaudit.settings import Settings
from storage.delivery.outbox_admin import outbox_status, retry_dead


def register(sub) -> None:
    parser = sub.add_parser("outbox", help="messages waiting for Slack or webhooks")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    actions.add_parser(
        "status", help="counts by status and channel, oldest pending, slowest destinations, dead letters"
    ).set_defaults(handler=status)
    retry = actions.add_parser("retry", help="send dead letters again")
    which = retry.add_mutually_exclusive_group(required=True)
    which.add_argument("--id", type=int, help="one dead message")
    which.add_argument("--all-dead", action="store_true", help="every dead message")
    retry.set_defaults(handler=retry_command)


def status(args) -> int:
    report = outbox_status(build_store(Settings.from_env(), create_dev_keys=False))
    print(f"{'status':<10} {'channel':<8} {'messages':>8}")
    for (state, channel), count in sorted(report.counts.items()):
        print(f"{state:<10} {channel:<8} {count:>8}")
    age = report.oldest_pending_age
    print(f"oldest pending: {'none' if age is None else f'{int(age.total_seconds())} s old'}")
    if report.slowest:
        print("slowest destinations (oldest pending; attempts in the last hour):")
        print(_row("destination", "pending", "oldest", "tries", "failed", "mean ms", "max ms"))
        for d in report.slowest:
            oldest = "-" if d.oldest_pending_age is None else f"{int(d.oldest_pending_age.total_seconds())} s"
            mean = "-" if d.mean_ms is None else f"{d.mean_ms:.0f}"
            longest = "-" if d.max_ms is None else str(d.max_ms)
            print(_row(d.name, d.pending, oldest, d.attempts, d.failures, mean, longest))
    print(f"dead letters: {len(report.dead)}")
    for dead in report.dead:
        print(
            f"  #{dead.id} {dead.channel} {dead.topic} {dead.event_id} attempts={dead.attempts}"
            f" created={dead.created_at:%Y-%m-%d %H:%M} error={dead.last_error or '-'}"
        )
    return 0


def _row(name: object, *figures: object) -> str:
    return f"  {name!s:<14}" + "".join(f" {figure!s:>8}" for figure in figures)


def retry_command(args) -> int:
    store = build_store(Settings.from_env(), create_dev_keys=False)
    count = retry_dead(store, None if args.all_dead else args.id)
    print(f"queued {count} dead message(s) for delivery again")
    return 0 if count or args.all_dead else 1
