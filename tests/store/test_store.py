"""The store's behavioural suite: runs on SQLite and on PostgreSQL (see `store` fixture)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pyarrow as pa
import pytest
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import DBAPIError

from conftest import backend_url
from ironriver.errors import AccessDenied, ConfigError, ModelError, StoreError
from ironriver.policy import AccessLabel, Marking, Principal, View
from ironriver.store import DatasetInfo, Store, open_store
from ironriver.store.audit_chain import READS, WRITES
from ironriver.store.ids import statement_id
from samples import ATF, FGR, MX, MX_ROWS, SEDENA, US, US_ROWS, load, table


def test_add_is_idempotent(store: Store) -> None:
    load(store)
    before = store.statement_count()
    assert before == len(US_ROWS) + len(MX_ROWS)
    with store.writer() as w:
        assert w.add_statements(table(US.name, US_ROWS), US.name, US.label) == 0
    assert store.statement_count() == before


def test_writer_is_atomic(store: Store) -> None:
    load(store)
    before = store.statement_count()
    extra = [("p9", "Individual", "name", "Nadie"), ("p9", "Individual", "nonsense", "x")]
    with pytest.raises(ModelError), store.writer() as w:
        w.add_statements(table(US.name, extra[:1]), US.name, US.label)
        w.add_statements(table(US.name, extra[1:]), US.name, US.label)
    assert store.statement_count() == before


def test_dataset_owner_cannot_change(store: Store) -> None:
    store.ensure_dataset(US)
    with pytest.raises(StoreError, match="is another agency's: FGR cannot ingest") as caught:
        store.ensure_dataset(DatasetInfo(US.name, "FGR", "MX"))
    assert "ATF" not in str(caught.value)  # the owner is not named: FGR may not see it


def test_dataset_label_cannot_change(store: Store) -> None:
    """Statement ids leave the label out: a re-declaration under another label would keep
    the stored statements as they were, so it is refused (an ingest never re-marks)."""
    ds_id = store.ensure_dataset(US)
    assert store.ensure_dataset(US) == ds_id  # the same declaration: idempotent
    assert store.ensure_dataset(replace(US, title="another title")) == ds_id
    changes = [
        replace(US, marking=Marking.RED, releasable_to=frozenset()),
        replace(US, releasable_to=frozenset({"US", "MX"})),
        replace(US, country="MX"),
        replace(US, legal_basis="18 USC 923(g)"),
    ]
    for changed in changes:
        store.check_dataset(replace(US, title="x"))  # nothing to refuse
        with pytest.raises(StoreError) as err:
            store.check_dataset(changed)
        assert f"Dataset {US.name!r} is stored as" in err.value.message
        assert "marking: AMBER, releasable_to: [US]" in err.value.message
        assert err.value.hint is not None and "new dataset name" in err.value.hint
        with pytest.raises(StoreError, match="is stored as"), store.writer() as w:
            w.ensure_dataset(changed)
    assert store.dataset(US.name) == replace(US, title=US.name)
    store.check_dataset(MX)  # a new dataset passes


def test_view_entity_merges_visible_sources(store: Store) -> None:
    load(store)
    atf = View(store, ATF).entity("g1")
    assert atf is not None
    assert set(atf.get("caliber")) == {"9mm"} and atf.get("make") == ["Glock"]
    fgr = View(store, FGR).entity("g1")
    assert fgr is not None
    assert fgr.get("make") == [] and fgr.get("caliber") == ["9mm"]
    assert View(store, SEDENA).entity("s1") is None


def test_search_and_identifier(store: Store) -> None:
    load(store)
    view = View(store, ATF)
    assert [h.entity_id for h in view.search("jose PEREZ")] == ["p1"]
    assert [h.entity_id for h in view.search("ramirez", schema="Person")] == ["p2"]
    assert [h.entity_id for h in view.by_identifier("abc-123")] == ["g1"]
    assert View(store, SEDENA).search("perez") == []


def test_neighbours_hide_hidden_edges(store: Store) -> None:
    load(store)
    atf = {(n.prop, n.direction, n.entity_id) for n in View(store, ATF).neighbours("g1")}
    assert atf == {("firearm", "in", "s1"), ("firearm", "in", "r1")}
    fgr = {(n.prop, n.direction, n.entity_id) for n in View(store, FGR).neighbours("g1")}
    assert fgr == {("firearm", "in", "r1")}


def test_counts_from_visible_only(store: Store) -> None:
    load(store)
    counts = View(store, FGR).counts()
    assert counts.statements_by_dataset == {MX.name: len(MX_ROWS)}
    assert counts.entities_by_schema == {"Recovery": 1, "Firearm": 1, "Individual": 1}
    # in name order on every backend (the GROUP BY orders of SQLite and PostgreSQL differ)
    assert list(counts.entities_by_schema) == ["Firearm", "Individual", "Recovery"]
    everything = View(store, ATF).counts()
    assert list(everything.statements_by_dataset) == sorted(everything.statements_by_dataset)
    assert list(everything.entities_by_dataset) == sorted(everything.entities_by_dataset)


def test_statements_carry_provenance(store: Store) -> None:
    load(store)
    recs = View(store, ATF).statements("g1")
    by_ds = {(r.dataset, r.prop) for r in recs}
    assert (US.name, "make") in by_ds and (MX.name, "caliber") in by_ds
    assert all(r.source_ref and r.source_ref.startswith("file.csv:") for r in recs)
    assert {r.marking for r in recs} == {"AMBER"}


def test_retraction_hides_statement(store: Store) -> None:
    load(store)
    sid = statement_id(US.name, "g1", "make", "Glock")
    with store.writer() as w:
        assert w.retract([("g1", sid)]) == 1
        assert w.retract([("g1", sid), ("g2", sid)]) == 0  # already retracted; unknown
    ent = View(store, ATF).entity("g1")
    assert ent is not None and ent.get("make") == []


def test_red_marking_only_named_user(store: Store) -> None:
    secret = DatasetInfo("us_hsi_informants", "HSI", "US", Marking.RED, frozenset({"user:a"}))
    with store.writer() as w:
        w.ensure_dataset(secret)
        w.add_statements(
            table(secret.name, [("x1", "Individual", "name", "Fuente Uno")]),
            secret.name,
            secret.label,
        )
    assert View(store, ATF, reason="case 7").entity("x1") is not None
    assert View(store, Principal("b", "ATF", "US")).entity("x1") is None
    strict = AccessLabel("HSI", "US", Marking.AMBER_STRICT, frozenset({"ATF", "MX"}))
    with store.writer() as w:
        w.add_statements(
            table(secret.name, [("x2", "Individual", "name", "Dos")]), secret.name, strict
        )
    assert View(store, Principal("b", "ATF", "US"), reason="case 7").entity("x2") is not None
    assert View(store, FGR).entity("x2") is None


def test_sensitive_reads_and_exports_must_say_why(store: Store) -> None:
    """DESIGN: every sensitive read (AMBER+STRICT, RED) and every export is justified and
    audited. Without a reason they are refused, and nothing is logged as read."""
    load(store)
    strict = AccessLabel("ATF", "US", Marking.AMBER_STRICT, frozenset({"ATF"}))
    with store.writer() as w:
        w.add_statements(table(US.name, [("x3", "Individual", "name", "Tres")]), US.name, strict)
    reads = len(list(store.audit.events()))
    plain = View(store, ATF)  # no reason
    assert plain.entity("g1") is not None  # AMBER: the everyday level needs none
    for refused in (
        lambda: plain.entity("x3"),
        lambda: plain.statements("x3"),
        lambda: plain.entities(["g1", "x3"]),
        lambda: plain.search("tres"),
        lambda: list(plain.export()),
    ):
        with pytest.raises(AccessDenied, match="say why"):
            refused()
    # a refused search (or neighbour) tells no id: nothing audited has shown it
    with pytest.raises(AccessDenied, match="A result holds AMBER\\+STRICT") as hit:
        plain.search("tres")
    assert "x3" not in str(hit.value)
    with pytest.raises(AccessDenied, match="Entity 'x3' holds"):  # the reader named it
        plain.entity("x3")
    events = list(store.audit.events())[reads:]
    assert [e.target for e in events if e.action != "refused"] == ["g1"]  # no read event
    # but each refusal is on record (it tells that a sensitive fact matches: review R7),
    # a search's with its text and without the hidden hit's id
    refused = [e for e in events if e.action == "refused"]
    searches = [e for e in refused if e.detail.get("attempt") == "search"]
    assert len(searches) == 2 and all(
        e.target == ""
        and e.detail == {"attempt": "search", "text": "tres", "markings": "AMBER+STRICT"}
        for e in searches
    )
    assert {e.target for e in refused} - {""} == {"x3"}
    why = View(store, ATF, reason="case 12")
    assert why.entity("x3") is not None and [h.entity_id for h in why.search("tres")] == ["x3"]
    assert [e.reason for e in list(store.audit.events())[-2:]] == ["case 12", "case 12"]
    assert View(store, ATF, audit=False).entity("x3") is not None  # internal, unaudited reads


def test_audit_chain_detects_tampering(store: Store) -> None:
    load(store)
    view = View(store, ATF, reason="case 7")
    view.entity("g1")
    view.search("perez")
    list(view.export())
    result = store.audit.verify()
    assert result.ok and result.chains == {WRITES: 1, READS: 3}  # writes: read-chain-start
    actions = [(e.chain, e.action) for e in store.audit.events()]
    assert actions == [(WRITES, "read-chain-start")] + [
        (READS, a) for a in ("read", "search", "export")
    ]
    engine = store.audit.read_engine()
    with pytest.raises(DBAPIError), engine.begin() as conn:
        conn.execute(text("UPDATE audit_read_events SET actor = 'mallory' WHERE seq = 2"))
    _drop_guards(store)
    with engine.begin() as conn:
        conn.execute(text("UPDATE audit_read_events SET reason = 'nothing' WHERE seq = 2"))
    problems = tuple(str(p) for p in store.audit.verify().problems)
    assert any("reads chain: event 2 was edited" in p for p in problems)


# one action per chain: a read goes to the reads chain, an ingest to the writes chain
CHAINS = [("read", READS, "audit_read_events"), ("ingest", WRITES, "audit_events")]


def _chain_engine(store: Store, chain: str) -> Engine:
    return store.audit.read_engine() if chain == READS else store.engine


@pytest.mark.parametrize(("action", "chain", "events"), CHAINS)
def test_audit_detects_removed_and_reordered(
    store: Store, action: str, chain: str, events: str
) -> None:
    appended = [store.audit.append("a", action, f"e{i}", "why") for i in range(4)]
    assert {e.chain for e in appended} == {chain}
    assert store.audit.verify().ok
    seqs = [e.seq for e in appended]
    _drop_guards(store)
    engine = _chain_engine(store, chain)
    with engine.begin() as conn:
        conn.execute(text(f"DELETE FROM {events} WHERE seq = :s"), {"s": seqs[1]})
    problems = tuple(str(p) for p in store.audit.verify().problems)
    assert any(p.startswith(f"{chain} chain: event {seqs[1]} is missing") for p in problems)
    with engine.begin() as conn:
        conn.execute(
            text(f"UPDATE {events} SET seq = :a WHERE seq = :b"), {"a": seqs[1], "b": seqs[3]}
        )
    problems = tuple(str(p) for p in store.audit.verify().problems)
    assert problems and all(p.startswith(f"{chain} chain:") for p in problems)


def _drop_guards(store: Store) -> None:
    with store.engine.begin() as conn:
        if store.dialect == "sqlite":
            for name in ("no_update", "no_delete", "read_no_update", "read_no_delete"):
                conn.execute(text(f"DROP TRIGGER audit_{name}"))
        else:
            conn.execute(text("DROP TRIGGER audit_no_change ON audit_events"))
            conn.execute(text("DROP TRIGGER audit_read_no_change ON audit_read_events"))
    if store.audit.read_file is not None:  # the read-audit file beside a SQLite store
        with store.audit.read_engine().begin() as conn:
            conn.execute(text("DROP TRIGGER audit_read_no_update"))
            conn.execute(text("DROP TRIGGER audit_read_no_delete"))


@pytest.mark.parametrize(("action", "chain", "events"), CHAINS)
def test_audit_detects_truncated_tail(store: Store, action: str, chain: str, events: str) -> None:
    last = [store.audit.append("a", action, f"e{i}", "why") for i in range(3)][-1]
    assert store.audit.verify().ok
    _drop_guards(store)
    with _chain_engine(store, chain).begin() as conn:
        conn.execute(text(f"DELETE FROM {events} WHERE seq = :s"), {"s": last.seq})
    problems = tuple(str(p) for p in store.audit.verify().problems)
    assert problems == (
        f"{chain} chain: the newest event should be {last.seq}, but the chain ends at "
        f"{last.seq - 1} (events removed from the end)",
    )


def test_dataset_catalogue_hides_unreleasable(store: Store) -> None:
    load(store)
    assert {d.info.name for d in View(store, SEDENA).datasets()} == {MX.name}
    seen = {d.info.name: d.visible_statements for d in View(store, ATF).datasets()}
    assert seen == {US.name: len(US_ROWS), MX.name: len(MX_ROWS)}


def test_statement_legal_basis_defaults_to_dataset(store: Store) -> None:
    info = DatasetInfo("mx_fgr_x", "FGR", "MX", Marking.AMBER, frozenset({"MX"}), "CNPP art. 251")
    with store.writer() as w:
        w.ensure_dataset(info)
        w.add_statements(
            table(info.name, [("q1", "Firearm", "serialNumber", "Q1")]), info.name, info.label
        )
        w.add_statements(
            table(info.name, [("q1", "Firearm", "make", "Colt")]),
            info.name,
            info.label,
            legal_basis="court order 7/2024",
        )
    recs = {r.prop: r.legal_basis for r in View(store, FGR).statements("q1")}
    assert recs == {"serialNumber": "CNPP art. 251", "make": "court order 7/2024"}


def test_lookup_tables_follow_writes(store: Store) -> None:
    """Every write adds the words of names, identifier keys and references to the lookup
    tables; search finds names by word prefixes, in any order."""
    load(store)
    with store.engine.connect() as conn:
        keys = set(conn.execute(text("SELECT kind, key, entity_id FROM statement_keys")).all())
        refs = set(conn.execute(text("SELECT value, entity_id FROM statement_refs")).all())
    assert {(2, "jose", "p1"), (2, "lopez", "p1"), (3, "ABC123", "g1")} <= keys
    assert {("p1", "s1"), ("g1", "s1"), ("g1", "r1")} <= refs
    view = View(store, ATF)
    assert [h.entity_id for h in view.search("lop jos")] == ["p1"]
    assert [h.entity_id for h in view.search("rez")] == []  # words match from their start
    assert [h.entity_id for h in view.search("p")] == ["p1"]  # Pérez, not Ramírez
    assert [h.entity_id for h in view.search("RAM")] == ["p2"]


def test_mentioned_names_are_not_searched(store: Store) -> None:
    """A sale's `namesMentioned` (its buyer's name, copied) finds the buyer, not the sale."""
    rows = [
        ("p7", "Individual", "name", "Rosa Quintero"),
        ("s7", "Sale", "namesMentioned", "Rosa Quintero"),
    ]
    with store.writer() as w:
        w.ensure_dataset(US)
        w.add_statements(table(US.name, rows), US.name, US.label)
    assert [h.entity_id for h in View(store, ATF).search("quintero")] == ["p7"]
    with store.engine.connect() as conn:
        owners = {r[0] for r in conn.execute(text("SELECT entity_id FROM statement_keys"))}
    assert owners == {"p7"}


def test_concurrent_writers_register_the_same_label_and_property(store: Store) -> None:
    """Two ingests at once, each meeting the same new label and property: on PostgreSQL the
    second failed on the unique key the first was inserting (UniqueViolation); now it reads
    the first's row back. (On SQLite the second waits for the write lock.)"""
    import threading
    import time

    first = DatasetInfo("ds_first", "ATF", "US", Marking.AMBER, frozenset({"US"}))
    second = DatasetInfo("ds_second", "ATF", "US", Marking.AMBER, frozenset({"US"}))
    inside = threading.Event()
    errors: list[BaseException] = []

    def ingest(info: DatasetInfo, hold: float) -> None:
        try:
            with store.writer() as w:
                w.ensure_dataset(info)
                rows = [(f"g_{info.name}", "Firearm", "caliber", "9mm")]
                w.add_statements(table(info.name, rows), info.name, info.label)
                inside.set()
                time.sleep(hold)  # still uncommitted while the other one starts
        except BaseException as exc:  # reported below, with the thread's name
            errors.append(exc)

    threads = [threading.Thread(target=ingest, args=(first, 0.5))]
    threads[0].start()
    assert inside.wait(10)
    threads.append(threading.Thread(target=ingest, args=(second, 0.0)))
    threads[1].start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    view = View(store, ATF, reason="r")
    assert view.counts().statements_by_dataset == {"ds_first": 1, "ds_second": 1}
    assert len({r.id for r in store.labels()}) == 1


def test_view_table_is_every_visible_statement_in_bulk(store: Store) -> None:
    """The bulk read (ADBC in C on a SQLite file, rows on PostgreSQL) equals the view's
    statements one entity at a time; filters by schema and property type; says why."""
    load(store)
    tricky = [("g1", "Firearm", "notes", 'say "hi", ok\nline 2'), ("g1", "Firearm", "model", "Ñ∅")]
    with store.writer() as w:  # texts a CSV or a type guess could mangle
        w.add_statements(table(MX.name, tricky), MX.name, MX.label)
    view = View(store, FGR, reason="network analysis")
    got = view.table()
    values = set(got.column("value").to_pylist())
    assert {'say "hi", ok\nline 2', "Ñ∅"} <= values
    assert got.column_names[:6] == ["entity_id", "id", "schema", "prop", "prop_type", "value"]
    keys = ("entity_id", "id", "schema", "prop", "value", "dataset", "marking", "source_ref")
    keys += ("releasable_to", "owner_agency")
    expected = sorted(
        tuple(getattr(s, k) for k in keys)
        for entity in {r[0] for r in US_ROWS + MX_ROWS}
        for s in view.statements(entity)
    )
    rows = got.to_pylist()
    assert [tuple(r[k] for k in keys) for r in rows] == expected  # in (entity_id, id) order
    assert all(r["dataset"] == MX.name for r in rows)  # FGR sees no ATF statement
    edges = view.table(types=["entity"])
    assert set(edges.column("prop_type").to_pylist()) == {"entity"} and edges.num_rows > 0
    people = view.table(schemata=["Person"])  # and its descendants: our Individual
    assert set(people.column("schema").to_pylist()) == {"Individual"}
    both = view.table(schemata=["Person", "Firearm"], types=["name", "identifier"])
    assert both.num_rows > 0 and {(r["schema"], r["prop_type"]) for r in both.to_pylist()} <= {
        ("Individual", "name"),
        ("Firearm", "identifier"),
    }
    assert view.table(schemata=["Vessel"]).num_rows == 0
    with pytest.raises(ConfigError, match="Unknown property types"):
        view.table(types=["colour"])
    with pytest.raises(AccessDenied, match="must say why"):
        View(store, FGR).table()
    (event,) = [e for e in store.audit.events() if e.action == "read-table"][-1:]
    assert event.reason == "network analysis" and event.detail["schemata"] == ["Vessel"]
    # coded columns hold each text once (one schema of many properties): grouping and
    # pandas' categories see one Firearm, not one per property
    for name in ("schema", "prop_type", "dataset", "marking", "owner_agency"):
        dictionary = got.column(name).chunk(0).dictionary.to_pylist()
        assert len(dictionary) == len(set(dictionary)) and None not in dictionary, name
        # only what the reader sees: a store-wide dictionary named ATF's hidden dataset
        assert set(dictionary) == set(got.column(name).to_pylist()), name
    grouped = got.group_by("schema").aggregate([("id", "count")]).to_pylist()
    by_schema = {r["schema"]: r["id_count"] for r in grouped}
    assert len(grouped) == len(by_schema)  # one group per schema
    assert by_schema["Firearm"] == sum(1 for r in rows if r["schema"] == "Firearm") > 2
    assert len(got.to_pandas()) == got.num_rows  # (null categories made pandas refuse it)


def _tally(store: Store) -> dict[tuple[int, int], int]:
    with store.engine.connect() as conn:
        rows = conn.execute(text("SELECT dataset_id, label_id, n FROM statement_tally"))
        return {(int(d), int(lb)): int(n) for d, lb, n in rows if n}


def _scan(store: Store) -> dict[tuple[int, int], int]:
    with store.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT dataset_id, label_id, count(*) FROM statements WHERE NOT retracted "
                "GROUP BY dataset_id, label_id"
            )
        )
        return {(int(d), int(lb)): int(n) for d, lb, n in rows}


def test_the_statement_tally_follows_every_write(store: Store, tmp_path: Path) -> None:
    """Statements per (dataset, label), kept by each write and retraction, equal a scan:
    small writes, the same again (a no-op), a bulk ingest (the staged copy on SQLite),
    its re-ingest, and a retraction."""
    from ironriver.ingest import ingest_mapping

    load(store)
    assert _tally(store) == _scan(store) and sum(_tally(store).values()) > 0
    load(store)
    assert _tally(store) == _scan(store)
    (tmp_path / "s.csv").write_text(
        "txn,name\nT1,Ana Ruiz\nT2,Luis Soto\nT3,Ana Ruiz\n", encoding="utf-8"
    )
    mapping = tmp_path / "s.yaml"
    mapping.write_text(
        "us_atf_more:\n  title: t\n  agency: ATF\n  country: US\n  marking: GREEN\n"
        "  releasable_to: [US, MX]\n  queries:\n  - csv_url: s.csv\n    entities:\n"
        "      buyer:\n        schema: Individual\n        keys: [txn]\n"
        "        properties:\n          name: {column: name}\n",
        encoding="utf-8",
    )
    for _ in range(2):
        ingest_mapping(store, mapping, actor="t")
        assert _tally(store) == _scan(store)
    view = View(store, ATF, reason="r")
    assert {d.info.name: d.visible_statements for d in view.datasets()}["us_atf_more"] == 3
    with store.writer() as w:
        refs = [(s.entity_id, s.id) for s in view.statements("g1")]
        assert w.retract(refs) == len(refs) > 0
        assert w.retract(refs) == 0  # already retracted: nothing changes twice
    assert _tally(store) == _scan(store)
    assert view.counts().statements_by_dataset == {
        d.info.name: d.visible_statements for d in view.datasets() if d.visible_statements
    }


def test_a_view_reads_what_is_ingested_after_it_was_made(store: Store) -> None:
    """A long-lived view (a server's, an analysis running beside ingests) met properties
    and datasets it did not know: reading an entity failed (KeyError) and a new dataset's
    statements were labelled with its number, not its name. Labels made after the view are
    not its to see (a view per request sees them)."""
    load(store)
    view = View(store, ATF, reason="r")
    assert "model" not in view.require("g1").properties
    # a new dataset under the label the view already knows (ATF, AMBER, releasable to US)
    more = DatasetInfo("us_atf_multiple_sales", "ATF", "US", Marking.AMBER, frozenset({"US"}))
    rows = [("g1", "Firearm", "model", "G19"), ("p8", "Individual", "alias", "El Sobrino")]
    # and one under a label made now (HSI's), which this view does not know
    hsi = DatasetInfo("us_hsi_cases", "HSI", "US", Marking.AMBER, frozenset({"US"}))
    with store.writer() as w:
        for info, facts in ((more, rows), (hsi, [("g1", "Firearm", "caliber", ".40")])):
            w.ensure_dataset(info)
            w.add_statements(table(info.name, facts), info.name, info.label)
    gun = view.require("g1")  # the same view: a new property, a new dataset name
    assert gun.properties["model"] == ["G19"] and more.name in gun.datasets
    assert {s.dataset for s in view.statements("g1")} == {more.name, US.name, MX.name}
    assert [h.entity_id for h in view.search("sobrino")] == ["p8"]  # a new name property
    assert view.counts().statements_by_dataset[more.name] == 2
    assert ".40" not in gun.properties.get("caliber", [])
    assert ".40" in View(store, ATF, reason="r").require("g1").properties["caliber"]


def test_open_reads_an_older_store_revision_once_per_connection(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Opening a store that is not at the newest schema reads its revision once before the
    write lock and once under it (another process may have migrated it in between), not
    once per check; a store at the newest schema, once."""
    from alembic import command

    from ironriver.store import dialect
    from ironriver.store import opening as store_module

    url = store.engine.url.render_as_string(hide_password=False)
    load(store)
    with dialect.write_transaction(store.engine) as conn:
        command.downgrade(store_module._alembic_config(conn), "0006")
    store.close()
    reads: list[str | None] = []
    read = store_module._revision

    def counted(conn: Connection) -> str | None:
        reads.append(read(conn))
        return reads[-1]

    monkeypatch.setattr(store_module, "_revision", counted)
    open_store(url, ledger_dir=store.ledger_dir).close()
    assert reads == ["0006", "0006"]
    reads.clear()
    reopened = open_store(url, ledger_dir=store.ledger_dir, create=False)
    assert reads == [store_module._head_revision()]
    assert len(View(reopened, ATF, audit=False).search("perez")) > 0
    reopened.close()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_store_says_whether_its_open_created_it(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    """`Store.created`: true for the open that made the store (no SQLite file, an empty
    PostgreSQL database), false for every later one; an ingest's notice reads it."""
    url = backend_url(backend, tmp_path / "new.db", request)
    first = open_store(url, ledger_dir=tmp_path / "ledgers")
    first.close()
    again = open_store(url, ledger_dir=tmp_path / "ledgers")
    again.close()
    assert (first.created, again.created) == (True, False)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_store_made_by_another_process_while_opening_is_opened(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two processes open a new store at once: the one that finds it empty, then finds tables
    because the other made it in between, opens it (not made by this open), rather than
    refusing it as another application's database (review of `Store.created`)."""
    from ironriver.store import opening as store_module

    url = backend_url(backend, tmp_path / "new.db", request)
    ready = store_module._ready
    others: list[bool] = []

    def meanwhile(conn: Connection, revision: str | None) -> bool:
        if revision is None and not others:  # (the other process: its own engine and open)
            monkeypatch.setattr(store_module, "_ready", ready)
            other = open_store(url, ledger_dir=tmp_path / "ledgers")
            others.append(other.created)
            other.close()
        return ready(conn, revision)

    monkeypatch.setattr(store_module, "_ready", meanwhile)
    late = open_store(url, ledger_dir=tmp_path / "ledgers")
    late.close()
    assert (others, late.created) == ([True], False)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_migration_0003_fills_lookup_tables(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    """A store written before the lookup tables existed (revision 0002) gets them filled
    (0003), and ranked by name length (0005)."""
    from alembic import command
    from sqlalchemy import inspect

    from ironriver.store import dialect
    from ironriver.store.store import _alembic_config

    url = backend_url(backend, tmp_path / "old.db", request)
    engine = create_engine(url, **dialect.engine_options(url))
    dialect.configure_engine(engine)
    with dialect.write_transaction(engine) as conn:
        command.upgrade(_alembic_config(conn), "0002")
        conn.execute(
            text(
                "INSERT INTO datasets (id, name, title, agency, country, marking, "
                "releasable_to, legal_basis, created_at) VALUES "
                "(1, 'us_atf_traces', 't', 'ATF', 'US', 'AMBER', 'US', '', '2026-01-01')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO labels (id, owner_agency, owner_country, marking, releasable_to) "
                "VALUES (1, 'ATF', 'US', 'AMBER', 'US')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO props (id, schema, prop, prop_type) VALUES "
                "(1, 'Individual', 'name', 'name'), (2, 'Firearm', 'serialNumber', "
                "'identifier'), (3, 'Sale', 'buyer', 'entity')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO statements (entity_id, id, prop_id, kind, value, search_key, "
                "dataset_id, label_id, retracted) VALUES "
                "('p1', 'a', 1, 2, 'José Pérez', 'jose perez', 1, 1, FALSE), "
                "('g1', 'b', 2, 3, 'ABC-123', 'ABC123', 1, 1, FALSE), "
                "('s1', 'c', 3, 1, 'p1', NULL, 1, 1, FALSE)"
            )
        )
    engine.dispose()
    store = open_store(url, ledger_dir=tmp_path / "ledgers")  # upgrades to head
    view = View(store, ATF, audit=False)
    assert [h.entity_id for h in view.search("perez jo")] == ["p1"]
    assert [h.entity_id for h in view.by_identifier("abc 123")] == ["g1"]
    assert [(n.direction, n.entity_id) for n in view.neighbours("p1")] == [("in", "s1")]
    indexes = {ix["name"] for ix in inspect(store.engine).get_indexes("statements")}
    assert not indexes & {"ix_statements_search", "ix_statements_ref"}
    with store.engine.connect() as conn:  # 0005: each key row ranked by its name's length
        ranks = conn.execute(text("SELECT kind, rank, key FROM statement_keys ORDER BY 3")).all()
    assert [tuple(r) for r in ranks] == [(3, 0, "ABC123"), (2, 10, "jose"), (2, 10, "perez")]
    assert _tally(store) == _scan(store) == {(1, 1): 3}  # 0006: filled from the statements
    store.close()


def test_a_store_that_cannot_open_never_shows_its_password(tmp_path: Path) -> None:
    url = "postgresql+psycopg://analyst:s3cret-pw@127.0.0.1:9/nowhere"  # port 9: refused
    with pytest.raises(StoreError) as info:
        open_store(url, ledger_dir=tmp_path / "l")
    text_shown = f"{info.value.message} {info.value.render('es')}"
    assert "s3cret-pw" not in text_shown and "analyst:***@127.0.0.1" in text_shown


def test_busy_timeout_comes_from_the_environment(tmp_path: Path) -> None:
    """Readers wait this long for a writer (an audited read is a small write)."""
    from ironriver.errors import ConfigError
    from ironriver.settings import Settings

    settings = Settings.from_env({"IRONRIVER_BUSY_TIMEOUT": "2.5"}, db=str(tmp_path / "t.db"))
    store = open_store(settings)
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 2500
    store.close()
    assert Settings.from_env({}, db="x.db").busy_timeout_s == 120.0
    with pytest.raises(ConfigError, match="IRONRIVER_BUSY_TIMEOUT"):
        Settings.from_env({"IRONRIVER_BUSY_TIMEOUT": "soon"}, db="x.db")


def test_open_refuses_a_foreign_file_and_a_newer_schema(tmp_path: Path) -> None:
    foreign = tmp_path / "notes.db"
    foreign.write_text("not a database\n" * 100, encoding="utf-8")
    with pytest.raises(StoreError, match="file is not a database") as err:
        open_store(f"sqlite:///{foreign}")
    assert err.value.hint is not None and "--db" in err.value.hint
    assert foreign.read_text(encoding="utf-8") == "not a database\n" * 100  # untouched
    newer = tmp_path / "newer.db"
    open_store(f"sqlite:///{newer}").close()
    engine = create_engine(f"sqlite:///{newer}")
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0099'"))
    engine.dispose()
    with pytest.raises(StoreError, match="does not know") as err:
        open_store(f"sqlite:///{newer}")
    assert err.value.hint is not None and "upgrade ironriver" in err.value.hint


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_pre_release_store_is_refused_with_what_to_do(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    """A store made before migration 0001 was rewritten (afef528) is stamped 0002 but holds
    the old statements table: opening it is a clear refusal saying to re-create it, not
    "no such column: kind" with a hint about paths and permissions; nothing is written."""
    from alembic import command

    from ironriver.store import dialect
    from ironriver.store.store import _alembic_config

    url = backend_url(backend, tmp_path / "old.db", request)
    engine = create_engine(url, **dialect.engine_options(url))
    dialect.configure_engine(engine)
    with dialect.write_transaction(engine) as conn:
        command.upgrade(_alembic_config(conn), "0002")
        conn.execute(text("DROP TABLE statements"))
        conn.execute(  # (the pre-release table: properties as text, no kind)
            text(
                "CREATE TABLE statements (entity_id VARCHAR(255), id VARCHAR(64), "
                "schema VARCHAR(64), prop VARCHAR(64), prop_type VARCHAR(32), value TEXT, "
                "dataset_id INTEGER, label_id INTEGER, retracted BOOLEAN, "
                "PRIMARY KEY (entity_id, id))"
            )
        )
    with engine.connect() as conn:
        tables = sorted(sa_inspect(conn).get_table_names())
    engine.dispose()
    for migrate in (True, False):
        with pytest.raises(StoreError) as err:
            open_store(url, ledger_dir=tmp_path / "ledgers", migrate=migrate)
        assert "is a pre-release store" in str(err.value)
        assert "Re-create it from its source files" in str(err.value.hint)
    engine = create_engine(url)
    with engine.connect() as conn:
        assert sorted(sa_inspect(conn).get_table_names()) == tables
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0002"
    engine.dispose()


def test_a_statement_without_a_value_is_refused_and_nothing_is_written(store: Store) -> None:
    """A null in a required column (here `value`) is refused with the clear error before
    anything is written, not left to the database (whose own error names no column)."""
    load(store)
    before = store.statement_count()
    rows = table(US.name, [("p9", "Individual", "name", "Nadie")])
    rows = rows.set_column(rows.column_names.index("value"), "value", pa.array([None], pa.string()))
    with pytest.raises(StoreError, match="'value' has empty values") as err, store.writer() as w:
        w.add_statements(table(US.name, [("p8", "Individual", "name", "Otro")]), US.name, US.label)
        w.add_statements(rows, US.name, US.label)
    assert err.value.hint is not None and "Every statement needs" in err.value.hint
    assert store.statement_count() == before
    assert _tally(store) == _scan(store)


def test_the_tally_follows_a_retraction_when_dataset_and_label_ids_differ(store: Store) -> None:
    """A retraction subtracts from its statements' own (dataset, label) tally: the US
    dataset's statements written under MX's label, so that the dataset's id is not its
    label's, and MX's under US's, so that the two keys are each other swapped (in the other
    tests a dataset's id is its label's, which hid a swapped key)."""
    with store.writer() as w:
        w.ensure_dataset(US)
        w.ensure_dataset(MX)
        w.add_statements(table(MX.name, MX_ROWS), MX.name, US.label)
        w.add_statements(table(US.name, US_ROWS), US.name, MX.label)
    with store.engine.connect() as conn:
        named = {str(n): int(i) for n, i in conn.execute(text("SELECT name, id FROM datasets"))}
        ids = conn.execute(text("SELECT DISTINCT dataset_id, label_id FROM statements")).all()
    us, mx = named[US.name], named[MX.name]
    assert {(int(d), int(lb)) for d, lb in ids} == {(us, mx), (mx, us)} and us != mx
    expected = {(us, mx): len(US_ROWS), (mx, us): len(MX_ROWS)}
    assert _tally(store) == _scan(store) == expected
    with store.writer() as w:
        assert w.retract([("g1", statement_id(US.name, "g1", "make", "Glock"))]) == 1
    expected[(us, mx)] -= 1
    assert _tally(store) == _scan(store) == expected
