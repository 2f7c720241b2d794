"""A store's ledger folder: beside a SQLite file; recorded by a server database's store
(`ironriver.store.ledger_folder`), so that every command finds it from any folder."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text

from conftest import backend_url
from ironriver.store import open_store

CBP = "us-cbp-officer"


@pytest.fixture(autouse=True)
def _no_ledger_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("IRONRIVER_LEDGERS", "IRONRIVER_DB", "IRONRIVER_AS", "IRONRIVER_PRINCIPALS"):
        monkeypatch.delenv(name, raising=False)


def run(*args: str) -> tuple[int, str]:
    """The exit code and standard output (a JSON document with --json) of a command, run
    in a process of its own in the current folder (as a person runs it: the CLI leaves its
    store's connections to the process's end)."""
    done = subprocess.run(
        [sys.executable, "-m", "ironriver", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
        timeout=300,
    )
    return done.returncode, done.stdout if done.returncode == 0 else done.stdout + done.stderr


def _keyed(folder: Path, name: str, rows: list[str]) -> Path:
    """A mapping of one CSV file (`name`) into the keyed ledger `crossings` (key: folio)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text("folio,monto\n" + "".join(f"{r}\n" for r in rows), "utf-8")
    path = folder / f"{name}.yaml"
    path.write_text(
        "us_cbp_x:\n  agency: CBP\n  country: US\n  marking: AMBER\n  releasable_to: [US]\n"
        f"  queries:\n  - csv_url: {name}\n    ledger:\n      name: crossings\n"
        "      key: folio\n      columns:\n        folio: folio\n"
        "        monto: {column: monto, type: float}\n",
        encoding="utf-8",
    )
    return path


def _ingest(mapping: Path, db: str) -> dict[str, object]:
    code, out = run("ingest", str(mapping), "--db", db, "--as", "loader", "--json")
    assert code == 0, out
    document = json.loads(out)
    return dict(document[0] if isinstance(document, list) else document)


def _home(folder: Path, url: str) -> Path:
    """A new server store's default ledger folder, run from `folder`: its own, named after
    its database (in schema `public`)."""
    return folder / "ironriver-ledgers" / str(make_url(url).database)


def _recorded(url: str) -> list[tuple[str, str]]:
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT name, value FROM store_settings")).all()
    engine.dispose()
    return [(str(n), str(v)) for n, v in rows]


def test_a_server_store_finds_its_ledgers_from_any_folder(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A PostgreSQL store's ledgers went to `./ironriver-ledgers` of wherever the command
    ran: from another folder the same store showed no ledgers, and a keyed ledger appended
    again the keys it held. The store now records the folder its first open made absolute."""
    here, elsewhere = tmp_path / "a", tmp_path / "b"
    monkeypatch.chdir(tmp_path)
    first = _ingest(_keyed(here, "week1.csv", ["A1,10", "A2,20"]), pg_url)
    assert first["ledger_rows_new"] == 2
    folder = _home(tmp_path, pg_url)
    assert _recorded(pg_url) == [("ledger_dir", str(folder))]
    assert list(folder.rglob("part-*.parquet"))
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    code, out = run("ledgers", "--db", pg_url, "--as", CBP, "--json")
    assert code == 0 and json.loads(out) == [
        {"dataset": "us_cbp_x", "ledger": "crossings", "visible_ledger_rows": 2}
    ]
    code, out = run("datasets", "--db", pg_url, "--as", CBP, "--json")
    [dataset] = [d for d in json.loads(out) if d["dataset"] == "us_cbp_x"]
    assert code == 0 and dataset["visible_ledger_rows"] == 2
    again = _ingest(_keyed(elsewhere, "week2.csv", ["A1,10", "A2,20", "A3,30"]), pg_url)
    assert (again["ledger_rows_produced"], again["ledger_rows_new"]) == (3, 1)
    assert not (elsewhere / "ironriver-ledgers").exists()
    assert len(list(folder.rglob("part-*.parquet"))) == 2


def test_a_given_ledger_folder_wins_and_is_recorded(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """IRONRIVER_LEDGERS (or `open_store(ledger_dir=...)`) is the folder, recorded for the
    commands run without it; an open that writes nothing (`audit verify`) records nothing."""
    monkeypatch.chdir(tmp_path)
    open_store(pg_url).close()  # a new store: ./ironriver-ledgers/<database>, made absolute
    assert _recorded(pg_url) == [("ledger_dir", str(_home(tmp_path, pg_url)))]
    moved = tmp_path / "srv" / "ledgers"
    monkeypatch.setenv("IRONRIVER_LEDGERS", str(moved))
    code, out = run("audit", "verify", "--db", pg_url)
    assert code == 0, out
    assert _recorded(pg_url) == [("ledger_dir", str(_home(tmp_path, pg_url)))]
    assert _ingest(_keyed(tmp_path, "w.csv", ["A1,10"]), pg_url)["ledger_rows_new"] == 1
    assert _recorded(pg_url) == [("ledger_dir", str(moved))]
    assert list(moved.rglob("part-*.parquet"))
    monkeypatch.delenv("IRONRIVER_LEDGERS")
    store = open_store(pg_url, create=False)
    assert store.ledger_dir == moved
    store.close()


def test_a_given_folder_cannot_re_point_a_store_whose_ledgers_exist(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Any user could re-point every user's ledgers with IRONRIVER_LEDGERS (review R7: ATF's
    rows vanished from ATF's view and CBP's next ingest wrote into the user's own folder).
    While the recorded folder exists a different one is refused and nothing is recorded or
    written; once the folder was moved (a file-system act), giving its new place records it."""
    monkeypatch.chdir(tmp_path)
    assert _ingest(_keyed(tmp_path, "w.csv", ["A1,10"]), pg_url)["ledger_rows_new"] == 1
    home = _home(tmp_path, pg_url)
    assert _recorded(pg_url) == [("ledger_dir", str(home))] and list(home.rglob("part-*"))
    mine = tmp_path / "mine"
    monkeypatch.setenv("IRONRIVER_LEDGERS", str(mine))
    code, out = run("ledgers", "--db", pg_url, "--as", CBP, "--json")
    assert code == 2, out
    assert str(home) in out and "IRONRIVER_LEDGERS" in out and "Traceback" not in out
    code, out = run(
        "ingest", str(_keyed(tmp_path, "x.csv", ["B2,20"])), "--db", pg_url, "--as", "loader"
    )
    assert code == 2, out
    assert _recorded(pg_url) == [("ledger_dir", str(home))]
    assert not mine.exists()
    moved = tmp_path / "srv" / "moved"
    moved.parent.mkdir()
    home.rename(moved)
    monkeypatch.setenv("IRONRIVER_LEDGERS", str(moved))
    code, out = run("ledgers", "--db", pg_url, "--as", CBP, "--json")
    assert code == 0, out
    assert _recorded(pg_url) == [("ledger_dir", str(moved))]
    monkeypatch.delenv("IRONRIVER_LEDGERS")
    code, out = run("ledgers", "--db", pg_url, "--as", CBP, "--json")
    assert code == 0 and json.loads(out), out


def test_a_sqlite_stores_ledgers_stay_beside_its_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A SQLite store records no folder: its ledgers are beside its file, so moving the two
    together keeps them, whatever the current folder."""
    db = tmp_path / "s.db"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert _ingest(_keyed(tmp_path, "w.csv", ["A1,10"]), str(db))["ledger_rows_new"] == 1
    assert list((tmp_path / "s.db.ledgers").rglob("part-*.parquet"))
    assert _recorded(f"sqlite:///{db}") == []
    moved = tmp_path / "moved"
    moved.mkdir()
    for path in tmp_path.glob("s.db*"):
        path.rename(moved / path.name)
    store = open_store(str(moved / "s.db"), create=False)
    assert store.ledger_dir == moved / "s.db.ledgers"
    store.close()
    code, out = run("ledgers", "--db", str(moved / "s.db"), "--as", CBP, "--json")
    assert code == 0 and json.loads(out)[0]["visible_ledger_rows"] == 1


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_migration_0009_and_an_older_store_audit_verify_opens_as_it_is(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A store of 0008 (before `store_settings`): `audit verify` opens it as it is, writing
    nothing (no table made, no folder recorded); any other open upgrades it, and a server
    store then records its folder."""
    from alembic import command
    from sqlalchemy import inspect

    from ironriver.store import dialect
    from ironriver.store.store import _alembic_config

    monkeypatch.chdir(tmp_path)
    url = backend_url(backend, tmp_path / "old.db", request)
    open_store(url, ledger_dir=tmp_path / "given").close()
    engine = create_engine(url, **dialect.engine_options(url))
    dialect.configure_engine(engine)
    with dialect.write_transaction(engine) as conn:
        command.downgrade(_alembic_config(conn), "0008")
    assert "store_settings" not in inspect(engine).get_table_names()
    engine.dispose()
    code, out = run("audit", "verify", "--db", url)
    assert code == 0, out
    engine = create_engine(url, **dialect.engine_options(url))
    assert "store_settings" not in inspect(engine).get_table_names()
    engine.dispose()
    store = open_store(url, create=False)  # upgrades it
    assert store.ledger_dir == (
        tmp_path / "ironriver-ledgers" if backend == "postgresql" else tmp_path / "old.db.ledgers"
    )
    store.close()
    expected = [("ledger_dir", str(tmp_path / "ironriver-ledgers"))]
    assert _recorded(url) == (expected if backend == "postgresql" else [])


@contextmanager
def _other_database(pg_url: str, *, copy: bool) -> Iterator[str]:
    """The URL of a database made beside the test database (named after it and this
    process; with `copy`, a `CREATE DATABASE ... TEMPLATE` copy of it, which needs the test
    database without connections), dropped after. Made from `postgres`.

    The test database is this worker's own, so any session still on it when it is copied is
    a command's closed connection whose server process has not yet exited (PostgreSQL waits
    for such only 5 s, less than a loaded host may need: once seen as a flaky failure, "source
    database is being accessed by other users"): those are ended first."""
    url = make_url(pg_url)
    name = f"{url.database}_v{os.getpid()}_ledger_folder".lower()
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    quoted = admin.dialect.identifier_preparer.quote
    like = f" TEMPLATE {quoted(str(url.database))}" if copy else ""
    try:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {quoted(name)} WITH (FORCE)"))
            if copy:
                conn.execute(
                    text(
                        "SELECT pg_terminate_backend(pid, 30000) FROM pg_stat_activity "
                        "WHERE datname = :db AND pid <> pg_backend_pid()"
                    ),
                    {"db": url.database},
                )
            conn.execute(text(f"CREATE DATABASE {quoted(name)}{like}"))
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {quoted(name)} WITH (FORCE)"))
        admin.dispose()


def _rows(db: str) -> tuple[int, list[object] | str]:
    code, out = run("ledgers", "--db", db, "--as", CBP, "--json")
    return code, json.loads(out) if code == 0 else out


def test_two_server_stores_made_from_one_folder_do_not_share_ledgers(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Review R12: two stores first opened from one folder both recorded its
    `./ironriver-ledgers`, so one store's `ledgers` listed the other's rows. A new store's
    folder is now its own (`./ironriver-ledgers/<database>`, which `init` prints), and a
    folder given to a second store is refused: its marker names the first."""
    monkeypatch.chdir(tmp_path)
    with _other_database(pg_url, copy=False) as other:
        code, out = run("init", "--db", pg_url)
        assert code == 0 and f"Ledger folder: {_home(tmp_path, pg_url)}" in out, out
        code, out = run("init", "--db", other, "--json")
        assert code == 0 and json.loads(out)["ledger_dir"] == str(_home(tmp_path, other)), out
        assert _ingest(_keyed(tmp_path, "w.csv", ["A1,10"]), pg_url)["ledger_rows_new"] == 1
        assert _rows(pg_url) == (
            0,
            [{"dataset": "us_cbp_x", "ledger": "crossings", "visible_ledger_rows": 1}],
        )
        assert _rows(other) == (0, [])
        marker = json.loads((_home(tmp_path, pg_url) / ".ironriver-store").read_text())
        assert marker == {"database": make_url(pg_url).database, "schema": "public"}
        monkeypatch.setenv("IRONRIVER_LEDGERS", str(_home(tmp_path, pg_url)))
        code, out = _rows(other)
        assert code == 2 and "Traceback" not in str(out), out
        assert f"belongs to another store, database {make_url(pg_url).database}" in str(out)
        assert _recorded(other) == [("ledger_dir", str(_home(tmp_path, other)))]


def test_a_template_copy_of_a_server_store_gets_a_folder_of_its_own(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Review R12: a `CREATE DATABASE b TEMPLATE a` copy kept a's record and wrote its parts
    into a's folder (a's `ledgers` then showed rows it never ingested), and pointing it at
    a copy of the folder was refused. Every open of the copy is now refused (reads too)
    until it is given a folder of its own, which it then records; a store's own folder
    still cannot be re-pointed."""
    monkeypatch.chdir(tmp_path)
    home = _home(tmp_path, pg_url)
    assert _ingest(_keyed(tmp_path, "w.csv", ["A1,10"]), pg_url)["ledger_rows_new"] == 1
    parts = sorted(home.rglob("part-*.parquet"))
    with _other_database(pg_url, copy=True) as copy:
        assert _recorded(copy) == [("ledger_dir", str(home))]
        code, out = _rows(copy)
        assert code == 2 and str(home) in str(out) and "IRONRIVER_LEDGERS" in str(out), out
        code, out = run(
            "ingest", str(_keyed(tmp_path, "x.csv", ["B2,20"])), "--db", copy, "--as", "loader"
        )
        assert code == 2, out
        assert sorted(home.rglob("part-*.parquet")) == parts
        copied = tmp_path / "copied"
        shutil.copytree(home, copied)
        monkeypatch.setenv("IRONRIVER_LEDGERS", str(copied))
        assert _rows(copy) == (
            0,
            [{"dataset": "us_cbp_x", "ledger": "crossings", "visible_ledger_rows": 1}],
        )
        assert _recorded(copy) == [("ledger_dir", str(copied))]
        monkeypatch.delenv("IRONRIVER_LEDGERS")
        again = _ingest(_keyed(tmp_path, "x.csv", ["A1,10", "B2,20"]), copy)
        assert again["ledger_rows_new"] == 1
        assert sorted(home.rglob("part-*.parquet")) == parts
        assert len(list(copied.rglob("part-*.parquet"))) == 2
        assert _rows(pg_url) == (
            0,
            [{"dataset": "us_cbp_x", "ledger": "crossings", "visible_ledger_rows": 1}],
        )
        monkeypatch.setenv("IRONRIVER_LEDGERS", str(tmp_path / "elsewhere"))
        code, out = _rows(copy)  # (its own folder, which holds ledgers: not re-pointed)
        assert code == 2 and "keeps its ledgers in" in str(out), out


def test_a_server_store_in_another_schema_has_a_folder_of_its_own(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two stores in one database, one per schema, made from one folder: each has its own
    folder (`<database>`, `<database>.<schema>`), and neither opens the other's."""
    monkeypatch.chdir(tmp_path)
    schema, database = "ledger_folder_fgr", str(make_url(pg_url).database)
    engine = create_engine(pg_url)
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        other = f"{pg_url}?options=-csearch_path%3D{schema}"
        assert _ingest(_keyed(tmp_path, "w.csv", ["A1,10"]), pg_url)["ledger_rows_new"] == 1
        code, out = run("init", "--db", other, "--json")
        own = tmp_path / "ironriver-ledgers" / f"{database}.{schema}"
        assert code == 0 and json.loads(out)["ledger_dir"] == str(own), out
        assert _rows(other) == (0, [])
        monkeypatch.setenv("IRONRIVER_LEDGERS", str(_home(tmp_path, pg_url)))
        code, out = _rows(other)
        assert code == 2 and f"database {database} (schema public)" in str(out), out
        assert f"(database {database}, schema {schema})" in str(out)
    finally:
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        engine.dispose()


def test_the_refusal_speaks_spanish(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The refusal of another store's folder, and what to do, in Spanish too."""
    monkeypatch.chdir(tmp_path)
    open_store(pg_url).close()
    marker = _home(tmp_path, pg_url) / ".ironriver-store"
    marker.write_text(json.dumps({"database": "otra", "schema": "public"}), encoding="utf-8")
    monkeypatch.setenv("IRONRIVER_LANG", "es")
    code, out = _rows(pg_url)
    assert code == 2, out
    assert "pertenece a otro almacén, la base de datos otra (esquema public)" in str(out)
    assert "Dé a este almacén una carpeta propia" in str(out)


def test_a_recorded_folder_is_in_use_unless_gone_or_its_marker_alone(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`_in_use`, as its docstring says: a given folder replaces the recorded one when that
    one holds its marker alone (claimed before any ledger was written), not when it is empty
    (no marker: not what this store left) nor when it holds more."""
    from ironriver.errors import ConfigError

    monkeypatch.chdir(tmp_path)
    open_store(pg_url).close()  # a new store: its folder claimed, its marker alone
    home = _home(tmp_path, pg_url)
    assert [p.name for p in home.iterdir()] == [".ironriver-store"]
    (home / ".ironriver-store").unlink()  # empty: in use
    with pytest.raises(ConfigError, match="This store keeps its ledgers in"):
        open_store(pg_url, ledger_dir=tmp_path / "other")
    assert _recorded(pg_url) == [("ledger_dir", str(home))]
    open_store(pg_url).close()  # (claimed again: its marker alone)
    open_store(pg_url, ledger_dir=tmp_path / "other").close()  # re-pointed
    assert _recorded(pg_url) == [("ledger_dir", str(tmp_path / "other"))]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_audit_verify_names_the_stores_folder_for_a_given_one_absent_or_empty(
    backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    """`audit verify` given a folder (IRONRIVER_LEDGERS) that does not exist, or is empty,
    while the store's own (recorded, or beside a SQLite file) holds its ledgers, says so,
    naming that folder, as other commands do; it listed every part as missing, exit 5 (review
    R23 F5). A given folder holding a copy of the ledgers is checked as before."""
    monkeypatch.chdir(tmp_path)
    url = backend_url(backend, tmp_path / "s.db", request)
    _ingest(_keyed(tmp_path, "w.csv", ["A1,10"]), url)
    own = tmp_path / "s.db.ledgers" if backend == "sqlite" else _home(tmp_path, url)
    assert list(own.rglob("part-*.parquet"))
    (tmp_path / "empty").mkdir()
    for given, state in (("nowhere", "which does not exist"), ("empty", "which is empty")):
        monkeypatch.setenv("IRONRIVER_LEDGERS", str(tmp_path / given))
        code, out = run("audit", "verify", "--db", url)
        assert code == 2, out
        assert f"This store keeps its ledgers in {own}, not in {tmp_path / given}" in out
        assert state in out and "is missing" not in out
    assert not (tmp_path / "nowhere").exists()
    shutil.copytree(own, tmp_path / "copied")
    monkeypatch.setenv("IRONRIVER_LEDGERS", str(tmp_path / "copied"))
    code, out = run("audit", "verify", "--db", url)
    assert code == 0 and "Ledger parts intact: 1 part" in out, out
