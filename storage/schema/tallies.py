"""Tables of the read side: recognition tallies kept with the writes, and how far their build got."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from storage.schema.core import Base
from storage.schema.types import BigId, UTCDateTime

# The rows the leaderboard ranks (see ix_tallies_top): a read that wants the index repeats these
# terms literally in its WHERE, so SQLite and PostgreSQL can prove it covers the rows asked for.
TOP_ROLE = "received"
TOP_GRAINS = ("week", "month", "quarter", "year", "all")
TOP_ROWS = f"role = '{TOP_ROLE}' AND grain IN ({', '.join(repr(g) for g in TOP_GRAINS)})"
# Free room in each page on PostgreSQL, so a tally's new version can stay on its page. (It is not
# "HOT", index-free, while ix_tallies_top holds `points`: PostgreSQL 15 decides HOT by the indexes'
# columns, whatever their predicate.)
TALLIES_FILLFACTOR = 70


class RecognitionTallyRow(Base):
    """Recognitions and points of one person in one unit of time, for one value or for all of them.

    Kept in the transaction that gives (or takes back) a recognition, so leaderboards and reports
    read a row per person and unit instead of the history. A unit starts on a local day of the
    organisation's time zone; `all` starts on 1970-01-01. `role` is `received` (the points this
    person received) or `given` (the points everyone received from this person's recognitions).
    `value` is '' for every value."""

    __tablename__ = "recognition_tallies"
    __table_args__ = (
        # The top of one window: the leaderboard reads N entries of this index and stops. Partial:
        # the rows nobody ranks (given, day; about half) are never written to it.
        Index(
            "ix_tallies_top",
            "grain",
            "starts",
            "value",
            "points",
            "employee_id",
            sqlite_where=text(TOP_ROWS),
            postgresql_where=text(TOP_ROWS),
        ),
        # SQLite: the primary key is the table (one B-tree fewer to write on every upsert).
        {"sqlite_with_rowid": False, "postgresql_with": {"fillfactor": TALLIES_FILLFACTOR}},
    )

    grain: Mapped[str] = mapped_column(String(8), primary_key=True)  # day|week|month|quarter|year|all
    starts: Mapped[date] = mapped_column(Date, primary_key=True)
    role: Mapped[str] = mapped_column(String(8), primary_key=True)  # received|given
    value: Mapped[str] = mapped_column(String(64), primary_key=True)
    employee_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    recognitions: Mapped[int] = mapped_column(Integer, default=0)
    points: Mapped[int] = mapped_column(BigInteger, default=0)


class TallyBuildRow(Base):
    """The one build of the tallies from the history: the recognitions up to `through_id` are counted
    once, and `finished_at` is set when every recognition up to `target_id` is. Reads use the
    tallies only once the build has finished, and the history until then."""

    __tablename__ = "tally_builds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)  # always 1
    timezone: Mapped[str] = mapped_column(String(64))  # the zone the units were cut in
    target_id: Mapped[int] = mapped_column(BigId)  # the newest recognition when the build began
    through_id: Mapped[int] = mapped_column(BigId)  # counted so far: every recognition id <= this
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
