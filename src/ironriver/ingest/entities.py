"""Ingest FtM entity JSON Lines (the output of `ftm map`, `ftm export`, other FtM tools).

Each line is one entity dict (`{"id": ..., "schema": ..., "properties": {...}}`). Every line
is validated against `ironriver.model.get_model()` — schema known, properties known and not
reverse (stub) properties, values cleaned by their type as FtM's `EntityProxy.add` cleans them
(a phone written with Mexico's old `+52 1` read too, `store.ids.clean_phone`, as a mapping's
is) — before anything is written; bad lines go to the error report with the line number and the
store stays untouched (unless `skip_invalid`). Empty values are dropped, as FtM drops them.
Statement ids are FtM's (`Statement.make_key`); everything is written in one transaction. A
file of FtM statements (JSON Lines or CSV) is refused before anything is read into the store
(`statement_files.check_not_statements`), with the `ftm` command that rolls it up into
entities.

The file is read once (`entity_files.EntityFile`), in chunks of `CHUNK_LINES` lines whose
statements go straight into the store's stage (`Store.stage`), so memory stays flat however
large the export is.

Each chunk is cleaned in bulk by DuckDB (`entity_bulk.bulk_statements`: no Python object per
value); a line the bulk path cannot be sure of (`entity_bulk` says which it takes) goes to the
per-line path (`entity_lines.entity_statements`, FtM's own cleaning with the entity as
context), which reports exactly what is wrong. Both give FtM's statements for a good line
(`tests/ingest/test_ingest_entities.py` compares them). The datasets the lines name are checked
against the store's before it is written (`entity_origins.check_origins`).

This module holds the entry points, `ingest_entities` and `check_entities`, and what they
share: opening the file (`_open`) and judging what was read (`_check`).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pyarrow as pa

from ironriver.errors import IngestError, StoreError
from ironriver.i18n import msg, nmsg, t
from ironriver.ingest.attempts import DECLARED, IngestAttempt
from ironriver.ingest.encoding import check_encoding
from ironriver.ingest.entity_files import EntityFile
from ironriver.ingest.entity_origins import check_origins
from ironriver.ingest.notes import label_notes, referents_note
from ironriver.ingest.pipeline import new_to_loader, writing_message
from ironriver.ingest.report import ErrorReport, no_entities_note
from ironriver.ingest.result import IngestResult
from ironriver.ingest.source import check_unchanged, file_digest, file_state
from ironriver.ingest.statement_files import check_not_statements
from ironriver.policy import Principal, authorize_ingest
from ironriver.progress import Progress, no_progress
from ironriver.settings import DEFAULT_INGEST_MEMORY_MB
from ironriver.store import DatasetInfo, Store
from ironriver.store.data_verify import LABELS_KEY, declared_labels


def ingest_entities(
    store: Store,
    path: Path | str,
    dataset: DatasetInfo,
    *,
    actor: str,
    reason: str = "",
    skip_invalid: bool = False,
    report_path: Path | str | None = None,
    principal: Principal | None = None,
    memory_mb: int = DEFAULT_INGEST_MEMORY_MB,
    progress: Progress = no_progress,
    agencies: Collection[str] | None = None,
    homes: Mapping[str, Collection[str]] | None = None,
    relabel: bool = False,
) -> IngestResult:
    """Ingest an FtM entity JSON Lines file into `dataset` atomically (with `principal`,
    only if it may load that dataset: `authorize_ingest`). Its statements carry the
    dataset's label: owner, marking and releasability (a label of its own could name
    another owner, who always sees its own facts, review R7).

    Entities whose lines name (`"datasets"`, as an export's do) stored datasets of another
    agency are refused, and those of the owner's other datasets labelled otherwise unless
    `relabel` (`check_origins`, review R11 F1). `homes`: where an admin may place an
    agency's dataset (`authorize_ingest`).

    `memory_mb` bounds the memory of the file's statements while they are cleaned and
    sorted (`Settings.ingest_memory_mb`, which the CLI passes); beyond it DuckDB spills to a
    temporary folder beside the store's data, removed afterwards."""
    # (the ledger folder's parent exists once the store is open; not $TMPDIR, which may
    # live in memory)
    spill_root = store.ledger_dir.resolve().parent
    path, report_file, result, source = _open(
        path, dataset, report_path, principal, memory_mb, spill_root, progress, homes
    )
    result.notes += label_notes([dataset], agencies)
    attempt = IngestAttempt(
        store, actor, reason, principal, [dataset.name], {"entities_file": path.name}
    )
    try:  # a stored dataset keeps its owner and label: before the read
        store.check_dataset(dataset)
    except StoreError as exc:  # the refusal tells what the store holds: audited
        attempt.refused(DECLARED, exc)
        raise
    with store.stage() as stage, ThreadPoolExecutor(max_workers=1) as pool:
        # the bytes loaded, for the audit event: hashed beside the staging (no GIL held)
        digest = pool.submit(file_digest, path)
        # statements of valid lines only (a rejected line yields none), sorted
        # (a statement two lines of one entity give is staged twice)
        stage.add(dataset.name, dataset.label, path.name, source.batches, unique=False)
        sha256 = digest.result()
        check_unchanged(path, source.before)  # (the digest is of the lines staged)
        _check(source, result, report_file, skip_invalid)  # before the store is touched
        notes, relabelled = check_origins(store, dataset, source, attempt, relabel, result)
        result.notes += notes
        declaring = False  # while the write checks the declaration again
        try:
            with store.writer(stage=stage) as w:
                declaring = True  # (declared since `check_dataset`, by another ingest)
                w.ensure_dataset(dataset)
                declaring = False
                progress(writing_message(stage.rows))
                added = w.add_staged(stage)
                result.statements_new = new_to_loader(w, stage, principal)
                progress(t("committing"))
                store.audit.append(
                    actor=actor,
                    action="ingest",
                    target=dataset.name,
                    reason=reason,
                    detail={
                        "entities_file": path.name,
                        "file_sha256": {path.name: sha256},
                        "records": result.records,
                        "rejected": result.rejected,
                        "statements_new": added,  # (to the store: the audit log is not a view)
                        # who may see the dataset, for `audit verify-data` to hold it to
                        LABELS_KEY: declared_labels([dataset]),
                        # (entities of the owner's other datasets given this label, by dataset)
                        **({"relabelled": relabelled} if relabelled else {}),
                    },
                    agency=principal.agency if principal is not None else "",
                    conn=w.conn,
                )
        except StoreError as exc:  # rolled back: a refusal of the declaration is audited
            if declaring:
                attempt.refused(DECLARED, exc, result)
            raise
    return result


def check_entities(
    path: Path | str,
    dataset: DatasetInfo,
    *,
    skip_invalid: bool = False,
    report_path: Path | str | None = None,
    principal: Principal | None = None,
    memory_mb: int = DEFAULT_INGEST_MEMORY_MB,
    spill_root: Path | None = None,
    agencies: Collection[str] | None = None,
    homes: Mapping[str, Collection[str]] | None = None,
) -> IngestResult:
    """Everything `ingest_entities` checks, without a store: returns what it would produce
    (`dry_run` set); rejected lines are reported and raise as they would there."""
    path, report_file, result, source = _open(
        path, dataset, report_path, principal, memory_mb, spill_root, no_progress, homes
    )
    result.dry_run = True
    result.notes += label_notes([dataset], agencies)
    source.check()
    check_unchanged(path, source.before)
    _check(source, result, report_file, skip_invalid)
    return result


def _open(
    path: Path | str,
    dataset: DatasetInfo,
    report_path: Path | str | None,
    principal: Principal | None,
    memory_mb: int,
    spill_root: Path | None,
    progress: Progress,
    homes: Mapping[str, Collection[str]] | None,
) -> tuple[Path, Path, IngestResult, EntityFile]:
    """Authorise, check the file is there and UTF-8; its report file, result and reader."""
    if principal is not None:
        authorize_ingest(principal, dataset.name, dataset.agency, dataset.country, homes)
    path = Path(path)
    if not path.is_file():
        raise IngestError(
            msg("Input file {path} does not exist.", path=path), hint=msg("Check the path.")
        )
    before = file_state(path)  # (the file must not change while read: `check_unchanged`)
    check_encoding(path, "utf-8", settable=False)
    check_not_statements(path)
    report_file = Path(report_path) if report_path else path.with_name(path.name + ".errors.csv")
    source = EntityFile(path, dataset.name, memory_mb, spill_root, progress)
    source.before = before
    return path, report_file, IngestResult(datasets=[dataset.name]), source


def _check(source: EntityFile, result: IngestResult, report_file: Path, skip_invalid: bool) -> None:
    """Once the file is read: counts into `result`; rejected lines into the report, and
    an `IngestError` unless `skip_invalid`."""
    result.records = source.records
    result.statements = source.produced
    if not source.records:
        result.notes.append(no_entities_note(source.dataset, source.path.name))
    if source.first_conflict is not None:
        entity_id, schemata = source.first_conflict
        result.notes.append(
            nmsg(
                "{file}: {n:,} id is given schemata that cannot be one entity (first: {id}, "
                "{schemata}): a view shows it as one of them and leaves the others' "
                "properties out, listing them (an export's schema_conflicts). If they are "
                "different entities, give them different ids.",
                "{file}: {n:,} ids are given schemata that cannot be one entity (first: {id}, "
                "{schemata}): a view shows each as one of them and leaves the others' "
                "properties out, listing them (an export's schema_conflicts). If they are "
                "different entities, give them different ids.",
                source.conflicts,
                file=source.path.name,
                id=entity_id,
                schemata=", ".join(schemata),
            )
        )
    if source.empty:
        result.notes.append(
            nmsg(
                "{file}: {n:,} entity has no properties, so it was not stored (an entity is "
                "kept as its statements; FtM writes such an id-only entity for a mapping's "
                "keys-only entity).",
                "{file}: {n:,} entities have no properties, so they were not stored (an "
                "entity is kept as its statements; FtM writes such an id-only entity for a "
                "mapping's keys-only entity).",
                source.empty,
                file=source.path.name,
            )
        )
    if source.referents:
        result.notes.append(referents_note(source.path.name, source.referents))
    if not source.bad:
        return
    bad = source.bad
    report = ErrorReport()
    report.add(
        source.path.name,
        pa.table(
            {
                "_row": [b[0] for b in bad],
                "column": [b[1] for b in bad],
                "value": [b[2] for b in bad],
                "reason": [b[3] for b in bad],
            }
        ),
        rows="line",  # (`EntityFile._chunks` numbers the file's lines, blank ones included)
    )
    result.rejected = len({b[0] for b in bad})
    result.report_path = report.write(report_file)
    if not skip_invalid:
        raise IngestError(
            nmsg(
                "{rejected} entity of {records} rejected, nothing was ingested: {summary}.",
                "{rejected} of {records} entities rejected, nothing was ingested: {summary}.",
                result.rejected,
                rejected=result.rejected,
                records=result.records,
                summary=report.summary(),
            ),
            hint=msg("See {report}. Fix those lines, or pass --skip-invalid.", report=report_file),
            report_path=str(report_file),
        )
