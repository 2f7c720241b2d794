"""The writes of an ingest that `ingest_mapping` orchestrates: one query's heavy write,
staged before the store's write lock is taken (`stage_query`), and the steps inside the
write transaction (`writing_message`, `new_to_loader`, `replace_earlier`).

Invariants: statements are staged in the store's clustered-key order (entity_id, id), in
batches of at most `batch_rows`; a ledger part is written under a temporary name and only
renamed into place after the commit; what replacing earlier loads retracts is written in
the ingest's own transaction, with its one `retract` audit event, and its markers are
committed only after that transaction. `ingest_entities` shares the copy's progress line
and the new-to-loader count.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from pathlib import Path

import duckdb
import pyarrow as pa

from ironriver.i18n import nt, t
from ironriver.ingest.ledger_parts import ledger_part
from ironriver.ingest.prepare import Prepared
from ironriver.ingest.replace import REPLACED_KEY, Replaced, loader_of, markers, replace_statements
from ironriver.ingest.report import ErrorReport
from ironriver.ingest.result import IngestResult
from ironriver.ingest.specs import DatasetMapping
from ironriver.policy import Principal
from ironriver.policy.markings import can_see
from ironriver.progress import Progress
from ironriver.store import Store, Writer
from ironriver.store.ledger import LedgerStore, PendingPart
from ironriver.store.ledger_records import MARKERS_KEY, PendingRetraction
from ironriver.store.staging import StatementStage


def new_to_loader(w: Writer, stage: StatementStage, principal: Principal | None) -> int:
    """How many of the statements an ingest staged (and `Writer.add_staged` copied) are new
    to `principal`, its loader: not among those it could see before (`Writer.new_to`). A
    statement the store holds that the loader may not see (another label's, or retracted)
    counts as new, as it would on a store holding only what the loader sees, so that the
    report never tells of it; the store keeps it as it was (an ingest neither re-marks nor
    restores a statement). Without a principal (a library ingest), new to the store."""
    if principal is None:
        return sum(staged.added for staged in stage.tables)
    return w.new_to(stage, partial(can_see, principal))


def _batches(con: duckdb.DuckDBPyConnection, batch_rows: int) -> Iterator[pa.RecordBatch]:
    """Statement batches in the store's clustered-key order (entity_id, id), so consecutive
    batches touch consecutive B-tree pages."""
    reader = con.sql(
        "SELECT id, entity_id, schema, prop, value, original_value, source_row FROM stmts "
        "ORDER BY entity_id, id"
    ).to_arrow_reader(batch_rows)
    for batch in reader:
        if batch.num_rows:
            yield batch


def stage_query(
    prep: Prepared,
    stage: StatementStage,
    ledgers: LedgerStore,
    parts: list[PendingPart],
    result: IngestResult,
    batch_rows: int,
    progress: Progress,
    rejections: tuple[ErrorReport, bool],
) -> bool:
    """The heavy part of one file's write, before the store's write lock is taken: its
    statements into the stage, its ledger rows into a part file under a temporary name
    (renamed into place after the commit, deleted if anything fails). Whether a ledger part
    was added to `parts`: not when the write found records a check the query left to it
    rejects (`ledger_part`; `rejections`: the report they go to, and `skip_invalid`)."""
    if prep.statements:
        progress(t("{dataset}: staging statements", dataset=prep.mapping.name))
        stage.add(
            prep.mapping.name,
            prep.mapping.label,
            prep.query.source.label,
            partial(_batches, prep.con, batch_rows),
        )
    if prep.ledger and prep.query.ledger is not None:
        part = ledger_part(ledgers, prep, result, progress, *rejections)
        if part is not None:
            parts.append(part)
            return True
    return False


def replace_earlier(
    store: Store,
    w: Writer,
    stage: StatementStage,
    ledgers: LedgerStore,
    replaced: dict[tuple[str, str], Replaced],
    ledger_of: dict[Path, tuple[str, str]],
    owners: dict[str, DatasetMapping],
    principal: Principal | None,
    actor: str,
    reason: str,
) -> list[PendingRetraction]:
    """In an ingest's transaction, after its statements are in: retract what the earlier
    loads of its files made and this one does not (`ironriver.ingest.replace`), write the
    markers of the ledger parts to retract and the one `retract` event; return the markers
    (committed after the transaction, renaming the parts)."""
    for this in replaced.values():
        owner = owners[this.dataset]
        loader = loader_of(principal, owner.agency, owner.country)
        replace_statements(w, stage, this, loader)
    if not any(r.statements or r.kept or r.ledger_parts for r in replaced.values()):
        return []
    pending = markers(ledgers, replaced.values(), ledger_of)
    store.audit.append(
        actor=actor,
        action="retract",
        target=",".join(sorted({r.dataset for r in replaced.values()})),
        reason=reason,
        detail={
            REPLACED_KEY: [r.detail(ledgers.root) for r in replaced.values()],
            # (under the ledger root: `audit verify` counts them as accounted for)
            "parts": sorted(
                str(p.relative_to(ledgers.root)) for r in replaced.values() for p in r.ledger_parts
            ),
            MARKERS_KEY: [
                {
                    "marker": m.marker_name(ledgers.root),
                    "parts": [str(p.relative_to(ledgers.root)) for p in m.parts],
                }
                for m in pending
            ],
        },
        agency=principal.agency if principal is not None else "",
        conn=w.conn,
    )
    return pending


def writing_message(statements: int, dry_run: bool = False) -> str:
    """The progress line of the copy into the store, in the current language; a dry run
    that replaces (`--replace --dry-run`) copies them too, to learn what they replace, and
    rolls the copy back, which its line says (review R22: it read as a write)."""
    if dry_run:
        return nt(
            "trying {count:,} statement in the store, to be rolled back",
            "trying {count:,} statements in the store, to be rolled back",
            statements,
            count=statements,
        )
    return nt(
        "writing {count:,} statement", "writing {count:,} statements", statements, count=statements
    )
