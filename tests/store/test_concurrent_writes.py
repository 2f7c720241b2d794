"""Writes at once on a PostgreSQL store (two ingests of one node), interleaved on purpose;
and what a write the database cancelled says. (SQLite writers take turns: BEGIN IMMEDIATE.)"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from ironriver.errors import from_store_error
from ironriver.policy import AccessLabel, Marking, View
from ironriver.store import DatasetInfo, Store, Writer, open_store
from ironriver.store.dialect import configure_engine
from samples import ATF, table

ONE = DatasetInfo("us_atf_one", "ATF", "US", Marking.AMBER, frozenset({"US"}))
TWO = DatasetInfo("us_atf_two", "ATF", "US", Marking.AMBER, frozenset({"US"}))


def _both(first: Callable[[Writer], None], second: Callable[[Writer], None], store: Store) -> None:
    """Run `first` and `second`, each in a write of its own, in two threads at once;
    raise what either raised."""
    errors: list[BaseException] = []

    def write(step: Callable[[Writer], None]) -> None:
        try:
            with store.writer() as w:
                step(w)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(step,)) for step in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads)
    if errors:
        raise errors[0]


def _tally_is_a_scan(store: Store) -> bool:
    with store.engine.connect() as conn:
        tally = conn.execute(text("SELECT dataset_id, label_id, n FROM statement_tally")).all()
        scan = conn.execute(
            text(
                "SELECT dataset_id, label_id, count(*) FROM statements WHERE NOT retracted "
                "GROUP BY dataset_id, label_id"
            )
        ).all()
    return {tuple(r) for r in tally if r[2]} == {tuple(r) for r in scan}


def test_two_writes_meeting_new_rows_in_opposite_orders_both_commit(
    pg_url: str, tmp_path: Path
) -> None:
    """Two ingests each met a new property, label and source file in its first batch and
    the other's in its second: each registered its own inside its long transaction, so each
    waited for the other's uncommitted rows, and PostgreSQL failed one (DeadlockDetected,
    "while inserting index tuple in relation props"). Now dictionary rows are committed at
    once, on a connection of their own: both writes commit."""
    store = open_store(pg_url, ledger_dir=tmp_path / "ledgers")
    try:
        for info in (ONE, TWO):
            store.ensure_dataset(info)
        red = AccessLabel("ATF", "US", Marking.RED, frozenset({"US"}))
        green = AccessLabel("ATF", "US", Marking.GREEN, frozenset({"US", "MX"}))
        kinds = [("religion", red, "a.csv"), ("political", green, "b.csv")]
        first_done = threading.Barrier(2, timeout=20)

        def ingest(
            info: DatasetInfo, order: list[tuple[str, AccessLabel, str]]
        ) -> Callable[[Writer], None]:
            def step(w: Writer) -> None:
                for n, (prop, label, source) in enumerate(order):
                    rows = [(f"{info.name}_{n}", "Person", prop, "x")]
                    batch = table(info.name, rows).drop_columns(["source_ref"])
                    w.add_statements(batch, info.name, label, source=source)
                    if n == 0:  # both hold their first batch's rows, uncommitted
                        first_done.wait()

            return step

        _both(ingest(ONE, kinds), ingest(TWO, kinds[::-1]), store)
        view = View(store, ATF, reason="r")
        assert view.counts().statements_by_dataset == {ONE.name: 2, TWO.name: 2}
        with store.engine.connect() as conn:
            for name in ("props", "labels", "sources"):
                count = conn.execute(text(f"SELECT count(*) FROM {name}")).scalar()
                assert count == 2, name  # each registered once
        assert _tally_is_a_scan(store)
    finally:
        store.close()


def test_two_writes_into_one_dataset_overlapping_in_key_order_both_commit(
    pg_url: str, tmp_path: Path
) -> None:
    """Two ingests into one dataset: the second's first batch holds statements the first
    meets in its second batch. The first updated the dataset's statement tally after each
    batch, holding that row until its commit: the second waited there, the first then
    waited for the second's statements, and PostgreSQL failed one. The tally is now updated
    once, at the end of each write."""
    store = open_store(pg_url, ledger_dir=tmp_path / "ledgers")
    try:
        with store.writer() as w:  # its label, property and tally row: stored already
            w.ensure_dataset(ONE)
            w.add_statements(
                table(ONE.name, [("0", "Person", "name", "Cero")]), ONE.name, ONE.label
            )
        early = [(f"a{i}", "Person", "name", f"Ana {i}") for i in range(3)]
        late = [(f"m{i}", "Person", "name", f"Marta {i}") for i in range(3)]
        first_batch, second_batch = threading.Event(), threading.Event()

        def first(w: Writer) -> None:
            w.add_statements(table(ONE.name, early), ONE.name, ONE.label)
            first_batch.set()
            second_batch.wait(3)  # (before the fix the second never got there)
            w.add_statements(table(ONE.name, late), ONE.name, ONE.label)

        def second(w: Writer) -> None:
            assert first_batch.wait(20)
            w.add_statements(table(ONE.name, late), ONE.name, ONE.label)
            second_batch.set()

        _both(first, second, store)
        view = View(store, ATF, reason="r")
        assert view.counts().statements_by_dataset == {ONE.name: 7}
        assert _tally_is_a_scan(store)
    finally:
        store.close()


@pytest.mark.parametrize(
    ("error", "sqlstate"),
    [("deadlock detected", "DeadlockDetected"), ("could not serialize", "SerializationFailure")],
)
def test_a_write_the_database_cancelled_is_a_clean_error(error: str, sqlstate: str) -> None:
    """A deadlock or serialization failure reaching the CLI was a traceback: now a store
    error (exit 1) saying nothing was written and to run the command again, in English and
    Spanish."""
    import psycopg.errors

    orig = getattr(psycopg.errors, sqlstate)(f"{error}\nDETAIL:  Process 1 waits for ...")
    found = from_store_error(OperationalError("INSERT INTO props ...", {}, orig))
    assert found is not None and found.exit_code == 1
    assert f"conflicted with this one ({error})" in found.message
    assert "nothing of this command was written" in found.message
    assert found.hint is not None and "Run the command again" in found.hint
    spanish = found.render("es")
    assert "no se escribió nada de este comando" in spanish and "de nuevo" in spanish
    other = psycopg.errors.UniqueViolation("duplicate key")
    assert from_store_error(OperationalError("x", {}, other)) is None


def test_the_cli_says_so_and_exits_1(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What the hunt saw: the ingest cancelled by a deadlock printed a traceback."""
    from contextlib import contextmanager

    import psycopg.errors
    from click.testing import CliRunner

    from ironriver.cli import cli

    @contextmanager
    def cancelled(self: Store, stage: object = None) -> Iterator[Writer]:
        orig = psycopg.errors.DeadlockDetected("deadlock detected")
        raise OperationalError("INSERT INTO props ...", {}, orig)
        yield  # (a generator: what `Store.writer` is)

    monkeypatch.setattr(Store, "writer", cancelled)
    entities = tmp_path / "e.jsonl"
    entities.write_text('{"id": "p1", "schema": "Person", "properties": {"name": ["Ana"]}}\n')
    args = ["ingest", "--entities", str(entities), "--dataset", "mx_fgr_e", "--agency", "FGR"]
    args += ["--country", "MX", "--db", str(tmp_path / "s.db"), "--as", "loader"]
    for lang, said in (("en", "nothing of this command was written"), ("es", "no se escribió")):
        result = CliRunner().invoke(cli, ["--lang", lang, *args])
        assert result.exit_code == 1 and said in result.output, result.output
        assert "Traceback" not in result.output


def test_a_connection_switching_a_new_file_to_wal_waits_for_a_writer(tmp_path: Path) -> None:
    """A new file is in rollback-journal mode until a first connection switches it to WAL.
    A connection switching it while another holds a write transaction there got "database
    is locked" at once (SQLite skips the busy handler for that upgrade): several processes
    opening a new store together failed now and then. It now waits for the writer."""
    path = tmp_path / "new.db"
    writer = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    writer.execute("CREATE TABLE t (a)")
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT INTO t VALUES (1)")
    commit = threading.Timer(0.3, lambda: writer.execute("COMMIT"))
    engine = create_engine(f"sqlite:///{path}")
    configure_engine(engine, busy_timeout_s=10)
    started = time.monotonic()
    commit.start()
    try:
        with engine.connect() as conn:
            mode = conn.exec_driver_sql("PRAGMA journal_mode").scalar_one()
            rows = conn.exec_driver_sql("SELECT count(*) FROM t").scalar_one()
    finally:
        commit.join()
        engine.dispose()
        writer.close()
    assert (mode, rows) == ("wal", 1)  # it waited for the commit, then switched
    assert time.monotonic() - started >= 0.25
