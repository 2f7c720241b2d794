"""Identifier search finds a person by the 10-character base of their RFC (4 letters + 6
digits, without the 3-character homoclave: analysts often hold only that), and a company by
its 9-character base: the stored RFCs starting with it, any homoclave, and a person's CURP
(whose first 10 characters are the same base), ranked after identifiers equal to the text and
marked as found by the RFC base. The store is a real SQLite file built by `ironriver ingest`
from CSV files; searches run through the CLI and `View`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import event

from ironriver.cli import cli
from ironriver.policy import View
from ironriver.store import Store
from samples import FGR, MX, table

PEOPLE_CSV = """ID,NOMBRE,RFC,CURP
nupa,Pedro Nuñez Paredes,NUPA850312AB1,
gemelo,Pablo Nuñez Paredes,NUPA-850312-XY9,
curp,Patricia Nuñez Paz,,NUPA850312MSLXXT04
otro,Ana Soto,SOAA900101H23,
largo,Luis Mora,NUPA850312ABCD,
"""
COMPANIES_CSV = """ID,NOMBRE,RFC
abc,Abarrotes del Centro SA,ABC850312K7A
"""
SERIALS_CSV = """ID,SERIE
arma,NUPA850312
"""
SECRET_CSV = """ID,NOMBRE,RFC,CURP
oculto,Raul Nuñez Palma,NUPA850312ZZ9,
"""


def _mapping(name: str, marking: str, to: str, csv: str, entity: str) -> str:
    head = (
        f"{name}:\n  agency: FGR\n  country: MX\n  marking: {marking}\n"
        f"  releasable_to: [{to}]\n  queries:\n  - csv_url: {csv}\n    entities:\n"
    )
    if entity == "Firearm":
        return head + (
            "      g:\n        schema: Firearm\n        keys: [ID]\n        properties:\n"
            "          serialNumber: {column: SERIE}\n"
        )
    props = "          name: {column: NOMBRE}\n          taxNumber: {column: RFC}\n"
    if entity == "Person":
        props += "          idNumber: {column: CURP}\n"
    return (
        head
        + f"      e:\n        schema: {entity}\n        keys: [ID]\n        properties:\n"
        + props
    )


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.output


@pytest.fixture
def db(tmp_path: Path) -> str:
    files = {
        "people": ("AMBER", "MX, US", PEOPLE_CSV, "Person"),
        "companies": ("AMBER", "MX, US", COMPANIES_CSV, "Company"),
        "serials": ("AMBER", "MX, US", SERIALS_CSV, "Firearm"),
        "secret": ("AMBER+STRICT", "FGR", SECRET_CSV, "Person"),
    }
    path = str(tmp_path / "rfc.db")
    for name, (marking, to, csv, entity) in files.items():
        (tmp_path / f"{name}.csv").write_text(csv, encoding="utf-8")
        mapping = _mapping(f"mx_fgr_{name}", marking, to, f"{name}.csv", entity)
        (tmp_path / f"{name}.yaml").write_text(mapping, encoding="utf-8")
        code, out = run("ingest", str(tmp_path / f"{name}.yaml"), "--db", path, "--as", "loader")
        assert code == 0, out
    return path


def search(db: str, typed: str, who: str, *extra: str) -> list[tuple[str, str, bool]]:
    code, out = run("search", typed, "--db", db, "--as", who, "--reason", "t", "--json", *extra)
    assert code == 0, out
    return [(h["entity_id"], h["matched"], h["rfc_base"]) for h in json.loads(out)]


def _found(hits: list[tuple[str, str, bool]]) -> list[tuple[str, bool]]:
    return [(matched, based) for _id, matched, based in hits]


@pytest.mark.parametrize("extra", [(), ("--identifier",)])
def test_a_person_rfc_base_finds_every_homoclave_and_the_curp_after_exact(
    db: str, extra: tuple[str, ...]
) -> None:
    """The base typed finds the identifier equal to it first (a serial), then the RFCs and
    the CURP starting with it, shortest stored value first; not a longer key that only starts with it
    (NUPA850312ABCD), nor another person's RFC; the secret person's RFC only for FGR."""
    assert _found(search(db, "NUPA850312", "us-cbp-officer", *extra)) == [
        ("NUPA850312", False),
        ("NUPA850312AB1", True),
        ("NUPA-850312-XY9", True),
        ("NUPA850312MSLXXT04", True),
    ]
    # as typed by hand: case and punctuation ignored, as for any identifier
    found = _found(search(db, "nupa 850312", "mx-fgr-analista", *extra))
    assert found[0] == ("NUPA850312", False) and found[3:] == [
        ("NUPA-850312-XY9", True),
        ("NUPA850312MSLXXT04", True),
    ]
    # (two RFCs of one length: by entity id)
    assert sorted(found[1:3]) == [("NUPA850312AB1", True), ("NUPA850312ZZ9", True)]


def test_a_company_rfc_base_finds_its_rfc(db: str) -> None:
    assert _found(search(db, "ABC850312", "mx-fgr-analista")) == [("ABC850312K7A", True)]
    # a full RFC is found exactly, unmarked; a base a digit short is no base
    assert _found(search(db, "NUPA850312AB1", "mx-fgr-analista")) == [("NUPA850312AB1", False)]
    assert search(db, "NUPA85031", "mx-fgr-analista", "--identifier") == []


@pytest.mark.parametrize(
    ("lang", "note"), [("en", "(by its RFC base)"), ("es", "(por su RFC sin homoclave)")]
)
def test_the_table_says_a_hit_was_found_by_the_rfc_base(db: str, lang: str, note: str) -> None:
    code, out = run(
        "--lang", lang, "search", "NUPA850312", "--db", db, "--as", "mx-fgr-analista",
        "--reason", "t",
    )  # fmt: skip
    assert code == 0, out
    lines = out.splitlines()
    assert any("NUPA850312AB1 " + note in line for line in lines), out
    assert not any("NUPA850312 " + note in line for line in lines), out


def test_the_rfc_base_reads_one_index_range(store: Store) -> None:
    """The base's lookup is a range of the lookup table's primary key (kind, label, rank,
    key), on both backends: no scan of the table. (PostgreSQL's planner scans a table this
    small whole whatever its indexes: told not to, it still would were no index usable.)"""
    rows = [
        ("p1", "Person", "taxNumber", "NUPA850312AB1"),
        ("p2", "Person", "idNumber", "NUPA850312MSLXXT04"),
    ]
    with store.writer() as w:
        w.ensure_dataset(MX)
        w.add_statements(table(MX.name, rows), MX.name, MX.label)
    view = View(store, FGR, audit=False)
    run: list[tuple[str, Any]] = []

    def keep(_c: object, _cursor: object, statement: str, params: Any, *_: object) -> None:
        if "statement_keys" in statement:
            run.append((statement, params))

    event.listen(store.engine, "before_cursor_execute", keep)
    try:
        assert [h.entity_id for h in view.by_identifier("NUPA850312")] == ["p1", "p2"]
    finally:
        event.remove(store.engine, "before_cursor_execute", keep)
    pg = store.engine.dialect.name == "postgresql"
    with store.engine.connect() as conn:
        if pg:
            conn.exec_driver_sql("SET enable_seqscan = off")
        plans = [
            str(row[0] if pg else row[-1])
            for statement, params in run
            for row in conn.exec_driver_sql(
                ("EXPLAIN " if pg else "EXPLAIN QUERY PLAN ") + statement, params
            )
        ]
    text = "\n".join(plans)
    if pg:  # the range in the index's condition, and no sequential scan of the table
        assert "Index Cond:" in text and "(key > 'NUPA850312'" in text, text
        assert "Seq Scan on statement_keys" not in text, text
    else:
        keyed = [p for p in plans if "statement_keys" in p]
        assert any("key>? AND key<?" in p for p in keyed), text
        assert not any(p.startswith("SCAN") for p in keyed), text
