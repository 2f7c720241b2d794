"""Tiny dealer-sales inputs and store snapshots shared by the ingest tests."""

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
