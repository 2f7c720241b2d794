"""Dates typed with the year last, as people write them: in Mexico day first (`30/11/2026`,
`30-11-2026`, `29/1/2026`), in the US month first (`11/30/2026`), with `/`, `-` or `.` between
the parts and an optional time after (`30/11/2026 14:30`, `30/11/2026 14:30:05`).

One rule wherever a command reads one (`audit log --since/--until`, `ledger --where`), the
same in both languages, so a reader can tell what a date will mean before typing it: a date
is read the only way it can be (`30/11/2026`: there is no month 30); one that reads as two
different days (`01/02/2026`: 1 February day first, 2 January month first) is for the caller
to refuse with both readings (`YearLast.two_ways`: a wrong guess would silently show another
day's rows); one
that reads the same both ways (`05/05/2026`) is that day. A two-digit year is no such date
(its century is a guess).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

_YEAR_LAST = re.compile(
    r"(?P<a>\d{1,2})(?P<sep>[/.-])(?P<b>\d{1,2})(?P=sep)(?P<year>\d{4})"
    r"(?:[ T](?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?)?"
)


@dataclass(frozen=True)
class YearLast:
    """What a year-last text can be: its `readings` (naive; day first, then month first;
    one when both are one moment; none when neither is a date or the time is none) and the
    span it is given to (`precision`: a day, a minute or a second)."""

    readings: list[datetime]
    precision: timedelta

    def two_ways(self) -> tuple[str, str] | None:
        """Both readings of a text that reads as two different days, for the caller's
        refusal: ISO 8601 at the precision typed (`2026-02-01`, `2026-02-01T14:30`,
        `2026-02-01T14:30:05`: each, typed instead, means exactly that reading), day first
        then month first; None when the text reads one way (or none)."""
        if len(self.readings) < 2:
            return None
        day_first, month_first = (_iso(moment, self.precision) for moment in self.readings)
        return day_first, month_first


def _iso(moment: datetime, precision: timedelta) -> str:
    if precision >= timedelta(days=1):
        return moment.date().isoformat()
    return moment.isoformat(timespec="minutes" if precision == timedelta(minutes=1) else "seconds")


def year_last(text: str) -> YearLast | None:
    """`text` (stripped) read as a year-last date and time; None when it is not of that form."""
    found = _YEAR_LAST.fullmatch(text)
    if found is None:
        return None
    a, b, year = int(found["a"]), int(found["b"]), int(found["year"])
    days = []
    for day, month in ((a, b), (b, a)):
        try:
            days.append(date(year, month, day))
        except ValueError:
            continue
    hour, minute, second = (int(found[k] or 0) for k in ("hour", "minute", "second"))
    if found["second"]:
        precision = timedelta(seconds=1)
    elif found["minute"]:
        precision = timedelta(minutes=1)
    else:
        precision = timedelta(days=1)
    try:
        moments = [datetime(d.year, d.month, d.day, hour, minute, second) for d in days]
    except ValueError:  # 25:00
        moments = []
    return YearLast(list(dict.fromkeys(moments)), precision)  # (05/05/2026 reads one way)
