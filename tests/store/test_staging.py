"""The bulk write path (`ironriver.store.staging`): staged statements land exactly as
`Writer.add_statements` would write them, on every backend, and leave no side file behind."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest
from sqlalchemy import text

from ironriver.errors import ModelError, StoreError
from ironriver.policy import View
from ironriver.policy.markings import AccessLabel, Marking
from ironriver.store import Store, open_store
from ironriver.store.ids import KIND_ENTITY, KIND_IDENTIFIER, KIND_NAME, KIND_OTHER
from ironriver.store.staging import PropCoder
from samples import ATF, MX, MX_ROWS, US, US_ROWS, table


def rows_table(dataset: str, rows: list[tuple[str, str, str, str]]) -> pa.Table:
    """Statements as the ingest produces them: one source file, a row number each."""
    t = table(dataset, rows).drop_columns(["source_ref"])
    return t.append_column("source_row", pa.array(range(2, len(rows) + 2), pa.int64()))


def dump(store: Store) -> list[tuple[object, ...]]:
    with store.engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                text(
                    "SELECT s.entity_id, s.id, p.schema, p.prop, s.kind, s.value, s.search_key, "
                    "d.name, l.marking, src.name, s.source_row, s.retracted FROM statements s "
                    "JOIN props p ON p.id = s.prop_id JOIN datasets d ON d.id = s.dataset_id "
                    "JOIN labels l ON l.id = s.label_id JOIN sources src ON src.id = s.source_id "
                    "ORDER BY s.entity_id, s.id"
                )
            )
        ]


def lookups(store: Store) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    with store.engine.connect() as conn:
        keys = conn.execute(text("SELECT * FROM statement_keys ORDER BY 1, 2, 3, 4")).all()
        refs = conn.execute(text("SELECT * FROM statement_refs ORDER BY 1, 2, 3")).all()
    return [tuple(r) for r in keys], [tuple(r) for r in refs]


def stage_samples(store: Store, batch: int = 2) -> int:
    """Stage the US and MX samples (in batches of `batch` rows) and write them."""
    us, mx = rows_table(US.name, US_ROWS), rows_table(MX.name, MX_ROWS)
    with store.stage() as stage:
        stage.add(US.name, US.label, "us.csv", lambda: us.to_batches(batch))
        stage.add(MX.name, MX.label, "mx.csv", lambda: iter([mx]))
        with store.writer(stage=stage) as w:
            w.ensure_dataset(US)
            w.ensure_dataset(MX)
            return w.add_staged(stage)


def test_staged_equals_direct_write(store: Store, tmp_path: Path) -> None:
    assert stage_samples(store) == len(US_ROWS) + len(MX_ROWS)
    direct = open_store(f"sqlite:///{tmp_path / 'direct.db'}", ledger_dir=tmp_path / "l2")
    with direct.writer() as w:
        w.ensure_dataset(US)
        w.ensure_dataset(MX)
        w.add_statements(rows_table(US.name, US_ROWS), US.name, US.label, source="us.csv")
        w.add_statements(rows_table(MX.name, MX_ROWS), MX.name, MX.label, source="mx.csv")
    assert dump(store) == dump(direct)
    assert lookups(store) == lookups(direct)
    assert ("in", "s1") in {(n.direction, n.entity_id) for n in View(store, ATF).neighbours("p1")}
    direct.close()
    # and the views read them: names searchable, references followed
    view = View(store, ATF)
    assert [h.entity_id for h in view.search("jose perez")] == ["p1"]
    assert {n.entity_id for n in view.neighbours("g1")} == {"s1", "r1"}


def test_staged_and_direct_writes_key_each_time_a_name_holds_a_word(
    store: Store, tmp_path: Path
) -> None:
    """Both write paths key a word a name repeats once per time (the side file's copy on a
    SQLite file, `add_statements` otherwise); a name staged twice, across batches or within
    one, is keyed as once."""
    rows = [
        ("p1", "Individual", "name", "Juan García García"),
        ("p2", "Individual", "name", "MA. MA. GARCIA."),
        ("p2", "Individual", "name", "MA. MA. GARCIA."),  # the same statement again
        ("p3", "Individual", "name", "Hernández-Hernández"),
    ]
    us = rows_table(US.name, rows)
    with store.stage() as stage:
        stage.add(US.name, US.label, "us.csv", lambda: [*us.to_batches(1), us])
        with store.writer(stage=stage) as w:
            w.ensure_dataset(US)
            w.add_staged(stage)
    direct = open_store("sqlite://", ledger_dir=tmp_path / "l2")
    with direct.writer() as w:
        w.ensure_dataset(US)
        w.add_statements(us, US.name, US.label, source="us.csv")
    keys, _ = lookups(store)
    assert keys == lookups(direct)[0]
    direct.close()
    # (kind, label_id, rank, key, entity_id, id)
    assert sorted((str(k[4]), str(k[3])) for k in keys) == [
        ("p1", "garcia"),
        ("p1", "garcia\x01"),
        ("p1", "juan"),
        ("p2", "garcia"),
        ("p2", "ma"),
        ("p2", "ma\x01"),
        ("p3", "hernandez"),
        ("p3", "hernandez\x01"),
        ("p3", "hernandezhernandez"),
    ]


def test_staging_twice_adds_nothing(store: Store) -> None:
    stage_samples(store)
    assert stage_samples(store, batch=3) == 0


def test_file_backed_on_sqlite_files_only(tmp_path: Path) -> None:
    on_file = open_store(f"sqlite:///{tmp_path / 's.db'}", ledger_dir=tmp_path / "l")
    in_memory = open_store("sqlite://", ledger_dir=tmp_path / "m")
    with on_file.stage() as stage:
        assert stage.file_backed and stage.path is not None
        assert stage.path.parent == tmp_path.resolve()
    with in_memory.stage() as stage:
        assert not stage.file_backed
    assert stage_samples(in_memory) == len(US_ROWS) + len(MX_ROWS)  # the Arrow stage
    on_file.close()
    in_memory.close()


def keyed_ids(store: Store) -> set[str]:
    """The statement ids `statement_keys` holds rows of."""
    with store.engine.connect() as conn:
        return {str(i) for (i,) in conn.execute(text("SELECT DISTINCT id FROM statement_keys"))}


def test_a_stage_in_batches_counts_every_row_and_keeps_retracted_lookups_out(
    store: Store,
) -> None:
    """A stage written in batches counts the rows of every batch, not the last one's: the
    copy compares what it added with them to tell whether some statements were stored
    already, and a retracted statement staged again must not get its lookup rows back
    (they were deleted with the retraction; a search would read them)."""
    us = rows_table(US.name, US_ROWS)
    name_id = us.column("id")[0].as_py()  # p1's name
    with store.stage() as stage:
        stage.add(US.name, US.label, "us.csv", lambda: iter([us.slice(0, 1)]))
        with store.writer(stage=stage) as w:
            w.ensure_dataset(US)
            assert w.add_staged(stage) == 1
    with store.writer() as w:
        assert w.retract([("p1", name_id)]) == 1
    assert name_id not in keyed_ids(store)
    with store.stage() as stage:  # every statement again, in batches of 2, 2, 2 and 1
        stage.add(US.name, US.label, "us.csv", lambda: us.to_batches(2), presorted=False)
        assert stage.rows == len(US_ROWS)
        with store.writer(stage=stage) as w:
            assert w.add_staged(stage) == len(US_ROWS) - 1
    assert name_id not in keyed_ids(store)


@pytest.fixture(params=["memory", "postgresql"])
def arrow_staged(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A store whose stage is Arrow files (in-memory SQLite, PostgreSQL)."""
    if request.param == "memory":
        s = open_store("sqlite://", ledger_dir=tmp_path / "ledgers")
    else:
        s = open_store(str(request.getfixturevalue("pg_url")), ledger_dir=tmp_path / "ledgers")
    yield s
    s.close()


def test_arrow_stage_is_written_before_the_transaction_and_removed(
    arrow_staged: Store, tmp_path: Path
) -> None:
    """The producer is drained (rows counted) when staged, not inside the write; the
    stage's files are gone after a success and after a failure."""
    store = arrow_staged
    pulled: list[int] = []

    def batches() -> Iterator[pa.Table]:
        for batch in rows_table(US.name, US_ROWS).to_batches(3):
            pulled.append(batch.num_rows)
            yield pa.Table.from_batches([batch])

    with store.stage() as stage:
        stage.add(US.name, US.label, "us.csv", batches)
        assert sum(pulled) == stage.rows == len(US_ROWS)  # before any transaction
        assert [p.parent for p in stage.arrow_files] == [tmp_path.resolve()]
        with store.writer(stage=stage) as w:
            w.ensure_dataset(US)
            assert w.add_staged(stage) == len(US_ROWS)
        assert sum(pulled) == len(US_ROWS)  # replayed from the file, not produced again
    assert not list(tmp_path.glob(".ironriver-stage-*"))
    assert [h.entity_id for h in View(store, ATF).search("jose perez")] == ["p1"]
    bad = rows_table(US.name, [("p9", "Individual", "nonsense", "x")])
    before = store.statement_count()
    with pytest.raises(ModelError, match="no property 'nonsense'"), store.stage() as stage:
        stage.add(US.name, US.label, "us.csv", lambda: iter([bad]))
        assert stage.arrow_files
        with store.writer(stage=stage) as w:
            w.add_staged(stage)
    assert not list(tmp_path.glob(".ironriver-stage-*"))
    assert store.statement_count() == before
    with pytest.raises(StoreError, match="source_row"), store.stage() as stage:
        stage.add(US.name, US.label, None, lambda: iter([table(US.name, US_ROWS)]))


def test_side_file_removed_after_success_and_failure(sqlite_store: Store, tmp_path: Path) -> None:
    stage_samples(sqlite_store)
    assert not list(tmp_path.glob(".store.db.stage-*"))
    before = dump(sqlite_store)
    bad = rows_table(US.name, [("p9", "Individual", "nonsense", "x")])
    with pytest.raises(ModelError, match="no property 'nonsense'"), sqlite_store.stage() as stage:
        stage.add(US.name, US.label, "us.csv", lambda: iter([bad]))
    assert not list(tmp_path.glob(".store.db.stage-*"))
    assert dump(sqlite_store) == before


def test_stage_refuses_per_row_source_refs(sqlite_store: Store) -> None:
    with pytest.raises(StoreError, match="source_row"), sqlite_store.stage() as stage:
        stage.add(US.name, US.label, None, lambda: iter([table(US.name, US_ROWS)]))


def test_empty_stage_writes_nothing(store: Store) -> None:
    with store.stage() as stage:
        stage.add(US.name, US.label, "us.csv", lambda: iter([rows_table(US.name, [])]))
        with store.writer(stage=stage) as w:
            w.ensure_dataset(US)
            assert w.add_staged(stage) == 0
    assert store.statement_count() == 0


def test_prop_coder_codes_kinds_and_search_keys() -> None:
    coder = PropCoder()
    out = coder.encode(rows_table(US.name, US_ROWS))
    assert "schema" not in out.column_names and "prop" not in out.column_names
    props = [coder.props[c] for c in out.column("pcode").to_pylist()]
    assert props == [(s, p) for _, s, p, _ in US_ROWS]
    kinds = dict(zip(props, out.column("kind").to_pylist(), strict=True))
    assert kinds[("Individual", "name")] == KIND_NAME
    assert kinds[("Firearm", "serialNumber")] == KIND_IDENTIFIER
    assert kinds[("Sale", "buyer")] == KIND_ENTITY
    assert kinds[("Sale", "date")] == KIND_OTHER
    keys = dict(zip(props, out.column("search_key").to_pylist(), strict=True))
    assert keys[("Individual", "name")] == "jose luis perez lopez"
    assert keys[("Firearm", "serialNumber")] == "ABC123"
    assert keys[("Sale", "date")] is None
    # codes are stable across batches
    again = coder.encode(rows_table(US.name, US_ROWS[::-1]))
    assert again.column("pcode").to_pylist() == out.column("pcode").to_pylist()[::-1]
    with pytest.raises(ModelError, match="Unknown schema"):
        coder.encode(rows_table(US.name, [("x", "Nope", "name", "x")]))


def test_statements_written_again_under_another_label_keep_their_lookup_label(
    store: Store,
) -> None:
    """`Writer.add_statements` of statements stored already under another label: they stay
    under the stored label, and so do their lookup rows (none is added under the write's
    label, which a search of that label would read)."""
    us = rows_table(US.name, US_ROWS)
    red = AccessLabel(US.agency, US.country, Marking.RED)
    with store.writer() as w:
        w.ensure_dataset(US)
        assert w.add_statements(us, US.name, US.label, source="us.csv") == len(US_ROWS)
    before = lookups(store)
    with store.writer() as w:
        assert w.add_statements(us, US.name, red, source="us.csv") == 0
    assert lookups(store) == before


def test_a_name_a_staged_document_mentions_is_not_keyed_as_its_name(store: Store) -> None:
    """`namesMentioned` is name-typed but names someone else (`NOT_SEARCHED`, told by the
    property's name): staged, its statement feeds no lookup table, so a name search does
    not find the document by a name it only mentions."""
    rows = rows_table(
        US.name,
        [("d1", "Document", "title", "Informe"), ("d1", "Document", "namesMentioned", "Ana Ruiz")],
    )
    with store.stage() as stage:
        stage.add(US.name, US.label, "docs.csv", lambda: iter([rows]))
        with store.writer(stage=stage) as w:
            w.ensure_dataset(US)
            assert w.add_staged(stage) == 2
    assert rows.column("id")[1].as_py() not in keyed_ids(store)
    assert [h.entity_id for h in View(store, ATF).search("ana ruiz")] == []


def test_lookup_sorter_orders_as_sqlite_and_cleans_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Lookup rows come back in SQLite's BINARY order (byte-wise UTF-8: 'Z' < 'a' < 'é'),
    across parts, with a spilling memory limit, and leave no folder behind."""
    import sqlite3

    from ironriver.store.staging import LookupSorter

    monkeypatch.setattr(LookupSorter, "SORT_MEMORY", "32MB")
    words = ["é", "a", "Z", "ab", "", "zz", "É", "a b"] * 25_000
    parts = [
        pa.table({"key": words[i : i + 50_000], "n": list(range(i, i + 50_000))})
        for i in range(0, len(words), 50_000)
    ]
    near = tmp_path / "side.sqlite"
    with LookupSorter(near, 2) as sorter:
        sorter.add([parts[0].slice(0, 0), parts[0]])  # an empty first part names the columns
        for part in parts:
            sorter.add([part, part.slice(0, 0)])
        got = [(r["key"], r["n"]) for r in sorter.sorted(0).read_all().to_pylist()]
        assert sorter.sorted(1).read_all().num_rows == len(parts[0])
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE t (key TEXT, n INTEGER)")
    db.executemany("INSERT INTO t VALUES (?, ?)", [(w, i) for i, w in enumerate(words)])
    assert got == db.execute("SELECT key, n FROM t ORDER BY key, n").fetchall()
    assert [p.name for p in tmp_path.iterdir()] == []


@pytest.mark.parametrize("backend", ["sqlite-file", "sqlite-memory", "postgresql"])
def test_new_to_counts_what_a_label_the_loader_cannot_see_added(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """`Writer.new_to` for a loader who sees US's label only, of a stage holding the US
    statements again (stored already) and the MX ones (new, under MX's label, unseen): the
    MX statements the store lacked are new; the US ones were standing where the loader
    sees them. (The rows the copy added under an unseen label do not stand where it sees.)
    The MX statements staged again: none added, all new to that loader (held unseen)."""
    if backend == "postgresql":
        url = str(request.getfixturevalue("pg_url"))
    else:
        url = f"sqlite:///{tmp_path / 's.db'}" if backend == "sqlite-file" else "sqlite://"
    store = open_store(url, ledger_dir=tmp_path / "ledgers")
    us, mx = rows_table(US.name, US_ROWS), rows_table(MX.name, MX_ROWS)
    with store.stage() as stage:
        stage.add(US.name, US.label, "us.csv", lambda: iter([us]), presorted=False)
        with store.writer(stage=stage) as w:
            w.ensure_dataset(US)
            assert w.add_staged(stage) == len(US_ROWS)
    with store.stage() as stage:
        stage.add(US.name, US.label, "us.csv", lambda: iter([us]), presorted=False)
        stage.add(MX.name, MX.label, "mx.csv", lambda: iter([mx]), presorted=False)
        with store.writer(stage=stage) as w:
            w.ensure_dataset(MX)
            assert w.add_staged(stage) == len(MX_ROWS)
            assert w.new_to(stage, lambda label: label == US.label) == len(MX_ROWS)
            # a loader who sees both: the same (the store lacked the MX statements)
            assert w.new_to(stage, lambda label: True) == len(MX_ROWS)
    with store.stage() as stage:  # the MX statements again: stored, unseen by the first
        stage.add(MX.name, MX.label, "mx.csv", lambda: iter([mx]), presorted=False)
        with store.writer(stage=stage) as w:
            assert w.add_staged(stage) == 0
            assert w.new_to(stage, lambda label: label == US.label) == len(MX_ROWS)
            assert w.new_to(stage, lambda label: True) == 0
    store.close()
