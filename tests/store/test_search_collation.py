"""Search orders ties and picks `matched` in byte order on every backend, whatever the
PostgreSQL database's collation (under `en_US.UTF-8`, `a1` sorts before `B1`)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from conftest import backend_url
from ironriver.policy import View
from ironriver.store import open_store
from samples import ATF, US, table

ROWS = [
    ("a1", "Firearm", "serialNumber", "ab-123"),
    ("B1", "Firearm", "serialNumber", "AB-123"),
    ("c1", "Firearm", "serialNumber", "ab 123"),
]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_identifier_ties_are_in_byte_order(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    store = open_store(backend_url(backend, tmp_path / "s.db", request), ledger_dir=tmp_path / "l")
    try:
        if backend == "postgresql":  # a database whose collation is not byte order
            with store.engine.begin() as conn:
                for column in ("entity_id", "value"):
                    conn.execute(
                        text(
                            f"ALTER TABLE statements ALTER COLUMN {column} "
                            'TYPE text COLLATE "en-US-x-icu"'
                        )
                    )
        with store.writer() as w:
            w.ensure_dataset(US)
            w.add_statements(table(US.name, ROWS), US.name, US.label)
        hits = View(store, ATF).by_identifier("AB123")
        assert [(h.entity_id, h.matched) for h in hits] == [
            ("B1", "AB-123"),
            ("a1", "ab-123"),
            ("c1", "ab 123"),
        ]
    finally:
        store.close()
