"""Dates typed on the command line (`ironriver.cli_dates`, `audit log --since/--until`):
ISO, or the year last as people type it, read the only way it can be read; a date that reads
as two days is refused with both, never guessed (real SQLite store, click's runner)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from ironriver.cli import cli
from ironriver.cli_dates import typed_time
from ironriver.errors import ConfigError
from samples import sample_db


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("2026-11-30", datetime(2026, 11, 30)),
        ("2026-11-30T10:00+02:00", datetime(2026, 11, 30, 8)),
        ("30/11/2026", datetime(2026, 11, 30)),  # day first: there is no month 30
        ("30-11-2026", datetime(2026, 11, 30)),
        ("29.1.2026", datetime(2026, 1, 29)),
        ("11/30/2026", datetime(2026, 11, 30)),  # month first, as the US types it
        ("05/05/2026", datetime(2026, 5, 5)),  # the same day either way
        ("30/11/2026 14:30", datetime(2026, 11, 30, 14, 30)),
        (" 13/12/2026T08:05:09 ", datetime(2026, 12, 13, 8, 5, 9)),
    ],
)
def test_a_date_is_read_the_only_way_it_can_be(typed: str, read: datetime) -> None:
    assert typed_time(typed, "--since") == read


@pytest.mark.parametrize(
    "typed", ["31/02/2026", "30/11/26", "last week", "30/11-2026", "1/1/2026 25:00"]
)
def test_what_is_no_date_is_refused(typed: str) -> None:
    with pytest.raises(ConfigError, match="is not a date or time"):
        typed_time(typed, "--since")


def test_a_date_that_reads_as_two_days_is_refused_with_both() -> None:
    with pytest.raises(ConfigError) as refused:
        typed_time("01/02/2026", "--until")
    assert str(refused.value) == (
        "--until '01/02/2026' reads as two dates: 2026-02-01 (day first) or 2026-01-02 "
        "(month first).\n  What to do: Type the one you mean as year-month-day: --until "
        "2026-02-01 or --until 2026-01-02."
    )


@pytest.mark.parametrize(
    ("typed", "day_first", "month_first"),
    [
        ("01/02/2026 14:30", "2026-02-01T14:30", "2026-01-02T14:30"),
        ("1/2/2026 14:30:05", "2026-02-01T14:30:05", "2026-01-02T14:30:05"),
    ],
)
def test_a_time_that_reads_as_two_days_is_refused_with_both_at_its_time(
    typed: str, day_first: str, month_first: str
) -> None:
    """The refusal of a date and time that reads as two days names each reading with its
    time (its hint showed the dates alone, which typed again mean a whole day)."""
    with pytest.raises(ConfigError) as refused:
        typed_time(typed, "--since")
    assert f"reads as two dates: {day_first} (day first) or {month_first}" in str(refused.value)
    assert f"--since {day_first} or --since {month_first}." in str(refused.value)
    for reading in (day_first, month_first):  # each typed as the hint says: that reading
        assert typed_time(reading, "--since") == datetime.fromisoformat(reading)


def test_audit_log_takes_a_mexican_date(tmp_path: Path) -> None:
    db = sample_db(tmp_path, "a.db")

    def log(*args: str) -> tuple[int, str]:
        result = CliRunner().invoke(cli, ["audit", "log", "--db", db, "--as", "mx-auditor", *args])
        return result.exit_code, result.output

    code, out = log("--json")
    everything = json.loads(out)
    assert code == 0 and everything
    code, out = log("--json", "--since", "31/12/1999")
    assert code == 0 and json.loads(out) == everything
    code, out = log("--json", "--until", "31/12/1999")
    assert code == 0 and json.loads(out) == []
    code, out = log("--since", "01/02/2026")
    assert code == 2
    assert (
        "--since '01/02/2026' se lee como dos fechas: 2026-02-01 (el día primero) o 2026-01-02 "
        "(el mes primero)." in out
    )
    assert "--since 2026-02-01 o --since 2026-01-02" in out
