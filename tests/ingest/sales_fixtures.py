"""Tiny dealer-sales inputs and store snapshots shared by the ingest tests, and the one-file
sales ledger (`sales_ledger`) that the tests of replacing and retracting a file's rows load."""

from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy import text

from ironriver.policy.markings import Marking
from ironriver.store import DatasetInfo, Store

# the dataset an FtM entity file is imported into (tests of `ingest_entities`)
FGR_EXPORT = DatasetInfo(
    name="mx_fgr_export",
    agency="FGR",
    country="MX",
    marking=Marking.AMBER,
    releasable_to=frozenset({"MX"}),
)

HEADER = ["txn", "sold", "ffl", "buyer_id", "first", "last", "dob", "serial", "make", "price"]
ROWS = [
    [
        "T1",
        "01/05/2023",
        "5-12-345",
        "B1",
        "Ana María",
        " López  Pérez",
        "1990-02-03",
        "SN001",
        "Glock",
        "499.99",
    ],
    [
        "T2",
        "1/6/2023",
        "5-12-345",
        "B1",
        "Ana María",
        "López  Pérez",
        "1990-02-03",
        "SN002",
        "Colt",
        "899",
    ],
    ["T3", "02/07/2023", "5-12-346", "B2", "'John'", "Smith", "1985", "SN003", "Ruger", "350"],
    ["T4", "03/09/2023", "5-12-346", "B3", "José", "Núñez", "", "SN004", "Taurus", ""],
]

MAPPING = """
us_atf_dealer_sales:
  title: "Dealer disposition records"
  agency: ATF
  country: US
  marking: AMBER
  releasable_to: [US, MX]
  legal_basis: "Gun Control Act, 18 USC 923(g)"
  queries:
    - csv_url: sales.csv
      entities:
        buyer:
          schema: Individual
          keys: [buyer_id]
          properties:
            firstName: {column: first}
            lastName: {column: last}
            name: {columns: [first, last], join: " "}
            birthDate: {column: dob}
            country: {literal: "United States"}
        firearm:
          schema: Firearm
          keys: [serial, make]
          key_literal: gun
          properties:
            serialNumber: {column: serial, required: true}
            make: {column: make}
        sale:
          schema: Sale
          keys: [txn]
          properties:
            transactionNumber: {column: txn}
            date: {column: sold, format: "%m/%d/%Y"}
            dealerLicense: {column: ffl}
            price: {column: price}
            buyer: {entity: buyer}
            firearm: {entity: firearm}
            summary: {template: "Sale {{txn}} by {{ffl}}"}
"""

LEDGER_QUERY = """
    - csv_url: sales.csv
      ledger:
        name: dealer_sales
        columns:
          sale_date: {column: sold, type: date, format: "%m/%d/%Y", required: true}
          serial: {column: serial, type: string, required: true}
          price: {column: price, type: float}
"""


# one file's sales in ledger rows of dataset us_atf_sales (keyed by txn when `key` is said)
SALES_LEDGER = """\
us_atf_sales:
  agency: ATF
  country: US
  marking: {marking}
  releasable_to: [{releasable}]
  queries:
  - csv_url: {file}
{entities}    ledger:
      name: {ledger}
      columns:
        txn: {{column: txn, type: string, required: true}}
        {column}: {column}
{key}"""
BUYERS = "    entities:\n      buyer: {schema: Person, keys: [pid], properties: {name: {column: name}}}\n"


def sales_ledger(
    tmp: Path,
    file: str,
    rows: str,
    *,
    key: bool = False,
    marking: str = "AMBER",
    releasable: str = "US, MX",
    buyers: bool = False,
) -> Path:
    """Write `tmp/file` (a header, then `rows`) and its mapping `tmp/file.yaml`; return the
    mapping's path. The rows are `txn,serial` in ledger dealer_sales, or with `buyers`
    `txn,pid,name`: ledger `sales` (txn, pid) beside a Person entity per buyer."""
    header = "txn,pid,name" if buyers else "txn,serial"
    (tmp / file).write_text(f"{header}\n{rows}", encoding="utf-8")
    mapping = tmp / f"{file}.yaml"
    text = SALES_LEDGER.format(
        marking=marking,
        releasable=releasable,
        file=file,
        entities=BUYERS if buyers else "",
        ledger="sales" if buyers else "dealer_sales",
        column="pid" if buyers else "serial",
        key="      key: [txn]\n" if key else "",
    )
    mapping.write_text(text, encoding="utf-8")
    return mapping


def write_csv(path: Path, rows: list[list[str]], header: list[str] = HEADER) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def make_sales_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    write_csv(folder / "sales.csv", ROWS)
    (folder / "sales.yaml").write_text(MAPPING + LEDGER_QUERY, encoding="utf-8")
    (folder / "graph.yaml").write_text(MAPPING, encoding="utf-8")
    return folder


def snapshot(store: Store) -> tuple[list[tuple[str, ...]], list[str]]:
    with store.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT s.id, s.entity_id, p.prop, s.value FROM statements s "
                "JOIN props p ON p.id = s.prop_id ORDER BY s.id"
            )
        ).fetchall()
    files = (
        sorted(str(p.relative_to(store.ledger_dir)) for p in store.ledger_dir.rglob("*"))
        if store.ledger_dir.exists()
        else []
    )
    return [tuple(r) for r in rows], files
