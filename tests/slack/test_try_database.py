"""`plaudit try --database` uses only a database of its own: new and empty, or a try world."""

from __future__ import annotations

import pytest

from bot.simulator.fake_slack import FakeSlack
from plaudit.commands.try_slack import TrySession
from plaudit.settings import SettingsError
from storage.schema import migrate
from storage.store import Store
from tests.factories import employee


def test_try_refuses_a_real_plaudit_database_and_leaves_it_untouched(tmp_path, keyring, blind_index):
    url = f"sqlite:///{tmp_path / 'real.db'}"
    real = Store.open(url, keyring, blind_index)
    migrate.upgrade(real.engine)
    employee(real, display_name="Real Person")
    real.close()
    before = (tmp_path / "real.db").read_bytes()
    with FakeSlack() as fake, pytest.raises(SettingsError) as refused:
        TrySession(fake, url, "ana")
    assert "not a `plaudit try` world" in str(refused.value)
    assert (tmp_path / "real.db").read_bytes() == before


def test_try_opens_its_own_world_again(tmp_path):
    url = f"sqlite:///{tmp_path / 'try.db'}"
    with FakeSlack() as fake:
        first = TrySession(fake, url, "ana")
        first.handle("/kudos @ben 5 for the tea #teamwork")
        first.close()
    with FakeSlack() as fake:
        again = TrySession(fake, url, "ben")
        try:
            assert "@ben gave @cy" in "\n".join(again.handle("/kudos @cy 5 for the cake #teamwork"))
            assert "tea" in "\n".join(again.handle("/kudos history"))
        finally:
            again.close()
