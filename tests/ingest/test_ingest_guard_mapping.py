"""Guards found by mutation testing of `mapping`: a key the mapping gives must reach the
store, and a value it cannot mean must be refused before any file is read."""

from __future__ import annotations

from pathlib import Path

import pytest

from ironriver.errors import IngestError
from ironriver.ingest import ingest_mapping, load_mapping
from ironriver.store import Store


@pytest.mark.parametrize("value", ["0", "-1"])
def test_a_header_row_before_the_first_is_refused(tmp_path: Path, value: str) -> None:
    """Rows are numbered from 1: `header_row: 0` is a slip for 1 (or a 0-based count), not
    a row to read the column names from."""
    (tmp_path / "a.csv").write_text("folio\nA1\n", encoding="utf-8")
    (tmp_path / "m.yaml").write_text(
        "us_cbp_x:\n  agency: CBP\n  country: US\n  marking: AMBER\n  queries:\n"
        f"  - csv_url: a.csv\n    header_row: {value}\n    ledger:\n      name: l\n"
        "      columns:\n        folio: folio\n",
        encoding="utf-8",
    )
    with pytest.raises(IngestError, match="header_row must be the number of the row"):
        load_mapping(tmp_path / "m.yaml")


def test_a_datasets_title_is_stored(sqlite_store: Store, sales_dir: Path) -> None:
    """The mapping's `title` names the dataset to its readers (`datasets` lists it)."""
    ingest_mapping(sqlite_store, sales_dir / "sales.yaml", actor="alice")
    info = sqlite_store.dataset("us_atf_dealer_sales")
    assert info.title == "Dealer disposition records"
    assert info.legal_basis == "Gun Control Act, 18 USC 923(g)"
    assert info.releasable_to == frozenset({"US", "MX"})
