"""Tables of the read side: recognition tallies kept with the writes, and how far their build got."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.schema.core import Base
from storage.schema.types import BigId, UTCDateTime

# Free room in each page on PostgreSQL, so a tally's new version can stay on its page: no index
# holds recognitions or points, so a give's update of a row writes no index ("HOT").
TALLIES_FILLFACTOR = 70


class RecognitionTallyRow(Base):
    """Recognitions and points of one person in one unit of time, for one value or for all of them.

    Kept in the transaction that gives (or takes back) a recognition, so leaderboards and reports
    read a row per person and unit instead of the history. A unit starts on a local day of the
    organisation's time zone; `all` starts on 1970-01-01. `role` is `received` (the points this
    person received) or `given` (the points everyone received from this person's recognitions).
    `value` is '' for every value.

    The key is the only index: one unit's rows for everyone (a leaderboard window, a report's
    piece) are a range of it with their counts inline, and a give's update of a row changes no
    index (on PostgreSQL "HOT"). An index ranking by points would move on every give."""

    __tablename__ = "recognition_tallies"
    __table_args__ = (
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
