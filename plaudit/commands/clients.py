"""`plaudit clients`: API clients for HR systems (OAuth2 client credentials)."""

from __future__ import annotations

import sys

from api.config import SCOPES
from plaudit.assembly import build_store
from plaudit.settings import Settings
from storage.access import clients
from storage.store import Store


def register(sub) -> None:
    parser = sub.add_parser("clients", help="API clients for HR systems")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    create = actions.add_parser("create", help="register a client; prints its secret once")
    create.add_argument("--name", required=True)
    create.add_argument(
        "--scopes", required=True, help=f"comma-separated, from: {', '.join(SCOPES)}; or 'all'"
    )
    create.set_defaults(handler=create_client)
    actions.add_parser("list", help="list clients (never their secrets)").set_defaults(handler=list_clients)
    revoke = actions.add_parser("revoke", help="revoke a client and its tokens at once")
    revoke.add_argument("client_id")
    revoke.set_defaults(handler=revoke_client)


def parse_scopes(text: str) -> list[str]:
    if text.strip() == "all":
        return list(SCOPES)
    scopes = [s.strip() for s in text.split(",") if s.strip()]
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown or not scopes:
        raise ValueError(f"unknown scopes {unknown}; choose from {', '.join(SCOPES)}")
    return list(dict.fromkeys(scopes))


def create_client(args) -> int:
    try:
        scopes = parse_scopes(args.scopes)
    except ValueError as exc:
        print(f"plaudit: {exc}", file=sys.stderr)
        return 2
    client, secret = clients.create_client(_store(), args.name, scopes)
    print(f"client_id:     {client.id}")
    print(f"client_secret: {secret}")
    print(f"scopes:        {' '.join(scopes)}")
    print("Store the secret now: it is kept only as a hash and cannot be shown again.")
    return 0


def list_clients(args) -> int:
    for client in clients.list_clients(_store()):
        state = "active" if client.active else f"revoked {client.revoked_at:%Y-%m-%d %H:%M}"
        print(f"{client.id}  {client.name!r}  {state}  scopes: {' '.join(client.scopes)}")
    return 0


def revoke_client(args) -> int:
    if not clients.revoke_client(_store(), args.client_id):
        print(f"plaudit: no active client {args.client_id}", file=sys.stderr)
        return 1
    print(f"revoked {args.client_id}: its tokens stop working now")
    return 0


def _store() -> Store:
    return build_store(Settings.from_env())
