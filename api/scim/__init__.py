"""SCIM 2.0 (RFC 7643/7644) at /scim/v2: identity providers provision employees and teams."""

from __future__ import annotations

from flask import Blueprint


def routes() -> Blueprint:
    """The /scim/v2 blueprint with every SCIM route on it."""
    from api.scim import discovery, groups, users  # noqa: F401  (their routes join the blueprint)
    from api.scim.blueprint import bp

    return bp
