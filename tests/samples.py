"""Tiny two-agency sample data (a US ATF dataset and a Mexican FGR dataset) for store tests.

Import from any test: `from samples import load, ATF, FGR, SEDENA`; a CLI test's store file
holding it: `sample_db(tmp_path)`.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from ironriver.policy import Marking, Principal
from ironriver.store import DatasetInfo, Store, open_store
from ironriver.store.ids import statement_id

US = DatasetInfo("us_atf_traces", "ATF", "US", Marking.AMBER, frozenset({"US"}))
MX = DatasetInfo("mx_fgr_aseguramientos", "FGR", "MX", Marking.AMBER, frozenset({"MX", "US"}))
ATF = Principal("a", "ATF", "US")
FGR = Principal("f", "FGR", "MX")
SEDENA = Principal("s", "SEDENA", "MX")


def table(dataset: str, rows: list[tuple[str, str, str, str]]) -> pa.Table:
    return pa.table(
        {
            "id": [statement_id(dataset, e, p, v) for e, _, p, v in rows],
            "entity_id": [r[0] for r in rows],
            "schema": [r[1] for r in rows],
            "prop": [r[2] for r in rows],
            "value": [r[3] for r in rows],
            "source_ref": [f"file.csv:{i + 2}" for i in range(len(rows))],
        }
    )


US_ROWS = [
    ("p1", "Individual", "name", "José Luis Pérez López"),
    ("p1", "Individual", "paternalSurname", "Pérez"),
    ("g1", "Firearm", "serialNumber", "ABC123"),
    ("g1", "Firearm", "make", "Glock"),
    ("s1", "Sale", "buyer", "p1"),
    ("s1", "Sale", "firearm", "g1"),
    ("s1", "Sale", "date", "2024-03-01"),
]
MX_ROWS = [
    ("r1", "Recovery", "firearm", "g1"),
    ("r1", "Recovery", "date", "2024-09-12"),
    ("g1", "Firearm", "serialNumber", "ABC123"),
    ("g1", "Firearm", "caliber", "9mm"),
    ("p2", "Individual", "name", "Juan Carlos Ramírez"),
]


def load(store: Store) -> None:
    with store.writer() as w:
        w.ensure_dataset(US)
        w.ensure_dataset(MX)
        w.add_statements(table(US.name, US_ROWS), US.name, US.label)
        w.add_statements(table(MX.name, MX_ROWS), MX.name, MX.label)


def sample_db(folder: Path, name: str = "cli.db") -> str:
    """A SQLite store file `folder/name` holding the sample (`load`), closed; its path (the
    CLI's --db)."""
    path = folder / name
    store = open_store(f"sqlite:///{path}")
    load(store)
    store.close()
    return str(path)
