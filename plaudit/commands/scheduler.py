"""`plaudit scheduler`: run the scheduler (one leader per database), or every due job once."""

from __future__ import annotations

import signal

from plaudit.scheduler_assembly import build_scheduler, job_context, scheduler_store
from plaudit.settings import Settings
from scheduler.jobs import run_all_once


def register(sub) -> None:
    parser = sub.add_parser(
        "scheduler", help="run the scheduler: milestones, allowances, reminders, delivery"
    )
    parser.add_argument(
        "--once", action="store_true", help="run every due job once and exit (for cron and tests)"
    )
    parser.set_defaults(handler=run)


def run(args) -> int:
    settings = Settings.from_env()
    if args.once:
        results = run_all_once(job_context(settings, scheduler_store(settings)))
        for name, result in results.items():
            print(f"{name}: {'failed' if result is None else result}")
        return 1 if any(result is None for result in results.values()) else 0
    service = build_scheduler(settings)
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: service.stop())
    service.run()
    return 0
