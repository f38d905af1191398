"""Scrubs what must never reach a log line: emails, Slack tokens, bearer tokens, secrets."""

from __future__ import annotations

import re

PATTERNS = [
    (re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"), "[email]"),
    (re.compile(r"xox[abposr]-[A-Za-z0-9-]+"), "[slack-token]"),
    (re.compile(r"xapp-[A-Za-z0-9-]+"), "[slack-token]"),
    (re.compile(r"(?i)bearer\s+[A-Za-z0-9._~+/=-]+"), "Bearer [token]"),
    (re.compile(r"whsec_[A-Za-z0-9+/=]+"), "[webhook-secret]"),
    (re.compile(r"\b(?:scim|pcs)_[A-Za-z0-9_-]{20,}"), "[secret]"),  # SCIM tokens, API client secrets
    (re.compile(r"(?i)(client_secret|password|secret|token|code)=([^&\s]+)"), r"\1=[redacted]"),
    (re.compile(r"v1:[A-Za-z0-9_-]+:[A-Za-z0-9_=-]{16,}"), "[ciphertext]"),
]


def redact(text: str) -> str:
    for pattern, replacement in PATTERNS:
        text = pattern.sub(replacement, text)
    return text
