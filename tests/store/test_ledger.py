"""LedgerStore: atomic, idempotent part files; reads hold only rows `can_see` allows."""

from __future__ import annotations

import tempfile
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ironriver.errors import NotFound
from ironriver.policy.markings import AccessLabel, Marking, Principal, can_see
from ironriver.store import DatasetInfo, Store
from ironriver.store.ledger import LedgerStore
from ironriver.store.ledger_records import RecordedParts
from samples import RecordedLedgers, record_parts, write_ledger

AGENCIES = ["ATF", "CBP", "HSI", "FGR", "SEDENA"]
COUNTRIES = ["US", "MX"]
USERS = ["alice", "bob", "carla"]

labels = st.builds(
    AccessLabel,
    owner_agency=st.sampled_from(AGENCIES),
    owner_country=st.sampled_from(COUNTRIES),
    marking=st.sampled_from(list(Marking)),
    releasable_to=st.frozensets(
        st.sampled_from(AGENCIES + COUNTRIES + [f"user:{u}" for u in USERS]), max_size=3
    ),
)
principals = st.builds(
    Principal,
    name=st.sampled_from(USERS),
    agency=st.sampled_from(AGENCIES),
    country=st.sampled_from(COUNTRIES),
)


def test_write_is_idempotent_and_listed(tmp_path: Path) -> None:
    store = LedgerStore(tmp_path)
    label = AccessLabel("ATF", "US", Marking.AMBER, frozenset({"US"}))
    table = pa.table({"serial": ["a", "b"], "price": [1.0, 2.0]})
    assert store.write("us_atf", "sales", label, table) == 2
    assert store.write("us_atf", "sales", label, table) == 0
    [info] = store.ledgers()
    assert (info.dataset, info.ledger, info.rows, info.files) == ("us_atf", "sales", 2, 1)
    assert not list(tmp_path.rglob(".ironriver-stage-*"))


def test_a_killed_ingests_half_part_is_swept_by_the_next_write(tmp_path: Path) -> None:
    import subprocess
    import sys

    from ironriver.scratch import _host, owner_tag

    store = LedgerStore(tmp_path)
    label = AccessLabel("ATF", "US", Marking.AMBER, frozenset({"US"}))
    folder = tmp_path / "us_atf" / "sales"
    folder.mkdir(parents=True)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    orphan = folder / f".ironriver-stage-{_host()}.{dead.pid}-abc.parquet"
    orphan.write_bytes(b"PAR1 half-written")
    running = folder / f".ironriver-stage-{owner_tag()}-def.parquet"  # a live writer's
    running.write_bytes(b"PAR1 being written")
    assert store.write("us_atf", "sales", label, pa.table({"serial": ["a"]})) == 1
    assert not orphan.exists() and running.exists()
    assert [info.rows for info in store.ledgers()] == [1]  # scratch files are never parts


def test_a_killed_ingests_committed_part_is_put_in_place_not_swept(tmp_path: Path) -> None:
    """A part whose ingest committed but was killed before the rename is named by that
    ingest's audit event: the next write into its folder, by a process that opened the store
    before the kill, renames it into place instead of sweeping it away (the commit is the
    ingest's truth), and so does `parts` (what a keyed ledger's ingest reads the stored keys
    from); a dead scratch part no event names is still swept."""
    import subprocess
    import sys

    from ironriver.scratch import _host
    from ironriver.store.ledger_records import PARTS_KEY

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    details: list[dict[str, object]] = []

    def killed(ledger: str, name: str) -> Path:
        """A committed part of the killed ingest, under its scratch name."""
        folder = tmp_path / "us_atf" / ledger
        folder.mkdir(parents=True, exist_ok=True)
        scratch = folder / f".ironriver-stage-{_host()}.{dead.pid}-{name}.parquet"
        pq.write_table(pa.table({"serial": [name]}), scratch)
        final = folder / f"part-{name}.parquet"
        pair = [str(p.relative_to(tmp_path)) for p in (scratch, final)]
        details.append({PARTS_KEY: [pair]})
        return final

    sales, crossings = killed("sales", "s1"), killed("crossings", "c1")
    orphan = tmp_path / "us_atf" / "sales" / f".ironriver-stage-{_host()}.{dead.pid}-x.parquet"
    orphan.write_bytes(b"PAR1 half-written")
    store = LedgerStore(tmp_path, lambda: details)
    label = AccessLabel("ATF", "US", Marking.AMBER, frozenset({"US"}))
    assert store.write("us_atf", "sales", label, pa.table({"serial": ["next"]})) == 1
    assert pq.read_table(sales).column("serial").to_pylist() == ["s1"]
    assert not orphan.exists()
    assert store.parts("us_atf", "crossings") == [crossings]
    assert list(crossings.parent.iterdir()) == [crossings]


def test_unknown_ledger(tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        LedgerStore(tmp_path).visible_relation(
            duckdb.connect(), "nope", Principal("a", "ATF", "US")
        )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    parts=st.lists(labels, min_size=1, max_size=5), who=st.lists(principals, min_size=1, max_size=4)
)
def test_principal_never_sees_hidden_rows(parts: list[AccessLabel], who: list[Principal]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = LedgerStore(Path(tmp))
        expected_by_label: dict[int, AccessLabel] = {}
        for i, label in enumerate(parts):
            # each part has distinct row ids; the same label may appear in several parts
            ids = [i * 10 + k for k in range(3)]
            store.write(f"ds{i % 2}", "crossings", label, pa.table({"rid": ids}))
            for rid in ids:
                expected_by_label[rid] = label
        con = duckdb.connect()
        for principal in who:
            want = {rid for rid, lab in expected_by_label.items() if can_see(principal, lab)}
            if not want:
                # nothing visible: indistinguishable from a ledger that does not exist
                with pytest.raises(NotFound):
                    store.visible_relation(con, "crossings", principal)
                continue
            rel = store.visible_relation(con, "crossings", principal)
            got = {int(r[0]) for r in rel.project("rid").fetchall()}
            assert got == want
            for agency, country, marking, rel_text in rel.project(
                "_owner_agency, _owner_country, _marking, _releasable_to"
            ).fetchall():
                shown = AccessLabel(
                    agency,
                    country,
                    Marking(marking),
                    frozenset(rel_text.split(",")) if rel_text else frozenset(),
                )
                assert can_see(principal, shown)


def test_part_bytes_do_not_depend_on_batches(tmp_path: Path) -> None:
    """The part name hashes the file's bytes: DuckDB's batch sizes must not change them."""
    from ironriver.store.ledger import ROW_GROUP_ROWS, _label_columns, _write_parquet

    n = ROW_GROUP_ROWS + 1000
    table = duckdb.sql(
        f"SELECT i AS rid, 'v' || (i % 7) AS v, i * 0.5 AS x FROM range({n}) r(i)"
    ).to_arrow_table()
    consts = _label_columns("ds", AccessLabel("ATF", "US", Marking.AMBER, frozenset({"MX"})))
    sizes = {}
    for chunk in (999, 65_536, n):
        path = tmp_path / f"{chunk}.parquet"
        assert _write_parquet(table.to_reader(max_chunksize=chunk), consts, path) == n
        sizes[chunk] = path.read_bytes()
    assert len(set(sizes.values())) == 1
    meta = pq.ParquetFile(tmp_path / "999.parquet").metadata
    assert meta.num_row_groups == 2 and meta.row_group(0).num_rows == ROW_GROUP_ROWS


def test_a_part_written_from_its_batches_as_they_come_holds_the_same_rows(
    tmp_path: Path,
) -> None:
    """A part named by what it is made from (`prepare_query`'s `identity`) is written from
    DuckDB's batches without copying them into one chunk per row group (`combine=False`):
    the same rows, row groups, types and statistics as the combined write."""
    from ironriver.store.ledger import ROW_GROUP_ROWS, _label_columns, _write_parquet

    n = 2 * ROW_GROUP_ROWS + 777
    table = duckdb.sql(
        f"SELECT i AS rid, CASE WHEN i % 5 = 0 THEN NULL ELSE 'v' || (i % 7) END AS v, "
        f"i * 0.5 AS x, DATE '2020-01-01' + CAST(i % 900 AS INTEGER) AS d FROM range({n}) r(i)"
    ).to_arrow_table()
    consts = _label_columns("ds", AccessLabel("ATF", "US", Marking.AMBER, frozenset({"MX"})))
    combined, chunked = tmp_path / "combined.parquet", tmp_path / "chunked.parquet"
    assert _write_parquet(table.to_reader(max_chunksize=n), consts, combined) == n
    reader = table.to_reader(max_chunksize=35_937)
    assert _write_parquet(reader, consts, chunked, combine=False) == n
    one, other = pq.ParquetFile(combined), pq.ParquetFile(chunked)
    assert one.read().equals(other.read()) and one.schema_arrow.equals(other.schema_arrow)
    assert [one.metadata.row_group(i).num_rows for i in range(3)] == [
        other.metadata.row_group(i).num_rows for i in range(3)
    ]
    for g in range(3):
        for c in range(one.metadata.num_columns):
            a, b = one.metadata.row_group(g).column(c), other.metadata.row_group(g).column(c)
            assert a.statistics == b.statistics, (g, a.path_in_schema)


def test_prepare_query_counts_rows_and_writes_empty_parts(tmp_path: Path) -> None:
    store = LedgerStore(tmp_path)
    label = AccessLabel("ATF", "US", Marking.AMBER, frozenset({"US"}))
    con = duckdb.connect()
    part = store.prepare_query(con, "SELECT range AS rid FROM range(5)", "ds", "lg", label)
    assert part.rows == 5 and part.commit() == 5
    empty = store.prepare_query(con, "SELECT 1 AS rid WHERE FALSE", "ds", "lg", label)
    assert empty.rows == 0
    empty.commit()
    rel = store.visible_relation(con, "lg", Principal("a", "ATF", "US"))
    assert sorted(r[0] for r in rel.project("rid").fetchall()) == [0, 1, 2, 3, 4]
    assert rel.project("_marking, _releasable_to").distinct().fetchall() == [("AMBER", "US")]


def test_sensitive_ledger_rows_need_a_reason(sqlite_store: Store) -> None:
    from ironriver.errors import AccessDenied
    from ironriver.policy import View

    ledgers = RecordedLedgers(sqlite_store)  # (as an ingest records its parts: reads read those)
    table = pa.table({"serial": ["a"], "price": [1.0]})
    ledgers.write("us_atf", "sales", AccessLabel("ATF", "US", Marking.AMBER, frozenset()), table)
    atf = Principal("a", "ATF", "US")
    assert View(sqlite_store, atf).ledger("sales").count("*").fetchall() == [(1,)]
    strict = AccessLabel("HSI", "US", Marking.AMBER_STRICT, frozenset({"ATF"}))
    ledgers.write("us_hsi", "sales", strict, pa.table({"serial": ["b"], "price": [2.0]}))
    with pytest.raises(AccessDenied, match="AMBER\\+STRICT rows"):
        View(sqlite_store, atf).ledger("sales")
    rows = View(sqlite_store, atf, reason="case 9").ledger("sales").count("*").fetchall()
    assert rows == [(2,)]
    with pytest.raises(NotFound):  # nothing of it visible: as if there were no ledger
        View(sqlite_store, Principal("f", "FGR", "MX")).ledger("sales")


def test_red_ledger_rows_need_a_reason_too(sqlite_store: Store) -> None:
    """Review R15 (mutant R09): the markings a whole-ledger read is refused by are those of
    every label it keeps, RED too (ATF's own RED rows, beside AMBER ones)."""
    from ironriver.errors import AccessDenied
    from ironriver.policy import View
    from samples import RecordedLedgers

    ledgers = RecordedLedgers(sqlite_store)  # (read through a view: recorded)
    amber = AccessLabel("ATF", "US", Marking.AMBER, frozenset({"US"}))
    ledgers.write("us_atf", "sales", amber, pa.table({"serial": ["a"]}))
    red = AccessLabel("ATF", "US", Marking.RED, frozenset())
    ledgers.write("us_atf", "sales", red, pa.table({"serial": ["b"]}))
    atf = Principal("a", "ATF", "US")
    with pytest.raises(AccessDenied, match="RED rows"):
        View(sqlite_store, atf).ledger("sales")
    rows = View(sqlite_store, atf, reason="case 9").ledger("sales").count("*").fetchall()
    assert rows == [(2,)]
    refused = [e for e in sqlite_store.audit.events() if e.action == "refused"]
    assert [(e.target, e.detail["markings"]) for e in refused] == [("sales", "RED")]


def test_parts_disagreeing_on_a_columns_type_are_read_as_text(tmp_path: Path) -> None:
    """CBP's `crossings.week` is an integer, SSPC's a date: a principal who may see both
    parts read a DuckDB conversion error (one agency's part made every other's rows
    unreadable); it now reads both, that column as text. One who sees one part keeps its
    type. A ledger column named `filename` (DuckDB's name for a part's file, which the
    label read asked for) used to break every ledger read too."""
    store = LedgerStore(tmp_path)
    both = frozenset({"US", "MX"})
    store.write(
        "us_cbp_crossings",
        "crossings",
        AccessLabel("CBP", "US", Marking.AMBER, both),
        pa.table({"folio": ["C1"], "week": [202401], "filename": ["scan1.pdf"]}),
    )
    store.write(
        "mx_sspc_cruces",
        "crossings",
        AccessLabel("SSPC", "MX", Marking.AMBER, frozenset({"MX"})),
        pa.table({"folio": ["S1"], "week": pa.array([19730], pa.date32())}),
    )
    con = duckdb.connect()
    mx = store.visible_relation(con, "crossings", Principal("ana", "SSPC", "MX"))
    assert sorted(mx.project("folio, week, filename").fetchall()) == [
        ("C1", "202401", "scan1.pdf"),
        ("S1", "2024-01-08", None),
    ]
    us = store.visible_relation(con, "crossings", Principal("bob", "CBP", "US"))
    assert us.project("folio, week").fetchall() == [("C1", 202401)]


class _CountingConnection:
    """A DuckDB connection that counts the queries run through it (`execute`, `sql`,
    `read_parquet`)."""

    def __init__(self) -> None:
        self.con = duckdb.connect()
        self.queries: list[str] = []

    def execute(self, query: str, *args: object) -> duckdb.DuckDBPyConnection:
        self.queries.append(query)
        return self.con.execute(query, *args)

    def sql(self, query: str, **kwargs: object) -> duckdb.DuckDBPyRelation:
        self.queries.append(query)
        return self.con.sql(query, **kwargs)  # type: ignore[arg-type]

    def read_parquet(self, files: list[str], **kwargs: object) -> duckdb.DuckDBPyRelation:
        self.queries.append(f"read_parquet({files!r})")
        return self.con.read_parquet(files, **kwargs)  # type: ignore[arg-type]


def test_a_hidden_ledger_is_refused_from_its_footers_without_reading_rows(tmp_path: Path) -> None:
    """A part of one label says it in its footer's statistics: a principal who may see none
    of a ledger's rows is refused without a row read, so the refusal takes about as long as
    for a ledger that does not exist, whatever the hidden ledger's size (review R5: the
    scan of every part's labels made it take longer, the longer the ledger)."""
    store = LedgerStore(tmp_path)
    secret = AccessLabel("HSI", "US", Marking.AMBER_STRICT, frozenset({"HSI"}))
    store.write("us_hsi", "crossings", secret, pa.table({"rid": list(range(1000))}))
    con = _CountingConnection()
    with pytest.raises(NotFound):
        store.visible_relation(con, "crossings", Principal("ana", "FGR", "MX"))  # type: ignore[arg-type]
    assert con.queries == []
    rel = store.visible_relation(con, "crossings", Principal("bob", "HSI", "US"))  # type: ignore[arg-type]
    assert rel.count("*").fetchall() == [(1000,)]
    assert len(con.queries) == 1  # the relation itself: the labels came from the footer


def test_a_part_of_several_labels_is_read_for_them(tmp_path: Path) -> None:
    """A part whose row group holds rows of several labels (its footer's minimum and maximum
    differ) has its label columns read: each principal sees exactly its rows."""
    store = LedgerStore(tmp_path)
    us = AccessLabel("CBP", "US", Marking.AMBER, frozenset({"US"}))
    store.write("us_cbp", "crossings", us, pa.table({"rid": [1, 2]}))
    [part] = list(tmp_path.rglob("part-*.parquet"))
    table = pq.read_table(part)
    mixed = pa.concat_tables(
        [
            table,
            table.set_column(0, "rid", pa.array([3, 4])).set_column(
                table.schema.get_field_index("_releasable_to"),
                "_releasable_to",
                pa.array(["MX", "MX"]),
            ),
        ]
    )
    pq.write_table(mixed, part)  # (one row group, two labels)
    con = _CountingConnection()
    seen = {
        who.agency: sorted(
            int(r[0])
            for r in store.visible_relation(con, "crossings", who).project("rid").fetchall()  # type: ignore[arg-type]
        )
        for who in (Principal("bob", "CBP", "US"), Principal("ana", "FGR", "MX"))
    }
    assert seen == {"CBP": [1, 2, 3, 4], "FGR": [3, 4]}
    assert any("DISTINCT" in q for q in con.queries)


def _scan_counts(store: LedgerStore, principal: Principal) -> dict[tuple[str, str], int]:
    """Visible rows per (dataset, ledger) from a scan of the rows `visible_relation` keeps
    (how `View.ledger_counts` counted before it read the footers)."""
    out: dict[tuple[str, str], int] = {}
    con = duckdb.connect()
    for ledger in sorted({info.ledger for info in store.ledgers()}):
        try:
            rel = store.visible_relation(con, ledger, principal)
        except NotFound:
            continue
        for dataset, rows in rel.aggregate("_dataset, count(*)").fetchall():
            out[(str(dataset), ledger)] = int(rows)
    return out


def _hand_written_part(
    store: LedgerStore,
    dataset: str,
    ledger: str,
    groups: list[tuple[AccessLabel, int]],
    *,
    one_row_group: bool,
    statistics: bool = True,
) -> Path:
    """A part of several labels, written by hand as an ingest never writes one: each label's
    rows in a row group of its own, or all of them in one row group (whose footer cannot
    tell them); with `statistics=False`, a footer telling nothing. A label released to no
    one has a NULL `_releasable_to` (which `LABEL_COLUMNS` allows)."""
    from ironriver.store.ledger import _label_columns

    tables = []
    for label, rows in groups:
        consts = _label_columns(dataset, label)
        columns: dict[str, pa.Array] = {"rid": pa.array(range(rows), pa.int64())}
        columns |= {name: pa.array([value] * rows, pa.string()) for name, value in consts.items()}
        if not label.releasable_to:  # (NULL: a reader takes it for "", `LABEL_COLUMNS`)
            columns["_releasable_to"] = pa.nulls(rows, pa.string())
        columns["_source_ref"] = pa.nulls(rows, pa.string())
        tables.append(pa.table(columns))
    folder = store.root / dataset / ledger
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"part-hand{len(list(folder.glob('part-*')))}.parquet"
    with pq.ParquetWriter(path, tables[0].schema, write_statistics=statistics) as writer:
        if one_row_group:
            writer.write_table(pa.concat_tables(tables))
        else:
            for table in tables:
                writer.write_table(table)
    return path


PART_KINDS = ["ingest", "row group per label", "one row group", "no statistics"]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    parts=st.lists(
        st.tuples(
            st.sampled_from(PART_KINDS),
            st.lists(st.tuples(labels, st.integers(1, 4)), min_size=1, max_size=3),
            st.integers(0, 3),
        ),
        min_size=1,
        max_size=6,
    ),
    who=st.lists(principals, min_size=1, max_size=4),
)
def test_visible_counts_equal_a_scan_of_the_visible_rows(
    parts: list[tuple[str, list[tuple[AccessLabel, int]], int]], who: list[Principal]
) -> None:
    """Counted from the footers where they tell each row group's dataset and label (parts
    an ingest writes, one label per row group), read where they do not (several labels in
    a row group, no statistics): the counts are the scan's, for every principal."""
    with tempfile.TemporaryDirectory() as tmp:
        store = LedgerStore(Path(tmp))
        for i, (kind, groups, where) in enumerate(parts):
            dataset, ledger = f"ds{where % 2}", ("crossings", "sales")[where // 2]
            if kind == "ingest":
                for j, (label, rows) in enumerate(groups):
                    ids = [i * 100 + j * 10 + k for k in range(rows)]
                    store.write(dataset, ledger, label, pa.table({"rid": ids}))
            else:
                _hand_written_part(
                    store,
                    dataset,
                    ledger,
                    groups,
                    one_row_group=kind == "one row group",
                    statistics=kind != "no statistics",
                )
        for principal in who:
            counted = store.visible_counts(principal)
            assert (counted.rows, counted.unreadable) == (_scan_counts(store, principal), {})


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    parts=st.lists(
        st.tuples(
            st.sampled_from([*PART_KINDS, "retracted"]),
            st.lists(st.tuples(labels, st.integers(0, 4)), min_size=1, max_size=3),
            st.integers(0, 1),
        ),
        min_size=1,
        max_size=6,
    ),
    who=st.lists(principals, min_size=1, max_size=4),
)
def test_visible_markings_equal_a_scan_of_the_visible_rows(
    parts: list[tuple[str, list[tuple[AccessLabel, int]], int]], who: list[Principal]
) -> None:
    """The markings `visible_ledger` gives with a ledger's visible rows (from the labels it
    keeps: `View.ledger` refuses AMBER+STRICT and RED rows without a reason by them) are
    the distinct `_marking` of a scan of those rows, for every principal: with parts of
    several labels (a principal seeing part of their rows), parts and row groups of no
    row, footers that tell nothing, and retracted parts (renamed out of every read)."""
    from ironriver.store.ledger_records import retracted_name

    with tempfile.TemporaryDirectory() as tmp:
        store = LedgerStore(Path(tmp))
        for i, (kind, groups, dataset) in enumerate(parts):
            if kind in ("ingest", "retracted"):
                before = set(store.files("crossings"))
                for j, (label, rows) in enumerate(groups):
                    ids = [i * 100 + j * 10 + k for k in range(rows)]
                    store.write(f"ds{dataset}", "crossings", label, pa.table({"rid": ids}))
                if kind == "retracted":
                    for part in set(store.files("crossings")) - before:
                        part.rename(retracted_name(part))
            else:
                _hand_written_part(
                    store,
                    f"ds{dataset}",
                    "crossings",
                    groups,
                    one_row_group=kind == "one row group",
                    statistics=kind != "no statistics",
                )
        con = duckdb.connect()
        for principal in who:
            try:
                scan = store.visible_relation(con, "crossings", principal)
            except NotFound:
                with pytest.raises(NotFound):
                    store.visible_ledger(con, "crossings", principal)
                continue
            read = store.visible_ledger(con, "crossings", principal)
            found = {str(m) for (m,) in scan.project("_marking").distinct().fetchall()}
            assert read.markings == found
            assert sorted(map(repr, read.relation.fetchall())) == sorted(map(repr, scan.fetchall()))


def test_counting_reads_no_row_of_a_part(sqlite_store: Store) -> None:
    """`ironriver datasets` and `ledgers` count a part's visible rows from its footer: a
    part whose data pages are all overwritten (its footer intact) is counted all the same,
    hidden or visible, as no row of it is read (a scan fails on it). A part of several
    labels in one row group is still read for them."""
    from ironriver.policy import View

    ledgers = LedgerStore(sqlite_store.ledger_dir)
    atf = AccessLabel("ATF", "US", Marking.AMBER, frozenset({"US"}))
    hsi = AccessLabel("HSI", "US", Marking.AMBER_STRICT, frozenset({"HSI"}))
    rows = 20_000
    table = pa.table({"serial": [f"S{i:06d}" for i in range(rows)], "price": [1.5] * rows})
    write_ledger(sqlite_store, "us_atf", "sales", atf, table)  # (recorded: reads read those)
    write_ledger(sqlite_store, "us_hsi", "sales", hsi, table)
    for part in ledgers.files("sales"):
        data = bytearray(part.read_bytes())
        footer = int.from_bytes(data[-8:-4], "little")
        data[4 : len(data) - footer - 8] = b"\xff" * (len(data) - footer - 12)
        part.write_bytes(bytes(data))
    with pytest.raises(duckdb.Error):  # no row of these parts can be read (a count of
        # them alone is told by the footer too, now that no row's label is tested)
        View(sqlite_store, Principal("a", "ATF", "US")).ledger("sales").project("serial").fetchall()
    assert View(sqlite_store, Principal("a", "ATF", "US")).ledger_counts() == {
        ("us_atf", "sales"): rows
    }
    assert View(sqlite_store, Principal("h", "HSI", "US")).ledger_counts() == {
        ("us_atf", "sales"): rows,
        ("us_hsi", "sales"): rows,
    }
    assert View(sqlite_store, Principal("f", "FGR", "MX")).ledger_counts() == {}
    # a part whose footer does not tell its labels (one row group of two) is read for them
    # (of a dataset declared, whose own label HSI may see: only such datasets' parts are read)
    sqlite_store.ensure_dataset(
        DatasetInfo("us_cbp", "CBP", "US", Marking.AMBER, frozenset({"US"}))
    )
    part = _hand_written_part(ledgers, "us_cbp", "sales", [(atf, 2), (hsi, 3)], one_row_group=True)
    record_parts(sqlite_store, [part])
    assert View(sqlite_store, Principal("h", "HSI", "US")).ledger_counts() == {
        ("us_atf", "sales"): rows,
        ("us_cbp", "sales"): 5,
        ("us_hsi", "sales"): rows,
    }


def test_the_recorded_rows_of_parts_in_place_are_read_once_per_ledger_store(
    tmp_path: Path,
) -> None:
    """An ingest of many ledger queries whose parts are in place reads the store's ingest
    events once (a dict of recorded rows), not once per part; a part not in place reads none."""
    label = AccessLabel("ATF", "US", Marking.AMBER, frozenset({"US"}))
    con = duckdb.connect()
    first = LedgerStore(tmp_path)
    recorded: dict[str, tuple[int, int]] = {}
    for i in range(3):
        part = first.prepare_query(
            con, f"SELECT range AS rid FROM range({i + 1})", "ds", f"lg{i}", label, identity=str(i)
        )
        part.commit()
        recorded[str(part.final.relative_to(tmp_path))] = (i + 1, i + 1)
    reads = []

    def read() -> RecordedParts:
        reads.append(1)
        return RecordedParts(recorded, set(), 0)

    again = LedgerStore(tmp_path, recorded=read)
    assert again.recorded_part(tmp_path / "ds" / "lg0" / "part-none.parquet") == (None, None)
    assert reads == []  # no part in place: no event read
    for i in range(3):
        part = again.prepare_query(
            con, f"SELECT range AS rid FROM range({i + 1})", "ds", f"lg{i}", label, identity=str(i)
        )
        assert part.existed and part.rows == i + 1
    assert len(reads) == 1


def test_visible_parts_name_a_parts_file_from_its_footer_else_from_its_rows(
    tmp_path: Path,
) -> None:
    """A part written with its source file (an ingest's) is found by its footer, no row
    read: here its rows' `_source_ref` names another file, and the footer wins. A part
    written without (before this, or a library write) is found by its `_source_ref` rows."""
    label = AccessLabel("ATF", "US", Marking.AMBER, frozenset({"US"}))
    store = LedgerStore(tmp_path)
    con = duckdb.connect()
    footed = store.prepare_query(
        con,
        "SELECT range AS rid, 'other.csv:' || range AS _source_ref FROM range(3)",
        "ds",
        "lg",
        label,
        identity="enero",
        source=("enero.csv", "ab" * 32),
    )
    footed.commit()
    meta = pq.ParquetFile(footed.final).metadata.metadata
    assert meta[b"ironriver.source"] == b"enero.csv"
    assert meta[b"ironriver.source_sha256"] == b"ab" * 32
    store.write(
        "ds", "lg", label, pa.table({"rid": [7, 8], "_source_ref": ["old.csv:1", "old.csv:2"]})
    )
    found = {
        p.files: (p.rows, p.sha256)
        for p in store.visible_parts("ds", "lg", Principal("a", "ATF", "US"))
    }
    assert found == {("enero.csv",): (3, "ab" * 32), ("old.csv",): (2, "")}


def test_rows_are_tested_for_their_label_only_in_parts_holding_a_hidden_one(
    tmp_path: Path,
) -> None:
    """A part every label of which the principal may see is read whole, with no per-row test
    of the label (most of a read's time at many parts); one that holds a label it may not see
    too is filtered row by row (its rows of that label left out)."""
    store = LedgerStore(tmp_path)
    us = AccessLabel("CBP", "US", Marking.AMBER, frozenset({"US"}))
    mx = AccessLabel("CBP", "US", Marking.AMBER, frozenset({"MX"}))
    store.write("us_cbp", "crossings", us, pa.table({"rid": [1, 2]}))
    store.write("us_cbp", "crossings", mx, pa.table({"rid": [3]}))
    con = duckdb.connect()
    bob = store.visible_relation(con, "crossings", Principal("bob", "CBP", "US"))
    assert "list_contains" not in bob.sql_query()
    assert sorted(r[0] for r in bob.project("rid").fetchall()) == [1, 2, 3]
    ana = store.visible_relation(con, "crossings", Principal("ana", "FGR", "MX"))
    assert "list_contains" not in ana.sql_query()  # (the US-only part is not read at all)
    assert [r[0] for r in ana.project("rid").fetchall()] == [3]
    # one part holding both labels: the MX reader's rows are tested, the CBP reader's not
    [*_, mixed_part] = sorted(tmp_path.rglob("part-*.parquet"))
    both = pa.concat_tables([pq.read_table(p) for p in sorted(tmp_path.rglob("part-*.parquet"))])
    for p in tmp_path.rglob("part-*.parquet"):
        p.unlink()
    pq.write_table(both, mixed_part)
    ana = store.visible_relation(con, "crossings", Principal("ana", "FGR", "MX"))
    assert "list_contains" in ana.sql_query()
    assert [r[0] for r in ana.project("rid").fetchall()] == [3]
    bob = store.visible_relation(con, "crossings", Principal("bob", "CBP", "US"))
    assert "list_contains" not in bob.sql_query()
    assert sorted(r[0] for r in bob.project("rid").fetchall()) == [1, 2, 3]


def test_a_table_written_again_after_its_part_was_retracted_adds_nothing(
    tmp_path: Path,
) -> None:
    """A part named by its bytes (`LedgerStore.write`, no identity) whose rows were retracted
    (renamed `retracted-<digest>.parquet`): the same table again does not bring them back
    (review R16's L06: the check after the write was never exercised)."""
    from ironriver.store.ledger_records import retracted_name

    store = LedgerStore(tmp_path)
    label = AccessLabel("ATF", "US", Marking.AMBER, frozenset({"US"}))
    table = pa.table({"txn": ["T1", "T2"], "price": [1.5, 2.5]})
    assert store.write("ds", "lg", label, table) == 2
    (part,) = (tmp_path / "ds" / "lg").glob("part-*.parquet")
    part.rename(retracted_name(part))
    assert store.write("ds", "lg", label, table) == 0
    assert not list((tmp_path / "ds" / "lg").glob("part-*.parquet"))
    assert not list((tmp_path / "ds" / "lg").glob(".ironriver-stage-*"))


LABEL = AccessLabel("ATF", "US", Marking.AMBER, frozenset({"US"}))


def test_two_identical_writes_prepared_together_add_the_rows_once(tmp_path: Path) -> None:
    """Two writes of the same rows, each prepared before either is committed (two ingests
    of one file at once): both name the same part; the first commit puts it in place and
    adds its rows, the second finds it there, adds none and leaves no scratch file."""
    ledgers = LedgerStore(tmp_path)
    rows = pa.table({"serial": ["a", "b"]})
    first = ledgers.prepare("us_atf", "sales", LABEL, rows)
    second = ledgers.prepare("us_atf", "sales", LABEL, rows)
    assert first.final == second.final and first.tmp != second.tmp
    assert first.commit() == 2
    assert second.commit() == 0
    assert not list(tmp_path.rglob(".ironriver-stage-*"))
    assert [info.rows for info in ledgers.ledgers()] == [2]


def test_a_part_in_place_with_other_rows_is_moved_aside_and_written_again(
    tmp_path: Path,
) -> None:
    """The part a write names (a hash of its bytes) in place but holding another number of
    rows (overwritten by another Parquet file): not taken as this write's, moved aside
    (kept, `damaged-...`) and the rows written again."""
    ledgers = LedgerStore(tmp_path)
    rows = pa.table({"serial": ["a", "b"]})
    assert ledgers.write("us_atf", "sales", LABEL, rows) == 2
    [part] = (tmp_path / "us_atf" / "sales").glob("part-*.parquet")
    pq.write_table(pa.table({"serial": ["x"]}), part)  # readable, one row
    assert ledgers.write("us_atf", "sales", LABEL, rows) == 2
    assert pq.ParquetFile(part).metadata.num_rows == 2
    assert len(list(part.parent.glob("damaged-*.parquet"))) == 1
