"""Dates and times typed on the command line (`audit log --since` and `--until`).

ISO 8601 is read as programs write it (`2026-11-30`, `2026-11-30T14:30`, in UTC unless it
gives its offset); a date with the year last as people type it (`30/11/2026`, `11/30/2026`,
`30/11/2026 14:30`, UTC), by the rule of `ironriver.year_last`: the only way it can be read,
and refused with both readings, to be typed again as year-month-day, when it reads as two
different days (`01/02/2026`). A two-digit year (`30/11/26`) is refused: its century is a guess.
"""

from __future__ import annotations

from datetime import UTC, datetime

from ironriver.errors import ConfigError
from ironriver.i18n import msg
from ironriver.year_last import year_last


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
    found = year_last(text)
    if found is None or not found.readings:
        raise ConfigError(
            msg("{option} {value!r} is not a date or time.", option=option, value=value),
            hint=msg(
                "Write it as 2026-11-29 or 2026-11-29T14:30 (UTC), or with the year last "
                "and the day first, 29/11/2026."
            ),
        )
    both = found.two_ways()
    if both is not None:
        day_first, month_first = both
        raise ConfigError(
            msg(
                "{option} {value!r} reads as two dates: {day_first} (day first) or "
                "{month_first} (month first).",
                option=option,
                value=value,
                day_first=day_first,
                month_first=month_first,
            ),
            hint=msg(
                "Type the one you mean as year-month-day: {option} {day_first} or {option} "
                "{month_first}.",
                option=option,
                day_first=day_first,
                month_first=month_first,
            ),
        )
    return found.readings[0]
