"""Every table module, imported so `metadata` knows the whole schema (migrations, tests)."""

from __future__ import annotations

import storage.tables_slack  # noqa: F401  (the Slack area's tables)
from storage import tables  # noqa: F401  (each area's table module is imported here)
from storage.tables import Base

metadata = Base.metadata
