"""A PostgreSQL connection lost during an ingest or a ledger retraction (review R12 F5):
before the COMMIT the server rolls the transaction back, so nothing was written; during the
COMMIT itself no one can tell whether the server committed, and the error says so, how to
find out, and that the same command run again is safe, and what the write left for after its
commit is kept for the next command (real PostgreSQL store, real CLI through click's runner;
the loss is psycopg's own OperationalError raised at the dialect's commit or execute)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner
from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg

from ironriver.cli import cli
from ironriver.store.writer import Writer

LOST = "server closed the connection unexpectedly"


def _ingest(url: str, mapping: Path, *extra: str) -> tuple[int, str]:
    """The exit code and what it printed (with --json, standard output alone)."""
    done = CliRunner().invoke(
        cli, ["ingest", str(mapping), "--db", url, "--as", "us-atf-analyst", *extra]
    )
    return done.exit_code, done.stdout if "--json" in extra else done.output


def _ingest_events(url: str) -> list[dict[str, Any]]:
    done = CliRunner().invoke(cli, ["audit", "log", "--db", url, "--as", "auditor", "--json"])
    assert done.exit_code == 0, done.output
    return [e for e in json.loads(done.stdout) if e["action"] == "ingest"]


def _scratch(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*.parquet") if not p.name.startswith("part-")]


def _armed_after_the_writes(monkeypatch: pytest.MonkeyPatch) -> Callable[[], bool]:
    """Arm the fault once the ingest's transaction has written everything (`flush_tally`
    runs last before its commit); return a function that says, once, whether it is armed."""
    armed = [False]
    flush = Writer.flush_tally

    def flush_then_arm(self: Writer) -> None:
        flush(self)
        armed[0] = True

    monkeypatch.setattr(Writer, "flush_tally", flush_then_arm)

    def fire() -> bool:
        if armed[0]:
            armed[0] = False
            return True
        return False

    return fire


def test_a_connection_lost_in_the_commit_says_the_outcome_is_unknown(
    pg_url: str, sales_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The commit reached the server, then the connection broke before its answer came back:
    the ingest is in the store. The error said "nothing of this command was written"; it
    now says the outcome is unknown, to look with `audit log` / `datasets`, and that running
    the same ingest again is safe, which it is."""
    monkeypatch.chdir(tmp_path)  # (the new store's ledger folder)
    fire = _armed_after_the_writes(monkeypatch)
    commit = PGDialect_psycopg.do_commit

    def commit_then_lose(self: PGDialect_psycopg, dbapi_connection: Any) -> None:
        commit(self, dbapi_connection)
        if fire():
            raise psycopg.OperationalError(LOST)

    monkeypatch.setattr(PGDialect_psycopg, "do_commit", commit_then_lose)
    code, out = _ingest(pg_url, sales_dir / "sales.yaml")
    assert code == 1, out
    assert "while this command's write was being committed" in out and LOST in out
    assert "is not known" in out and "nothing of this command was written" not in out
    assert "ironriver audit log" in out and "Running the same ingest again is safe" in out
    assert "Traceback" not in out
    ledgers = tmp_path / "ironriver-ledgers"
    assert _scratch(ledgers)  # its ledger part kept under its scratch name, for recovery
    spanish = CliRunner().invoke(
        cli,
        ["--lang", "es", "ingest", str(sales_dir / "sales.yaml"), "--db", pg_url, "--as", "loader"],
    )
    assert spanish.exit_code == 1 and "no se sabe si el servidor" in spanish.output
    assert "Volver a ejecutar la misma carga es seguro" in spanish.output
    monkeypatch.undo()
    monkeypatch.chdir(tmp_path)
    first, _ = _ingest_events(pg_url)  # both were written, as `audit log` shows
    assert first["detail"]["statements_new"] > 0
    code, out = _ingest(pg_url, sales_dir / "sales.yaml", "--json")
    assert code == 0, out
    [again] = json.loads(out)
    assert again["statements_new"] == 0 and again["ledger_rows_new"] == 4  # nothing twice
    assert len(_ingest_events(pg_url)) == 3
    code, out = _ingest(pg_url, sales_dir / "sales.yaml", "--json")
    assert json.loads(out)[0]["ledger_rows_new"] == 0


def test_a_connection_lost_before_the_commit_still_says_nothing_was_written(
    pg_url: str, sales_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    armed = [False]
    flush = Writer.flush_tally

    def arm_then_flush(self: Writer) -> None:
        armed[0] = True  # the tally's write is the transaction's last statement
        flush(self)

    execute = PGDialect_psycopg.do_execute

    def lose(self: PGDialect_psycopg, cursor: Any, statement: str, *args: Any) -> None:
        if armed[0]:
            armed[0] = False
            raise psycopg.OperationalError(LOST)
        execute(self, cursor, statement, *args)

    monkeypatch.setattr(Writer, "flush_tally", arm_then_flush)
    monkeypatch.setattr(PGDialect_psycopg, "do_execute", lose)
    code, out = _ingest(pg_url, sales_dir / "sales.yaml")
    assert code == 1, out
    assert "was lost" in out and "nothing of this command was written" in out
    assert "is not known" not in out
    monkeypatch.undo()
    monkeypatch.chdir(tmp_path)
    assert _ingest_events(pg_url) == []
    assert not _scratch(tmp_path / "ironriver-ledgers")  # its ledger part discarded


def test_a_replace_whose_commit_is_lost_keeps_its_retraction_marker(
    pg_url: str, sales_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An ingest --replace whose commit is lost keeps the marker of the part it retracts (as
    its new part), so that if the commit happened the next command takes the replaced rows
    out of every read; it was discarded, and the replaced rows stayed readable."""
    from sales_fixtures import ROWS, write_csv  # type: ignore[import-not-found]

    monkeypatch.chdir(tmp_path)
    code, out = _ingest(pg_url, sales_dir / "sales.yaml")
    assert code == 0, out
    write_csv(sales_dir / "sales.csv", ROWS[:3])  # re-sent without T4
    fire = _armed_after_the_writes(monkeypatch)
    commit = PGDialect_psycopg.do_commit

    def commit_then_lose(self: PGDialect_psycopg, dbapi_connection: Any) -> None:
        commit(self, dbapi_connection)
        if fire():
            raise psycopg.OperationalError(LOST)

    monkeypatch.setattr(PGDialect_psycopg, "do_commit", commit_then_lose)
    code, out = _ingest(pg_url, sales_dir / "sales.yaml", "--replace")
    assert code == 1 and "is not known" in out, out
    assert list((tmp_path / "ironriver-ledgers").rglob("*.retract"))


def _retract(url: str, *extra: str) -> tuple[int, str]:
    done = CliRunner().invoke(
        cli,
        [
            *extra,
            *("retract", "--db", url, "--as", "us-atf-analyst", "--reason", "re-sent"),
            *("--ledger", "us_atf_dealer_sales/dealer_sales", "--file", "sales.csv"),
        ],
    )
    return done.exit_code, done.output


@pytest.mark.parametrize("committed", [True, False])
def test_a_ledger_retraction_whose_commit_is_lost_keeps_its_marker(
    pg_url: str,
    sales_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    committed: bool,
) -> None:
    """`retract --ledger` whose COMMIT loses the connection: the outcome is unknown, said as
    for an ingest (en+es), and its marker is kept. It was discarded, so a retraction the
    server did commit left its rows readable for good (its event named a marker no longer
    there). Now the next command to open the store finishes it if it was committed (its
    rows leave every read; retracting again finds none) and removes the marker if not (the
    rows stay; retracting again retracts them)."""
    import subprocess
    import sys

    import ironriver.store.ledger as ledger_module
    from ironriver.scratch import owner_tag

    monkeypatch.chdir(tmp_path)
    code, out = _ingest(pg_url, sales_dir / "sales.yaml")
    assert code == 0, out
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # the marker's owner: a process that has ended, as the command's will have
    dead = f"{owner_tag().rsplit('.', 1)[0]}.{gone.pid}"
    monkeypatch.setattr(ledger_module, "owner_tag", lambda: dead)
    fire = _armed_after_the_writes(monkeypatch)
    commit = PGDialect_psycopg.do_commit

    def lose_at_commit(self: PGDialect_psycopg, dbapi_connection: Any) -> None:
        armed = fire()
        if not armed or committed:
            commit(self, dbapi_connection)
        if armed:
            raise psycopg.OperationalError(LOST)

    monkeypatch.setattr(PGDialect_psycopg, "do_commit", lose_at_commit)
    code, out = _retract(pg_url)
    assert code == 1, out
    assert "while this command's write was being committed" in out and "is not known" in out
    assert "`ironriver audit log --action retract`" in out and "Traceback" not in out
    assert "Running the same retraction again is safe" in out
    [folder] = (tmp_path / "ironriver-ledgers").glob("*/us_atf_dealer_sales/dealer_sales")
    [marker] = folder.glob(".ironriver-stage-*.retract")  # kept, for the next command
    assert list(folder.glob("part-*.parquet"))  # not renamed yet either way
    # the next command finishes it (committed: its rows are out of every read, none left to
    # retract) or removes the marker (not: the rows are retracted, the COMMIT lost again)
    code, spanish = _retract(pg_url, "--lang", "es")
    assert not marker.exists()
    if committed:
        assert code == 4 and "que usted pueda ver" in spanish, spanish
        assert not list(folder.glob("part-*.parquet"))
        assert len(list(folder.glob("retracted-*.parquet"))) == 1
    else:
        assert code == 1 and "no se sabe si el servidor" in spanish, spanish
        assert "Volver a ejecutar el mismo retiro es seguro" in spanish
        assert list(folder.glob("part-*.parquet"))
    monkeypatch.undo()
    monkeypatch.chdir(tmp_path)
    code, out = _retract(pg_url)
    assert code == (4 if committed else 0), out
    events = CliRunner().invoke(cli, ["audit", "log", "--db", pg_url, "--as", "auditor", "--json"])
    assert [e["action"] for e in json.loads(events.stdout)].count("retract") == 1
    assert not list(folder.glob("part-*.parquet")) and not list(folder.glob("*.retract"))
    code, out = _retract(pg_url)
    assert code == 4 and "No rows of 'sales.csv' that you can see" in out, out
