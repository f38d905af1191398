"""The text log format redacts like the JSON one, and no value can forge a line of its own."""

from __future__ import annotations

import io
import json
import logging

import pytest

from plaudit.observability import logs


@pytest.fixture
def lines():
    stream = io.StringIO()
    root = logging.getLogger()
    saved, level = root.handlers[:], root.level

    def emitted(fmt: str, *log_args, exc: bool = False) -> list[str]:
        logs.configure("INFO", stream, fmt=fmt)
        try:
            if exc:
                try:
                    raise ValueError("bad\r\nERROR plaudit: forged from an exception ana@example.com")
                except ValueError:
                    logging.getLogger("plaudit.test").exception(*log_args)
            else:
                logging.getLogger("plaudit.test").info(*log_args)
        finally:
            root.handlers[:], root.level = saved, level
        text = stream.getvalue()
        stream.seek(0)
        stream.truncate()
        return text.splitlines()

    return emitted


FORGED = "hello\nERROR plaudit.api: forged\rWARNING x\u2028y\x1b[2J"


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_a_message_with_line_breaks_stays_one_line(lines, fmt):
    logs.new_request("req-1")
    out = lines(fmt, "user said %s", FORGED)
    assert len(out) == 1
    assert "\x1b" not in out[0] and "\r" not in out[0] and "\u2028" not in out[0]
    if fmt == "text":
        assert out[0].startswith("INFO plaudit.test: user said hello\\nERROR plaudit.api: forged\\r")
        assert "request_id=req-1" in out[0]
    else:
        assert json.loads(out[0])["message"].startswith("user said hello\nERROR")


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_both_formats_redact_emails_tokens_and_secrets(lines, fmt):
    out = lines(fmt, "to %s with %s and %s", "ana@example.com", "xoxb-123-abc", "client_secret=s3cr3t")
    assert len(out) == 1
    for secret in ("ana@example.com", "xoxb-123-abc", "s3cr3t"):
        assert secret not in out[0]
    assert "[email]" in out[0] and "[slack-token]" in out[0]


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_a_traceback_is_redacted_and_cannot_forge_lines(lines, fmt):
    out = lines(fmt, "failed", exc=True)
    assert len(out) == 1
    assert "ana@example.com" not in out[0]
    assert not any(line.startswith("ERROR plaudit: forged") for line in out)


def test_a_request_id_header_that_is_not_plain_is_replaced():
    assert logs.new_request("abc-123") == "abc-123"
    for hostile in ("abc\r\nINFO forged", "x" * 65, "a b", "\u00ff"):
        assert logs.new_request(hostile) != hostile
