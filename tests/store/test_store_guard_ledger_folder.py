"""Guard on a SQLite store's ledger folder found missing by mutation testing: a folder
given explicitly (`open_store(ledger_dir=...)`) is the folder, not the default beside the
store file.
"""

from __future__ import annotations

from pathlib import Path

from ironriver.store import open_store


def test_a_given_ledger_folder_is_a_sqlite_stores_folder(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    given = tmp_path / "srv" / "ledgers"
    store = open_store(f"sqlite:///{db}", ledger_dir=given)
    assert store.ledger_dir == given
    store.close()
    store = open_store(f"sqlite:///{db}")  # nothing given: beside the file, nothing recorded
    assert store.ledger_dir == tmp_path / "s.db.ledgers"
    store.close()
