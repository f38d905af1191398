"""`plaudit serve --socket-mode` refuses to start without its tokens, naming them."""

from __future__ import annotations

from plaudit.cli import main


def test_socket_mode_needs_the_app_and_bot_tokens(monkeypatch, capsys, tmp_path):
    for name in ("SLACK_APP_TOKEN", "SLACK_BOT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'p.db'}")
    assert main(["serve", "--socket-mode"]) == 2
    assert "SLACK_APP_TOKEN and SLACK_BOT_TOKEN" in capsys.readouterr().err
