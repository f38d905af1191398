"""Run from another folder, `plaudit` says where it looks instead of creating a new database."""

from __future__ import annotations

import os

import pytest

from tests.test_cli import plaudit


@pytest.mark.parametrize(
    "command", [("ledger", "verify"), ("clients", "list"), ("outbox", "status"), ("db", "status")]
)
def test_a_command_in_a_folder_without_a_database_says_where_it_looked_and_creates_nothing(tmp_path, command):
    result = plaudit(*command, env={}, cwd=tmp_path)
    assert result.returncode == 2
    assert f"looks for plaudit.db in this folder ({tmp_path})" in result.stderr
    assert "DATABASE_URL=" in result.stderr and "plaudit db upgrade" in result.stderr
    assert os.listdir(tmp_path) == []  # no database, no keyring


def test_a_database_url_naming_a_missing_file_is_refused_naming_it(tmp_path):
    missing = tmp_path / "elsewhere" / "plaudit.db"
    result = plaudit("ledger", "verify", env={"DATABASE_URL": f"sqlite:///{missing}"}, cwd=tmp_path)
    assert result.returncode == 2
    assert f"DATABASE_URL points at {missing}" in result.stderr
    assert os.listdir(tmp_path) == []


def test_db_upgrade_creates_the_database_readable_by_its_owner_only(tmp_path):
    result = plaudit("db", "upgrade", env={}, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    for path in [tmp_path / "plaudit.db", tmp_path / ".plaudit", tmp_path / ".plaudit" / "dev-keys.json"]:
        assert path.stat().st_mode & 0o077 == 0, path
    assert plaudit("ledger", "verify", env={}, cwd=tmp_path).returncode == 0
    for leftover in tmp_path.iterdir():
        assert leftover.stat().st_mode & 0o077 == 0, leftover
