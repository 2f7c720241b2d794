"""Guard on the store's recovery found missing by mutation testing: a process killed after
its ingest committed but before it renamed its ledger part into place leaves the part under
its scratch name; the next `open_store` (not only the next write into that ledger) renames
it, so a reader sees the rows the store's audit log says were ingested.

The killed ingest is a real process, killed (`os._exit`) between the commit and the rename.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb

from ironriver.policy.markings import Principal
from ironriver.store import open_store
from ironriver.store.ledger import LedgerStore
from ironriver.store.ledger_records import PARTS_KEY

KILLED_INGEST = textwrap.dedent(
    """
    import os, sys
    from pathlib import Path
    import pyarrow as pa
    from ironriver.policy.markings import AccessLabel, Marking
    from ironriver.store import open_store
    from ironriver.store.ledger import LedgerStore
    from ironriver.store.ledger_records import PARTS_KEY

    store = open_store(sys.argv[1], ledger_dir=Path(sys.argv[2]))
    ledgers = LedgerStore(store.ledger_dir, store.ingest_details)
    label = AccessLabel("ATF", "US", Marking.AMBER, frozenset({"US"}))
    part = ledgers.prepare("us_atf", "crossings", label, pa.table({"rid": [1, 2, 3]}))
    with store.writer() as w:
        detail = {PARTS_KEY: [part.pending_names(store.ledger_dir)]}
        store.audit.append("loader", "ingest", "us_atf", "load", detail, conn=w.conn)
    os._exit(9)  # killed: committed, the part not renamed
    """
)


def test_open_store_puts_a_killed_ingests_committed_part_in_place(tmp_path: Path) -> None:
    url, ledgers = f"sqlite:///{tmp_path / 'store.db'}", tmp_path / "ledgers"
    open_store(url, ledger_dir=ledgers).close()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    killed = subprocess.run([sys.executable, "-c", KILLED_INGEST, url, str(ledgers)], env=env)
    assert killed.returncode == 9
    folder = ledgers / "us_atf" / "crossings"
    [scratch] = folder.glob(".ironriver-stage-*.parquet")  # committed, not in place
    store = open_store(url, ledger_dir=ledgers)
    [event] = [e for e in store.audit.events() if e.action == "ingest"]
    [[_, final]] = event.detail[PARTS_KEY]
    assert not scratch.exists() and (ledgers / final).exists()
    rel = LedgerStore(store.ledger_dir).visible_relation(
        duckdb.connect(), "crossings", Principal("a", "ATF", "US")
    )
    assert sorted(r[0] for r in rel.project("rid").fetchall()) == [1, 2, 3]
    assert store.audit.verify().ok
    store.close()
