"""The `ironriver` command end to end on a real SQLite store (click's CliRunner)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from ironriver.cli import cli
from ironriver.store import open_store
from samples import sample_db


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def test_reading_commands_never_make_a_store(tmp_path: Path) -> None:
    """A mistyped --db is an error, not a new empty store; another application's SQLite
    database is refused by every command, init and ingest included, and left as it was."""
    import sqlite3

    typo = tmp_path / "typo.db"
    for command in (["stats"], ["datasets"], ["audit", "verify"], ["search", "x", "--reason", "r"]):
        code, out = run(*command, "--db", str(typo), "--as", "us-atf-analyst")
        assert code == 2 and "There is no ironriver store at" in out, command
    assert not typo.exists() and not list(tmp_path.iterdir())
    app = tmp_path / "app.db"
    with sqlite3.connect(app) as con:
        con.execute("CREATE TABLE customers (id INTEGER)")
    before = app.read_bytes()
    for command in (["stats"], ["init"], ["audit", "verify"]):
        code, out = run(*command, "--db", str(app), "--as", "us-atf-analyst")
        assert code == 1 and "is a database of another application" in out, command
        assert "customers" in out
    assert app.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["app.db"]


def test_an_unknown_schema_is_an_error_not_no_match(tmp_path: Path) -> None:
    db = sample_db(tmp_path)
    for schema in ("persn", "Personas"):  # a typo must not read as "no such person"
        code, out = run("search", "perez", "--schema", schema, "--db", db, "--as", "us-atf-analyst")
        assert code == 2 and f"Unknown schema '{schema}'" in out
    code, out = run(
        "search", "perez", "--schema", "Person", "--db", db, "--as", "us-atf-analyst", "--json"
    )
    assert code == 0 and [h["entity_id"] for h in json.loads(out)] == ["p1"]


def test_init_writes_principals(tmp_path: Path) -> None:
    code, out = run(
        "init", "--db", str(tmp_path / "x.db"), "--principals-out", str(tmp_path / "p.yaml")
    )
    assert code == 0 and "Store ready" in out
    assert f"Read-audit log: {tmp_path / 'x.db.read-audit.sqlite'}" in out
    assert "us-atf-analyst" in (tmp_path / "p.yaml").read_text()


def test_init_makes_nothing_when_one_of_its_two_files_cannot_be_made(tmp_path: Path) -> None:
    """A --principals-out in a folder that does not exist fails before the store is made (it
    made the store, then failed); a store that cannot be made leaves no principals file."""
    db, principals = tmp_path / "x.db", tmp_path / "nope" / "p.yaml"
    code, out = run("init", "--db", str(db), "--principals-out", str(principals))
    assert code == 2 and "Check the path" in out
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "x.db").write_text("not a database", encoding="utf-8")
    code, out = run("init", "--db", str(db), "--principals-out", str(tmp_path / "p.yaml"))
    assert code != 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.db"]


def test_stats_differ_by_principal(tmp_path: Path) -> None:
    db = sample_db(tmp_path)
    _, us = run("stats", "--db", db, "--as", "us-atf-analyst", "--json")
    _, mx = run("stats", "--db", db, "--as", "mx-fgr-analista", "--json")
    us_data, mx_data = json.loads(us), json.loads(mx)
    assert us_data["statements_by_dataset"]["us_atf_traces"] == 7
    assert "us_atf_traces" not in mx_data["statements_by_dataset"]
    assert mx_data["entities_by_schema"]["Recovery"] == 1


def test_search_entity_export(tmp_path: Path) -> None:
    db = sample_db(tmp_path)
    code, out = run("search", "perez lopez", "--db", db, "--as", "us-atf-analyst", "--json")
    assert code == 0 and json.loads(out)[0]["entity_id"] == "p1"
    code, out = run("entity", "g1", "--db", db, "--as", "us-atf-analyst", "--json")
    data = json.loads(out)
    assert {n["entity_id"] for n in data["neighbours"]} == {"s1", "r1"}
    target = tmp_path / "out.jsonl"
    code, out = run("export", "--db", db, "--as", "mx-fgr-analista", "-o", str(target))
    # a Mexican principal reads its errors in Spanish
    assert code == 3 and "Toda exportación debe indicar su motivo" in out
    assert not target.exists()
    args = ("--as", "mx-fgr-analista", "--reason", "partner share", "-o", str(target))
    code, out = run("export", "--db", db, *args)
    assert code == 0
    ids = {json.loads(line)["id"] for line in target.read_text().splitlines()}
    assert ids == {"g1", "r1", "p2"}
    code, out = run("export", "--db", db, "--as", "us-cbp-officer")
    assert code == 3 and "may not export" in out and "export' role" in out


def test_audit_log_answers_an_auditors_questions(tmp_path: Path) -> None:
    """Who read this entity, what did this user do, since when: the newest matching events."""
    db = sample_db(tmp_path)
    run("entity", "g1", "--db", db, "--as", "us-atf-analyst", "--reason", "case 1")
    run("search", "perez", "--db", db, "--as", "mx-fgr-analista", "--reason", "caso 2")
    run("entity", "p1", "--db", db, "--as", "mx-fgr-analista", "--reason", "caso 2")

    def log(*args: str, auditor: str = "auditor") -> list[dict[str, Any]]:
        code, out = run("audit", "log", "--db", db, "--as", auditor, "--json", *args)
        assert code == 0, out
        return list(json.loads(out))

    who = log("--action", "read", "--target", "g1")
    assert [(e["actor"], e["reason"]) for e in who] == [("us-atf-analyst", "case 1")]
    mine = log("--actor", "mx-fgr-analista", auditor="mx-auditor")
    # its search (names and identifiers: one event) and its attempt to read p1, hidden from it
    assert [e["action"] for e in mine] == ["search", "read"]
    assert {e["agency"] for e in log("--agency", "fgr", auditor="mx-auditor")} == {"FGR"}
    # each country audits its own agencies (and the system's events): the US inspector
    # general does not read what Mexican analysts searched for, nor the reverse; an admin
    # reads all
    assert log("--actor", "mx-fgr-analista") == [] and log("--agency", "fgr") == []
    assert {e["agency"] for e in log()} <= {"ATF", "CBP", "HSI", "OIG", ""}
    assert {e["agency"] for e in log(auditor="mx-auditor")} <= {"FGR", "SEDENA", "CNI", "SABG", ""}
    assert {e["agency"] for e in log(auditor="loader")} >= {"ATF", "FGR"}
    code, out = run("audit", "log", "--db", db, "--as", "mx-auditor", "--agency", "atf")
    assert code == 0 and out.endswith("\nNingún evento de auditoría coincide.\n"), out
    assert "Usted lee los eventos de las dependencias de MX (CNI, FGR, SABG, SEDENA)" in out
    everything = log()
    newest = log("--limit", "2")  # the newest two, in time order
    assert newest == everything[-2:] and newest[0]["at"] <= newest[1]["at"]
    assert log("--since", "2000-01-01") == everything
    assert log("--until", "2000-01-01") == []
    code, out = run("audit", "log", "--db", db, "--as", "auditor", "--since", "last week")
    assert code == 2 and "--since 'last week' is not a date or time" in out
    code, out = run("audit", "log", "--db", db, "--as", "auditor", "--until", "2000-01-01")
    assert code == 0 and out.endswith("\nNo audit event matches.\n")  # not a bare header


def test_audit_log_says_when_actor_or_agency_is_not_in_the_principals_file(
    tmp_path: Path,
) -> None:
    """The only principal of an agency removed from the principals file: its events are an
    admin's to read, and an auditor asking for them is told so, as is a typo in --actor;
    no count of the hidden events is given (review R23 F9)."""
    import yaml

    from ironriver.policy import DEFAULT_PRINCIPALS_YAML

    db = sample_db(tmp_path)
    full = yaml.safe_load(DEFAULT_PRINCIPALS_YAML)
    full["principals"].append({"name": "dea-dan", "agency": "DEA", "country": "US"})
    full["principals"][-1]["roles"] = ["analyst"]
    before, after = tmp_path / "before.yaml", tmp_path / "after.yaml"
    before.write_text(yaml.safe_dump(full))
    full["principals"] = [p for p in full["principals"] if p["name"] != "dea-dan"]
    after.write_text(yaml.safe_dump(full))
    code, _ = run("search", "j", "--db", db, "--principals", str(before), "--as", "dea-dan")
    assert code == 0
    log = ("audit", "log", "--db", db, "--principals", str(after))
    code, out = run(*log, "--as", "loader", "--actor", "dea-dan", "--json")
    assert code == 0 and {e["actor"] for e in json.loads(out)} == {"dea-dan"}  # an admin's
    code, out = run(*log, "--as", "auditor", "--actor", "dea-dan")
    assert (
        code == 0
        and (
            "No audit event matches: no principal named dea-dan in the principals file. Check the "
            "name. Events of an agency no principal in the file belongs to any more"
        )
        in out
    )
    assert "an admin reads them." in out and not re.search(r"\d+ event", out)
    code, out = run(*log, "--as", "auditor", "--agency", "dea")
    assert "no principal of agency DEA in the principals file" in out
    code, out = run("--lang", "es", *log, "--as", "auditor", "--actor", "dea-dann")
    assert "no hay ningún usuario llamado dea-dann en el archivo de usuarios" in out
    code, out = run(*log, "--as", "loader", "--actor", "dea-dann")  # an admin's typo
    assert out.endswith(
        "no principal named dea-dann in the principals file. Check the name; events of a "
        "principal since removed keep its name.\n"
    )
    code, out = run(*log, "--as", "auditor", "--actor", "us-atf-analyst", "--until", "2000-01-01")
    assert out.endswith("\nNo audit event matches.\n")  # a principal of the file: as before


def test_audit_verify_and_tamper(tmp_path: Path) -> None:
    db = sample_db(tmp_path)
    run("entity", "g1", "--db", db, "--as", "us-atf-analyst", "--reason", "case 1")
    code, out = run("audit", "verify", "--db", db)
    assert code == 0 and "intact" in out and "reads chain: 3" in out
    code, out = run("audit", "verify", "--db", db, "--json")
    assert json.loads(out)["chains"] == {"writes": 1, "reads": 3}  # read, statements, neighbours
    code, out = run("audit", "log", "--db", db, "--as", "auditor", "--json")
    events = json.loads(out)
    assert any(
        e["reason"] == "case 1" and e["action"] == "read" and e["chain"] == "reads" for e in events
    )
    assert [e["chain"] for e in events] == ["writes", "reads", "reads", "reads"]
    assert all("seq" not in e and "hash" not in e for e in events)  # one country's auditor
    code, out = run("audit", "log", "--db", db, "--as", "auditor")
    assert code == 0 and out.splitlines()[1].split()[:2] == ["chain", "at"]
    code, out = run("audit", "log", "--db", db, "--as", "loader")  # an admin: events whole
    assert code == 0 and out.splitlines()[0].split()[:2] == ["chain", "seq"]
    code, out = run("audit", "log", "--db", db, "--as", "us-atf-analyst")
    assert code == 3 and "may not read the audit log" in out and "'auditor' role" in out
    store = open_store(f"sqlite:///{db}")
    with store.audit.read_engine().begin() as conn:
        conn.execute(text("DROP TRIGGER audit_read_no_update"))
        conn.execute(text("UPDATE audit_read_events SET reason = 'nothing' WHERE action = 'read'"))
    store.close()
    code, out = run("audit", "verify", "--db", db)
    assert code == 5 and "TAMPERED" in out and "reads chain: event 1 was edited" in out


def test_exports_are_byte_identical_across_processes(tmp_path: Path) -> None:
    """FtM builds an entity's lists from sets, whose order follows the process's string hash
    seed: the export sorts them, so the same visible statements give the same bytes."""
    import os
    import subprocess
    import sys

    from ironriver.policy.markings import Marking
    from ironriver.store import DatasetInfo
    from samples import table

    db = sample_db(tmp_path)
    many = DatasetInfo("us_hsi_cases", "HSI", "US", Marking.AMBER, frozenset({"US", "MX"}))
    aliases = [("p9", "Individual", "alias", a) for a in ("El Güero", "Chapo", "Z-40", "Tío")]
    rows = [("p9", "Individual", "name", "Ramón Núñez"), *aliases]
    store = open_store(f"sqlite:///{db}")
    with store.writer() as w:
        w.ensure_dataset(many)
        w.add_statements(table(many.name, rows), many.name, many.label)
    store.close()
    outputs = []
    for seed in ("1", "2", "3"):
        out = tmp_path / f"export-{seed}.jsonl"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        args = ["export", "--db", db, "--as", "us-atf-analyst", "-o", str(out), "--reason", "r"]
        subprocess.run(
            [sys.executable, "-m", "ironriver.cli", *args], env=env, check=True, capture_output=True
        )
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1] == outputs[2]
    p9 = next(json.loads(line) for line in outputs[0].splitlines() if b'"p9"' in line)
    assert p9["properties"]["alias"] == sorted(a[3] for a in aliases)


def test_one_search_box_finds_identifiers_first_then_names(tmp_path: Path) -> None:
    db = sample_db(tmp_path)
    args = ("--db", db, "--as", "us-atf-analyst", "--reason", "r", "--json")
    _, out = run("search", "abc-123", *args)  # a serial as typed: case and dashes ignored
    hits = json.loads(out)
    assert [h["entity_id"] for h in hits] == ["g1"] and hits[0]["matched"] == "ABC123"
    _, out = run("search", "perez lopez", *args)  # names as before
    assert json.loads(out)[0]["entity_id"] == "p1"
    _, out = run("search", "ABC123", "--schema", "Sale", *args)  # the schema filter holds
    assert json.loads(out) == []
    _, out = run("search", "perez", "--identifier", *args)  # identifiers only
    assert json.loads(out) == []


def test_a_search_writes_one_audit_event(tmp_path: Path) -> None:
    """One search, one event: the hits' datasets come with the hits (no second, audited read
    of them), and the search box's identifier and name searches are one `search` (its detail:
    the hits shown, and how many an identifier found); `--identifier` is `search-identifier`."""
    db = sample_db(tmp_path)
    store = open_store(f"sqlite:///{db}")
    try:
        for query, options, action, detail in [
            ("perez", [], "search", {"schema": None, "hits": 1, "identifier_hits": 0}),
            ("ABC123", [], "search", {"schema": None, "hits": 1, "identifier_hits": 1}),
            ("abc123", ["--identifier"], "search-identifier", {"schema": None, "hits": 1}),
            ("zzzz", [], "search", {"schema": None, "hits": 0, "identifier_hits": 0}),
        ]:
            before = len(list(store.audit.events()))
            code, out = run(
                "search", query, *options, "--db", db, "--as", "us-atf-analyst", "--reason", "r"
            )
            assert code == 0, out
            events = list(store.audit.events())[before:]
            assert [(e.action, e.target, e.reason, e.detail) for e in events] == [
                (action, query, "r", detail)
            ], query
    finally:
        store.close()


def test_a_search_says_how_many_hits_it_leaves_out_and_how_to_see_them(tmp_path: Path) -> None:
    """R14: `search gonzalez` showed 20 of 216 hits and said nothing of the rest. A search
    whose hits fill --limit says how many it found in all (what --limit that many shows),
    in the reader's language; one showing every hit says nothing more."""
    db = sample_db(tmp_path)
    args = ("--db", db, "--as", "us-atf-analyst", "--reason", "r")
    everything = CliRunner().invoke(cli, ["search", "j", *args, "--json"])
    assert [h["entity_id"] for h in json.loads(everything.stdout)] == ["p2", "p1"]
    assert "shown" not in everything.stderr
    result = CliRunner().invoke(cli, ["search", "j", *args, "--limit", "1"])
    assert result.exit_code == 0 and "p2" in result.stdout and "p1" not in result.stdout
    assert "1 of 2 hits shown; more with --limit 2." in result.stderr
    result = CliRunner().invoke(cli, ["--lang", "es", "search", "j", *args, "--limit", "1"])
    assert "Resultados mostrados: 1 de 2; vea más con --limit 2." in result.stderr
    result = CliRunner().invoke(cli, ["search", "j", *args, "--limit", "2"])
    assert "shown" not in result.stderr


def test_a_search_without_hits_says_so_and_an_empty_one_is_refused(tmp_path: Path) -> None:
    db = sample_db(tmp_path)
    args = ("--db", db, "--as", "us-atf-analyst", "--reason", "r")
    result = CliRunner().invoke(cli, ["search", "zzzz", *args])
    assert result.exit_code == 0 and result.stdout == ""
    assert "No match among the entities you may see." in result.stderr
    # records kept only in ledgers (a plate read, a sale) are not searched: a fixed hint says
    # where they are read, in the reader's language, naming no ledger
    hint = "`ironriver ledger DATASET --where COLUMN=VALUE`; `ironriver ledgers` lists"
    assert hint in result.stderr and "us_atf" not in result.stderr
    result = CliRunner().invoke(cli, ["--lang", "es", "search", "KFG89B9", *args])
    assert result.exit_code == 0 and result.stdout == ""
    assert "Ninguna coincidencia entre las entidades que usted puede ver." in result.stderr
    assert "`ironriver ledger CONJUNTO_DE_DATOS --where COLUMNA=VALOR`" in result.stderr

    def events() -> int:
        store = open_store(f"sqlite:///{db}")
        try:
            return len(list(store.audit.events()))
        finally:
            store.close()

    before = events()
    result = CliRunner().invoke(cli, ["search", "  ", *args])
    assert result.exit_code == 2 and "Nothing to search for" in result.output
    assert events() == before  # refused before any read, so nothing audited
    result = CliRunner().invoke(cli, ["entity", "", *args])
    assert result.exit_code == 2 and "No entity to show: ENTITY_ID is empty." in result.output
    assert events() == before


def test_entity_shows_a_page_of_neighbours_and_says_how_many(tmp_path: Path) -> None:
    db = sample_db(tmp_path)
    args = ("entity", "g1", "--db", db, "--as", "us-atf-analyst", "--reason", "r")
    _, out = run(*args, "--json")
    everything = json.loads(out)
    assert everything["neighbours_total"] == len(everything["neighbours"]) == 2
    code, out = run(*args, "--neighbours", "1")
    assert code == 0 and "1 to 1 of 2 links shown; the next with --neighbours-from 2." in out
    _, out = run(*args, "--neighbours", "1", "--json")
    page = json.loads(out)
    assert page["neighbours"] == everything["neighbours"][:1] and page["neighbours_total"] == 2
    # the next page, as the note says (review R32 F2: the hint asked for them all)
    code, out = run(*args, "--neighbours", "1", "--neighbours-from", "2")
    assert code == 0 and "2 to 2 of 2 links shown." in out
    _, out = run(*args, "--neighbours", "1", "--neighbours-from", "2", "--json")
    page = json.loads(out)
    assert page["neighbours"] == everything["neighbours"][1:] and page["neighbours_total"] == 2
    _, out = run(*args, "--neighbours-from", "3", "--json")
    assert json.loads(out)["neighbours"] == []
    code, out = run(*args, "--neighbours", "0")
    assert code == 0 and "None of the 2 links shown; show them with --neighbours N" in out
    code, out = run("--lang", "es", *args, "--neighbours", "1")
    assert "Vínculos mostrados: 1 a 1 de 2; vea los siguientes con --neighbours-from 2." in out


def test_statement_exports_are_read_back_by_ftm(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--format statements` is FtM's statement CSV: FtM reads it back into the entities
    the entity export holds; `--format parquet` holds the same statements."""
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq
    from followthemoney.dataset import Dataset
    from followthemoney.statement import StatementEntity
    from followthemoney.statement.serialize import read_csv_statements

    from ironriver.model import get_model

    get_model()
    db = sample_db(tmp_path)
    args = ("--db", db, "--as", "us-atf-analyst", "--reason", "partner share")
    for fmt, name in (("ftm", "e.jsonl"), ("statements", "s.csv"), ("parquet", "s.parquet")):
        code, out = run("export", "--format", fmt, "-o", str(tmp_path / name), *args)
        assert code == 0, out
    assert "Exported 12 statements to" in out
    entities = {
        e["id"]: e["properties"]
        for e in map(json.loads, (tmp_path / "e.jsonl").read_text().splitlines())
    }
    # (in memory: FtM's reader leaves its text wrapper around the file open)
    read = list(read_csv_statements(io.BytesIO((tmp_path / "s.csv").read_bytes())))
    by_entity: dict[str, list[Any]] = {}
    for stmt in read:
        by_entity.setdefault(stmt.entity_id, []).append(stmt)
    dataset = Dataset({"name": "partner", "title": "partner"})
    rebuilt = {
        eid: {
            p: sorted(v) for p, v in StatementEntity.from_statements(dataset, s).properties.items()
        }
        for eid, s in by_entity.items()
    }
    assert rebuilt == entities
    parquet = pq.read_table(tmp_path / "s.parquet")
    assert sorted(parquet.column("id").to_pylist()) == sorted(s.id for s in read)
    assert set(parquet.column("marking").to_pylist()) == {"AMBER"}
    # standard output redirected to a file or a pipe takes Parquet; a terminal does not
    piped = CliRunner().invoke(cli, ["export", "--format", "parquet", *args])
    assert piped.exit_code == 0, piped.output
    assert pq.read_table(pa.BufferReader(piped.stdout_bytes)).equals(parquet)
    monkeypatch.setattr("ironriver.cli_export._to_terminal", lambda: True)
    code, out = run("export", "--format", "parquet", *args)
    assert code == 2 and "Pass -o FILE.parquet" in out


def test_init_prints_json(tmp_path: Path) -> None:
    code, out = run(
        "init",
        "--db",
        str(tmp_path / "x.db"),
        "--principals-out",
        str(tmp_path / "p.yaml"),
        "--json",
    )
    assert code == 0
    assert json.loads(out) == {
        "store": f"sqlite:///{tmp_path / 'x.db'}",
        "principals_written": str(tmp_path / "p.yaml"),
        "read_audit_file": str(tmp_path / "x.db.read-audit.sqlite"),
        "ledger_dir": str(tmp_path / "x.db.ledgers"),
    }
    again = ("--db", str(tmp_path / "x.db"), "--principals-out", str(tmp_path / "p.yaml"))
    code, out = run("init", *again, "--json")  # the file is there: not written again
    assert code == 0 and json.loads(out)["principals_written"] is None


def test_a_locked_store_and_a_lost_connection_are_clear_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another writer holding the SQLite store past the busy timeout, or a database server
    gone mid-command, was a traceback: now a store error (exit 1) saying nothing was written."""
    import sqlite3

    from sqlalchemy.exc import OperationalError

    from ironriver.errors import from_store_error

    db = sample_db(tmp_path)
    holder = sqlite3.connect(db, timeout=0)
    holder.execute("BEGIN IMMEDIATE")  # another writer, mid-transaction
    try:
        monkeypatch.setenv("IRONRIVER_BUSY_TIMEOUT", "0.2")
        code, out = run(
            "retract", "g1", "--prop", "make", "--db", db, "--as", "loader", "--reason", "r"
        )
    finally:
        holder.rollback()
        holder.close()
    assert code == 1 and "stayed locked by another writer" in out and "Traceback" not in out
    assert "IRONRIVER_BUSY_TIMEOUT" in out
    lost = OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"))
    found = from_store_error(lost)
    assert found is not None and "connection to the store's database was lost" in found.message
    assert from_store_error(OperationalError("x", {}, Exception("no such table: t"))) is None
    assert from_store_error(ValueError("database is locked")) is None  # only the store's errors


def test_entity_table_reads_featured_properties_first(tmp_path: Path) -> None:
    db = sample_db(tmp_path)
    code, out = run("entity", "g1", "--db", db, "--as", "us-atf-analyst", "--reason", "r")
    assert code == 0
    statements = out.split("\n\n")[0].splitlines()[3:]  # the neighbours' table follows
    rows = [line.split()[0] for line in statements]
    # Firearm's featured order: serial number, make, then caliber (model is not stated)
    assert rows == ["Serial", "Serial", "Make", "Caliber"]  # stated by two agencies


def test_lost_read_audit_file_is_restarted_by_an_admin(tmp_path: Path) -> None:
    db = sample_db(tmp_path)
    Path(f"{db}.read-audit.sqlite").unlink()
    code, out = run("entity", "g1", "--db", db, "--as", "us-atf-analyst")
    assert code == 5 and "is missing" in out and "restart-reads" in out
    code, out = run("audit", "verify", "--db", db)
    assert code == 5 and "reads chain: the read-audit file" in out
    code, out = run("audit", "restart-reads", "--db", db, "--as", "auditor", "--reason", "lost")
    assert code == 3 and "'admin' role" in out
    code, out = run("audit", "restart-reads", "--db", db, "--as", "loader", "--reason", "lost")
    assert code == 0 and "New read-audit file" in out
    args = ("--as", "auditor", "--json", "--agency", "OIG", "--action", "read-chain-start")
    code, out = run("audit", "log", "--db", db, *args)
    assert [(e["actor"], e["agency"]) for e in json.loads(out)] == [("loader", "OIG")]
    assert run("entity", "g1", "--db", db, "--as", "us-atf-analyst")[0] == 0
    code, out = run("audit", "verify", "--db", db)  # the loss stays on the record
    assert code == 5 and "AUDIT LOG TAMPERED (1 problem):" in out
    assert "by loader: 'lost') started a new reads chain, abandoning the one" in out


def test_verify_reports_a_read_audit_file_tampered_with(tmp_path: Path) -> None:
    """A dropped table of the read-audit file is tampering (exit 5), not a traceback."""
    import sqlite3

    db = sample_db(tmp_path)
    run("entity", "g1", "--db", db, "--as", "us-atf-analyst", "--reason", "case 1")
    with sqlite3.connect(f"{db}.read-audit.sqlite") as conn:
        conn.execute("DROP TABLE audit_read_head")
    conn.close()
    code, out = run("audit", "verify", "--db", db)
    assert code == 5 and "AUDIT LOG TAMPERED (1 problem):" in out
    assert "has no audit_read_head table (it was dropped)" in out


def test_verify_says_what_to_do_about_chain_findings(tmp_path: Path) -> None:
    """An edited writes-chain event, and a read-audit file that ends before an anchored read
    (tampering, or a backup that copied the file before the store): each says what to do,
    the latter how to tell the two apart (review R23 F7)."""
    import shutil
    import sqlite3

    db = sample_db(tmp_path)
    run("entity", "g1", "--db", db, "--as", "us-atf-analyst", "--reason", "case 1")
    shutil.copy(f"{db}.read-audit.sqlite", tmp_path / "early-copy.sqlite")  # the wrong order
    run("entity", "g1", "--db", db, "--as", "us-atf-analyst", "--reason", "case 2")
    assert run("audit", "checkpoint", "--db", db, "--as", "auditor")[0] == 0
    shutil.copy(tmp_path / "early-copy.sqlite", f"{db}.read-audit.sqlite")
    code, out = run("audit", "verify", "--db", db)
    assert code == 5 and "the read-audit file is older than the store" in out
    assert "What to do:" in out and "tell your security officer" in out
    assert "copied before the store (the wrong order" in out and "put a later copy" in out
    code, out = run("--lang", "es", "audit", "verify", "--db", db)
    assert code == 5 and "Qué hacer:" in out and "copiado antes que el almacén" in out
    with sqlite3.connect(db) as conn:
        conn.execute("DROP TRIGGER audit_no_update")
        conn.execute("UPDATE audit_events SET reason = 'other' WHERE seq = 2")
    conn.close()
    code, out = run("audit", "verify", "--db", db, "--json")
    advice = json.loads(out)["advice"]
    assert code == 5 and advice[0].startswith("Writes chain: its events were changed")
    assert "restore the store from that backup" in advice[0]


def test_audit_checkpoint_anchors_the_reads(tmp_path: Path) -> None:
    db = sample_db(tmp_path)
    run("entity", "g1", "--db", db, "--as", "us-atf-analyst", "--reason", "case 1")
    code, out = run("audit", "verify", "--db", db)
    assert code == 0 and "Reads anchored in the writes chain: 0 of 3." in out
    assert "The 3 newest are not yet" in out and "audit checkpoint" in out
    code, out = run("audit", "checkpoint", "--db", db, "--as", "us-atf-analyst")
    assert code == 3 and "'auditor' role" in out
    code, out = run("audit", "checkpoint", "--db", db, "--as", "auditor", "--reason", "nightly")
    assert (
        code == 0 and out.strip() == "Reads chain anchored at read event 3 by writes-chain event 2."
    )
    code, out = run("audit", "verify", "--db", db, "--json")
    assert json.loads(out)["anchored"] == 3
    code, out = run("audit", "verify", "--db", db)
    assert "Reads anchored in the writes chain: 3 of 3." in out and "newest" not in out


def test_unknown_principal_is_a_clear_error(tmp_path: Path) -> None:
    db = sample_db(tmp_path)
    code, out = run("stats", "--db", db, "--as", "nobody")
    assert code == 2
    assert "Unknown principal 'nobody'" in out and "Known principals" in out


def test_ingest_only_own_agency(tmp_path: Path) -> None:
    csv = tmp_path / "guns.csv"
    csv.write_text("serie,marca\nABC123,Glock\n", encoding="utf-8")
    mapping = tmp_path / "m.yaml"
    mapping.write_text(
        "mx_fgr_armas:\n  agency: FGR\n  country: MX\n  marking: AMBER\n"
        "  releasable_to: [MX, US]\n  queries:\n  - csv_url: guns.csv\n    entities:\n"
        "      arma:\n        schema: Firearm\n        keys: [serie]\n        properties:\n"
        "          serialNumber: {column: serie}\n          make: {column: marca}\n",
        encoding="utf-8",
    )
    db = str(tmp_path / "i.db")
    code, out = run("ingest", str(mapping), "--db", db, "--as", "us-atf-analyst")
    assert code == 3 and "belongs to FGR" in out
    code, out = run("ingest", str(mapping), "--db", db, "--as", "mx-sedena-analista")
    assert code == 3
    code, out = run("ingest", str(mapping), "--db", db, "--as", "mx-fgr-analista")
    assert code == 0, out
    code, out = run("search", "abc123", "--identifier", "--db", db, "--as", "us-cbp-officer")
    assert code == 0 and "ABC123" in out
    code, out = run("ingest", str(mapping), "--db", db, "--as", "loader")
    assert code == 0 and "0 new statements" in out
    assert "ledger rows" not in out  # the mapping gives no ledger rows: not mentioned


def test_ledgers_and_datasets_follow_releasability(tmp_path: Path) -> None:
    (tmp_path / "sales.csv").write_text(
        "txn,fecha,serial\nT1,01/02/2024,ABC1\nT2,03/02/2024,ABC2\n", encoding="utf-8"
    )
    mapping = tmp_path / "sales.yaml"
    mapping.write_text(
        "us_atf_sales:\n  agency: ATF\n  country: US\n  marking: AMBER\n"
        "  releasable_to: [US]\n  queries:\n  - csv_url: sales.csv\n    ledger:\n"
        "      name: dealer_sales\n      columns:\n"
        "        txn: {column: txn, type: string, required: true}\n"
        '        sold: {column: fecha, type: date, format: "%d/%m/%Y"}\n'
        "        serial: {column: serial, type: string}\n",
        encoding="utf-8",
    )
    db = str(tmp_path / "l.db")
    code, out = run("ingest", str(mapping), "--db", db, "--as", "us-atf-analyst")
    assert code == 0, out
    assert "2 records, 2 new ledger rows (2 produced)." in out and "statements" not in out
    _, us = run("ledgers", "--db", db, "--as", "us-cbp-officer", "--json")
    assert json.loads(us) == [
        {"dataset": "us_atf_sales", "ledger": "dealer_sales", "visible_ledger_rows": 2}
    ]
    _, mx = run("ledgers", "--db", db, "--as", "mx-fgr-analista", "--json")
    assert json.loads(mx) == []
    _, ds = run("datasets", "--db", db, "--as", "mx-fgr-analista", "--json")
    assert json.loads(ds) == []
    _, ds = run("datasets", "--db", db, "--as", "us-cbp-officer", "--json")
    assert json.loads(ds)[0]["visible_ledger_rows"] == 2


def test_eval_strategy_reproduces_the_paper() -> None:
    code, out = run("eval", "strategy", "--json")
    assert code == 0
    rows = json.loads(out)
    assert len(rows) == 6 and all(r["ok"] for r in rows)


def test_eval_world_fails_loudly_on_a_miss(tmp_path: Path) -> None:
    # A tiny world is too small for every figure to land in tolerance: the command must say
    # so with a non-zero exit, not pass silently.
    code, _ = run(
        "world", "generate", "--scale", "0.002", "--seed", "5", "--out", str(tmp_path / "w")
    )
    assert code == 0
    code, out = run("eval", "world", "--world", str(tmp_path / "w"), "--json")
    rows = json.loads(out.split("\n]")[0] + "\n]")
    measured = [r for r in rows if r["ok"] is not None]
    assert measured
    assert code == (1 if any(r["ok"] is False for r in measured) else 0)


def test_retract_hides_and_is_audited(tmp_path: Path) -> None:
    db = sample_db(tmp_path)
    args = ["retract", "g1", "--prop", "make", "--db", db]
    code, out = run(*args, "--as", "us-atf-analyst")
    assert code == 2 and "--reason" in out
    code, out = run(*args, "--reason", "typo", "--as", "auditor")  # no ingest role
    assert code == 3 and "auditor may not retract statements" in out
    for command in (["search", "glock", "--reason", "audit"], ["datasets"], ["stats"]):
        code, out = run(*command, "--db", db, "--as", "auditor")  # no analyst role: no data
        assert code == 3 and "auditor may not read the store" in out
    code, out = run(*args, "--reason", "typo", "--as", "mx-fgr-analista")  # cannot see it
    assert code == 4 and "Ninguna afirmación de 'g1'" in out
    code, out = run(*args, "--reason", "typo", "--as", "us-atf-analyst")  # ATF's own
    assert code == 0 and "Retracted 1 statement of g1" in out and "Glock" in out
    _, out = run("entity", "g1", "--db", db, "--as", "us-atf-analyst", "--json")
    assert "make" not in json.loads(out)["entity"]["properties"]
    code, out = run("audit", "log", "--db", db, "--as", "auditor", "--json")
    assert [e["reason"] for e in json.loads(out) if e["action"] == "retract"] == ["typo"]


def test_full_disk_is_a_clear_error_and_nothing_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite runs out of room in the middle of an ingest's copy (a page limit stands in for
    the disk): exit code 6, a message saying what to do, the store as it was."""
    from sqlalchemy import event

    import ironriver.store.dialect as dialect
    from ironriver.cli_world import world

    out = tmp_path / "w"
    assert (
        CliRunner()
        .invoke(world, ["generate", "--scale", "0.002", "--seed", "3", "--out", str(out)])
        .exit_code
        == 0
    )
    db = sample_db(tmp_path)
    store = open_store(f"sqlite:///{db}")
    before, events = store.statement_count(), store.audit.count()
    pages = store.engine.connect().exec_driver_sql("PRAGMA page_count").scalar_one()
    store.close()
    real = dialect.configure_engine

    def tight(engine: Any, busy_timeout_s: float = 120.0) -> None:
        real(engine, busy_timeout_s)

        @event.listens_for(engine, "connect")
        def _limit(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.execute(f"PRAGMA max_page_count={pages + 2}")

    monkeypatch.setattr(dialect, "configure_engine", tight)
    mapping = next(out.glob("agencies/sedena/mapping.yaml"))
    code, output = run("ingest", str(mapping), "--db", db, "--as", "loader")
    assert code == 6, output
    assert "The disk is full" in output and "Free disk space" in output
    monkeypatch.setattr(dialect, "configure_engine", real)
    store = open_store(f"sqlite:///{db}")
    assert store.statement_count() == before and store.audit.count() == events
    assert store.audit.verify().ok
    store.close()
    assert not list(Path(db).parent.glob(".*.stage-*"))


def test_export_to_a_bad_path_is_clear_and_a_good_one_is_whole(tmp_path: Path) -> None:
    db = sample_db(tmp_path)
    code, out = run("export", "--db", db, "--as", "loader", "-o", str(tmp_path / "no" / "x.jsonl"))
    assert code == 2 and "Cannot write" in out and "folder that exists" in out
    target = tmp_path / "all.jsonl"
    assert run("export", "--db", db, "--as", "loader", "--reason", "t", "-o", str(target))[0] == 0
    assert len(target.read_text(encoding="utf-8").splitlines()) == 5  # p1, p2, g1, s1, r1
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")] == []


def test_a_path_that_cannot_be_written_is_a_clear_error(tmp_path: Path) -> None:
    chart = tmp_path / "missing" / "x.png"
    code, out = run(
        "strategy", "run", "--scenario", "status-quo", "--years", "1", "--chart", str(chart)
    )
    assert code == 2, out
    assert f"Cannot use {chart}: No such file or directory" in out and "folder must exist" in out
    # in Spanish, the system's own (English) text of the problem is translated too
    code, out = run(
        "--lang", "es", "strategy", "run", "--scenario", "status-quo", "--years", "1",
        "--chart", str(chart),
    )  # fmt: skip
    assert code == 2, out
    assert f"No se puede usar {chart}: No existe el archivo o la carpeta." in out, out


def test_an_empty_view_says_so_in_the_readers_language(tmp_path: Path) -> None:
    db = str(tmp_path / "empty.db")
    open_store(f"sqlite:///{db}").close()
    said = {}
    for command in ("datasets", "ledgers", "stats"):
        result = CliRunner().invoke(cli, [command, "--db", db, "--as", "mx-fgr-analista"])
        assert result.exit_code == 0 and result.stdout == "", result.output
        said[command] = result.stderr.strip()
    assert said == {
        "datasets": "No hay ningún conjunto de datos que usted pueda ver.",
        "ledgers": "No hay ningún libro de registro que usted pueda ver.",
        "stats": "Todavía no puede ver nada: no hay ninguna afirmación que usted pueda ver.",
    }
    result = CliRunner().invoke(cli, ["datasets", "--db", db, "--as", "mx-fgr-analista", "--json"])
    assert json.loads(result.stdout) == []  # programs still get their (empty) JSON


@pytest.mark.parametrize(
    "args",
    [
        ["world", "generate", "--scale", "0"],
        ["world", "generate", "--years", "0"],
        ["world", "generate", "--scale", "0.01", "--decapitation", "9999"],
        ["strategy", "run", "--years", "0"],
        ["strategy", "run", "--interdiction", "2"],
        ["strategy", "run", "--recruitment", "-1"],
        ["strategy", "run", "--split", "bogus"],
        ["strategy", "run", "--split", "Nobody:2@1", "--years", "1"],
        ["strategy", "run", "--split", "CJNG:3@999", "--years", "1"],
        ["strategy", "run", "--runs", "-1", "--years", "1"],
        ["strategy", "run", "--years", "1", "--chart", "{tmp}/x.gif"],
    ],
)
def test_a_wrong_option_value_exits_2(args: list[str], tmp_path: Path) -> None:
    # these exited 1 (a rejected input), where `search --limit 0` exits 2 (configuration)
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    if args[0] == "world":
        args += ["--out", str(tmp_path / "w")]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert "Error" in result.output and "Traceback" not in result.output


def test_export_reports_statements_a_conflicting_schema_lacks(tmp_path: Path) -> None:
    """An id typed Person by one line and Company by another: its FtM entity (a Company)
    cannot hold the birth date; the export says so (summary and --json), `entity` too, and
    the statement export keeps it."""
    db = tmp_path / "c.db"
    lines = [
        {"id": "p1", "schema": "Person", "properties": {"name": ["Pat"], "birthDate": ["1990"]}},
        {"id": "p1", "schema": "Company", "properties": {"name": ["Pat Inc"]}},
    ]
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    owner = ("--agency", "ATF", "--country", "US", "--marking", "AMBER")
    code, out = run("ingest", "--db", str(db), "--entities", str(src), "--dataset", "us_atf_c",
                    *owner, "--as", "loader", "--reason", "r")  # fmt: skip
    assert code == 0, out
    args = ("--db", str(db), "--as", "us-atf-analyst", "--reason", "r")
    code, out = run("export", *args, "-o", str(tmp_path / "o.jsonl"))
    assert code == 0
    assert "1 entity has statements of schemata that cannot be one entity" in out
    assert (
        "p1: exported as Company (its statements: Company, Person); left out: Birth date (1)" in out
    )
    code, out = run("export", *args, "-o", str(tmp_path / "o2.jsonl"), "--json")
    [conflict] = json.loads(out)["schema_conflicts"]
    assert conflict["entity_id"] == "p1" and [s["prop"] for s in conflict["left_out"]] == [
        "birthDate"
    ]
    code, out = run("entity", "p1", *args)
    assert "shown as Company, whose entity lacks Birth date (1)" in out and "1990" in out
    code, out = run("export", *args, "--format", "statements", "-o", str(tmp_path / "s.csv"))
    assert code == 0 and "3 statements" in out


def test_errors_under_json_are_json_on_stdout(tmp_path: Path) -> None:
    """With --json a program reads the error too: one JSON document on standard output
    (kind, exit code, message, what to do), the person's text on standard error."""
    db = sample_db(tmp_path)
    args = ["entity", "nope", "--db", db, "--as", "us-atf-analyst", "--reason", "r"]
    result = CliRunner().invoke(cli, [*args, "--json"], catch_exceptions=False)
    assert result.exit_code == 4
    error = json.loads(result.stdout)["error"]
    assert error["kind"] == "NotFound" and error["exit_code"] == 4
    assert "nope" in error["message"] and error["message"] in result.stderr
    plain = CliRunner().invoke(cli, args, catch_exceptions=False)  # the same process after
    assert plain.exit_code == 4 and plain.stdout == "" and "nope" in plain.stderr
    spanish = CliRunner().invoke(cli, ["--lang", "es", *args, "--json"])
    assert json.loads(spanish.stdout)["error"]["message"].startswith("No ")


def test_tables_separate_thousands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Counts in tables are written as messages write them (151,686), not 151686."""
    from ironriver.policy.view import Counts, View

    db = sample_db(tmp_path)
    monkeypatch.setattr(
        View,
        "counts",
        lambda self: Counts({"Person": 151686}, {"us_atf_traces": 1234567}, {"x": 1}),
    )
    code, out = run("stats", "--db", db, "--as", "us-atf-analyst")
    assert code == 0 and "151,686" in out and "1,234,567" in out


def test_a_command_closes_its_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The store a command opens is closed with it (on PostgreSQL an unclosed one was a
    ResourceWarning in every in-process run)."""
    from ironriver.store import Store

    db = sample_db(tmp_path)
    closed: list[str] = []
    close = Store.close

    def recording(self: Store) -> None:
        closed.append(self.engine.url.database or "")
        close(self)

    monkeypatch.setattr(Store, "close", recording)
    for args in (["stats"], ["datasets"], ["search", "perez"]):
        code, out = run(*args, "--db", db, "--as", "us-atf-analyst")
        assert code == 0, out
    assert closed == [db] * 3


def test_the_audit_log_table_says_each_action_and_time_for_its_reader(tmp_path: Path) -> None:
    """R10: a Spanish reader saw API names (search, read-chain-start) and microseconds of
    UTC; the table now says each action's meaning and the time to the second, in UTC. The
    JSON keeps the names and the stored time."""
    db = sample_db(tmp_path)
    assert run("search", "garcia", "--db", db, "--as", "mx-fgr-analista", "--reason", "r")[0] == 0
    code, es = run("--lang", "es", "audit", "log", "--db", db, "--as", "mx-auditor")
    assert code == 0 and "search (buscar)" in es
    rows = [line for line in es.splitlines() if "search (buscar)" in line]
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", rows[0])
    assert not re.search(r"\d\d:\d\d:\d\d\.\d", es)  # no microseconds
    code, en = run("--lang", "en", "audit", "log", "--db", db, "--as", "mx-auditor")
    assert " search " in en and "(buscar)" not in en
    code, out = run("audit", "log", "--db", db, "--as", "mx-auditor", "--json")
    searched = [e for e in json.loads(out) if e["action"] == "search"]
    assert searched and "T" in searched[0]["at"]


def test_a_search_that_counts_past_its_cap_says_more_than_and_the_limit_to_ask() -> None:
    """Counting stops `SEARCH_COUNT_TO` past the limit (`View.find_page`): the note then says
    "more than" that many, and a --limit that shows more than it does now."""
    from ironriver.cli_read import _more_note
    from ironriver.i18n import use_lang
    from ironriver.policy import SearchHit, SearchPage

    page = SearchPage([SearchHit("p1", "Person", "Ana", "Ana")], 1_021, False)
    with use_lang("en"):
        assert _more_note(page) == (
            "1 of more than 1,021 hits shown; more with --limit 1021, or make the search "
            "narrower (--schema, more words)."
        )
    with use_lang("es"):
        assert _more_note(page).startswith("Resultados mostrados: 1 de más de 1,021;")
