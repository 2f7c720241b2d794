"""Guards found by mutation testing of value cleaning and checks (`clean`, `compile`):
each test fails if one bound is off by one or one check is skipped."""

from __future__ import annotations

import csv
from pathlib import Path

from followthemoney.statement import Statement
from sales_fixtures import snapshot  # type: ignore[import-not-found]
from sqlalchemy import text

from ironriver.ingest import IngestResult, ingest_mapping
from ironriver.store import Store

HEAD = "us_atf_t:\n  agency: ATF\n  country: US\n  marking: AMBER\n  queries:\n"


def _ingest_skipping(
    store: Store, tmp_path: Path, rows: str, entities: str
) -> tuple[IngestResult, list[dict[str, str]]]:
    """Ingest `rows` (p.csv) mapped by `entities` (the query's entity lines), skipping the
    invalid records: the result, and the rows of its rejected-records report."""
    (tmp_path / "p.csv").write_text(rows, encoding="utf-8")
    mapping = tmp_path / "m.yaml"
    mapping.write_text(
        HEAD + "    - csv_url: p.csv\n      entities:\n" + entities, encoding="utf-8"
    )
    report = tmp_path / "bad.csv"
    result = ingest_mapping(store, mapping, actor="a", skip_invalid=True, report_path=report)
    with report.open(encoding="utf-8") as fh:
        return result, list(csv.DictReader(fh))


def test_a_reference_of_exactly_ftms_id_limit_is_kept(sqlite_store: Store, tmp_path: Path) -> None:
    """FtM's limit for an id is 200 characters: a reference column of 200 is an id, one
    of 201 is rejected (with the limit as its reason, not as an invalid value)."""
    rows = f"txn,ref\nT1,{'c' * 200}\nT2,{'d' * 201}\n"
    sale = "        sale: {schema: Sale, keys: [txn], properties: {buyer: {column: ref}}}\n"
    result, rejected = _ingest_skipping(sqlite_store, tmp_path, rows, sale)
    assert (result.records, result.rejected) == (2, 1)
    [bad] = rejected
    assert bad["row"] == "2" and "longer than 200 characters" in bad["reason"]
    values = {(p, v) for _, _, p, v in snapshot(sqlite_store)[0]}
    assert ("buyer", "c" * 200) in values


def test_mapped_statement_ids_are_ftms(sqlite_store: Store, sales_dir: Path) -> None:
    """Every statement a mapping ingests has FtM's id (`Statement.make_key` of the
    dataset, entity, property and value): the store de-duplicates by it, and another
    FtM tool's statements of the same value must meet them."""
    ingest_mapping(sqlite_store, sales_dir / "graph.yaml", actor="a")
    rows = snapshot(sqlite_store)[0]
    assert len(rows) > 20
    for sid, entity_id, prop, value in rows:
        assert sid == Statement.make_key("us_atf_dealer_sales", entity_id, prop, value, False)


def test_two_entities_that_cannot_merge_getting_one_id_reject_the_record(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """A Person and a Company keyed on (id, own name): where both names are empty, both
    ids hash the id alone and coincide, and FtM would write them as one entity of a schema
    neither has. That record is rejected, naming both; the others go in."""
    entities = (
        "        person: {schema: Person, keys: [id, pname], properties: {name: {column: pname}}}\n"
        "        firm: {schema: Company, keys: [id, cname], properties: {name: {column: cname}}}\n"
    )
    rows = "id,pname,cname\n1,Ana,Acme\n2,,\n3,Bo,\n"
    result, rejected = _ingest_skipping(sqlite_store, tmp_path, rows, entities)
    assert (result.records, result.rejected) == (3, 1)
    [bad] = rejected
    assert bad["row"] == "2" and "entities person and firm get the same id" in bad["reason"]
    names = sorted(v for _, _, p, v in snapshot(sqlite_store)[0] if p == "name")
    assert names == ["Acme", "Ana", "Bo"]


def test_a_statement_several_records_make_keeps_its_first_record(
    sqlite_store: Store, sales_dir: Path
) -> None:
    """Buyer B1 is in records 1 and 2 of sales.csv: each of its statements is stored once,
    citing the first record that made it (as `ftm map` keeps the first)."""
    ingest_mapping(sqlite_store, sales_dir / "graph.yaml", actor="a")
    with sqlite_store.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT p.prop, s.source_row FROM statements s JOIN props p ON p.id = s.prop_id "
                "WHERE s.value IN ('Ana María', 'López  Pérez', '1990-02-03') ORDER BY p.prop"
            )
        ).fetchall()
    assert [tuple(r) for r in rows] == [("birthDate", 1), ("firstName", 1), ("lastName", 1)]


def test_a_value_cleaning_changed_keeps_its_original_text(
    sqlite_store: Store, sales_dir: Path
) -> None:
    """A date written 1/6/2023 is stored as 2023-01-06 with the text the file held beside
    it (what an analyst checks against the source); a value cleaning left alone has none."""
    ingest_mapping(sqlite_store, sales_dir / "graph.yaml", actor="a")
    with sqlite_store.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT p.prop, s.value, s.original_value FROM statements s "
                "JOIN props p ON p.id = s.prop_id WHERE p.prop IN ('date', 'serialNumber') "
                "ORDER BY s.value"
            )
        ).fetchall()
    assert [tuple(r) for r in rows] == [
        ("date", "2023-01-05", "01/05/2023"),
        ("date", "2023-01-06", "1/6/2023"),
        ("date", "2023-02-07", "02/07/2023"),
        ("date", "2023-03-09", "03/09/2023"),
        ("serialNumber", "SN001", None),
        ("serialNumber", "SN002", None),
        ("serialNumber", "SN003", None),
        ("serialNumber", "SN004", None),
    ]


def test_a_required_reference_to_an_entity_without_a_key_rejects_the_record(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """`buyer: {entity: buyer, required: true}`: a sale whose buyer's key column is empty
    has no buyer to point at, and is rejected as missing its required value."""
    entities = (
        "        buyer: {schema: Person, keys: [bid]}\n"
        "        sale:\n          schema: Sale\n          keys: [txn]\n          properties:\n"
        "            transactionNumber: {column: txn}\n"
        "            buyer: {entity: buyer, required: true}\n"
    )
    result, rejected = _ingest_skipping(sqlite_store, tmp_path, "txn,bid\nT1,B1\nT2,\n", entities)
    assert (result.records, result.rejected) == (2, 1)
    [bad] = rejected
    assert (bad["row"], bad["column"]) == ("2", "buyer")
    assert "required value missing (sale.buyer)" in bad["reason"]
    numbers = {v for _, _, p, v in snapshot(sqlite_store)[0] if p == "transactionNumber"}
    assert numbers == {"T1"}


def test_a_date_hint_never_proposes_the_declared_format() -> None:
    """The hint names another layout the rejected dates read in; dates that read in the
    declared one were rejected for another reason, and get no hint (not 'read as %d/%m/%Y,
    not %d/%m/%Y')."""
    from ironriver.ingest.report import date_format_hint

    assert date_format_hint("FECHA", "%d/%m/%Y", ["13/01/2024", "25/12/2023"]) is None
    hint = date_format_hint("FECHA", "%m/%d/%Y", ["13/01/2024", "25/12/2023"])
    assert hint is not None and "read as %d/%m/%Y" in str(hint)
