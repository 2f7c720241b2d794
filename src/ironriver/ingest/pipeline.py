"""`ingest_mapping`: run a mapping file into the store — validate everything, then write once.

Order of work, so that bad input never half-writes, and one file at a time so that memory
holds one file's data, not all of them:

1. parse the mapping (`mapping.py`) and authorize its datasets (`check.py`);
2. for each query (`prepare.py`): load its file (`source.py`), compile (`compile.py`),
   validate (`validate.py`) and make its notes (`notes.py`); then, unless a record was
   rejected (without `skip_invalid`), do the heavy part of its write before the store's
   write lock is taken (`writes.py`): stage its statements (`Store.stage`, a side file
   written in C on SQLite) and write its ledger part under a temporary name
   (`ledger_parts.py`); then free the file's data;
3. if any record was rejected and `skip_invalid` is false: write the error report, delete
   the stage and temporary parts, raise `IngestError` (store untouched; `rejections.py`);
4. inside one `store.writer()` transaction: declare the datasets, copy the staged
   statements in, append the audit event (and, replacing, retract what earlier loads made:
   `writes.py`); any exception rolls the transaction back and deletes the stage and the
   temporary ledger files; after the commit the ledger files are renamed into place.

Re-ingesting the same file is a no-op: statement ids and ledger part names are content hashes.
`check_mapping` (`check.py`) does steps 1 to 3 without a store.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Mapping
from contextlib import ExitStack
from functools import partial
from pathlib import Path
from typing import Any

from ironriver.errors import CommitUnknown, IngestError, IronriverError, StoreError
from ironriver.i18n import Msg, msg, t
from ironriver.ingest.attempts import DECLARED, STORED_KEYS, IngestAttempt, mapping_source
from ironriver.ingest.check import authorized_mappings as authorized_mappings
from ironriver.ingest.check import authorized_with_report
from ironriver.ingest.check import check_mapping as check_mapping
from ironriver.ingest.check import dataset_info as dataset_info
from ironriver.ingest.ledger_parts import (
    column_drift_note,
    discarded_on_error,
    keyed_ledgers,
    retracted_note,
    rows_alone,
    stored_parts,
)
from ironriver.ingest.notes import held_elsewhere, label_notes
from ironriver.ingest.prepare import prepare_query, settle
from ironriver.ingest.rejections import Tally, check_rejections
from ironriver.ingest.replace import Replaced, earlier_parts, earlier_sha256, loader_of
from ironriver.ingest.report import ErrorReport
from ironriver.ingest.result import IngestResult
from ironriver.ingest.source import check_same_bytes
from ironriver.ingest.specs import DatasetMapping, LedgerSpec
from ironriver.ingest.writes import new_to_loader as new_to_loader
from ironriver.ingest.writes import replace_earlier, stage_query
from ironriver.ingest.writes import writing_message as writing_message
from ironriver.logs import get_logger
from ironriver.policy import Principal
from ironriver.policy.markings import can_see
from ironriver.progress import Progress, no_progress
from ironriver.scratch import HeldInterrupts
from ironriver.settings import DEFAULT_INGEST_MEMORY_MB
from ironriver.store import Store
from ironriver.store.data_verify import LABELS_KEY, declared_labels
from ironriver.store.ledger import LedgerStore, PendingPart
from ironriver.store.ledger_records import (
    LEDGER_FILES_KEY,
    PARTS_KEY,
    PendingRetraction,
    committed_files,
)

DEFAULT_BATCH_ROWS = 500_000
log = get_logger(__name__)


def ingest_mapping(
    store: Store,
    mapping_path: Path | str,
    *,
    actor: str,
    reason: str = "",
    skip_invalid: bool = False,
    allow_bad_dates: bool = False,
    report_path: Path | str | None = None,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    principal: Principal | None = None,
    progress: Progress = no_progress,
    memory_mb: int = DEFAULT_INGEST_MEMORY_MB,
    agencies: Collection[str] | None = None,
    homes: Mapping[str, Collection[str]] | None = None,
    replace: bool = False,
    dry_run: bool = False,
    authorized: list[DatasetMapping] | None = None,
) -> IngestResult:
    """Ingest every query of a mapping file atomically (see the module doc).

    With `replace`, what an earlier load of each file (by the name the mapping gives it)
    made in its dataset and this one no longer makes is retracted in the same transaction
    (`ironriver.ingest.replace`; `result.replaced` says what), which `principal` must be
    allowed to retract. With `dry_run`, everything is done and then rolled back: the
    result tells what the ingest would add and retract (`dry_run` set), nothing is written.

    With `principal`, each dataset must be one it may load (`authorize_ingest`: the ingest
    role and its own agency's and country's data; an admin's, in the country `homes` places
    the agency in: `agency_countries` of the principals file), checked before any file is
    read. `agencies`: those of the principals file, for the notes on labels that share with
    no one (`label_notes`). `authorized`: the mapping file's datasets as `authorized_mappings`
    returned them for the same `principal`, `homes` and `replace` (what the CLI read before it
    opened the store), so that the file is not read and checked a second time; None: read
    and checked here.

    `memory_mb` is the memory one source file may take (`Settings.ingest_memory_mb`, which
    the CLI passes; `IRONRIVER_INGEST_MEMORY_MB`); a larger file is streamed into DuckDB, which
    spills to a temporary folder beside the store's ledgers (on disk, not `$TMPDIR`, which
    may be memory-backed), removed afterwards.

    Raises `IngestError` (store untouched) when the mapping or a file is wrong, or when any
    record is rejected and `skip_invalid` is false; the error names the report file. With
    `skip_invalid`, a date column whose format rejects a large share of its values
    (`report.BadDates`: likely the wrong layout, whose other dates would be stored misread)
    still raises, unless `allow_bad_dates`. Raises
    `StoreError` before any file is read when a dataset is already stored with another owner,
    marking, releasability or legal basis (`Store.ensure_dataset`: an ingest never re-marks).
    """
    mapping_path = Path(mapping_path)
    mappings, report_file = authorized_with_report(
        mapping_path, report_path, principal, homes, replace, authorized
    )
    named = [q.source.label for m in mappings for q in m.queries]
    attempt = IngestAttempt(
        store,
        actor,
        reason,
        principal,
        [m.name for m in mappings],
        mapping_source(mapping_path, named),
    )
    result = IngestResult(datasets=[m.name for m in mappings])
    digests: dict[str, str] = {}  # file -> SHA-256 of the bytes loaded (in the audit event)
    read: dict[Path, str] = {}  # each file read -> its SHA-256: one version per ingest
    skipped: list[str] = []  # a dry run's keyed ledgers not checked against stored rows
    for mapping in mappings:  # a stored dataset keeps its owner and label: before any read
        try:
            store.check_dataset(dataset_info(mapping))
        except StoreError as exc:  # the refusal tells what the store holds: audited
            if dry_run:
                attempt.checked(result, replace, digests, skipped, exc)
            else:
                attempt.refused(DECLARED, exc)
            raise
    # (dataset, file) -> what replacing its earlier load retracts; each part's ledger
    replaced: dict[tuple[str, str], Replaced] = {}
    ledger_of: dict[Path, tuple[str, str]] = {}
    part_rows: dict[Path, int] = {}
    report = ErrorReport()
    result.notes += label_notes(map(dataset_info, mappings), agencies)
    tally = Tally()
    files: list[str] = []
    parts: list[PendingPart] = []
    # the ledger rows new to a loader who may not see a part's label (its dataset's), by the
    # part's index in `parts`: what a ledger holding no row it may not see would take
    unseen: dict[int, int] = {}
    # (a write into a ledger folder renames the parts a killed ingest committed there into
    # place before it sweeps that folder: this store may have been opened before it died)
    ledgers = LedgerStore(store.ledger_dir, store.ingest_details, store.recorded_parts)
    # the keyed ledgers (DATASET/LEDGER) whose stored rows a file's keys were checked against
    checked: list[str] = []
    # what of the store the step running now may refuse the ingest for (`attempts`: a real
    # ingest refused then is audited), None while a refusal tells nothing of the store
    because: str | None = None
    # a streamed file's DuckDB spills beside the store's data (the ledger folder's parent
    # exists once the store is open), not to $TMPDIR, which may live in memory
    spill_root = store.ledger_dir.resolve().parent
    started = time.perf_counter()
    # a signal during the commit waits for it (and the ledger parts): say so
    held = HeldInterrupts(lambda: progress(t("stopping once the commit is done…")))
    # on every path, the keyed ledgers' locks are released, then held signals act
    try:
        with ExitStack() as cleanup:
            cleanup.callback(held.release)  # a signal that came during the commit acts now
            # a keyed ledger's lock, from reading its stored keys until this ingest's part is in
            # place: another ingest of an overlapping export would append the same new keys
            for dataset, ledger in keyed_ledgers(mappings):
                waiting = t(
                    "{dataset}: waiting for another ingest into ledger {ledger}…",
                    dataset=dataset,
                    ledger=ledger,
                )
                cleanup.enter_context(ledgers.key_lock(dataset, ledger, partial(progress, waiting)))
            with discarded_on_error(parts), store.stage() as stage:
                for mapping in mappings:
                    for query in mapping.queries:
                        files.append(query.source.label)
                        earlier: list[Path] = []
                        if replace:
                            this = replaced.setdefault(
                                (mapping.name, query.source.label),
                                Replaced(mapping.name, query.source.label, ""),
                            )
                            if query.ledger is not None:
                                loader = loader_of(principal, mapping.agency, mapping.country)
                                for old in earlier_parts(
                                    ledgers, mapping.name, query.ledger.name, this.file, loader
                                ):
                                    earlier.append(old.path)
                                    if old.path not in ledger_of:
                                        this.ledger_parts.append(old.path)
                                        part_rows[old.path] = old.rows
                                        ledger_of[old.path] = (mapping.name, query.ledger.name)
                        stored = (
                            # (replacing: the file's earlier rows are not checked against)
                            [
                                p
                                for p in stored_parts(
                                    ledgers, mapping.name, query.ledger.name, parts
                                )
                                if p not in earlier
                            ]
                            if query.ledger is not None and query.ledger.key
                            else []
                        )
                        if stored and dry_run and not _sees_rows(ledgers, stored, principal):
                            # a dry run answers a key's stored values only to one who may
                            # read them: else it would be a silent oracle on hidden rows
                            assert query.ledger is not None
                            stored = []
                            skipped.append(f"{mapping.name}/{query.ledger.name}")
                            result.notes.append(key_check_skipped(mapping.name, query.ledger))
                        own = {p.tmp for p in parts}  # (this ingest's earlier queries' parts)
                        if any(p not in own for p in stored):
                            assert query.ledger is not None
                            checked.append(f"{mapping.name}/{query.ledger.name}")
                        prep = prepare_query(
                            mapping,
                            query,
                            report,
                            skip_invalid,
                            progress,
                            memory_mb,
                            spill_root,
                            stored,
                            defer=True,
                        )
                        try:  # (the bytes an earlier query read of this file, if any)
                            check_same_bytes(read, query.source.path, prep.source_digest)
                        except IngestError:
                            prep.con.close()
                            raise
                        result.notes.extend(prep.notes)  # (before those of the write)
                        digests[query.source.label] = prep.source_digest
                        if replace:
                            replaced[
                                (mapping.name, query.source.label)
                            ].sha256_new = prep.source_digest
                        try:
                            if skip_invalid or not report.rows:  # else nothing will be written
                                result.notes.extend(
                                    held_elsewhere(
                                        store,
                                        principal,
                                        prep.con,
                                        prep.mapping.name,
                                        prep.query,
                                        prep.numbered,
                                    )
                                )
                                if prep.ledger and _sees(principal, prep.mapping):
                                    drift = column_drift_note(ledgers, prep, parts)
                                    if drift is not None:
                                        result.notes.append(drift)
                                staged = stage_query(
                                    prep,
                                    stage,
                                    ledgers,
                                    parts,
                                    result,
                                    batch_rows,
                                    progress,
                                    (report, skip_invalid),
                                )
                                if (
                                    staged
                                    and parts[-1].retracted
                                    and _sees(principal, prep.mapping)
                                ):
                                    result.notes.append(retracted_note(prep))
                                if staged and not _sees(principal, prep.mapping):
                                    unseen[len(parts) - 1] = rows_alone(prep, parts[-1])
                            else:  # not written: the checks left to the write run here
                                settle(prep, report)
                            # (after the write, which may find the rejected records)
                            tally.add(prep, result, notes=False)
                        finally:  # staged: free this file's data before the next
                            prep.con.close()
                # the rejections tell, row by row, which keys are stored with other values
                because = STORED_KEYS if checked else None
                check_rejections(
                    report,
                    report_file,
                    report_path,
                    result,
                    skip_invalid,
                    mapping_path,
                    allow_bad_dates,
                )
                because = None
                log.info(
                    "ingest.staged",
                    datasets=result.datasets,
                    statements=stage.rows,
                    ledger_rows=result.ledger_rows,
                    file_backed=stage.file_backed,
                    seconds=round(time.perf_counter() - started, 3),
                )
                started = time.perf_counter()
                # the parts this load writes or finds in place stay, whatever it replaces
                kept = {p.final for p in parts}
                for this in replaced.values():
                    this.ledger_parts = [p for p in this.ledger_parts if p not in kept]
                    this.ledger_rows = sum(part_rows[p] for p in this.ledger_parts)
                    this.sha256_old = earlier_sha256(store, this.dataset, this.file)
                retractions: list[PendingRetraction] = []

                def discard_markers(_kind: object, error: object, _trace: object) -> None:
                    # (after the commit they are the event's; after a lost commit they may
                    # be: kept, as the parts are, for the next command to finish or remove)
                    if not committed and not isinstance(error, CommitUnknown):
                        for marker in retractions:
                            marker.discard()

                cleanup.push(discard_markers)
                committed = False
                with store.writer(stage=stage) as w:
                    # in name order: two ingests declaring the same new datasets take their rows'
                    # locks in one order (in the mapping's, PostgreSQL could deadlock them)
                    because = DECLARED  # (declared since `check_dataset`, by another ingest)
                    for mapping in sorted(mappings, key=lambda m: m.name):
                        w.ensure_dataset(dataset_info(mapping))
                    because = None
                    if stage.rows:  # a ledger-only mapping writes none
                        progress(writing_message(stage.rows, dry_run))
                    added = w.add_staged(stage)
                    result.statements_new = new_to_loader(w, stage, principal)
                    result.statements = stage.rows
                    detail: dict[str, Any] = {
                        "mapping": str(mapping_path),
                        "files": files,
                        "file_sha256": digests,
                        "records": result.records,
                        "rejected": result.rejected,
                        "statements": result.statements,
                        "statements_new": added,  # (to the store: the audit log is not a view)
                        "ledger_rows": result.ledger_rows,
                        # who may see each dataset, for `audit verify-data` to hold it to
                        LABELS_KEY: declared_labels(dataset_info(m) for m in mappings),
                    }
                    if parts:  # as committed: `audit verify` checks each is there, whole
                        detail[LEDGER_FILES_KEY] = committed_files(ledgers.root, parts)
                    pending = [p.pending_names(ledgers.root) for p in parts if p.tmp is not None]
                    if pending:  # a process killed between the commit and the renames: the
                        # next one to open the store or write there renames them (`recover_parts`)
                        detail[PARTS_KEY] = pending
                    if not dry_run:  # (a dry run with --replace rolls back, below)
                        progress(t("committing"))
                    store.audit.append(
                        actor=actor,
                        action="ingest",
                        target=",".join(result.datasets),
                        reason=reason,
                        detail=detail,
                        agency=principal.agency if principal is not None else "",
                        conn=w.conn,
                    )
                    if replace:
                        retractions = replace_earlier(
                            store,
                            w,
                            stage,
                            ledgers,
                            replaced,
                            ledger_of,
                            {m.name: m for m in mappings},
                            principal,
                            actor,
                            reason,
                        )
                        result.replaced = list(replaced.values())
                    if dry_run:
                        progress(t("rolling back: a dry run writes nothing"))
                        raise _DryRun
                    held.hold()  # signals wait from the commit until the ledger parts are in place
                committed = True
            for i, part in enumerate(
                parts
            ):  # committed: the ingest is whole once they are in place
                appended = part.commit()
                result.ledger_rows_new += unseen.get(i, appended)
            for marker in retractions:  # and the parts it replaced out of every read
                marker.commit()
    except _DryRun:  # everything done, then rolled back: what it would do
        result.dry_run = True
        attempt.checked(result, replace, digests, skipped)
        return result
    except IronriverError as exc:  # rolled back; a dry run read the store all the same
        if dry_run:
            attempt.checked(result, replace, digests, skipped, exc)
        elif because is not None:  # refused for what the store holds: on record as a read
            attempt.refused(
                because,
                exc,
                result,
                file_sha256=digests,
                replace=replace,
                keys_checked=checked,
            )
        raise
    log.info(
        "ingest.committed",
        datasets=result.datasets,
        statements=result.statements,
        statements_new=added,
        statements_new_to_loader=result.statements_new,
        ledger_rows=result.ledger_rows,
        ledger_rows_new=result.ledger_rows_new,
        seconds=round(time.perf_counter() - started, 3),
    )
    return result


def _sees_rows(ledgers: LedgerStore, parts: list[Path], principal: Principal | None) -> bool:
    """Whether the loader (None: none, a library ingest) may see every row of `parts`."""
    return principal is None or ledgers.sees_all(parts, principal)


def key_check_skipped(dataset: str, ledger: LedgerSpec) -> Msg:
    """The note of a dry run whose loader may not see all of a keyed ledger's stored rows:
    its file's keys were not checked against them (what they hold is not told)."""
    return msg(
        "{dataset}: the keys ({key}) of this file were not checked against the rows ledger "
        "{ledger} holds: you may not see all of them. The ingest itself checks them, and "
        "refuses a key stored with other values.",
        dataset=dataset,
        key=", ".join(ledger.key),
        ledger=ledger.name,
    )


class _DryRun(Exception):
    """Raised in an ingest's write transaction to roll it back (`dry_run`)."""


def _sees(principal: Principal | None, mapping: DatasetMapping) -> bool:
    """Whether the loader (None: none, a library ingest) may see what `mapping` writes."""
    return principal is None or can_see(principal, mapping.label)
