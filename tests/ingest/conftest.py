"""Ingest fixtures. Which to use when:

- `sales_dir`: a tmp folder with `sales.csv` (4 good dealer-sale rows) and `sales.yaml`
  (entities + ledger mapping); rewrite `sales.csv` with `write_csv` to test bad input.
- `snapshot(store)`: every statement id plus the ledger files, to assert "store unchanged".
- `sales_ledger(tmp, file, rows)` (sales_fixtures): one file's dealer sales and their ledger
  mapping `file.yaml`, for the tests that load, replace or retract a file's rows.
- the store comes from the shared fixtures (tests/conftest.py): `store` runs a test on SQLite
  and PostgreSQL, `sqlite_store` on SQLite only.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sales_fixtures import make_sales_dir  # type: ignore[import-not-found]


@pytest.fixture
def sales_dir(tmp_path: Path) -> Path:
    return make_sales_dir(tmp_path)
