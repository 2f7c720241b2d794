"""`check_mapping`: everything an ingest checks, without a store; and what an ingest reads
before it opens a store: the mapping's datasets that the principal may load
(`authorized_mappings`), each as the store declares it (`dataset_info`), and where the error
report goes.

Invariants: authorization is decided by the mapping alone, before any file or the store is
read (so a refused ingest into a new store leaves none behind); a mapping file already read
and checked by the caller (`authorized`) is not read again; a check refuses exactly as an
ingest would (`rejections.check_rejections`), and a file read by two queries must be the
same bytes both times (`check_same_bytes`).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from pathlib import Path

from ironriver.i18n import msg
from ironriver.ingest.mapping import load_mapping
from ironriver.ingest.notes import label_notes
from ironriver.ingest.prepare import prepare_query
from ironriver.ingest.rejections import Tally, check_rejections
from ironriver.ingest.report import ErrorReport
from ironriver.ingest.result import IngestResult
from ironriver.ingest.source import check_same_bytes
from ironriver.ingest.specs import DatasetMapping
from ironriver.policy import Principal, authorize_ingest
from ironriver.policy.retract import check_may_retract
from ironriver.policy.rights import require_role
from ironriver.progress import no_progress
from ironriver.settings import DEFAULT_INGEST_MEMORY_MB
from ironriver.store import DatasetInfo


def dataset_info(mapping: DatasetMapping) -> DatasetInfo:
    return DatasetInfo(
        name=mapping.name,
        agency=mapping.agency,
        country=mapping.country,
        marking=mapping.marking,
        releasable_to=mapping.releasable_to,
        legal_basis=mapping.legal_basis,
        title=mapping.title,
    )


def default_report_path(mapping_path: Path) -> Path:
    return mapping_path.with_name(mapping_path.name + ".errors.csv")


def authorized_mappings(
    mapping_path: Path | str,
    principal: Principal | None,
    homes: Mapping[str, Collection[str]] | None = None,
    replace: bool = False,
) -> list[DatasetMapping]:
    """The mapping file's datasets, each one `principal` may load (`authorize_ingest`) and,
    with `replace`, retract an earlier load from (`check_may_retract`). Decided by the
    mapping alone, before any file is read or the store is read: the CLI asks it before it
    opens the store, so that a refused ingest into a new `--db` leaves no store behind."""
    mappings = load_mapping(Path(mapping_path))
    if principal is not None:
        for mapping in mappings:
            authorize_ingest(principal, mapping.name, mapping.agency, mapping.country, homes)
            if replace:
                require_role(principal, "ingest", msg("retract statements"))
                check_may_retract(principal, mapping.name, mapping.agency)
    return mappings


def authorized_with_report(
    mapping_path: Path,
    report_path: Path | str | None,
    principal: Principal | None,
    homes: Mapping[str, Collection[str]] | None = None,
    replace: bool = False,
    authorized: list[DatasetMapping] | None = None,
) -> tuple[list[DatasetMapping], Path]:
    """The mapping file's datasets, each one `principal` may load (`authorized_mappings`,
    before any file is read, unless the caller did: `authorized`), and where the error
    report goes."""
    mappings = (
        authorized
        if authorized is not None
        else authorized_mappings(mapping_path, principal, homes, replace)
    )
    return mappings, Path(report_path) if report_path else default_report_path(mapping_path)


def check_mapping(
    mapping_path: Path | str,
    *,
    skip_invalid: bool = False,
    allow_bad_dates: bool = False,
    report_path: Path | str | None = None,
    principal: Principal | None = None,
    memory_mb: int = DEFAULT_INGEST_MEMORY_MB,
    spill_root: Path | None = None,
    agencies: Collection[str] | None = None,
    homes: Mapping[str, Collection[str]] | None = None,
    authorized: list[DatasetMapping] | None = None,
) -> IngestResult:
    """Everything `ingest_mapping` checks, without a store: the mapping, each file, every
    record; returns what an ingest would produce (`dry_run` set, the *_new counts 0).
    `authorized`: as `ingest_mapping`'s (the mapping file already read and checked).

    Rejected records go to the error report and raise `IngestError` as an ingest would
    (unless `skip_invalid`, which counts only the records an ingest would keep; a date
    column likely read in the wrong layout raises all the same, unless `allow_bad_dates`)."""
    mapping_path = Path(mapping_path)
    mappings, report_file = authorized_with_report(
        mapping_path, report_path, principal, homes, authorized=authorized
    )
    report = ErrorReport()
    result = IngestResult(datasets=[m.name for m in mappings], dry_run=True)
    result.notes += label_notes(map(dataset_info, mappings), agencies)
    tally = Tally()
    read: dict[Path, str] = {}  # each file read -> its SHA-256 (`check_same_bytes`)
    for mapping in mappings:
        for query in mapping.queries:
            prep = prepare_query(
                mapping, query, report, skip_invalid, no_progress, memory_mb, spill_root
            )
            try:
                check_same_bytes(read, query.source.path, prep.source_digest)
                tally.add(prep, result)
                if prep.statements:
                    result.statements += int(
                        prep.con.sql("SELECT count(*) FROM stmts").fetchall()[0][0]
                    )
                if prep.ledger:
                    keep = " WHERE _row NOT IN (SELECT _row FROM bad)" if prep.rejected else ""
                    result.ledger_rows += int(
                        prep.con.sql(f"SELECT count(*) FROM led{keep}").fetchall()[0][0]
                    )
            finally:
                prep.con.close()
    check_rejections(
        report, report_file, report_path, result, skip_invalid, mapping_path, allow_bad_dates
    )
    return result
