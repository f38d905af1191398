"""Every table module, imported so `metadata` knows the whole schema (migrations, tests)."""

from __future__ import annotations

from storage import (
    tables,  # noqa: F401  (each area's table module is imported here)
    tables_api,  # noqa: F401
    tables_scheduler,  # noqa: F401
    tables_slack,  # noqa: F401
)
from storage.tables import Base

metadata = Base.metadata
