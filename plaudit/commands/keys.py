"""`plaudit keys`: generate keys and rotate encrypted data to the first key of the keyring."""

from __future__ import annotations

import sys

from plaudit.assembly import build_store
from plaudit.settings import Settings
from storage.encryption.ciphers import generate_key
from storage.encryption.rotation import rotate_keys


def register(sub) -> None:
    parser = sub.add_parser("keys", help="encryption keys")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    gen = actions.add_parser("generate", help="print a new random key (base64)")
    gen.add_argument("--id", help="print it as a keyring entry ID:KEY")
    gen.set_defaults(handler=generate)
    rot = actions.add_parser(
        "rotate", help="re-encrypt every value under the first key of PLAUDIT_ENCRYPTION_KEYS"
    )
    rot.add_argument("--batch-size", type=int, default=500)
    rot.set_defaults(handler=rotate)


def generate(args) -> int:
    key = generate_key()
    print(f"{args.id}:{key}" if args.id else key)
    return 0


def rotate(args) -> int:
    settings = Settings.from_env()
    store = build_store(settings, create_dev_keys=False)

    def progress(table: str, done: int, total: int) -> None:
        print(f"{table}: {done}/{total} rows", file=sys.stderr, flush=True)

    report = rotate_keys(store.engine, store.cipher, args.batch_size, progress)
    print(
        f"re-encrypted {report.rewritten} values under key "
        f"{store.cipher.keyring.primary_id!r}; {report.skipped} changed meanwhile"
    )
    return 0
