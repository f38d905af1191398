"""CSV cells a spreadsheet cannot run: text that would read as a formula is neutralised (OWASP)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

# What spreadsheets read as the start of a formula, with the full-width forms some of them accept.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")


def neutralise(cell: object) -> object:
    """A text cell starting (after any spaces) like a formula gets a leading `'`; others stay."""
    if isinstance(cell, str) and cell.lstrip(" ").startswith(FORMULA_STARTS):
        return "'" + cell
    return cell


def csv_text(rows: Iterable[Iterable[object]]) -> str:
    """Rows written as CSV, every text cell neutralised and quoted."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_NONNUMERIC)
    for row in rows:
        writer.writerow([neutralise(cell) for cell in row])
    return buffer.getvalue()
