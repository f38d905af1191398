"""`plaudit serve`: run the web server (the API, Slack's endpoints, health checks)."""

from __future__ import annotations

import os

from plaudit.gunicorn_server import run_server


def register(sub) -> None:
    parser = sub.add_parser("serve", help="run Plaudit's web server")
    parser.add_argument("--host", default=os.environ.get("PLAUDIT_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="gunicorn worker processes (default: 2 on SQLite, one per core on PostgreSQL)",
    )
    parser.add_argument("--threads", type=int, default=None, help="threads per worker (default: 8)")
    parser.add_argument(
        "--ops-port",
        type=int,
        default=None,
        help="serve /metrics and /readyz on this port only, not on --port (or PLAUDIT_OPS_PORT)",
    )
    parser.add_argument(
        "--no-scheduler",
        dest="scheduler",
        action="store_false",
        help="do not run the scheduler in the server (run `plaudit scheduler`)",
    )
    parser.add_argument(
        "--socket-mode",
        action="store_true",
        help="receive Slack over Socket Mode (needs SLACK_APP_TOKEN); the API and checks stay on --port",
    )
    parser.set_defaults(handler=serve)


def serve(args) -> int:
    if args.socket_mode:
        from plaudit.socket_mode_runner import run_socket_mode

        return run_socket_mode(args.host, args.port, scheduler=args.scheduler, ops_port=args.ops_port)
    run_server(
        args.host,
        args.port,
        workers=args.workers,
        threads=args.threads,
        scheduler=args.scheduler,
        ops_port=args.ops_port,
    )
    return 0
