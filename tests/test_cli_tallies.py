"""`plaudit db upgrade` builds the recognition tallies, `plaudit ledger verify` checks them and
`plaudit ledger rebuild-tallies` counts them again, run as a user runs them."""

from __future__ import annotations

from sqlalchemy import delete, update

from rewards.policy import RecognitionPolicy
from rewards.services.recognition import GiveRecognition, give_recognition
from storage.schema.tallies import RecognitionTallyRow, TallyBuildRow
from tests.factories import employee, give_allowance
from tests.test_cli import keys_env, open_store, plaudit  # noqa: F401 (keys_env is a fixture)


def _gives(store, n: int) -> None:
    ana, ben, cai = employee(store), employee(store), employee(store)
    give_allowance(store, ana, 1000)
    for i in range(n):
        give_recognition(
            store.uow(),
            GiveRecognition(ana.id, [ben.id, cai.id][: 1 + i % 2], 3, "thanks for that", f"k{i}", "teamwork"),
            RecognitionPolicy(daily_cap_per_recipient=1000),
            store.clock,
        )


def test_upgrade_builds_verify_checks_and_rebuild_repairs(tmp_path, keys_env):  # noqa: F811
    upgraded = plaudit("db", "upgrade", env=keys_env, cwd=tmp_path)
    assert upgraded.returncode == 0, upgraded.stderr
    assert "tallies: built; 0 recognitions counted now, 0 in all" in upgraded.stdout
    store = open_store(keys_env)
    _gives(store, 5)
    ok = plaudit("ledger", "verify", env=keys_env, cwd=tmp_path)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "all invariants hold and the tallies match" in ok.stdout

    T = RecognitionTallyRow
    with store.uow() as uow:
        uow.session.execute(
            update(T).where(T.grain == "month", T.role == "given", T.value == "").values(points=T.points + 1)
        )
        uow.commit()
    bad = plaudit("ledger", "verify", env=keys_env, cwd=tmp_path)
    assert bad.returncode == 1
    assert "VIOLATION tally given/month 2026-" in bad.stdout
    assert "table says 22 points/5 recognitions, history says 21/5" in bad.stdout
    assert "0 violation(s), 1 tally difference(s)" in bad.stdout

    rebuilt = plaudit("ledger", "rebuild-tallies", env=keys_env, cwd=tmp_path)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert rebuilt.stdout.splitlines() == [
        "tallies: 5 of 5 recognitions (100%)",
        "tallies: built; 5 recognitions counted now, 5 in all",
    ]
    again = plaudit("ledger", "verify", env=keys_env, cwd=tmp_path)
    assert again.returncode == 0 and "the tallies match" in again.stdout
    store.close()


def test_verify_says_when_the_tallies_are_not_built(tmp_path, keys_env):  # noqa: F811
    plaudit("db", "upgrade", env=keys_env, cwd=tmp_path)
    store = open_store(keys_env)
    with store.uow() as uow:
        uow.session.execute(delete(TallyBuildRow))
        uow.commit()
    store.close()
    found = plaudit("ledger", "verify", env=keys_env, cwd=tmp_path)
    assert found.returncode == 0
    assert "tallies: not built yet" in found.stdout
