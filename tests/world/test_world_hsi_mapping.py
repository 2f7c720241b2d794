"""The world's HSI mapping reads the UNKNOWN its case files write for a contact known by
phone only as no value: no person named "UNKNOWN", no note asking for null_values."""

from __future__ import annotations

from pathlib import Path

from ironriver.ingest import ingest_mapping
from ironriver.policy import Principal, View
from ironriver.store import open_store
from ironriver.world import WorldPaths


def test_hsi_unknown_is_no_value(world_005: WorldPaths, tmp_path: Path) -> None:
    hsi = next(m for m in world_005.mappings() if m.parent.name == "hsi")
    text = (hsi.parent / "case_subjects.csv").read_text(encoding="utf-8")
    assert '"UNKNOWN"' in text  # the file writes it, as HSI's forms do
    store = open_store(f"sqlite:///{tmp_path / 's.db'}", ledger_dir=tmp_path / "ledgers")
    result = ingest_mapping(store, hsi, actor="test")
    assert not [n for n in result.notes if "UNKNOWN" in str(n)]
    view = View(store, Principal("h", "HSI", "US"), audit=False)
    values = view.export_table().column("value").to_pylist()
    assert values and "UNKNOWN" not in values
    # the contact is still there, by phone
    assert any(v.startswith("+52") for v in values)
    store.close()
