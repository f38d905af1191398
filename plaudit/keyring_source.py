"""Where the encryption keys come from: the environment, or a development keyring file."""

from __future__ import annotations

import json
import logging
import os

from plaudit.settings import Settings, SettingsError
from storage.encryption.ciphers import BlindIndex, Keyring, KeyringError, generate_key

log = logging.getLogger("plaudit.keyring_source")


def load_keys(settings: Settings, *, create_dev: bool = True) -> tuple[Keyring, BlindIndex]:
    """The keyring and blind-index key: from the environment, or the dev file outside production."""
    if settings.encryption_keys and settings.blind_index_key:
        try:
            keyring = Keyring.parse(settings.encryption_keys)
        except KeyringError as exc:
            raise SettingsError(f"PLAUDIT_ENCRYPTION_KEYS: {exc}") from None
        try:
            blind = BlindIndex.from_text(settings.blind_index_key)
        except KeyringError as exc:
            raise SettingsError(f"PLAUDIT_BLIND_INDEX_KEY: {exc}") from None
        return keyring, blind
    missing = [
        name
        for name, value in (
            ("PLAUDIT_ENCRYPTION_KEYS", settings.encryption_keys),
            ("PLAUDIT_BLIND_INDEX_KEY", settings.blind_index_key),
        )
        if not value
    ]
    if settings.is_production:
        raise SettingsError(
            f"PLAUDIT_ENV=production needs explicit keys: set {' and '.join(missing)}"
            " (generate them with `plaudit keys generate`)"
        )
    if settings.encryption_keys or settings.blind_index_key:
        raise SettingsError(f"set {' and '.join(missing)} too, or neither for development keys")
    return _dev_keys(settings, create_dev)


def _dev_keys(settings: Settings, create: bool) -> tuple[Keyring, BlindIndex]:
    path = settings.dev_keyring_path
    if not path.exists():
        if not create:
            raise SettingsError(f"no keys configured and no development keyring at {path}")
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        data = {"encryption_keys": f"dev1:{generate_key()}", "blind_index_key": generate_key()}
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(data, handle)
        log.warning(
            "No PLAUDIT_ENCRYPTION_KEYS set: created a development keyring at %s (mode 0600)."
            " Do not use it in production.",
            path,
        )
    data = json.loads(path.read_text())
    return Keyring.parse(data["encryption_keys"]), BlindIndex.from_text(data["blind_index_key"])
