"""Every shell example in README.md and docs/*.md runs as written on a fresh install, in order.

Each guide gets a fresh folder and a real `plaudit serve` on a free port (Slack's Web API is a
loopback fake). Only what a reader substitutes is substituted (`SUBSTITUTIONS`); values a reader
copies from one example's output into the next are captured (`tests/doc_examples.py`). An
example a test cannot run carries `<!-- example: not run (why) -->` on the line before it.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.simulator.fake_slack import FakeSlack
from tests.databases import POSTGRES_URL_VAR, create_postgres_database, drop_postgres_database
from tests.doc_examples import ROOT, VENV_BIN, Example, Shell, examples_in, free_port, healthy, run_examples

GUIDES = ["README.md", *sorted(f"docs/{p.name}" for p in (ROOT / "docs").glob("*.md"))]
# Examples that cannot run in a test stay few; a new one needs a reason a reviewer accepts.
MOST_NOT_RUN = 4


def substitutions(base: str, database_url: str) -> list[tuple[str, str]]:
    """What a reader replaces in an example: their host, their database, secrets and ids they hold."""
    return [
        ("https://plaudit.example.com", base),
        ("https://…", base),
        ("http://127.0.0.1:8000", base),
        ("pc_3f9c…", "$CLIENT_ID"),  # the client_id `plaudit clients create` printed
        ("7f0c…", str(uuid.uuid4())),  # "a unique value per operation, such as a UUID"
        ("k2:<new>", "$NEW_KEY"),  # what `plaudit keys generate --id k2` printed
        ("k1:<old>", "$OLD_KEY"),  # the keyring in use: on a fresh install the development one
        ("<index key>", "$INDEX_KEY"),  # the blind index key in use, likewise
        ("postgresql://plaudit@db.internal/plaudit", database_url),
        ("SLACK_SIGNING_SECRET=…", "SLACK_SIGNING_SECRET=example-signing-secret"),
        ("xoxb-…", "xoxb-example"),
        ("xapp-…", "xapp-example"),
    ]


def all_examples() -> dict[str, list[Example]]:
    return {doc: examples_in(doc, (ROOT / doc).read_text(encoding="utf-8")) for doc in GUIDES}


@pytest.fixture(scope="module")
def fake_slack() -> Iterator[FakeSlack]:
    with FakeSlack() as slack:
        yield slack


def _reader_environment(slack: FakeSlack) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PLAUDIT_", "SLACK_", "PYTHON", "PROMETHEUS_")) and k != "DATABASE_URL"
    }
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env["SLACK_API_URL"] = slack.url  # where the test's Slack lives; readers use slack.com
    env["PLAUDIT_WEBHOOK_ALLOWED_HOSTS"] = "hr.example.com"  # the guide's receiver; no DNS here
    return env


@pytest.fixture
def production_database(tmp_path: Path) -> Iterator[str]:
    """Where the production example's database goes: the test run's PostgreSQL server when
    there is one (a new database), else a SQLite file."""
    base = os.environ.get(POSTGRES_URL_VAR)
    if not base:
        yield f"sqlite:///{tmp_path / 'production.db'}"
        return
    name, url = create_postgres_database(base)
    yield url
    drop_postgres_database(base, name)


@pytest.fixture
def reader(tmp_path: Path, fake_slack: FakeSlack, production_database: str) -> Iterator[Shell]:
    """A fresh install in an empty folder, with `plaudit serve` running on a free port."""
    env = _reader_environment(fake_slack)
    port = free_port()
    server = subprocess.Popen(
        ["plaudit", "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1", "--no-scheduler"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        _wait_until_healthy(server, port)
        keys = json.loads((tmp_path / ".plaudit" / "dev-keys.json").read_text())
        env["OLD_KEY"], env["INDEX_KEY"] = keys["encryption_keys"], keys["blind_index_key"]
        base = f"http://127.0.0.1:{port}"
        yield Shell(tmp_path, env, substitutions(base, production_database))
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)


def _wait_until_healthy(server: subprocess.Popen[bytes], port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert server.poll() is None, "plaudit serve exited"
        if healthy(port):
            return
        time.sleep(0.2)
    raise AssertionError("plaudit serve did not answer /healthz")


@pytest.mark.parametrize("doc", GUIDES)
def test_every_example_of_a_guide_runs_as_written(doc: str, reader: Shell) -> None:
    examples = all_examples()[doc]
    failures = list(run_examples(reader, examples))
    transcript = "\n\n".join(reader.transcript)[-8000:]
    assert not failures, "\n\n".join(failures) + "\n\n--- what ran ---\n" + transcript


def test_the_guides_have_examples_and_few_exceptions() -> None:
    examples = [e for found in all_examples().values() for e in found]
    run = [e for e in examples if not e.not_run]
    not_run = [e for e in examples if e.not_run]
    assert len(run) >= 15, [e.where for e in run]
    assert len(not_run) <= MOST_NOT_RUN, [f"{e.where} ({e.not_run})" for e in not_run]
    assert any(e.lang == "console" for e in run) and any(e.lang == "inline" for e in run)


GUIDE_WITH_A_BROKEN_EXAMPLE = """# A guide

```sh
plaudit db upgrade
```

Then `curl http://127.0.0.1:8000/no-such-page` answers.

<!-- example: not run (needs a Slack workspace) -->
```sh
plaudit no-such-command
```

```console
$ plaudit ledger verify --no-such-flag
ledger verify: all invariants hold
```
"""


def test_an_unmarked_example_that_fails_fails_the_test(reader: Shell) -> None:
    examples = examples_in("new.md", GUIDE_WITH_A_BROKEN_EXAMPLE)
    assert [(e.line, e.lang, e.not_run) for e in examples] == [
        (3, "sh", None),
        (7, "inline", None),
        (10, "sh", "needs a Slack workspace"),
        (14, "console", None),
    ]
    assert examples[3].commands() == ["plaudit ledger verify --no-such-flag"]
    failures = list(run_examples(reader, examples))
    assert len(failures) == 1 and failures[0].startswith("new.md:7:"), failures
    assert "404" in failures[0]
    failures = list(run_examples(reader, [examples[3]]))
    assert len(failures) == 1 and failures[0].startswith("new.md:14:"), failures


def test_a_command_spanning_lines_is_one_command() -> None:
    console = Example(
        "x.md", 1, "console", '$ curl -X PUT u \\\n    -d \'{"a": 1,\n  "b": 2}\'\n{"ok": 1}\n$ ls'
    )
    assert console.commands() == ['curl -X PUT u \\\n    -d \'{"a": 1,\n  "b": 2}\'', "ls"]
    script = Example("x.md", 1, "sh", "# a comment\nexport A=1   # why\nplaudit keys rotate\n")
    assert script.commands() == ["export A=1   # why", "plaudit keys rotate"]
