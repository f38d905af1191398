"""Field encryption: AES-GCM with a key id in each ciphertext and the row bound in as associated data."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from rewards.errors import DecryptionError

FORMAT = "v1"
NONCE_BYTES = 12


class KeyringError(ValueError):
    """The keyring text is malformed; the message names what is wrong, never a key."""


def generate_key() -> str:
    """A fresh 256-bit key, base64-encoded, for the keyring or the blind-index key."""
    return base64.b64encode(os.urandom(32)).decode()


def _decode_key(text: str, what: str) -> bytes:
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise KeyringError(f"{what} is not valid base64") from None
    if len(raw) not in (16, 24, 32):
        raise KeyringError(f"{what} must decode to 16, 24 or 32 bytes, not {len(raw)}")
    return raw


@dataclass(frozen=True)
class Keyring:
    """Ordered keys: the first encrypts, every one decrypts."""

    keys: tuple[tuple[str, bytes], ...]

    @classmethod
    def parse(cls, text: str) -> Keyring:
        """Parse `id:base64key,id2:base64key`."""
        entries = []
        for part in (p.strip() for p in text.split(",")):
            if not part:
                continue
            key_id, sep, key = part.partition(":")
            if not sep or not key_id.strip():
                raise KeyringError("each keyring entry must look like id:base64key")
            if not key_id.isalnum() and not key_id.replace("-", "").replace("_", "").isalnum():
                raise KeyringError(f"key id {key_id!r} may only use letters, digits, - and _")
            entries.append((key_id.strip(), _decode_key(key, f"key {key_id.strip()!r}")))
        if not entries:
            raise KeyringError("the keyring is empty")
        ids = [k for k, _ in entries]
        if len(set(ids)) != len(ids):
            raise KeyringError("a key id appears twice in the keyring")
        return cls(tuple(entries))

    @property
    def primary_id(self) -> str:
        return self.keys[0][0]

    def key(self, key_id: str) -> bytes | None:
        return dict(self.keys).get(key_id)


class FieldCipher:
    """Encrypts one field value bound to (table, column, row id)."""

    def __init__(self, keyring: Keyring) -> None:
        self.keyring = keyring
        self._aeads = {kid: AESGCM(key) for kid, key in keyring.keys}

    def encrypt(self, plaintext: str, table: str, column: str, row_id: object) -> str:
        kid = self.keyring.primary_id
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aeads[kid].encrypt(nonce, plaintext.encode(), _aad(table, column, row_id))
        return f"{FORMAT}:{kid}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"

    def decrypt(self, token: str, table: str, column: str, row_id: object) -> str:
        where = f"{table}.{column} of row {row_id}"
        try:
            fmt, kid, body = token.split(":", 2)
            blob = base64.urlsafe_b64decode(body)
        except (ValueError, binascii.Error):
            raise DecryptionError(f"{where} is not a Plaudit ciphertext") from None
        if fmt != FORMAT:
            raise DecryptionError(f"{where} uses unknown ciphertext format {fmt!r}")
        aead = self._aeads.get(kid)
        if aead is None:
            raise DecryptionError(f"{where} was encrypted with key {kid!r}, which is not in the keyring")
        try:
            plain = aead.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], _aad(table, column, row_id))
        except InvalidTag:
            raise DecryptionError(
                f"{where} does not open: it was tampered with or copied from another row"
            ) from None
        return plain.decode()

    @staticmethod
    def key_id_of(token: str) -> str:
        return token.split(":", 2)[1]


def _aad(table: str, column: str, row_id: object) -> bytes:
    return f"plaudit|{table}|{column}|{row_id}".encode()


class BlindIndex:
    """HMAC-SHA256 of a normalised value, for equality lookups on encrypted fields."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    @classmethod
    def from_text(cls, text: str) -> BlindIndex:
        return cls(_decode_key(text, "the blind-index key"))

    def email(self, email: str) -> str:
        normalised = email.strip().lower()
        return hmac.new(self._key, normalised.encode(), hashlib.sha256).hexdigest()

    def identifier(self, kind: str, value: str) -> str:
        """A keyed hash of an identifier of `kind` ("hr", "slack"), kept in place of the value."""
        return hmac.new(self._key, f"{kind}|{value}".encode(), hashlib.sha256).hexdigest()
