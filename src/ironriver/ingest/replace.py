"""Replace on reload (`ingest_mapping(..., replace=True)`, `ironriver ingest --replace`): an
agency re-sends a corrected file; what an earlier load of a file of the same name (the
query's `csv_url`/`path` as the mapping writes it, the statements' and ledger rows' source
file) made in the same dataset and this load no longer makes is retracted, in this load's
transaction, as Aleph replaces a mapping's previous output.

- Statements: those of the dataset this file stated and this load does not state again (a
  statement id hashes dataset, entity, property and value: an unchanged value is the same
  statement and stays), among those the loader may see (`stale_statements`), get a
  tombstone (`Writer.retract`), unless another file still states them. A statement is
  stored once, with the source record of the file that first stated it; a later load of
  another file that states it again records that file in `statement_sources` (`Writer`).
  So a stale statement stored with this file's record and recorded as another's too takes
  that file's record; one stored with another's loses this file's record; either stays
  (`Writer.forget_source`; `Replaced.kept`). The new load's statements are told apart by
  an anti-join with the staged side table run by SQLite (a file-backed stage), or by a set
  of their ids (an Arrow stage: PostgreSQL, in-memory SQLite).
- Ledger rows: the parts of the query's ledger holding this file's rows (`visible_parts`)
  other than the one this load writes or finds in place are renamed `retracted-...`, as
  `retract --ledger` does. A keyed ledger's new rows are checked against the other parts
  only (the file's earlier rows are about to go), so the corrected file loads whole.

All of it is one `retract` event in the load's transaction (`REPLACED_KEY`; its ledger
markers under `MARKERS_KEY`, renamed after the commit, or by `recover_parts` after a kill).
Who may: a principal who may retract in the dataset (`check_may_retract`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
from sqlalchemy import ColumnElement, Connection, column, exists, select, table

from ironriver.policy import Principal
from ironriver.policy.markings import AccessLabel, Marking, can_see, parse_releasable
from ironriver.store import Store
from ironriver.store.audit import EventFilter
from ironriver.store.ledger import LedgerStore, PendingRetraction, StoredPart
from ironriver.store.staging import STAGE_ALIAS, StatementStage, as_table
from ironriver.store.tables import datasets, labels, sources, statement_sources, statements
from ironriver.store.writer import Writer, labels_of

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
    # no longer stated by this file, kept as another file still states them (`Stale.kept`)
    kept: list[tuple[str, str]] = field(default_factory=list)
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
            "statements_kept": len(self.kept),
            "kept_statement_ids": sorted(i for _e, i in self.kept),
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


@dataclass
class Stale:
    """What an earlier load of a file stated that this load does not state again
    (`stale_statements`), each as (entity id, id), in key order."""

    source_id: int | None = None  # the file's `sources.id` (None: never stored)
    retract: list[tuple[str, str]] = field(default_factory=list)  # no other file states them
    # stored with this file's record, another file states them too: they take its record
    moved: list[tuple[str, str]] = field(default_factory=list)
    # stored with another file's record, this one recorded as stating them too: that goes
    dropped: list[tuple[str, str]] = field(default_factory=list)

    @property
    def kept(self) -> list[tuple[str, str]]:
        """Those that stay, as another file still states them."""
        return sorted([*self.moved, *self.dropped])


def _staged_ids(stage: StatementStage, dataset: str, file: str) -> set[Any]:
    """The (entity id, id) pairs an Arrow stage (PostgreSQL, in-memory SQLite) holds for
    `file` into `dataset`."""
    ids: set[Any] = set()
    for staged in stage.tables:
        if staged.dataset == dataset and staged.source == file:
            for batch in staged.batches():
                pairs: pa.Table = as_table(batch).select(["entity_id", "id"])
                ids.update(zip(*(c.to_pylist() for c in pairs.columns), strict=True))
    return ids


_RESTATED = "ironriver_restated"  # a temporary table of the load's statement keys


@contextmanager
def _restated(conn: Connection, stage: StatementStage, dataset: str, file: str) -> Iterator[Any]:
    """A file-backed stage: a temporary table keyed by (entity_id, id) of the statements the
    side file holds for `file` into `dataset` (attached to the write), copied by SQLite in
    the side tables' key order, for an anti-join by primary key (`_not_restated`); dropped
    on exit. The side tables have no index: a NOT EXISTS or row-value NOT IN against them
    compared each stored statement with every staged one (16 s for 10,000 rows), and
    SQLite's automatic index for a LEFT JOIN was not taken in every plan."""
    sides = [
        f"{STAGE_ALIAS}.{staged.table}"
        for staged in stage.tables
        if staged.dataset == dataset and staged.source == file and staged.table is not None
    ]
    for name in sides:  # identifiers below come from the stage's own names only
        if not all(part.isidentifier() for part in name.split(".")):
            raise ValueError(f"not a table name: {name}")
    conn.exec_driver_sql(
        f"CREATE TEMP TABLE {_RESTATED} (entity_id TEXT, id TEXT, PRIMARY KEY (entity_id, id))"
        " WITHOUT ROWID"
    )
    try:
        for name in sides:
            conn.exec_driver_sql(
                f"INSERT OR IGNORE INTO {_RESTATED} SELECT entity_id, id FROM {name} "
                "ORDER BY entity_id, id"
            )
        yield table(_RESTATED, column("entity_id"), column("id"), schema="temp")
    finally:
        conn.exec_driver_sql(f"DROP TABLE temp.{_RESTATED}")


def _not_restated(restated: Any) -> list[ColumnElement[bool]]:
    """Conditions on `statements` that the statement is not among `restated` (a table of
    keys; None: no condition)."""
    if restated is None:
        return []
    s = statements.c
    return [~exists().where(restated.c.entity_id == s.entity_id, restated.c.id == s.id)]


def stale_statements(
    conn: Connection, stage: StatementStage, dataset: str, file: str, loader: Principal
) -> Stale:
    """The standing (not retracted) statements of `dataset` that `file` stated (stored with
    its source record, or recorded in `statement_sources` as stated by it too), that
    `loader` sees and this load does not state again; split by whether another file still
    states them (`Stale`)."""
    source_id = conn.execute(select(sources.c.id).where(sources.c.name == file)).scalar()
    if source_id is None:
        return Stale()
    with ExitStack() as stack:
        restated = None
        if stage.file_backed:
            restated = stack.enter_context(_restated(conn, stage, dataset, file))
        return _stale(conn, stage, dataset, file, loader, int(source_id), restated)


def _stale(
    conn: Connection,
    stage: StatementStage,
    dataset: str,
    file: str,
    loader: Principal,
    source_id: int,
    restated: Any,
) -> Stale:
    """`stale_statements` of the file stored as `source_id`, the load's statements being
    `restated` (a key table: a file-backed stage) or else read from the Arrow stage."""
    s, ss = statements.c, statement_sources.c
    seen = set() if restated is not None else _staged_ids(stage, dataset, file)
    label_cols = (
        labels.c.owner_agency,
        labels.c.owner_country,
        labels.c.marking,
        labels.c.releasable_to,
    )
    standing = (datasets.c.name == dataset, s.retracted.is_(False), *_not_restated(restated))
    # stored with this file's record; `others`: another file is recorded as stating it too
    others = exists().where(ss.entity_id == s.entity_id, ss.id == s.id, ss.source_id != source_id)
    stored = (
        select(s.entity_id, s.id, *label_cols, others.label("others"))
        .join(datasets, datasets.c.id == s.dataset_id)
        .join(labels, labels.c.id == s.label_id)
        .where(s.source_id == source_id, *standing)
    )
    # stored with another file's record, this one recorded as stating it too
    also = (
        select(s.entity_id, s.id, *label_cols)
        .select_from(statement_sources)
        .join(
            statements,
            (s.entity_id == ss.entity_id)
            # (by the whole key: `labels_of`)
            & s.label_id.in_(labels_of(dataset))
            & (s.id == ss.id),
        )
        .join(datasets, datasets.c.id == s.dataset_id)
        .join(labels, labels.c.id == s.label_id)
        .where(ss.source_id == source_id, *standing)
    )
    out = Stale(source_id)

    def sees(row: Any) -> bool:
        label = AccessLabel(
            row.owner_agency,
            row.owner_country,
            Marking(row.marking),
            parse_releasable(row.releasable_to),
        )
        return (row.entity_id, row.id) not in seen and can_see(loader, label)

    for row in conn.execute(stored):
        if sees(row):
            (out.moved if row.others else out.retract).append((str(row.entity_id), str(row.id)))
    out.dropped = [(str(r.entity_id), str(r.id)) for r in conn.execute(also) if sees(r)]
    for refs in (out.retract, out.moved, out.dropped):
        refs.sort()
    return out


def replace_statements(w: Writer, stage: StatementStage, this: Replaced, loader: Principal) -> None:
    """In the load's transaction, once its statements are in: retract what the earlier load
    of `this.file` stated in `this.dataset` that this load does not and no other file
    states (`this.statements`); keep, under another file's record, what another file
    states too (`this.kept`, `Writer.forget_source`)."""
    stale = stale_statements(w.conn, stage, this.dataset, this.file, loader)
    alone = []
    if stale.source_id is not None and (stale.moved or stale.dropped):
        alone = w.forget_source(stale.source_id, stale.moved, stale.dropped, this.dataset)
    this.statements = sorted([*stale.retract, *alone])
    this.kept = [ref for ref in stale.kept if ref not in set(alone)]
    under = w.conn.execute(labels_of(this.dataset)).scalars().all()
    w.retract(this.statements, [int(i) for i in under])


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
