"""Property: what an ingest reports to its loader equals what it would report on a store
holding only the statements the loader may see.

Statement ids are content hashes of (dataset, entity, property, value), so an ingest of a
fact the store holds already adds nothing. Were "new" counted against the store, the
report would tell a loader of statements it may not see: another label's in the dataset it
loads (an `admin` loads any agency's dataset, whatever it may read) or a retracted one. For
random stores (`view_facts`: facts under random labels of their owners' datasets, a
quarter retracted by their owners), a random loader (a principal with the `ingest` role
loading its own agency's dataset, or an `admin` loading any) and a random entity file
drawing on the same facts, store A holds every fact and store B only what the loader sees
standing in A (`view_facts.build_pair`); the ingest's result (every count and note) into A
must equal the same ingest's into B. On SQLite and on PostgreSQL (fewer examples there).
"""

from __future__ import annotations

import dataclasses
import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sales_fixtures import make_sales_dir  # type: ignore[import-not-found]
from sqlalchemy import select

from conftest import backend_url
from ironriver.cli_ingest import ingest_command
from ironriver.i18n import render
from ironriver.ingest import ingest_entities
from ironriver.policy import Marking, Principal, View, retract
from ironriver.store import Store, open_store
from ironriver.store.audit import EventFilter
from ironriver.store.tables import statements
from view_facts import (
    AGENCIES,
    FACTS,
    PRINCIPAL_AGENCIES,
    Fact,
    Stores,
    build_pair,
    dataset_info,
    facts_st,
    shared_stores,
)

# the schema each entity is written with in an entity file, and the facts of it that schema
# takes (one agency's company c1 is another's person: an entity file types it Company)
SCHEMA = {
    "p1": "Individual",
    "p2": "Individual",
    "p3": "Individual",
    "c1": "Company",
    "g1": "Firearm",
    "s1": "Sale",
    "s2": "Sale",
    "r1": "Recovery",
}
FILE_FACTS = [
    (entity, prop, value)
    for entity, facts in FACTS.items()
    for schemata, prop, value in facts
    if SCHEMA[entity] in schemata
]


@st.composite
def loader_st(draw: Any) -> tuple[Principal, str]:
    """A loader and the agency whose dataset it loads: its own agency's (`ingest`), or any
    agency's as an `admin` of any agency, owning data or not."""
    if draw(st.booleans()):
        agency = draw(st.sampled_from(sorted(AGENCIES)))
        who = Principal("loader", agency, AGENCIES[agency], frozenset({"ingest"}))
        return who, agency
    agency = draw(st.sampled_from(sorted(PRINCIPAL_AGENCIES)))
    who = Principal("ana", agency, PRINCIPAL_AGENCIES[agency], frozenset({"admin"}))
    return who, draw(st.sampled_from(sorted(AGENCIES)))


def write_entities(path: Path, items: list[tuple[str, str, str]]) -> None:
    """An FtM entity JSON Lines file holding `items` (entity, property, value)."""
    entities: dict[str, dict[str, list[str]]] = {}
    for entity, prop, value in items:
        entities.setdefault(entity, {}).setdefault(prop, []).append(value)
    with path.open("w", encoding="utf-8") as fh:
        for entity, props in entities.items():
            line = {"id": entity, "schema": SCHEMA[entity], "properties": props}
            fh.write(json.dumps(line, ensure_ascii=False) + "\n")


def report(store: Store, path: Path, who: Principal, agency: str) -> dict[str, Any]:
    """An ingest of `path` into `agency`'s dataset as `who`: its result as the loader reads
    it (the notes rendered; the error report's path aside, a file of the caller's)."""
    result = ingest_entities(store, path, dataset_info(agency), actor=who.name, principal=who)
    out = dataclasses.asdict(result)
    out.pop("report_path")
    out["notes"] = [render(note, "en") for note in result.notes]
    return out


def check(stores: Stores, facts: list[Fact], loader: tuple[Principal, str], data: Any) -> None:
    who, agency = loader
    # facts of the loaded dataset first (those the stores may hold), then any of the file's
    held = [
        (f.entity, f.prop, f.value)
        for f in facts
        if f.label.owner_agency == agency and f.entity in SCHEMA and SCHEMA[f.entity] == f.schema
    ]
    pool = sorted(set(held)) or FILE_FACTS
    items = data.draw(st.lists(st.sampled_from(pool), max_size=8))
    items += data.draw(st.lists(st.sampled_from(FILE_FACTS), max_size=3))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "load.ftm.jsonl"
        write_entities(path, items)
        full, alone = build_pair(stores, Path(tmp), facts, [], who)
        try:
            got = report(full, path, who, agency)
            expected = report(alone, path, who, agency)
            assert got == expected
            # and again: a re-ingest adds nothing (what the loader may not see stays unseen,
            # so it is still new to the loader: not compared with B, which took it in)
            held = full.statement_count()
            report(full, path, who, agency)
            assert full.statement_count() == held
        finally:
            full.close()
            alone.close()


report_given = given(facts=facts_st, loader=loader_st(), data=st.data())


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@report_given
def test_an_ingest_reports_what_the_visible_statements_alone_give(
    facts: list[Fact], loader: tuple[Principal, str], data: Any
) -> None:
    check(shared_stores("sqlite"), facts, loader, data)


PG_SETTINGS = [HealthCheck.too_slow, HealthCheck.function_scoped_fixture]


@pytest.mark.postgres
@settings(max_examples=10, deadline=None, suppress_health_check=PG_SETTINGS)
@report_given
def test_an_ingest_reports_what_the_visible_statements_alone_give_on_postgresql(
    pg_stores: Stores, facts: list[Fact], loader: tuple[Principal, str], data: Any
) -> None:
    check(pg_stores, facts, loader, data)


# The same rule through the command and a mapping (`ingest_mapping`), on what the property
# above draws most rarely: every statement of a re-ingest already stored, unseen.
PRINCIPALS = """\
principals:
  - {name: us-atf-analyst, agency: ATF, country: US, roles: [analyst, ingest]}
  - {name: us-cbp-admin, agency: CBP, country: US, roles: [admin]}
"""


def _ingest(folder: Path, db: Path, who: str, mapping: str = "graph.yaml") -> dict[str, Any]:
    args = ["--db", str(db), "--principals", str(folder / "principals.yaml"), "--as", who]
    run = CliRunner().invoke(ingest_command, [*args, "--json", str(folder / mapping)])
    assert run.exit_code == 0, run.output
    [data] = json.loads(run.stdout)
    return dict(data)


def test_a_retracted_statement_ingested_again_is_new_to_its_loader(tmp_path: Path) -> None:
    """The owner's loader re-ingests a file one of whose statements its agency retracted:
    the report counts it new, as on a store without it (retractions are not its to learn);
    the store keeps it retracted, and adds nothing."""
    folder = make_sales_dir(tmp_path)
    (folder / "principals.yaml").write_text(PRINCIPALS, encoding="utf-8")
    db = tmp_path / "a.db"
    first = _ingest(folder, db, "us-atf-analyst")
    assert first["statements_new"] == first["statements_produced"]
    store = open_store(f"sqlite:///{db}")
    try:
        with store.engine.connect() as conn:
            query = select(statements.c.entity_id).where(statements.c.value == "Glock")
            gun = str(conn.execute(query).scalar_one())
        owner = Principal("us-atf-analyst", "ATF", "US", frozenset({"ingest"}))
        done = retract(store, owner, gun, reason="entered in error", prop="make")
        assert len(done.statements) == 1
        held = store.statement_count()
    finally:
        store.close()
    again = _ingest(folder, db, "us-atf-analyst")
    assert again["statements_new"] == 1
    store = open_store(f"sqlite:///{db}")
    try:
        assert store.statement_count() == held
        view = View(store, owner, audit=False, role="ingest")
        assert "make" not in {r.prop for r in view.statements(gun)}  # still retracted
        event = store.audit.write_events(EventFilter(action="ingest"))[-1]
        assert event.detail["statements_new"] == 0  # the audit log says what the store took
    finally:
        store.close()


@pytest.mark.parametrize("keyed", [False, True], ids=["ledger", "keyed-ledger"])
def test_an_admin_loading_a_dataset_it_cannot_see_learns_nothing_of_it(
    tmp_path: Path, keyed: bool
) -> None:
    """An `admin` of another agency loads ATF's dataset, AMBER+STRICT to ATF alone, which it
    may not read: each statement and each ledger row is new to it, whether ATF holds it or
    not (a keyed ledger's too: the first row of each key the file holds)."""
    folder = make_sales_dir(tmp_path)
    (folder / "principals.yaml").write_text(PRINCIPALS, encoding="utf-8")
    text = (folder / "sales.yaml").read_text(encoding="utf-8")
    text = text.replace("marking: AMBER", "marking: AMBER+STRICT")
    text = text.replace("releasable_to: [US, MX]", "releasable_to: [ATF]")
    if keyed:
        text = text.replace("name: dealer_sales\n", "name: dealer_sales\n        key: [serial]\n")
    (folder / "sales.yaml").write_text(text, encoding="utf-8")
    db = tmp_path / "a.db"
    first = _ingest(folder, db, "us-atf-analyst", "sales.yaml")
    produced = first["statements_produced"]
    assert first["statements_new"] == produced
    assert first["ledger_rows_new"] == first["ledger_rows_produced"] == 4
    again = _ingest(folder, db, "us-cbp-admin", "sales.yaml")
    assert (again["statements_new"], again["statements_produced"]) == (produced, produced)
    assert (again["ledger_rows_new"], again["ledger_rows_produced"]) == (4, 4)
    # and its human summary says the same
    args = ["--db", str(db), "--principals", str(folder / "principals.yaml")]
    run = CliRunner().invoke(
        ingest_command, [*args, "--as", "us-cbp-admin", str(folder / "sales.yaml")]
    )
    assert f"{produced} new statements ({produced} produced)" in run.stdout
    assert "4 new ledger rows (4 produced)" in run.stdout
    # the owner's own loader sees them all: nothing is new to it, nor was anything added
    back = _ingest(folder, db, "us-atf-analyst", "sales.yaml")
    assert (back["statements_new"], back["ledger_rows_new"]) == (0, 0)
    store = open_store(f"sqlite:///{db}")
    try:
        view = View(store, Principal("a", "ATF", "US"), audit=False)
        assert view.ledger("dealer_sales").count("*").fetchall() == [(4,)]
    finally:
        store.close()


@pytest.mark.parametrize("backend", ["sqlite", "memory", "postgresql"])
def test_a_statement_two_lines_give_is_counted_once(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    """An entity file giving one statement on two lines stages it twice: it is one statement
    new to the loader, held unseen (another label's) or not, and one held retracted is new to
    its owner's loader. On each write path: a SQLite file's side file, an in-memory store's
    and PostgreSQL's Arrow stage."""
    path = tmp_path / "twice.ftm.jsonl"
    line = '{"id": "g1", "schema": "Firearm", "properties": {"serialNumber": ["X1"]}}\n'
    path.write_text(line * 2, encoding="utf-8")
    url = "sqlite://" if backend == "memory" else backend_url(backend, tmp_path / "a.db", request)
    store = open_store(url, ledger_dir=tmp_path / "ledgers")
    try:
        owner = Principal("atf", "ATF", "US", frozenset({"ingest"}))
        admin = Principal("ana", "CBP", "US", frozenset({"admin"}))
        info = dataclasses.replace(
            dataset_info("ATF"), marking=Marking.RED, releasable_to=frozenset({"user:x"})
        )

        def new(who: Principal) -> int:
            return ingest_entities(store, path, info, actor=who.name, principal=who).statements_new

        assert (new(admin), store.statement_count()) == (1, 1)
        assert (new(admin), new(owner)) == (1, 0)
        retract(store, owner, "g1", reason="entered in error")
        assert (new(owner), new(admin), store.statement_count()) == (1, 1, 1)
    finally:
        store.close()
