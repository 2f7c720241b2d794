"""`ingest_mapping(..., replace=True)` (`ironriver ingest --replace`): a corrected re-send of a
file retracts what the earlier load of that file made and the new one no longer makes,
statements and ledger parts, in the load's transaction. On SQLite and PostgreSQL (`store`)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sales_fixtures import sales_ledger  # type: ignore[import-not-found]
from sqlalchemy import select

from ironriver.errors import AccessDenied
from ironriver.i18n import msg, render
from ironriver.ingest import ingest_mapping
from ironriver.policy import Principal, View
from ironriver.store import Store, tables
from ironriver.store.audit_chain import READS, WRITES
from ironriver.store.audit_verify import VerifyResult, verify_ledger_parts
from ironriver.store.ledger_records import recover_parts

ATF_LOADER = Principal("atf-loader", "ATF", "US", frozenset({"ingest"}))
ATF_ANALYST = Principal("atf-analyst", "ATF", "US", frozenset({"analyst"}))
CBP_LOADER = Principal("cbp-loader", "CBP", "US", frozenset({"ingest"}))


def _sales(tmp: Path, file: str, rows: str, *, key: bool = False) -> Path:
    """The file's sales and their buyers, released to the US only; the mapping's path."""
    return sales_ledger(tmp, file, rows, key=key, releasable="US", buyers=True)


def _load(
    store: Store, tmp: Path, file: str, rows: str, *, key: bool = False, **kw: object
) -> object:
    mapping = _sales(tmp, file, rows, key=key)
    principal = kw.pop("principal", ATF_LOADER)
    assert isinstance(principal, Principal)
    return ingest_mapping(store, mapping, actor=principal.name, principal=principal, **kw)  # type: ignore[arg-type]


def _names(store: Store) -> list[str]:
    """The standing (not retracted) name statements, whoever may see them."""
    s, p = tables.statements.c, tables.props.c
    query = (
        select(s.value)
        .join(tables.props, p.id == s.prop_id)
        .where(p.prop == "name", s.retracted.is_(False))
    )
    with store.engine.connect() as conn:
        return sorted(conn.execute(query).scalars())


def _rows(store: Store) -> list[tuple[str, str]]:
    relation = View(store, ATF_ANALYST, audit=False).ledger("sales")
    return sorted(relation.project("txn, pid").fetchall())


def _folder(store: Store) -> Path:
    return store.ledger_dir / "us_atf_sales" / "sales"


@pytest.mark.parametrize("key", [False, True])
def test_a_corrected_resend_replaces_what_the_earlier_load_made(
    store: Store, tmp_path: Path, key: bool
) -> None:
    _load(store, tmp_path, "enero.csv", "T1,p1,ANA\nT2,p2,GONZALES\n", key=key)
    _load(store, tmp_path, "febrero.csv", "T3,p3,LUIS\n", key=key)
    assert _names(store) == ["ANA", "GONZALES", "LUIS"]
    # the re-send: GONZALES corrected, T2's row too, and a row added
    result = _load(
        store,
        tmp_path,
        "enero.csv",
        "T1,p1,ANA\nT2,p2,GONZALEZ\nT4,p4,EVA\n",
        key=key,
        replace=True,
        reason="corrected re-send",
    )
    assert _names(store) == ["ANA", "EVA", "GONZALEZ", "LUIS"]  # febrero's untouched
    assert _rows(store) == [("T1", "p1"), ("T2", "p2"), ("T3", "p3"), ("T4", "p4")]
    [replaced] = result.replaced  # type: ignore[attr-defined]
    assert (replaced.dataset, replaced.file, replaced.ledger_rows) == (
        "us_atf_sales",
        "enero.csv",
        2,
    )
    assert len(replaced.statements) == 1  # GONZALES; ANA and the entities' ids stay
    assert replaced.sha256_old != replaced.sha256_new and replaced.sha256_old
    assert len(list(_folder(store).glob("retracted-*.parquet"))) == 1
    [event] = [e for e in store.audit.events() if e.action == "retract"]
    assert event.reason == "corrected re-send" and event.actor == "atf-loader"
    [told] = event.detail["replaced"]
    assert (told["file"], told["statements"], told["ledger_rows"]) == ("enero.csv", 1, 2)
    assert told["sha256_old"] == replaced.sha256_old
    assert not list(_folder(store).glob(".ironriver-stage-*"))
    checked = verify_ledger_parts(VerifyResult(True, 0, ()), store.engine, store.ledger_dir)
    assert checked.ledger_parts == 3 and not checked.ledger_problems  # the replaced one too
    # the same file again with --replace: nothing more to retract, nothing added
    again = _load(
        store,
        tmp_path,
        "enero.csv",
        "T1,p1,ANA\nT2,p2,GONZALEZ\nT4,p4,EVA\n",
        key=key,
        replace=True,
    )
    assert [r.statements for r in again.replaced] == [[]]  # type: ignore[attr-defined]
    assert _rows(store) == [("T1", "p1"), ("T2", "p2"), ("T3", "p3"), ("T4", "p4")]
    assert len([e for e in store.audit.events() if e.action == "retract"]) == 1


def test_without_replace_the_earlier_load_stays(store: Store, tmp_path: Path) -> None:
    _load(store, tmp_path, "enero.csv", "T1,p1,ANA\nT2,p2,GONZALES\n")
    _load(store, tmp_path, "enero.csv", "T1,p1,ANA\nT2,p2,GONZALEZ\n")
    assert _names(store) == ["ANA", "GONZALES", "GONZALEZ"]
    assert len(_rows(store)) == 4


def test_a_dry_run_tells_what_would_be_replaced_and_writes_nothing(
    store: Store, tmp_path: Path
) -> None:
    _load(store, tmp_path, "enero.csv", "T1,p1,ANA\nT2,p2,GONZALES\n")
    events = [e.seq for e in store.audit.events() if e.chain == WRITES]
    result = _load(store, tmp_path, "enero.csv", "T1,p1,ANA\n", replace=True, dry_run=True)
    assert result.dry_run  # type: ignore[attr-defined]
    [replaced] = result.replaced  # type: ignore[attr-defined]
    assert (len(replaced.statements), replaced.ledger_rows) == (1, 2)  # p2's name
    assert _names(store) == ["ANA", "GONZALES"]
    assert len(_rows(store)) == 2
    # no write is recorded; the read of the store is (docs/policy.md, "ingest-check")
    assert [e.seq for e in store.audit.events() if e.chain == WRITES] == events
    [check] = [e for e in store.audit.events() if e.action == "ingest-check"]
    assert check.chain == READS and check.detail["replace"] is True
    assert not list(_folder(store).glob("retracted-*")) and not list(
        _folder(store).glob(".ironriver-stage-*")
    )


def test_a_replacing_dry_runs_progress_says_it_rolls_back(store: Store, tmp_path: Path) -> None:
    """Review R22: `--replace --dry-run` (which tries the write to learn what it replaces)
    said "writing 2 statements", then "committing", before saying nothing was written."""
    _load(store, tmp_path, "enero.csv", "T1,p1,ANA\nT2,p2,GONZALES\n")
    said: list[str] = []
    _load(
        store,
        tmp_path,
        "enero.csv",
        "T1,p1,ANA\n",
        replace=True,
        dry_run=True,
        progress=lambda m: said.append(render(m, "en")),
    )
    assert "trying 1 statement in the store, to be rolled back" in said, said
    assert said[-1] == "rolling back: a dry run writes nothing", said
    assert not any(s.startswith("writing") or s == "committing" for s in said), said
    assert render(
        msg("trying {count:,} statement in the store, to be rolled back", count=1), "es"
    ).startswith("probando 1 afirmación")


def test_only_who_may_retract_in_the_dataset_replaces(store: Store, tmp_path: Path) -> None:
    _load(store, tmp_path, "enero.csv", "T1,p1,ANA\n")
    with pytest.raises(AccessDenied):
        _load(store, tmp_path, "enero.csv", "T1,p1,EVA\n", replace=True, principal=CBP_LOADER)
    assert _names(store) == ["ANA"]


def test_a_kill_after_the_commit_leaves_the_replaced_parts_to_recovery(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A process killed between the commit and the renames: the event names the marker,
    and the next to open the store retracts the earlier part (the new state, whole)."""
    from ironriver.store.ledger_records import PendingRetraction

    _load(store, tmp_path, "enero.csv", "T1,p1,ANA\nT2,p2,B\n")
    monkeypatch.setattr(PendingRetraction, "commit", lambda self: None)
    _load(store, tmp_path, "enero.csv", "T1,p1,ANA\n", replace=True)
    monkeypatch.undo()
    [marker] = list(_folder(store).glob(".ironriver-stage-*.retract"))
    assert len(_rows(store)) == 3  # old part still in place until recovered
    monkeypatch.setattr("ironriver.store.ledger_records.is_dead_scratch", lambda p: True)
    assert recover_parts(store.ledger_dir, store.ingest_details) == 1
    assert _rows(store) == [("T1", "p1")] and not marker.exists()


def test_the_command_replaces_and_its_dry_run_says_what_it_would(tmp_path: Path) -> None:
    import json

    from click.testing import CliRunner

    from ironriver.cli import cli
    from ironriver.cli_ingest import ingest_command

    db = ["--db", str(tmp_path / "cli.db"), "--as", "us-atf-analyst"]
    mapping = _sales(tmp_path, "enero.csv", "T1,p1,ANA\nT2,p2,GONZALES\n")
    csv = tmp_path / "enero.csv"
    runner = CliRunner()
    assert runner.invoke(ingest_command, [*db, str(mapping)]).exit_code == 0
    csv.write_text("txn,pid,name\nT1,p1,ANA\n", encoding="utf-8")
    dry = runner.invoke(ingest_command, [*db, "--json", "--replace", "--dry-run", str(mapping)])
    assert dry.exit_code == 0, dry.output
    [data] = json.loads(dry.stdout)
    assert data["dry_run"] and [
        (r["file"], r["statements_retracted"], r["ledger_rows_retracted"]) for r in data["replaced"]
    ] == [("enero.csv", 1, 2)]
    done = runner.invoke(cli, ["--lang", "es", "ingest", *db, "--replace", str(mapping)])
    assert done.exit_code == 0, done.output
    assert "de la carga anterior de enero.csv se retiraron 1 afirmación y 2 filas" in done.stdout
    again = runner.invoke(ingest_command, [*db, "--json", "--replace", "--dry-run", str(mapping)])
    [data] = json.loads(again.stdout)
    assert [(r["statements_retracted"], r["ledger_rows_retracted"]) for r in data["replaced"]] == [
        (0, 0)
    ]
    entities = runner.invoke(ingest_command, [*db, "--replace", "--entities", str(csv)])
    assert entities.exit_code != 0 and "--replace goes with a MAPPING" in str(entities.exception)


def _stated(store: Store, value: str) -> list[tuple[str | None, str]]:
    """(source_ref, entity id) of the standing statements of `value`, as an analyst reads
    them on their entities."""
    s = tables.statements.c
    with store.engine.connect() as conn:
        entity_ids = conn.execute(select(s.entity_id).where(s.value == value)).scalars().all()
    view = View(store, ATF_ANALYST, audit=False)
    return sorted(
        (r.source_ref, r.entity_id)
        for entity_id in set(entity_ids)
        for r in view.statements(entity_id)
        if r.value == value
    )


def _source_records(store: Store) -> int:
    with store.engine.connect() as conn:
        return len(conn.execute(select(tables.statement_sources)).all())


@pytest.mark.parametrize("first", ["enero.csv", "febrero.csv"])
def test_replacing_a_file_keeps_what_another_file_states_too(
    store: Store, tmp_path: Path, first: str
) -> None:
    """January's and February's files both state p2's name GONZALES (one statement: its id
    hashes its content), whichever came first; a corrected January without p2 keeps it, as
    February still states it (its record, `febrero.csv:1`), and retracts it only once
    February is replaced without it too. Retracted before, as the store kept January's
    record only."""
    rows = {"enero.csv": "T1,p1,ANA\nT2,p2,GONZALES\n", "febrero.csv": "T3,p2,GONZALES\n"}
    for file in sorted(rows, key=lambda f: f != first):
        _load(store, tmp_path, file, rows[file])
    assert _source_records(store) == 1  # the second file's record of the shared statement
    [(ref, entity_id)] = _stated(store, "GONZALES")
    assert ref == f"{first}:{2 if first == 'enero.csv' else 1}"
    result = _load(store, tmp_path, "enero.csv", "T1,p1,ANA\n", replace=True, reason="fix")
    assert _names(store) == ["ANA", "GONZALES"]
    assert _stated(store, "GONZALES") == [("febrero.csv:1", entity_id)]  # February's now
    [replaced] = result.replaced  # type: ignore[attr-defined]
    assert (len(replaced.statements), len(replaced.kept), replaced.ledger_rows) == (0, 1, 2)
    [event] = [e for e in store.audit.events() if e.action == "retract"]
    [told] = event.detail["replaced"]
    assert (told["statements"], told["statements_kept"]) == (0, 1)
    assert _source_records(store) == 0  # February's is the statement's own record now
    # February re-sent without p2: no other file states GONZALES, it goes
    result = _load(store, tmp_path, "febrero.csv", "T3,p3,LUIS\n", replace=True, reason="fix")
    [replaced] = result.replaced  # type: ignore[attr-defined]
    assert (len(replaced.statements), replaced.kept) == (1, [])
    assert _names(store) == ["ANA", "LUIS"] and _stated(store, "GONZALES") == []


def test_a_value_only_the_replaced_file_states_is_retracted(store: Store, tmp_path: Path) -> None:
    """January alone states GONZALES (February another name of p2): replaced without it, it
    is retracted, as before; a first load and a re-load of the same file record no other
    source."""
    _load(store, tmp_path, "enero.csv", "T1,p1,ANA\nT2,p2,GONZALES\n")
    _load(store, tmp_path, "enero.csv", "T1,p1,ANA\nT2,p2,GONZALES\n")
    _load(store, tmp_path, "febrero.csv", "T3,p2,GONZALEZ\n")
    assert _source_records(store) == 0
    result = _load(store, tmp_path, "enero.csv", "T1,p1,ANA\n", replace=True, dry_run=True)
    [replaced] = result.replaced  # type: ignore[attr-defined]
    assert (len(replaced.statements), replaced.kept) == (1, [])
    _load(store, tmp_path, "enero.csv", "T1,p1,ANA\n", replace=True)
    assert _names(store) == ["ANA", "GONZALEZ"]


def test_the_command_says_what_another_file_keeps(tmp_path: Path) -> None:
    """In English and Spanish, and `statements_kept` in --json (a dry run, then done)."""
    import json

    from click.testing import CliRunner

    from ironriver.cli import cli
    from ironriver.cli_ingest import ingest_command

    db = ["--db", str(tmp_path / "cli.db"), "--as", "us-atf-analyst"]
    runner = CliRunner()
    for file, rows in (
        ("enero.csv", "T1,p1,ANA\nT2,p2,GONZALES\n"),
        ("febrero.csv", "T3,p2,GONZALES\n"),
    ):
        mapping = _sales(tmp_path, file, rows)
        assert runner.invoke(ingest_command, [*db, str(mapping)]).exit_code == 0
    (tmp_path / "enero.csv").write_text("txn,pid,name\nT1,p1,ANA\n", encoding="utf-8")
    enero = str(tmp_path / "enero.csv.yaml")
    dry = runner.invoke(ingest_command, [*db, "--replace", "--dry-run", enero])
    assert dry.exit_code == 0, dry.output
    assert (
        "us_atf_sales: 1 statement of the earlier load of enero.csv would stay: another file "
        "states it too." in dry.stdout
    )
    dry = runner.invoke(ingest_command, [*db, "--json", "--replace", "--dry-run", enero])
    [data] = json.loads(dry.stdout)
    assert [(r["statements_retracted"], r["statements_kept"]) for r in data["replaced"]] == [(0, 1)]
    done = runner.invoke(cli, ["--lang", "es", "ingest", *db, "--replace", enero])
    assert done.exit_code == 0, done.output
    assert (
        "us_atf_sales: 1 afirmación de la carga anterior de enero.csv se mantiene: otro archivo "
        "también la afirma." in done.stdout
    )


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_upgrade_adds_the_other_sources_table_to_a_store_with_data(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    """A store of revision 0013 (no `statement_sources`) holding January's load, upgraded by
    opening it: February's load then records that it states p2's name too, and a corrected
    January keeps it."""
    from alembic import command

    from conftest import backend_url
    from ironriver.store import dialect, open_store
    from ironriver.store.store import _alembic_config

    url = backend_url(backend, tmp_path / "old.db", request)
    store = open_store(url, ledger_dir=tmp_path / "ledgers")
    _load(store, tmp_path, "enero.csv", "T1,p1,ANA\nT2,p2,GONZALES\n")
    with dialect.write_transaction(store.engine) as conn:
        command.downgrade(_alembic_config(conn), "0013")
    with store.engine.connect() as conn:
        assert "statement_sources" not in store.engine.dialect.get_table_names(conn)
    store.close()
    store = open_store(url, ledger_dir=tmp_path / "ledgers")  # upgrades
    assert _names(store) == ["ANA", "GONZALES"] and _source_records(store) == 0
    _load(store, tmp_path, "febrero.csv", "T3,p2,GONZALES\n")
    assert _source_records(store) == 1
    _load(store, tmp_path, "enero.csv", "T1,p1,ANA\n", replace=True)
    assert _names(store) == ["ANA", "GONZALES"]
    assert [ref for ref, _e in _stated(store, "GONZALES")] == ["febrero.csv:1"]
    store.close()


def test_replacing_a_file_in_one_dataset_leaves_another_datasets_file_of_that_name(
    store: Store, tmp_path: Path
) -> None:
    """Two datasets of one agency each loaded a file named enero.csv: replacing it in one
    retracts nothing the other's load made (review R16's R02: without the dataset in the
    query, the other dataset's statements of that file name were retracted too)."""
    other = tmp_path / "b"
    other.mkdir()
    mapping = _sales(other, "enero.csv", "T7,q7,MARTA\nT8,q8,ROSA\n")
    text = mapping.read_text(encoding="utf-8").replace("us_atf_sales:", "us_atf_sales_b:", 1)
    mapping.write_text(text, encoding="utf-8")
    ingest_mapping(store, mapping, actor=ATF_LOADER.name, principal=ATF_LOADER)
    _load(store, tmp_path, "enero.csv", "T1,p1,ANA\nT2,p2,GONZALES\n")
    assert _names(store) == ["ANA", "GONZALES", "MARTA", "ROSA"]
    _load(store, tmp_path, "enero.csv", "T1,p1,ANA\n", replace=True, reason="fix")
    assert _names(store) == ["ANA", "MARTA", "ROSA"]


def test_replacing_a_file_keeps_a_part_holding_rows_of_other_files_too(
    store: Store, tmp_path: Path
) -> None:
    """A part holding rows of January's file and of another file (a part written through the
    library API from a table of several files) is not January's alone: replacing January
    leaves it and its rows (review R16's R01: taking every part that holds a row of January
    retracted March's row with it)."""
    import pyarrow as pa

    from ironriver.policy.markings import AccessLabel, Marking
    from samples import write_ledger  # type: ignore[import-not-found]

    _load(store, tmp_path, "enero.csv", "T1,p1,ANA\nT2,p2,GONZALES\n")
    label = AccessLabel("ATF", "US", Marking.AMBER, frozenset({"US"}))
    mixed = pa.table(
        {"txn": ["T8", "T9"], "pid": ["p8", "p9"], "_source_ref": ["enero.csv:7", "marzo.csv:1"]}
    )
    assert write_ledger(store, "us_atf_sales", "sales", label, mixed) == 2
    assert _rows(store) == [("T1", "p1"), ("T2", "p2"), ("T8", "p8"), ("T9", "p9")]
    _load(store, tmp_path, "enero.csv", "T1,p1,ANA\n", replace=True, reason="fix")
    assert _rows(store) == [("T1", "p1"), ("T8", "p8"), ("T9", "p9")]


BUYERS_ONLY = """\
us_atf_sales:
  agency: ATF
  country: US
  marking: AMBER
  releasable_to: [US]
  queries:
  - csv_url: {file}
    entities:
      buyer: {{schema: Person, keys: [pid], properties: {{name: {{column: name}}}}}}
"""


def test_a_replace_that_only_keeps_statements_is_audited(store: Store, tmp_path: Path) -> None:
    """A replace that retracts nothing (no statement, no ledger part: the mapping writes no
    ledger) but hands a statement to another file's record still writes its `retract`
    event: the statement's source record changed in that write."""
    for file, rows in {
        "enero.csv": "p1,ANA\np2,GONZALES\n",
        "febrero.csv": "p2,GONZALES\n",
    }.items():
        (tmp_path / file).write_text(f"pid,name\n{rows}", encoding="utf-8")
        (tmp_path / f"{file}.yaml").write_text(BUYERS_ONLY.format(file=file), encoding="utf-8")
        ingest_mapping(store, tmp_path / f"{file}.yaml", actor="l", principal=ATF_LOADER)
    (tmp_path / "enero.csv").write_text("pid,name\np1,ANA\n", encoding="utf-8")
    result = ingest_mapping(
        store, tmp_path / "enero.csv.yaml", actor="l", principal=ATF_LOADER, replace=True
    )
    [replaced] = result.replaced
    assert (len(replaced.statements), len(replaced.kept), replaced.ledger_parts) == (0, 1, [])
    [(ref, _entity)] = _stated(store, "GONZALES")
    assert ref == "febrero.csv:1"
    [event] = [e for e in store.audit.events() if e.action == "retract"]
    [told] = event.detail["replaced"]
    assert (told["file"], told["statements"], told["statements_kept"]) == ("enero.csv", 0, 1)
