"""Dates and times typed on the command line (`audit log --since` and `--until`).

ISO 8601 is read as programs write it (`2026-11-30`, `2026-11-30T14:30`, in UTC unless it
gives its offset). A date with the year last is read as people type it, in Mexico day
first (`30/11/2026`, `30-11-2026`, `29/1/2026`), in the US month first (`11/30/2026`), with
`/`, `-` or `.` between its parts and an optional time after it (`30/11/2026 14:30`, UTC).

One rule, the same in both languages, so that a reader can tell what a date will mean
before typing it: a date with the year last is read the only way it can be read (`30/11/2026`:
there is no month 30; `11/30/2026`: no month 30 either way round but as month first).
A date that reads as two different days (`01/02/2026`: 1 February day first, 2 January
month first) is refused with both readings, to be typed again as year-month-day: a wrong
guess would silently show another day's events. One that reads the same both ways
(`05/05/2026`) is that day. A two-digit year (`30/11/26`) is refused: its century is a guess.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from ironriver.errors import ConfigError
from ironriver.i18n import msg

_YEAR_LAST = re.compile(
    r"(?P<a>\d{1,2})(?P<sep>[/.-])(?P<b>\d{1,2})(?P=sep)(?P<year>\d{4})"
    r"(?:[ T](?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?)?"
)


def typed_time(value: str, option: str) -> datetime:
    """The moment `value`, typed for `option` (named in the error), names: ISO 8601, or a
    date with the year last read as the module doc says; naive, in UTC. Raises
    ConfigError, saying how to write it, for anything else or a date that reads two ways."""
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        parsed = _year_last(text, value, option)
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed


def _year_last(text: str, value: str, option: str) -> datetime:
    found = _YEAR_LAST.fullmatch(text)
    readings = [] if found is None else _readings(found)
    if not readings:
        raise ConfigError(
            msg("{option} {value!r} is not a date or time.", option=option, value=value),
            hint=msg(
                "Write it as 2026-11-29 or 2026-11-29T14:30 (UTC), or with the year last "
                "and the day first, 29/11/2026."
            ),
        )
    if len(readings) > 1:
        day_first, month_first = readings
        raise ConfigError(
            msg(
                "{option} {value!r} reads as two dates: {day_first} (day first) or "
                "{month_first} (month first).",
                option=option,
                value=value,
                day_first=day_first.date().isoformat(),
                month_first=month_first.date().isoformat(),
            ),
            hint=msg(
                "Type the one you mean as year-month-day: {option} {day_first} or {option} "
                "{month_first}.",
                option=option,
                day_first=day_first.date().isoformat(),
                month_first=month_first.date().isoformat(),
            ),
        )
    return readings[0]


def _readings(found: re.Match[str]) -> list[datetime]:
    """The moments a year-last date (and time) can be: day first, then month first; one
    when both readings are one day; none when neither is a date or the time is none."""
    a, b, year = int(found["a"]), int(found["b"]), int(found["year"])
    days = []
    for day, month in ((a, b), (b, a)):
        try:
            days.append(date(year, month, day))
        except ValueError:
            continue
    hour, minute, second = (int(found[k] or 0) for k in ("hour", "minute", "second"))
    try:
        moments = [datetime(d.year, d.month, d.day, hour, minute, second) for d in days]
    except ValueError:  # 25:00
        return []
    return list(dict.fromkeys(moments))  # (05/05/2026 reads one way)
