"""`plaudit scim`: the bearer tokens identity providers (Okta, Entra ID, ...) provision people with."""

from __future__ import annotations

import argparse
import sys

from plaudit.assembly import build_store
from plaudit.settings import Settings
from storage.access import scim_tokens
from storage.store import Store

TOKEN_HELP = """\
An identity provider calls Plaudit's SCIM 2.0 endpoints (base URL https://<your host>/scim/v2)
with a long-lived bearer token, one per provider. `create` prints the token once: paste it into
the provider's provisioning settings (Okta: HTTP Header authentication, the Bearer token; Entra
ID: Secret Token). Plaudit keeps only its SHA-256 digest, so it cannot be shown again: if it is
lost, revoke it and create another.
See docs/scim.md."""


def register(sub) -> None:
    parser = sub.add_parser("scim", help="SCIM provisioning: tokens for identity providers")
    areas = parser.add_subparsers(dest="action", metavar="AREA", required=True)
    token = areas.add_parser(
        "token",
        help="create, list or revoke a provider's SCIM bearer token",
        description=TOKEN_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    verbs = token.add_subparsers(dest="verb", metavar="ACTION", required=True)
    create = verbs.add_parser("create", help="create a token for a provider; prints it once")
    create.add_argument("--provider", required=True, help="who will use it, e.g. okta or entra-id")
    create.set_defaults(handler=create_token)
    verbs.add_parser("list", help="list tokens (never their secrets)").set_defaults(handler=list_tokens)
    revoke = verbs.add_parser("revoke", help="revoke a token: the provider's next request gets 401")
    revoke.add_argument("token_id", type=int, metavar="ID", help="the id `list` shows")
    revoke.set_defaults(handler=revoke_token)


def create_token(args) -> int:
    try:
        token, secret = scim_tokens.create_token(_store(), args.provider)
    except ValueError as exc:
        print(f"plaudit: --provider: {exc}", file=sys.stderr)
        return 2
    print(f"id:       {token.id}")
    print(f"provider: {token.provider}")
    print(f"token:    {secret}")
    print(
        "Store the token now in your identity provider: it is kept only as a hash and cannot be shown again."
    )
    return 0


def list_tokens(args) -> int:
    for token in scim_tokens.list_tokens(_store()):
        used = f"last used {token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never used"
        state = f"revoked {token.revoked_at:%Y-%m-%d %H:%M}" if token.revoked_at else "active"
        print(f"{token.id}  {token.provider!r}  {state}  created {token.created_at:%Y-%m-%d %H:%M}  {used}")
    return 0


def revoke_token(args) -> int:
    if not scim_tokens.revoke_token(_store(), args.token_id):
        print(f"plaudit: no active SCIM token {args.token_id}", file=sys.stderr)
        return 1
    print(f"revoked SCIM token {args.token_id}: the provider's next request gets 401")
    return 0


def _store() -> Store:
    return build_store(Settings.from_env())
