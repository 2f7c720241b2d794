"""Structured logs of an ingest: the events and their fields, and never a statement value."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from sales_fixtures import ROWS, write_csv  # type: ignore[import-not-found]

from ironriver.errors import IngestError
from ironriver.ingest import ingest_mapping
from ironriver.logs import configure
from ironriver.store import Store


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    configure("INFO", "json", stream)
    yield stream
    configure("WARNING", "text")
    logging.getLogger("ironriver").handlers.clear()


def events(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_ingest_events_have_counts_not_values(
    sqlite_store: Store, sales_dir: Path, log_stream: io.StringIO
) -> None:
    result = ingest_mapping(sqlite_store, sales_dir / "sales.yaml", actor="a")
    got = {e["event"]: e for e in events(log_stream)}
    assert {"ingest.prepared", "ingest.staged", "ingest.committed"} <= set(got)
    assert got["ingest.prepared"]["records"] == len(ROWS)
    assert got["ingest.staged"]["statements"] == result.statements
    committed = got["ingest.committed"]
    assert committed["statements_new"] == result.statements_new > 0
    assert committed["ledger_rows"] == result.ledger_rows
    assert all(e["level"] == "info" and "timestamp" in e for e in got.values())
    text = log_stream.getvalue()
    for value in {str(v) for row in ROWS for v in row if len(str(v)) > 3}:
        assert value not in text  # names, serials, dates stay out of the logs


def test_rejections_are_logged_at_info_as_the_user_is_told(
    sqlite_store: Store, sales_dir: Path, log_stream: io.StringIO
) -> None:
    rows = [list(r) for r in ROWS]
    rows[1][1] = "not a date"
    write_csv(sales_dir / "sales.csv", rows)
    # stopped: the error tells the user; the event is for the log only (info, not warning)
    with pytest.raises(IngestError):
        ingest_mapping(sqlite_store, sales_dir / "sales.yaml", actor="a")
    (stopped,) = [e for e in events(log_stream) if e["event"] == "ingest.rejected_records"]
    # the mapping reads sales.csv twice (entities, ledger): the bad row counts once
    assert stopped["level"] == "info" and stopped["rejected"] == 1
    # skipped: the command says so in the reader's language ("Skipped 1 invalid record"), so
    # the event is info too (docs: what a sentence tells the user is no warning)
    ingest_mapping(sqlite_store, sales_dir / "sales.yaml", actor="a", skip_invalid=True)
    skipped = [e for e in events(log_stream) if e["event"] == "ingest.rejected_records"][1]
    assert skipped["level"] == "info" and skipped["rejected"] == 1
    assert skipped["skip_invalid"] is True
    assert not [e for e in events(log_stream) if e["level"] == "warning"]
    assert "not a date" not in log_stream.getvalue()


def test_a_skip_invalid_ingest_says_it_once_in_the_readers_language(
    sales_dir: Path, tmp_path: Path
) -> None:
    """At the default log level the Spanish reader reads the Spanish sentence only, not an
    English log line saying the same just before it."""
    from click.testing import CliRunner

    from ironriver.cli import cli

    rows = [list(r) for r in ROWS]
    rows[1][1] = "not a date"
    write_csv(sales_dir / "sales.csv", rows)
    args = ["ingest", str(sales_dir / "sales.yaml"), "--db", str(tmp_path / "s.db")]
    env = {"IRONRIVER_LOG_LEVEL": "", "IRONRIVER_LANG": "es"}
    try:
        result = CliRunner(env=env).invoke(cli, [*args, "--as", "us-atf-analyst", "--skip-invalid"])
    finally:
        logging.getLogger("ironriver").handlers.clear()
    assert result.exit_code == 0, result.output
    assert "Se omitió 1 registro inválido" in result.stderr
    assert "ingest.rejected_records" not in result.stderr


def test_level_filters_and_bad_settings_are_refused(sqlite_store: Store, sales_dir: Path) -> None:
    stream = io.StringIO()
    configure("WARNING", "json", stream)
    try:
        ingest_mapping(sqlite_store, sales_dir / "sales.yaml", actor="a")
        assert stream.getvalue() == ""
    finally:
        logging.getLogger("ironriver").handlers.clear()
    with pytest.raises(ValueError, match="log level"):
        configure("LOUD")
    with pytest.raises(ValueError, match="log format"):
        configure("INFO", "xml")
