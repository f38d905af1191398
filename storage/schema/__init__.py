"""The schema: every table module, imported here so `metadata` knows the whole schema (migrations, tests)."""

from __future__ import annotations

from storage.schema import (
    api_access,  # noqa: F401  (each area's table module is imported for its tables)
    reactions,  # noqa: F401
    scheduling,  # noqa: F401
    tallies,  # noqa: F401
    teams,  # noqa: F401
)
from storage.schema.core import Base

metadata = Base.metadata
