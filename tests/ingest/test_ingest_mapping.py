"""ingest_mapping: good files, idempotence, and malformed files that must leave the store as it was."""

from __future__ import annotations

import csv
import hashlib
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sales_fixtures import (  # type: ignore[import-not-found]
    ROWS,
    sales_ledger,
    snapshot,
    write_csv,
)

from ironriver.errors import IngestError, NotFound, StoreError
from ironriver.ingest import check_mapping, ingest_mapping, load_mapping
from ironriver.policy.markings import Marking, Principal
from ironriver.store import DatasetInfo, EventFilter, Store, open_store
from ironriver.store.audit_chain import WRITES
from ironriver.store.ledger import LedgerStore, PendingPart


def _report(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _seed(store: Store, tmp_path: Path) -> None:
    """Put something in the store first, so 'unchanged' is not just 'empty'."""
    folder = tmp_path / "seed"
    folder.mkdir()
    write_csv(folder / "sales.csv", ROWS[:1])
    from sales_fixtures import LEDGER_QUERY, MAPPING  # type: ignore[import-not-found]

    (folder / "m.yaml").write_text(MAPPING + LEDGER_QUERY, encoding="utf-8")
    ingest_mapping(store, folder / "m.yaml", actor="seed")


def test_load_mapping(sales_dir: Path) -> None:
    [m] = load_mapping(sales_dir / "sales.yaml")
    assert m.name == "us_atf_dealer_sales"
    assert m.marking is Marking.AMBER
    assert m.releasable_to == frozenset({"US", "MX"})
    assert [e.name for e in m.queries[0].entities] == ["buyer", "firearm", "sale"]
    assert m.queries[1].ledger is not None


def test_ingest_and_idempotent(store: Store, sales_dir: Path) -> None:
    result = ingest_mapping(store, sales_dir / "sales.yaml", actor="alice", reason="test")
    assert result.records == 4 and result.rejected == 0  # sales.csv, read by 2 queries
    assert result.statements == result.statements_new > 0
    assert result.ledger_rows == result.ledger_rows_new == 4
    before = snapshot(store)
    again = ingest_mapping(store, sales_dir / "sales.yaml", actor="alice")
    assert again.statements_new == 0 and again.ledger_rows_new == 0
    assert snapshot(store) == before
    values = {(p, v) for _, _, p, v in before[0]}
    assert ("date", "2023-01-06") in values  # 1/6/2023 with %m/%d/%Y
    assert ("lastName", "López  Pérez") in values  # string: stripped, inner spaces kept
    assert ("name", "Ana María López Pérez") in values  # name: spaces squashed
    assert ("name", "John Smith") not in values and ("firstName", "'John'") in values
    assert ("country", "us") in values
    assert ("namesMentioned", "José Núñez") in values
    events = list(store.audit.events())
    assert [e.action for e in events].count("ingest") == 2


def test_ingest_event_records_the_bytes_loaded(store: Store, sales_dir: Path) -> None:
    """Chain of custody: the `ingest` event holds the SHA-256 of each file as loaded, so an
    auditor can tell which version of a re-sent export went in (and the hash chain covers
    it); a corrected file is another digest."""
    csv = sales_dir / "sales.csv"
    ingest_mapping(store, sales_dir / "sales.yaml", actor="alice", reason="january")
    csv.write_bytes(csv.read_bytes().replace(b"Smith", b"Smyth"))
    ingest_mapping(store, sales_dir / "sales.yaml", actor="alice", reason="january, corrected")
    events = [e for e in store.audit.events() if e.action == "ingest"]
    digests = [e.detail["file_sha256"] for e in events]
    assert digests[1] == {"sales.csv": hashlib.sha256(csv.read_bytes()).hexdigest()}
    assert digests[0].keys() == digests[1].keys() and digests[0] != digests[1]
    assert store.audit.verify().ok


def test_remarking_a_stored_dataset_is_refused(
    store: Store, sales_dir: Path, tmp_path: Path
) -> None:
    """Statement ids leave the label out, ledger part names do not: an ingest under another
    marking used to keep the stored statements as they were and add every ledger row a second
    time. It is refused before anything is read or written; the refusal, which tells how the
    dataset is stored, is audited as a read (`refused`, F3): the writes chain stays as it was;
    the dry run, store-less, passes."""
    ingest_mapping(store, sales_dir / "sales.yaml", actor="alice")
    before = snapshot(store)
    writes = [e.seq for e in store.audit.events() if e.chain == WRITES]
    mapping = (sales_dir / "sales.yaml").read_text(encoding="utf-8")
    stored = "marking: AMBER, releasable_to: [MX, US]"
    changes = {
        "marking: RED, releasable_to: []": mapping.replace(
            "marking: AMBER", "marking: RED"
        ).replace("releasable_to: [US, MX]", "releasable_to: []"),
        "releasable_to: [US]": mapping.replace("releasable_to: [US, MX]", "releasable_to: [US]"),
        "legal_basis: 'court order 7'": mapping.replace(
            '"Gun Control Act, 18 USC 923(g)"', '"court order 7"'
        ),
    }
    remarked = sales_dir / "remarked.yaml"
    for n, (declared, text) in enumerate(changes.items(), 1):
        remarked.write_text(text, encoding="utf-8")
        with pytest.raises(StoreError) as err:
            ingest_mapping(store, remarked, actor="alice")
        assert "'us_atf_dealer_sales' is stored as" in err.value.message
        assert stored in err.value.message and declared in err.value.message
        assert err.value.hint is not None and "new dataset name" in err.value.hint
        assert snapshot(store) == before
        assert [e.seq for e in store.audit.events() if e.chain == WRITES] == writes
        refusals = [e for e in store.audit.events() if e.action == "refused"]
        assert len(refusals) == n and refusals[-1].detail["because"] == "dataset-declared"
        assert not (sales_dir / "remarked.yaml.errors.csv").exists()
        assert check_mapping(remarked).ledger_rows == 4  # the dry run cannot know the store
    assert store.dataset("us_atf_dealer_sales").marking is Marking.AMBER
    # under a new dataset name the new marking goes in
    renamed = changes["marking: RED, releasable_to: []"].replace(
        "us_atf_dealer_sales:", "us_atf_dealer_sales_red:"
    )
    remarked.write_text(renamed, encoding="utf-8")
    result = ingest_mapping(store, remarked, actor="alice")
    assert result.statements_new > 0 and result.ledger_rows_new == 4
    assert store.dataset("us_atf_dealer_sales_red").marking is Marking.RED


def test_ingest_event_names_the_ingesting_agency(store: Store, sales_dir: Path) -> None:
    """`audit log --agency ATF` lists ATF's ingests: the event carries the principal's
    agency (it was written with none); a library ingest without a principal has none."""
    loader = Principal("atf-loader", "ATF", "US", frozenset({"ingest"}))
    ingest_mapping(store, sales_dir / "sales.yaml", actor=loader.name, principal=loader)
    ingest_mapping(store, sales_dir / "sales.yaml", actor="script")
    events = [e for e in store.audit.events() if e.action == "ingest"]
    assert [(e.actor, e.agency) for e in events] == [("atf-loader", "ATF"), ("script", "")]
    listed = list(store.audit.events(where=EventFilter(agency="ATF")))
    assert [(e.action, e.actor) for e in listed] == [("ingest", "atf-loader")]
    assert store.audit.verify().ok


def test_ledger_rows_visible_through_policy(sqlite_store: Store, sales_dir: Path) -> None:
    ingest_mapping(sqlite_store, sales_dir / "sales.yaml", actor="alice")
    ledgers = LedgerStore(sqlite_store.ledger_dir)
    con = duckdb.connect()
    us = ledgers.visible_relation(con, "dealer_sales", Principal("a", "CBP", "US"))
    rows = us.order("_source_ref").project("sale_date, serial, price, _source_ref").fetchall()
    assert len(rows) == 4
    assert str(rows[0][0]) == "2023-01-05" and rows[0][2] == 499.99
    assert rows[3][2] is None and rows[0][3] == "sales.csv:1"
    # Nothing visible: indistinguishable from a ledger that does not exist.
    with pytest.raises(NotFound):
        ledgers.visible_relation(con, "dealer_sales", Principal("b", "PN", "CO"))


def _assert_rejected(store: Store, mapping: Path, before: object) -> IngestError:
    with pytest.raises(IngestError) as err:
        ingest_mapping(store, mapping, actor="alice")
    assert snapshot(store) == before
    return err.value


def test_wrong_encoding(sqlite_store: Store, sales_dir: Path, tmp_path: Path) -> None:
    _seed(sqlite_store, tmp_path)
    before = snapshot(sqlite_store)
    text = (sales_dir / "sales.csv").read_text(encoding="utf-8")
    (sales_dir / "sales.csv").write_bytes(text.encode("latin-1"))
    err = _assert_rejected(sqlite_store, sales_dir / "sales.yaml", before)
    assert "not valid utf-8" in err.message and "line 2" in err.message
    assert err.hint is not None and "encoding: latin-1" in err.hint
    # ... and with the encoding declared it goes in, same values as the UTF-8 file.
    mapping = (sales_dir / "sales.yaml").read_text(encoding="utf-8")
    fixed = mapping.replace("csv_url: sales.csv", "csv_url: sales.csv\n      encoding: latin-1")
    (sales_dir / "sales.yaml").write_text(fixed, encoding="utf-8")
    result = ingest_mapping(sqlite_store, sales_dir / "sales.yaml", actor="alice")
    assert result.rejected == 0 and result.statements_new > 0


def test_missing_column(sqlite_store: Store, sales_dir: Path, tmp_path: Path) -> None:
    _seed(sqlite_store, tmp_path)
    before = snapshot(sqlite_store)
    header = ["txn", "sold", "ffl", "buyer", "first", "last", "dob", "serial", "make", "price"]
    write_csv(sales_dir / "sales.csv", ROWS, header=header)
    err = _assert_rejected(sqlite_store, sales_dir / "sales.yaml", before)
    assert "buyer_id" in err.message and err.hint is not None and "buyer" in err.hint


def test_bad_dates_reported(store: Store, sales_dir: Path, tmp_path: Path) -> None:
    _seed(store, tmp_path)
    before = snapshot(store)
    rows = [list(r) for r in ROWS]
    rows[1][1] = "2023-01-06"
    rows[3][1] = "13/45/2023"
    write_csv(sales_dir / "sales.csv", rows)
    err = _assert_rejected(store, sales_dir / "sales.yaml", before)
    assert err.report_path == str(sales_dir / "sales.yaml.errors.csv")
    report = _report(Path(err.report_path))
    sold = sorted({(r["row"], r["value"]) for r in report if r["column"] == "sold"})
    assert sold == [("2", "2023-01-06"), ("4", "13/45/2023")]
    assert all("%m/%d/%Y" in r["reason"] for r in report)
    assert "2 of 8 records rejected" in err.message or "rejected" in err.message


def test_duplicate_rows(store: Store, sales_dir: Path, tmp_path: Path) -> None:
    _seed(store, tmp_path)
    before = snapshot(store)
    write_csv(sales_dir / "sales.csv", [*ROWS, ROWS[2]])
    err = _assert_rejected(store, sales_dir / "sales.yaml", before)
    report = _report(Path(str(err.report_path)))
    assert {(r["row"], r["reason"]) for r in report} == {("5", "duplicate of row 3")}


def test_duplicates_are_looked_for_among_the_filtered_records(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """A record the query's filters leave out is never read: it neither is nor makes a
    duplicate. Among the records kept, duplicates are rejected with the file's row numbers."""
    (tmp_path / "a.csv").write_text(
        "id,state,void\n1,TX,\n2,CA,\n2,CA,\n3,TX,yes\n3,TX,yes\n", encoding="utf-8"
    )
    (tmp_path / "m.yaml").write_text(
        "us_t:\n  agency: ATF\n  country: US\n  marking: AMBER\n  queries:\n"
        "  - csv_url: a.csv\n    filters: {state: TX}\n    filters_not: {void: 'yes'}\n"
        "    ledger:\n      name: l\n      columns:\n        id: id\n",
        encoding="utf-8",
    )
    assert check_mapping(tmp_path / "m.yaml").ledger_rows == 1
    result = ingest_mapping(sqlite_store, tmp_path / "m.yaml", actor="alice")
    assert result.rejected == 0 and result.ledger_rows_new == 1
    # a duplicate among the kept records is still one, reported at its row in the file
    with (tmp_path / "a.csv").open("a", encoding="utf-8") as fh:
        fh.write("2,CA,\n1,TX,\n")
    with pytest.raises(IngestError) as err:
        check_mapping(tmp_path / "m.yaml")
    report = _report(Path(str(err.value.report_path)))
    assert [(r["row"], r["reason"]) for r in report] == [("7", "duplicate of row 1")]


def test_required_value(sqlite_store: Store, sales_dir: Path, tmp_path: Path) -> None:
    _seed(sqlite_store, tmp_path)
    before = snapshot(sqlite_store)
    rows = [list(r) for r in ROWS]
    rows[2][7] = ""
    write_csv(sales_dir / "sales.csv", rows)
    err = _assert_rejected(sqlite_store, sales_dir / "sales.yaml", before)
    report = _report(Path(str(err.report_path)))
    assert {r["row"] for r in report} == {"3"}
    assert all("required value missing" in r["reason"] for r in report)


def test_skip_invalid_ingests_good_rows(
    sqlite_store: Store, sales_dir: Path, tmp_path: Path
) -> None:
    rows = [list(r) for r in ROWS]
    rows[3][1] = "not a date"
    write_csv(sales_dir / "sales.csv", rows)
    report = tmp_path / "report.csv"
    result = ingest_mapping(
        sqlite_store, sales_dir / "sales.yaml", actor="a", skip_invalid=True, report_path=report
    )
    assert result.rejected == 1 and result.ledger_rows == 3  # one row, in both queries
    assert {r["row"] for r in _report(report)} == {"4"}
    values = {v for _, _, p, v in snapshot(sqlite_store)[0] if p == "transactionNumber"}
    assert values == {"T1", "T2", "T3"}


@pytest.mark.parametrize("where", ["staging", "writing"])
def test_crash_half_way_rolls_back(
    store: Store, sales_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    """A crash while statements are staged (before the write transaction) or after they were
    copied into it leaves the store as it was, and no side file or temporary ledger part."""
    _seed(store, tmp_path)
    before = snapshot(store)
    from ironriver.ingest import writes
    from ironriver.store.store import Writer

    calls = {"n": 0}
    real_batches = writes._batches

    def flaky_batches(*args: Any, **kwargs: Any) -> Iterator[pa.Table]:
        for batch in real_batches(*args, **kwargs):
            calls["n"] += 1
            if calls["n"] > 2:
                raise OSError("disk on fire")
            yield batch

    real_add = Writer.add_staged

    def flaky_add(self: Writer, *args: Any, **kwargs: Any) -> int:
        added = real_add(self, *args, **kwargs)
        calls["n"] += 1
        assert added > 0  # the statements are in the transaction when it fails
        raise OSError("disk on fire")

    if where == "staging":
        monkeypatch.setattr(writes, "_batches", flaky_batches)
    else:
        monkeypatch.setattr(Writer, "add_staged", flaky_add)
    with pytest.raises(OSError):
        ingest_mapping(store, sales_dir / "sales.yaml", actor="a", batch_rows=5)
    assert calls["n"] == (3 if where == "staging" else 1)
    assert snapshot(store) == before
    assert not list(store.ledger_dir.rglob(".tmp-*"))
    db = store.engine.url.database
    if store.dialect == "sqlite" and db:
        assert not list(Path(db).parent.glob(f".{Path(db).name}.stage-*"))


def test_jsonl_source(sqlite_store: Store, tmp_path: Path) -> None:
    (tmp_path / "p.jsonl").write_text(
        '{"id": "1", "name": "Ana Pérez", "born": "1990-02-03"}\n'
        '{"id": 2, "name": " Bob ", "extra": [1, 2]}\n',
        encoding="utf-8",
    )
    (tmp_path / "p.yaml").write_text(
        "mx_fgr_people:\n  agency: FGR\n  country: MX\n  marking: GREEN\n  queries:\n"
        "    - jsonl_url: p.jsonl\n      entities:\n        p:\n          schema: Person\n"
        "          keys: [id]\n          properties:\n            name: {column: name}\n"
        "            birthDate: {column: born}\n",
        encoding="utf-8",
    )
    result = ingest_mapping(sqlite_store, tmp_path / "p.yaml", actor="a")
    values = {(p, v) for _, _, p, v in snapshot(sqlite_store)[0]}
    assert result.records == 2
    assert values == {("name", "Ana Pérez"), ("birthDate", "1990-02-03"), ("name", "Bob")}


def test_mapping_errors_are_clear(tmp_path: Path) -> None:
    (tmp_path / "x.csv").write_text("a\n1\n", encoding="utf-8")
    bad = "ds:\n  agency: ATF\n  country: US\n  marking: AMBER\n  queries:\n    - csv_url: x.csv\n      entities:\n        e: {schema: Firearm, keys: [a], properties: {nope: {column: a}}}\n"
    (tmp_path / "m.yaml").write_text(bad, encoding="utf-8")
    with pytest.raises(IngestError, match="no property 'nope'"):
        load_mapping(tmp_path / "m.yaml")
    (tmp_path / "m.yaml").write_text(bad.replace("AMBER", "PURPLE"), encoding="utf-8")
    with pytest.raises(IngestError, match="Unknown marking"):
        load_mapping(tmp_path / "m.yaml")
    (tmp_path / "m.yaml").write_text(bad.replace("US", "XX"), encoding="utf-8")
    with pytest.raises(IngestError, match="dataset 'ds': Unknown country code 'XX'"):
        load_mapping(tmp_path / "m.yaml")


@pytest.mark.parametrize(
    ("line", "place", "value"),
    [
        ("filters: {active: yes}", "filters.active", "true"),
        ("filters: {code: 007}", "filters.code", "7"),
        ("filters: {rate: 1.10}", "filters.rate", "1.1"),
        ("filters: {code: ['008', 7]}", "filters.code", "7"),  # each value of a list
        ("filters_not: {active: off}", "filters_not.active", "false"),
        ("filters: {active: }", "filters.active", "null"),
        ("null_values: [N/A, no]", "null_values", "false"),
        ("filters: {yes: 'x'}", "filters", "true"),  # a column name YAML read as a boolean
    ],
)
def test_filter_values_yaml_reads_as_other_than_text_are_refused(
    tmp_path: Path, line: str, place: str, value: str
) -> None:
    """Unquoted, YAML reads `yes` as true, `007` as 7, `1.10` as 1.1: as text ('True', '7')
    such a filter equalled no value of the file, and the ingest kept nothing, silently. The
    mapping is refused at load (so the dry run says it too); quoted values work."""
    (tmp_path / "a.csv").write_text(
        "id,active,code,rate\n1,yes,007,1.10\n2,no,008,2.0\n", encoding="utf-8"
    )
    mapping = (
        "us_t:\n  agency: ATF\n  country: US\n  marking: AMBER\n  queries:\n"
        "  - csv_url: a.csv\n    {line}\n    ledger:\n      name: l\n      columns:\n"
        "        id: id\n"
    )
    (tmp_path / "m.yaml").write_text(mapping.format(line=line), encoding="utf-8")
    with pytest.raises(IngestError) as err:
        check_mapping(tmp_path / "m.yaml")
    assert f"{place}: YAML read the value {value} as " in err.value.message
    assert "query 1" in err.value.message
    assert err.value.hint is not None and "Quote it" in err.value.hint
    assert "YAML leyó el valor" in err.value.render("es")
    quoted = {
        "filters: {active: 'yes'}": 1,
        "filters: {code: '007'}": 1,
        "filters: {rate: '1.10'}": 1,
        "filters: {code: ['008', '7']}": 1,
        "filters_not: {active: 'no'}": 1,
        "null_values: ['N/A', 'no']": 2,
    }
    for text, rows in quoted.items():
        (tmp_path / "m.yaml").write_text(mapping.format(line=text), encoding="utf-8")
        assert check_mapping(tmp_path / "m.yaml").ledger_rows == rows, text


def test_a_filter_listing_no_value_is_refused(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("id,state\n1,TX\n", encoding="utf-8")
    (tmp_path / "m.yaml").write_text(
        "us_t:\n  agency: ATF\n  country: US\n  marking: AMBER\n  queries:\n"
        "  - csv_url: a.csv\n    filters: {state: []}\n    ledger:\n      name: l\n"
        "      columns:\n        id: id\n",
        encoding="utf-8",
    )
    with pytest.raises(IngestError, match=r"filters\.state lists no value"):
        load_mapping(tmp_path / "m.yaml")


def test_entities_that_would_share_ids_are_refused(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("folio,serie\nF1,ABC\n", encoding="utf-8")
    path = tmp_path / "m.yaml"
    path.write_text(
        "mx_fgr_x:\n  agency: FGR\n  country: MX\n  marking: AMBER\n  queries:\n"
        "  - csv_url: a.csv\n    entities:\n"
        "      arma: {schema: Firearm, keys: [folio], properties: {serialNumber: {column: serie}}}\n"
        "      aseguramiento:\n        schema: Recovery\n        keys: [folio]\n"
        "        properties: {firearm: {entity: arma}}\n",
        encoding="utf-8",
    )
    with pytest.raises(IngestError, match="same id in every record") as err:
        load_mapping(path)
    assert err.value.hint is not None and "key_literal" in err.value.hint


def test_ledger_parts_named_by_their_source_not_their_bytes(
    sqlite_store: Store, sales_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Re-ingesting a file adds no ledger rows even when the Parquet writer's output changes
    (a library upgrade); a changed file adds a part."""
    import ironriver.store.ledger as ledger_module

    first = ingest_mapping(sqlite_store, sales_dir / "sales.yaml", actor="a")
    assert first.ledger_rows_new == len(ROWS)
    parts = sorted(sqlite_store.ledger_dir.rglob("part-*.parquet"))
    options = dict(ledger_module._PARQUET_OPTIONS, compression="gzip")
    monkeypatch.setattr(ledger_module, "_PARQUET_OPTIONS", options)
    again = ingest_mapping(sqlite_store, sales_dir / "sales.yaml", actor="a")
    assert again.ledger_rows_new == 0 and again.ledger_rows == len(ROWS)
    assert sorted(sqlite_store.ledger_dir.rglob("part-*.parquet")) == parts
    rows = [list(r) for r in ROWS]
    rows[0][0] = "T9"
    write_csv(sales_dir / "sales.csv", rows)
    changed = ingest_mapping(sqlite_store, sales_dir / "sales.yaml", actor="a")
    assert changed.ledger_rows_new == len(ROWS)
    assert len(list(sqlite_store.ledger_dir.rglob("part-*.parquet"))) == len(parts) + 1


def test_ledger_numbers_are_read_strictly(sqlite_store: Store, tmp_path: Path) -> None:
    """DuckDB's casts would round '12.5' into the integer 13, read '0x1F' as 31 and '1_000'
    as 1000, and take 'inf' and 'nan' for numbers: a ledger rejects them, with a reason."""
    (tmp_path / "n.csv").write_text(
        "id,qty,price\n1,12,12.5\n2,12.5,1e3\n3,0x1F,inf\n4,1_000,nan\n5,-3,1_000.5\n6,+7,0x10\n",
        encoding="utf-8",
    )
    mapping = tmp_path / "n.yaml"
    mapping.write_text(
        "us_atf_n:\n  agency: ATF\n  country: US\n  marking: AMBER\n  queries:\n"
        "  - csv_url: n.csv\n    ledger:\n      name: n\n      columns:\n"
        "        id: {column: id}\n        qty: {column: qty, type: integer}\n"
        "        price: {column: price, type: float}\n",
        encoding="utf-8",
    )
    with pytest.raises(IngestError):
        ingest_mapping(sqlite_store, mapping, actor="t")
    with (tmp_path / "n.yaml.errors.csv").open(encoding="utf-8") as fh:
        bad = {(r["row"], r["column"]) for r in csv.DictReader(fh)}
    assert bad == {
        ("2", "qty"),
        ("3", "qty"),
        ("3", "price"),
        ("4", "qty"),
        ("4", "price"),
        ("5", "price"),
        ("6", "price"),
    }
    result = ingest_mapping(sqlite_store, mapping, actor="t", skip_invalid=True)
    assert result.ledger_rows == 1  # only the first row is clean
    rows = pq.read_table(sorted(sqlite_store.ledger_dir.rglob("part-*.parquet"))).to_pylist()
    assert [(r["qty"], r["price"]) for r in rows] == [(12, 12.5)]


def test_a_four_digit_year_format_rejects_a_shorter_year(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """DuckDB's strptime reads %Y from one to four digits: '05/01/23' under %d/%m/%Y was
    stored as the year 23 (0023-01-05) in ledger dates and timestamps. Python's %Y (FtM's,
    `ftm map`'s) takes exactly four digits, so the record is rejected; '0023' is still 23."""
    (tmp_path / "y.csv").write_text(
        "id,day,at\n"
        "1,05/01/23,05/01/23 10:30\n"
        "2,05/01/023,05/01/2023 10:30\n"
        "3,05/01/2023,05/01/2023 10:30\n"
        "4,05/01/0023,05/01/0123 10:30\n",
        encoding="utf-8",
    )
    mapping = tmp_path / "y.yaml"
    mapping.write_text(
        "us_atf_y:\n  agency: ATF\n  country: US\n  marking: AMBER\n  queries:\n"
        "  - csv_url: y.csv\n    ledger:\n      name: y\n      columns:\n"
        "        id: {column: id}\n"
        '        day: {column: day, type: date, format: "%d/%m/%Y"}\n'
        '        at: {column: at, type: timestamp, format: "%d/%m/%Y %H:%M"}\n',
        encoding="utf-8",
    )
    result = ingest_mapping(sqlite_store, mapping, actor="t", skip_invalid=True)
    with (tmp_path / "y.yaml.errors.csv").open(encoding="utf-8") as fh:
        bad = {(r["row"], r["column"]) for r in csv.DictReader(fh)}
    assert bad == {("1", "day"), ("1", "at"), ("2", "day")}
    assert result.ledger_rows == 2
    rows = pq.read_table(sorted(sqlite_store.ledger_dir.rglob("part-*.parquet"))).to_pylist()
    got = sorted((r["id"], str(r["day"]), str(r["at"])) for r in rows)
    assert got == [
        ("3", "2023-01-05", "2023-01-05 10:30:00"),
        ("4", "0023-01-05", "0123-01-05 10:30:00"),
    ]


def test_ledger_dates_without_a_format_are_iso_and_offsets_are_honoured(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """Without a format a date column reads ISO dates only: DuckDB's cast took '99999-01-01'
    for a date and '-2024-01-01' for 2025 BC. A timestamp's offset was dropped (10:00+02:00
    read as 10:00; later still 10:00-05, hours only as PostgreSQL writes them); it is now
    stored in UTC."""
    (tmp_path / "d.csv").write_text(
        "id,day,at\n"
        "1,2024-01-05,2024-01-05T10:00:00+02:00\n"
        "2,2024-1-6,2024-01-05 10:00:00\n"
        "3,2024/01/07,2024-01-05T10:00:00Z\n"
        "4,99999-01-01,2024-01-05T10:00:00-0500\n"
        "5,-2024-01-01,2024-01-05 junk\n"
        "6,2024-01-08,2024-01-05 10:00:00-05\n"  # hours only, as PostgreSQL writes it
        "7,2024-01-09,2024-01-05T10:00:00.5+05\n"
        "8,2024-01-10,2024-01-05\n",  # a date: its '-05' is no offset
        encoding="utf-8",
    )
    mapping = tmp_path / "d.yaml"
    mapping.write_text(
        "us_atf_d:\n  agency: ATF\n  country: US\n  marking: AMBER\n  queries:\n"
        "  - csv_url: d.csv\n    ledger:\n      name: d\n      columns:\n"
        "        id: {column: id}\n        day: {column: day, type: date}\n"
        "        at: {column: at, type: timestamp}\n",
        encoding="utf-8",
    )
    result = ingest_mapping(sqlite_store, mapping, actor="t", skip_invalid=True)
    with (tmp_path / "d.yaml.errors.csv").open(encoding="utf-8") as fh:
        bad = {(r["row"], r["column"]) for r in csv.DictReader(fh)}
    assert bad == {("4", "day"), ("5", "day"), ("5", "at")}
    assert result.ledger_rows == 6
    rows = pq.read_table(sorted(sqlite_store.ledger_dir.rglob("part-*.parquet"))).to_pylist()
    got = sorted((r["id"], str(r["day"]), str(r["at"])) for r in rows)
    assert got == [
        ("1", "2024-01-05", "2024-01-05 08:00:00"),  # +02:00 -> UTC
        ("2", "2024-01-06", "2024-01-05 10:00:00"),  # no offset: as written
        ("3", "2024-01-07", "2024-01-05 10:00:00"),  # Z is UTC
        ("6", "2024-01-08", "2024-01-05 15:00:00"),  # -05 -> UTC
        ("7", "2024-01-09", "2024-01-05 05:00:00.500000"),  # +05 -> UTC
        ("8", "2024-01-10", "2024-01-05 00:00:00"),
    ]


def test_a_ledger_part_keeps_its_name_across_releases(sqlite_store: Store, tmp_path: Path) -> None:
    """A part is named by what made it, so the same file again adds nothing, also after an
    upgrade. The name below is the one the release before ledger keys (ddb227b) wrote for
    this file and mapping: when adding `key` changed it, re-ingesting a file after
    upgrading appended every row again."""
    (tmp_path / "s.csv").write_text("folio,serial\nF1,SN1\nF2,SN2\nF3,SN3\n", encoding="utf-8")
    mapping = tmp_path / "m.yaml"
    mapping.write_text(
        "us_atf_sales:\n  agency: ATF\n  country: US\n  marking: AMBER\n  releasable_to: [US]\n"
        "  queries:\n    - csv_url: s.csv\n      ledger:\n        name: dealer_sales\n"
        "        columns: {folio: folio, serial: serial}\n",
        encoding="utf-8",
    )
    assert ingest_mapping(sqlite_store, mapping, actor="loader").ledger_rows_new == 3
    parts = sorted(p.name for p in sqlite_store.ledger_dir.rglob("part-*.parquet"))
    assert parts == ["part-dae7ed80f01ca619fa354b1a8d68b902.parquet"]


def _keyed(tmp_path: Path, rows: list[str], name: str = "week.csv") -> Path:
    (tmp_path / name).write_text("folio,fecha,monto\n" + "".join(r + "\n" for r in rows))
    path = tmp_path / "keyed.yaml"
    path.write_text(
        "us_cbp_x:\n  agency: CBP\n  country: US\n  marking: AMBER\n  releasable_to: [US]\n"
        f"  queries:\n  - csv_url: {name}\n    ledger:\n      name: crossings\n"
        "      key: folio\n      columns:\n        folio: folio\n"
        "        fecha: {column: fecha, type: date}\n        monto: {column: monto, type: float}\n",
        encoding="utf-8",
    )
    return path


def _ledger(store: Store) -> list[tuple[object, ...]]:
    con = duckdb.connect()
    rel = LedgerStore(store.ledger_dir).visible_relation(
        con, "crossings", Principal("a", "CBP", "US")
    )
    return rel.order("folio").project("folio, CAST(fecha AS VARCHAR), monto").fetchall()


def test_a_keyed_ledger_takes_each_record_of_cumulative_exports_once(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """Agencies send cumulative exports (all of the year so far, every week): with a `key`,
    a record the ledger holds is not appended again (without one every export would add
    every earlier row once more); a record whose values changed is a rejected record, not
    a silent second version."""
    first = ingest_mapping(
        sqlite_store, _keyed(tmp_path, ["A1,2024-01-01,10", "A2,2024-01-02,20"]), actor="loader"
    )
    assert (first.ledger_rows, first.ledger_rows_new) == (2, 2)
    rows = ["A1,2024-01-01,10", "A2,2024-01-02,20", "A3,2024-01-08,30"]
    second = ingest_mapping(sqlite_store, _keyed(tmp_path, rows, "week2.csv"), actor="loader")
    assert (second.ledger_rows, second.ledger_rows_new) == (3, 1)
    again = ingest_mapping(sqlite_store, _keyed(tmp_path, rows, "week2b.csv"), actor="loader")
    assert (again.ledger_rows, again.ledger_rows_new) == (3, 0)
    assert _ledger(sqlite_store) == [
        ("A1", "2024-01-01", 10.0),
        ("A2", "2024-01-02", 20.0),
        ("A3", "2024-01-08", 30.0),
    ]
    # a stored record with other values, and a key repeated within the file
    changed = ["A2,2024-01-02,25", "A4,2024-01-09,40", "A4,2024-01-09,41", ",2024-01-10,50"]
    before = snapshot(sqlite_store)
    with pytest.raises(IngestError) as err:
        ingest_mapping(sqlite_store, _keyed(tmp_path, changed, "week3.csv"), actor="loader")
    assert "2 of 4 records rejected" in err.value.message
    assert "key already stored with other values" in err.value.message
    assert "key repeats row 2's with other values" in err.value.message
    assert snapshot(sqlite_store) == before
    # (a record with no key has none to repeat: it is appended)
    kept = ingest_mapping(
        sqlite_store,
        _keyed(tmp_path, changed, "week3.csv"),
        actor="loader",
        skip_invalid=True,
    )
    assert (kept.ledger_rows, kept.ledger_rows_new) == (2, 2)
    assert [r[0] for r in _ledger(sqlite_store)] == ["A1", "A2", "A3", "A4", None]


def test_a_key_repeated_with_the_same_ledger_values_is_no_conflict(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """Review R15 (mutant D07): two records of one file with the same key and the same
    ledger values, which differ only in a column the entity mapping reads (the buyer's
    name), are not a key repeated "with other values": neither is rejected (nor are they
    duplicate records: a column differs). The ledger takes the key once; the entity both."""
    path = sales_ledger(tmp_path, "s.csv", "T1,P1,Ana\nT1,P1,Anna\n", key=True, buyers=True)
    result = ingest_mapping(sqlite_store, path, actor="loader")
    assert (result.records, result.rejected, result.report_path) == (2, 0, None)
    assert (result.ledger_rows, result.ledger_rows_new) == (2, 1)
    assert result.statements == 2  # the buyer's two names


def test_two_queries_into_one_keyed_ledger_append_a_key_once(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """Two files of one mapping into one keyed ledger (two weeks' exports at once): the
    second query read only the committed parts, not the first's part, pending in the same
    ingest, and A2 was appended twice."""
    path = _keyed(tmp_path, ["A1,2024-01-01,10", "A2,2024-01-02,20"], "a.csv")
    (tmp_path / "b.csv").write_text(
        "folio,fecha,monto\nA2,2024-01-02,20\nA3,2024-01-03,30\n", encoding="utf-8"
    )
    text = path.read_text(encoding="utf-8")
    query = text[text.index("  - csv_url: a.csv") :]
    path.write_text(text + query.replace("a.csv", "b.csv"), encoding="utf-8")
    result = ingest_mapping(sqlite_store, path, actor="loader")
    assert (result.ledger_rows, result.ledger_rows_new) == (4, 3)
    assert [r[0] for r in _ledger(sqlite_store)] == ["A1", "A2", "A3"]


def test_a_keyed_ledger_takes_a_mapping_that_gained_a_column(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """The agency adds `price` to its weekly export: the stored parts have no such column,
    and comparing it with them was a DuckDB binder error (a traceback). A column added since
    is compared only with the parts that hold it."""
    path = _keyed(tmp_path, ["A1,2024-01-01,10", "A2,2024-01-02,20"])
    mapping = path.read_text(encoding="utf-8")
    path.write_text(mapping.replace("        monto: {column: monto, type: float}\n", ""))
    assert ingest_mapping(sqlite_store, path, actor="loader").ledger_rows_new == 2
    path.write_text(mapping, encoding="utf-8")  # the mapping reads monto again
    week2 = ["A1,2024-01-01,10", "A2,2024-01-02,20", "A3,2024-01-03,30"]
    second = ingest_mapping(sqlite_store, _keyed(tmp_path, week2, "w2.csv"), actor="loader")
    assert (second.ledger_rows, second.ledger_rows_new) == (3, 1)
    # A1's monto was not stored (no conflict to see); A3's was, with 30
    week3 = ["A1,2024-01-01,11", "A3,2024-01-03,31"]
    with pytest.raises(IngestError) as err:
        ingest_mapping(sqlite_store, _keyed(tmp_path, week3, "w3.csv"), actor="loader")
    assert "1 record of 2 rejected" in err.value.message
    [bad] = _report(tmp_path / "keyed.yaml.errors.csv")
    assert (bad["row"], bad["value"], bad["reason"]) == (
        "2",
        "A3",
        "key already stored with other values",
    )
    assert _ledger(sqlite_store) == [
        ("A1", "2024-01-01", None),
        ("A2", "2024-01-02", None),
        ("A3", "2024-01-03", 30.0),
    ]


def test_two_ingests_of_overlapping_exports_at_once_append_a_new_key_once(
    tmp_path: Path,
) -> None:
    """Two processes ingest overlapping cumulative exports at the same moment: the first
    has found key A2 missing and written its part, but not committed; the second waits
    for it (the ledger's key lock) instead of finding A2 missing too, and appends only
    what the first did not. (Without the lock both appended A2.)"""
    url = f"sqlite:///{tmp_path / 'store.db'}"
    first_store = open_store(url, ledger_dir=tmp_path / "ledgers")
    second_store = open_store(url, ledger_dir=tmp_path / "ledgers")
    ingest_mapping(first_store, _keyed(tmp_path, ["A1,2024-01-01,10"]), actor="loader")
    week2 = _keyed(tmp_path, ["A1,2024-01-01,10", "A2,2024-01-02,20"], "week2.csv")
    # a second mapping file (the same ledger) reading the next week's export
    week3 = tmp_path / "keyed3.yaml"
    week3.write_text(week2.read_text().replace("week2.csv", "week3.csv"), encoding="utf-8")
    (tmp_path / "week3.csv").write_text(
        "folio,fecha,monto\nA2,2024-01-02,20\nA3,2024-01-03,30\n", encoding="utf-8"
    )
    staged = threading.Event()  # the first ingest wrote its part, not yet committed
    go_on = threading.Event()  # the second is waiting for the first (or has finished)
    waited: list[str] = []

    def first_progress(text: str) -> None:
        if " for ledger " in text:
            staged.set()
            go_on.wait(timeout=30)

    def second_progress(text: str) -> None:
        if "waiting for another ingest" in text:
            waited.append(text)
            go_on.set()

    results: dict[str, Any] = {}
    first = threading.Thread(
        target=lambda: results.update(
            first=ingest_mapping(first_store, week2, actor="a", progress=first_progress)
        )
    )
    first.start()
    assert staged.wait(timeout=30)
    second = threading.Thread(
        target=lambda: results.update(
            second=ingest_mapping(second_store, week3, actor="b", progress=second_progress)
        )
    )
    second.start()
    second.join(timeout=5)  # with the lock, it is still waiting for the first
    go_on.set()
    first.join(timeout=60)
    second.join(timeout=60)
    assert [r[0] for r in _ledger(first_store)] == ["A1", "A2", "A3"]
    assert results["first"].ledger_rows_new == 1  # A2
    assert results["second"].ledger_rows_new == 1  # A3 only: A2 was stored by the first
    assert waited == ["us_cbp_x: waiting for another ingest into ledger crossings…"]
    first_store.close()
    second_store.close()


def test_a_ledger_key_must_name_its_columns(tmp_path: Path) -> None:
    path = _keyed(tmp_path, ["A1,2024-01-01,10"])
    path.write_text(path.read_text().replace("key: folio", "key: [folio, hora]"))
    with pytest.raises(IngestError, match=r"key \['folio', 'hora'\] must name columns"):
        load_mapping(path)


def test_ledger_parts_of_a_committed_ingest_killed_before_their_rename_are_recovered(
    sqlite_store: Store, sales_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A process killed (SIGKILL, power loss) between its ingest's commit and the renames of
    its ledger parts left them under their scratch names: statements and audit event in
    the store, the ledger without the rows, and the next write to that ledger swept them
    away. The commit is the ingest's truth: the next process to open the store renames the
    parts its audit event names into place."""
    import subprocess
    import sys

    import ironriver.store.ledger as ledger_module
    from ironriver.scratch import owner_tag
    from ironriver.store import open_store

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # a process id that is no longer alive: the "killed" ingest's
    host = owner_tag().rsplit(".", 1)[0]
    monkeypatch.setattr(ledger_module, "owner_tag", lambda: f"{host}.{gone.pid}")
    monkeypatch.setattr(PendingPart, "commit", lambda self: 0)  # killed before the renames
    result = ingest_mapping(sqlite_store, sales_dir / "sales.yaml", actor="alice")
    assert result.statements_new > 0 and result.ledger_rows == 4
    scratch = list(sqlite_store.ledger_dir.glob("*/*/.ironriver-stage-*.parquet"))
    assert len(scratch) == 1 and not list(sqlite_store.ledger_dir.glob("*/*/part-*.parquet"))
    monkeypatch.undo()
    reopened = open_store(str(sqlite_store.engine.url), ledger_dir=sqlite_store.ledger_dir)
    assert not list(reopened.ledger_dir.glob("*/*/.ironriver-stage-*.parquet"))
    con = duckdb.connect()
    rel = LedgerStore(reopened.ledger_dir).visible_relation(
        con, "dealer_sales", Principal("a", "CBP", "US")
    )
    assert len(rel.fetchall()) == 4  # the committed ingest's rows, in place
    again = ingest_mapping(reopened, sales_dir / "sales.yaml", actor="alice")
    assert again.ledger_rows_new == 0  # and not added twice by a re-run
    reopened.close()


def test_a_keyed_ingest_reads_the_keys_of_a_killed_ingests_committed_part(
    sqlite_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An ingest killed after its commit, before its part's rename, while this store was
    open: the next keyed ingest through this store puts that part in place before it reads
    the stored keys, so the keys it holds are not appended a second time."""
    import subprocess
    import sys

    import ironriver.store.ledger as ledger_module
    from ironriver.scratch import owner_tag

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    host = owner_tag().rsplit(".", 1)[0]
    with monkeypatch.context() as killed:
        killed.setattr(ledger_module, "owner_tag", lambda: f"{host}.{gone.pid}")
        killed.setattr(PendingPart, "commit", lambda self: 0)  # killed before the rename
        rows = ["A1,2024-01-01,10", "A2,2024-01-02,20"]
        ingest_mapping(sqlite_store, _keyed(tmp_path, rows), actor="loader")
    rows = ["A1,2024-01-01,10", "A2,2024-01-02,20", "A3,2024-01-08,30"]
    week2 = ingest_mapping(sqlite_store, _keyed(tmp_path, rows, "week2.csv"), actor="loader")
    assert (week2.ledger_rows, week2.ledger_rows_new) == (3, 1)
    assert [r[0] for r in _ledger(sqlite_store)] == ["A1", "A2", "A3"]
    assert not list(sqlite_store.ledger_dir.glob("*/*/.ironriver-stage-*.parquet"))


def test_a_rename_failing_after_the_commit_releases_the_locks_and_the_signals(
    sqlite_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A ledger part's rename that fails once the store has committed (a full disk, a
    permission) raises, with the keyed ledger's lock released and the signals held over the
    commit restored: Ctrl-C kept being caught and dropped in the caller's process."""
    import signal

    def failing_commit(part: PendingPart) -> int:
        raise PermissionError("no rename")

    before = signal.getsignal(signal.SIGINT)
    monkeypatch.setattr(PendingPart, "commit", failing_commit)
    with pytest.raises(PermissionError):
        ingest_mapping(sqlite_store, _keyed(tmp_path, ["A1,2024-01-01,10"]), actor="loader")
    assert signal.getsignal(signal.SIGINT) is before
    waited: list[str] = []
    with LedgerStore(sqlite_store.ledger_dir).key_lock(
        "us_cbp_x", "crossings", lambda: waited.append("x")
    ):
        assert waited == []  # free at once


def test_ids_longer_than_ftms_limit_are_reported(store: Store, tmp_path: Path) -> None:
    """An id_column or a reference column longer than FtM's 200 characters rejects its row
    with that reason on every backend alike (PostgreSQL raised a traceback past 255)."""
    (tmp_path / "p.csv").write_text(
        f"bid,name,txn,ref\n{'a' * 200},Kept,T1,b1\n{'a' * 256},Long,T2,b1\nb2,Ref,T3,{'c' * 201}\n",
        encoding="utf-8",
    )
    (tmp_path / "m.yaml").write_text(
        "us_atf_long:\n  agency: ATF\n  country: US\n  marking: AMBER\n  queries:\n"
        "    - csv_url: p.csv\n      entities:\n"
        "        buyer: {schema: Person, id_column: bid, properties: {name: {column: name}}}\n"
        "        sale: {schema: Sale, keys: [txn], properties: {buyer: {column: ref}}}\n",
        encoding="utf-8",
    )
    report = tmp_path / "bad.csv"
    result = ingest_mapping(
        store, tmp_path / "m.yaml", actor="a", skip_invalid=True, report_path=report
    )
    assert result.rejected == 2
    reasons = {r["row"]: r["reason"] for r in _report(report)}
    assert set(reasons) == {"2", "3"}  # (records are numbered from the first data line)
    assert all("longer than 200 characters, FtM's limit" in r for r in reasons.values())
    assert "buyer.id_column" in reasons["2"] and "sale.buyer" in reasons["3"]
    ids = {e for _, e, _, _ in snapshot(store)[0]}
    assert "a" * 200 in ids and max(len(e) for e in ids) == 200


def test_datasets_are_declared_in_name_order(
    sqlite_store: Store, sales_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two ingests declaring the same new datasets take their rows' locks in one order
    (name order, not the mapping's): on PostgreSQL opposite orders could deadlock."""
    from ironriver.store.store import Writer

    text = (sales_dir / "graph.yaml").read_text(encoding="utf-8")
    second = text.replace("us_atf_dealer_sales:", "us_atf_a_second:", 1)
    (sales_dir / "two.yaml").write_text(text + "\n" + second, encoding="utf-8")
    declared: list[str] = []
    ensure = Writer.ensure_dataset

    def recording(self: Writer, info: DatasetInfo) -> int:
        declared.append(info.name)
        return ensure(self, info)

    monkeypatch.setattr(Writer, "ensure_dataset", recording)
    ingest_mapping(sqlite_store, sales_dir / "two.yaml", actor="t")
    assert declared == ["us_atf_a_second", "us_atf_dealer_sales"]
