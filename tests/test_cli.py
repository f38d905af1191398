"""The `plaudit` command line, run as a user runs it: a real process with its own environment."""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import update

from storage.encryption.ciphers import BlindIndex, Keyring, generate_key
from storage.schema.core import PostingRow
from storage.store import Store
from tests.factories import employee, fund_wallet


def plaudit(*args: str, env: dict[str, str], cwd: Path, timeout: float = 60):
    full_env = {"PATH": os.environ["PATH"], "HOME": str(cwd), **env}
    return subprocess.run(
        [sys.executable, "-m", "plaudit.cli", *args],
        env=full_env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture
def keys_env(tmp_path) -> dict[str, str]:
    return {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "PLAUDIT_ENCRYPTION_KEYS": f"k1:{generate_key()}",
        "PLAUDIT_BLIND_INDEX_KEY": generate_key(),
    }


def open_store(env: dict[str, str]) -> Store:
    return Store.open(
        env["DATABASE_URL"],
        Keyring.parse(env["PLAUDIT_ENCRYPTION_KEYS"]),
        BlindIndex.from_text(env["PLAUDIT_BLIND_INDEX_KEY"]),
    )


def test_keys_generate_prints_a_usable_key(tmp_path):
    plain = plaudit("keys", "generate", env={}, cwd=tmp_path)
    assert plain.returncode == 0
    assert len(base64.b64decode(plain.stdout.strip())) == 32
    entry = plaudit("keys", "generate", "--id", "k7", env={}, cwd=tmp_path).stdout.strip()
    assert Keyring.parse(entry).primary_id == "k7"


def test_db_upgrade_then_ledger_verify_passes_and_then_names_a_tampered_posting(tmp_path, keys_env):
    assert "up to date" in plaudit("db", "upgrade", env=keys_env, cwd=tmp_path).stdout
    assert plaudit("db", "status", env=keys_env, cwd=tmp_path).stdout.strip() == "schema is current"
    store = open_store(keys_env)
    fund_wallet(store, employee(store), 25)
    ok = plaudit("ledger", "verify", env=keys_env, cwd=tmp_path)
    assert ok.returncode == 0 and "all invariants hold" in ok.stdout

    with store.uow() as uow:
        uow.session.execute(update(PostingRow).where(PostingRow.amount == 25).values(amount=26))
        uow.commit()
    store.close()
    bad = plaudit("ledger", "verify", env=keys_env, cwd=tmp_path)
    assert bad.returncode == 1
    assert "VIOLATION unbalanced transaction: transaction 1 postings sum to 1, not 0" in bad.stdout
    assert "violation(s)" in bad.stdout


def test_keys_rotate_reports_progress_and_the_count(tmp_path, keys_env):
    plaudit("db", "upgrade", env=keys_env, cwd=tmp_path)
    store = open_store(keys_env)
    for _ in range(3):
        employee(store)
    store.close()
    rotating = {
        **keys_env,
        "PLAUDIT_ENCRYPTION_KEYS": f"k2:{generate_key()},{keys_env['PLAUDIT_ENCRYPTION_KEYS']}",
    }
    result = plaudit("keys", "rotate", "--batch-size", "2", env=rotating, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "employees: 2/3 rows" in result.stderr and "employees: 3/3 rows" in result.stderr
    # 3 employees x 4 personal fields the factory fills (email, name, birth and hire dates)
    assert "re-encrypted 12 values under key 'k2'" in result.stdout


def test_production_refuses_to_start_without_keys_and_names_the_variable(tmp_path):
    result = plaudit(
        "serve",
        env={"PLAUDIT_ENV": "production", "DATABASE_URL": f"sqlite:///{tmp_path / 'p.db'}"},
        cwd=tmp_path,
    )
    assert result.returncode == 2
    assert "PLAUDIT_ENCRYPTION_KEYS" in result.stderr and "PLAUDIT_BLIND_INDEX_KEY" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_malformed_keyring_is_a_clear_error_that_shows_no_key(tmp_path):
    secret = generate_key()
    result = plaudit(
        "ledger",
        "verify",
        env={
            "PLAUDIT_ENCRYPTION_KEYS": f"k1{secret}",
            "PLAUDIT_BLIND_INDEX_KEY": generate_key(),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
        },
        cwd=tmp_path,
    )
    assert result.returncode == 2
    assert "PLAUDIT_ENCRYPTION_KEYS" in result.stderr and "id:base64key" in result.stderr
    assert secret not in result.stderr


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_serve_with_no_configuration_answers_the_health_check(tmp_path):
    port = _free_port()
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "plaudit.cli", "serve", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        body = json.loads(_wait_for(f"http://127.0.0.1:{port}/healthz"))
        assert body == {"database": "ok", "status": "ok"}
        keyring = tmp_path / ".plaudit" / "dev-keys.json"
        assert keyring.stat().st_mode & 0o777 == 0o600
        assert (tmp_path / "plaudit.db").exists()
    finally:
        proc.terminate()
        output = proc.communicate(timeout=30)[0]
    assert output.count("created a development keyring") == 1


def _wait_for(url: str, seconds: float = 30) -> bytes:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.read()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
