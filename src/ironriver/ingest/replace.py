"""Replace on reload (`ingest_mapping(..., replace=True)`, `ironriver ingest --replace`): an
agency re-sends a corrected file; what an earlier load of a file of the same name (the
query's `csv_url`/`path` as the mapping writes it, the statements' and ledger rows' source
file) made in the same dataset and this load no longer makes is retracted, in this load's
transaction, as Aleph replaces a mapping's previous output.

- Statements: those of the dataset whose source file is this one and that this load does not
  state again (a statement id hashes dataset, entity, property and value: an unchanged value
  is the same statement and stays), among those the loader may see, get a tombstone
  (`Writer.retract`). A statement is stored once, with the source record of the file that
  first stated it: one whose source is another file stays, whatever this file says.
- Ledger rows: the parts of the query's ledger holding this file's rows (`visible_parts`)
  other than the one this load writes or finds in place are renamed `retracted-...`, as
  `retract --ledger` does. A keyed ledger's new rows are checked against the other parts
  only (the file's earlier rows are about to go), so the corrected file loads whole.

All of it is one `retract` event in the load's transaction (`REPLACED_KEY`; its ledger
markers under `MARKERS_KEY`, renamed after the commit, or by `recover_parts` after a kill).
Who may: a principal who may retract in the dataset (`check_may_retract`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
from sqlalchemy import Connection, select

from ironriver.policy import Principal
from ironriver.policy.markings import AccessLabel, Marking, can_see, parse_releasable
from ironriver.store import Store
from ironriver.store.audit import EventFilter
from ironriver.store.ledger import LedgerStore, PendingRetraction, StoredPart
from ironriver.store.staging import STAGE_ALIAS, StatementStage, as_table
from ironriver.store.tables import datasets, labels, sources, statements

REPLACED_KEY = "replaced"
"""In the `retract` event of a load with `replace`: one entry per (dataset, file) replaced."""


@dataclass
class Replaced:
    """What a load with `replace` retracted of an earlier load of `file` into `dataset`
    (or, in a dry run, would retract)."""

    dataset: str
    file: str
    sha256_new: str
    sha256_old: str | None = None  # as the latest earlier ingest event of the file records it
    statements: list[tuple[str, str]] = field(default_factory=list)  # (entity id, id)
    ledger_parts: list[Path] = field(default_factory=list)
    ledger_rows: int = 0

    def detail(self, root: Path) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "file": self.file,
            "sha256_old": self.sha256_old,
            "sha256_new": self.sha256_new,
            "statements": len(self.statements),
            "statement_ids": sorted(i for _e, i in self.statements),
            "ledger_parts": [str(p.relative_to(root)) for p in self.ledger_parts],
            "ledger_rows": self.ledger_rows,
        }


def loader_of(principal: Principal | None, agency: str, country: str) -> Principal:
    """Whom the earlier load's parts and statements are chosen for: the loader, or (a
    library ingest without one) a principal of the dataset's own agency."""
    return principal or Principal("ingest", agency.upper(), country.upper())


def earlier_parts(
    ledgers: LedgerStore, dataset: str, ledger: str, file: str, loader: Principal
) -> list[StoredPart]:
    """The parts of `dataset`'s `ledger` holding only rows of `file` that `loader` sees."""
    return [p for p in ledgers.visible_parts(dataset, ledger, loader) if p.files == (file,)]


def earlier_sha256(store: Store, dataset: str, file: str) -> str | None:
    """The SHA-256 the latest ingest event of `file` into `dataset` records (None: none)."""
    found = None
    for event in store.audit.write_events(EventFilter(action="ingest")):
        if dataset in str(event.target).split(","):
            found = (event.detail.get("file_sha256") or {}).get(file, found)
    return found


def _staged_ids(conn: Connection, stage: StatementStage, dataset: str, file: str) -> set[Any]:
    """The (entity id, id) pairs this load staged for `file` into `dataset`."""
    ids: set[Any] = set()
    for staged in stage.tables:
        if staged.dataset != dataset or staged.source != file:
            continue
        if staged.table is not None:  # the SQLite side file, attached to the write
            raw = conn.exec_driver_sql(f"SELECT entity_id, id FROM {STAGE_ALIAS}.{staged.table}")
            ids.update(tuple(r) for r in raw)
        elif stage.file_backed:
            continue  # (nothing staged)
        else:
            for batch in staged.batches():
                table: pa.Table = as_table(batch).select(["entity_id", "id"])
                ids.update(zip(*(c.to_pylist() for c in table.columns), strict=True))
    return ids


def stale_statements(
    conn: Connection, stage: StatementStage, dataset: str, file: str, loader: Principal
) -> list[tuple[str, str]]:
    """The statements of `dataset` whose source is `file`, standing (not retracted), that
    `loader` sees and this load does not state again, in key order."""
    s = statements.c
    query = (
        select(
            s.entity_id,
            s.id,
            labels.c.owner_agency,
            labels.c.owner_country,
            labels.c.marking,
            labels.c.releasable_to,
        )
        .join(datasets, datasets.c.id == s.dataset_id)
        .join(sources, sources.c.id == s.source_id)
        .join(labels, labels.c.id == s.label_id)
        .where(datasets.c.name == dataset, sources.c.name == file, s.retracted.is_(False))
        .order_by(s.entity_id, s.id)
    )
    again = _staged_ids(conn, stage, dataset, file)
    out = []
    for row in conn.execute(query):
        label = AccessLabel(
            row.owner_agency,
            row.owner_country,
            Marking(row.marking),
            parse_releasable(row.releasable_to),
        )
        if (row.entity_id, row.id) not in again and can_see(loader, label):
            out.append((str(row.entity_id), str(row.id)))
    return out


def markers(
    ledgers: LedgerStore, replaced: Iterable[Replaced], ledger_of: dict[Path, tuple[str, str]]
) -> list[PendingRetraction]:
    """One retraction marker per ledger folder whose parts `replaced` retracts."""
    by_folder: dict[tuple[str, str], list[Path]] = {}
    for r in replaced:
        for part in r.ledger_parts:
            by_folder.setdefault(ledger_of[part], []).append(part)
    return [
        ledgers.prepare_retraction(dataset, ledger, parts)
        for (dataset, ledger), parts in sorted(by_folder.items())
    ]
