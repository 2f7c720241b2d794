"""Under `--log-json` (or IRONRIVER_LOG_FORMAT=json) stderr is JSON Lines: the progress a long
command prints there, and an ingest's notes, are JSON objects shaped as the log events, shown
whatever the log level; in text they are the `[    1.8s] message` lines and the sentences
they always were (`ironriver.progress`). The real command on the OFAC example, into a new
SQLite store each time."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from ironriver.cli import cli
from ironriver.logs import configure

ROOT = Path(__file__).parents[2]
MAPPING = ROOT / "examples" / "ofac_sdn" / "mapping.yaml"
PROGRESS_LINE = re.compile(r"^\[ *\d+\.\ds\] (?P<message>.+)$")


@pytest.fixture(autouse=True)
def _text_logs_after() -> Iterator[None]:
    """The command configures logging for the process: back to text once the test is done."""
    yield
    configure("WARNING", "text")
    logging.getLogger("ironriver").handlers.clear()


def _ingest(db: Path, *group: str, env: dict[str, str] | None = None) -> Result:
    """`ironriver GROUP... ingest` of the OFAC example into a new store at `db`."""
    args = [*group, "ingest", str(MAPPING), "--db", str(db), "--as", "loader", "--reason", "t"]
    args += ["--principals", str(ROOT / "principals.yaml")]
    result = CliRunner().invoke(cli, args, env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def _json_lines(stderr: str) -> list[dict[str, Any]]:
    """Every non-empty line of `stderr`, each of which must be one JSON object."""
    lines = [line for line in stderr.splitlines() if line.strip()]
    objects = [json.loads(line) for line in lines]  # (fails on any line not JSON)
    assert objects and all(isinstance(o, dict) for o in objects)
    return objects


def test_progress_and_notes_are_json_lines_shaped_as_the_events(tmp_path: Path) -> None:
    """With --log-json at INFO, progress and notes sit among the events, in their shape."""
    result = _ingest(tmp_path / "x.db", "--log-json", "--log-level", "info", "--lang", "es")
    objects = _json_lines(result.stderr)
    progress = [o for o in objects if o["event"] == "progress"]
    notes = [o for o in objects if o["event"] == "note"]
    events = [o for o in objects if o["event"] not in {"progress", "note"}]
    assert len(progress) >= 3 and notes and events
    assert {"store.opened", "ingest.committed"} <= {e["event"] for e in events}
    for o in progress + notes:
        assert set(o) - {"elapsed_s"} == {"event", "level", "logger", "message", "timestamp"}
        assert o["level"] == "info" and isinstance(o["message"], str) and o["message"]
        assert o["timestamp"].endswith("Z") and len(o["timestamp"]) == len(events[0]["timestamp"])
    assert {o["logger"] for o in progress} == {"ironriver.progress"}
    elapsed = [o["elapsed_s"] for o in progress]
    assert all(isinstance(s, float | int) and s >= 0 for s in elapsed)
    assert elapsed == sorted(elapsed)
    messages = [o["message"] for o in progress]  # in the reader's language, as in text
    assert any(m.startswith("escribiendo ") and m.endswith(" afirmaciones") for m in messages)
    assert notes[0]["message"].startswith("Se creó un almacén nuevo en ")
    assert not result.stdout.startswith("{")  # (standard output is --json's, not ours)


def test_progress_is_shown_whatever_the_level_and_matches_the_text(tmp_path: Path) -> None:
    """IRONRIVER_LOG_FORMAT=json at ERROR: no event, but every progress step and note, the
    same ones as the text run prints, whose lines are as they were."""
    db_json, db_text = tmp_path / "json.db", tmp_path / "text.db"
    as_json = _ingest(db_json, "--log-level", "error", env={"IRONRIVER_LOG_FORMAT": "json"})
    objects = _json_lines(as_json.stderr.replace(str(db_json), "DB"))
    assert {o["event"] for o in objects} == {"progress", "note"}
    as_text = _ingest(db_text)
    stderr = as_text.stderr.replace(str(db_text), "DB")
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert not any(line.startswith("{") for line in lines)
    shown = [m for line in lines if (m := PROGRESS_LINE.match(line))]
    assert len(shown) >= 3
    assert all(re.match(r"^\[[ \d]{4}\d\.\ds\] \S", m.group(0)) for m in shown)  # `{:7.1f}`
    assert [m["message"] for m in shown] == [
        o["message"] for o in objects if o["event"] == "progress"
    ]
    sentences = [line for line in lines if not PROGRESS_LINE.match(line)]
    assert sentences[0] == "Created a new store at DB: there was none (check --db)."
    assert any(s.startswith("Note: ") for s in sentences)  # (the example's filters_not note)
    assert sentences == [o["message"] for o in objects if o["event"] == "note"]
