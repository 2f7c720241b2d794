"""The tally of an ingest's records and rejected records, and the verdict on them: the error
report written, and the ingest refused (`IngestError`) unless `skip_invalid` lets it keep
the valid records.

Invariants: a file read by several queries counts its records and rejected rows once
(`Tally`); a date column whose format rejects a large share of its values refuses even a
--skip-invalid ingest unless `allow_bad_dates` (`check_rejections`); no report is left
behind by a run that rejected nothing and was given no report path (a stale one is
removed). Used by `ingest_mapping` and `check_mapping` alike, so the two refuse alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from ironriver.errors import IngestError
from ironriver.i18n import joined, msg, nmsg
from ironriver.ingest.prepare import Prepared
from ironriver.ingest.report import REPORT_COLUMNS, ErrorReport
from ironriver.ingest.result import IngestResult
from ironriver.logs import get_logger

# the ingest's logger (`pipeline`'s): `ingest.rejected_records` comes from the same logger
# as the ingest's other events, as before this module was split from it
log = get_logger("ironriver.ingest.pipeline")


@dataclass
class Tally:
    """An ingest's records and rejected records, each counted once however many of its
    queries read the file (two queries of one file, e.g. by different filters, read its
    records once each but the file holds them once)."""

    records: dict[tuple[str, str | int | None, int], int] = field(default_factory=dict)
    rejected: dict[tuple[str, str | int | None, int], list[pa.Array]] = field(default_factory=dict)

    def add(self, prep: Prepared, result: IngestResult, notes: bool = True) -> None:
        """Count `prep`'s file (once) and rejected rows into `result`, and with `notes` add
        its notes."""
        source = prep.query.source
        key = (str(source.path.resolve()), source.sheet, source.header_row)
        self.records[key] = max(self.records.get(key, 0), prep.records)
        self.rejected.setdefault(key, []).append(prep.rejected_rows)
        if notes:
            result.notes.extend(prep.notes)
        result.records = sum(self.records.values())
        result.rejected = sum(
            len(pc.unique(pa.chunked_array(rows, pa.int64()))) for rows in self.rejected.values()
        )


def check_rejections(
    report: ErrorReport,
    report_file: Path,
    report_path: Path | str | None,
    result: IngestResult,
    skip_invalid: bool,
    mapping_path: Path,
    allow_bad_dates: bool = False,
) -> None:
    """Write the error report of rejected records; raise unless `skip_invalid` (and, for a
    date column whose format rejects a large share of its values, `allow_bad_dates`)."""
    if not report.rows:
        if report_file.exists() and report_path is None:
            report_file.unlink()  # a stale report from an earlier failed run
        return
    result.report_path = report.write(report_file)
    if skip_invalid and report.bad_dates and not allow_bad_dates:
        raise _bad_dates_error(report, report_file)
    # info either way: the user is told in a sentence of their language (the error, or the
    # command's "Skipped N invalid records"), so the default level (WARNING) stays quiet
    log.info(
        "ingest.rejected_records",
        mapping=mapping_path.name,
        rejected=result.rejected,
        records=result.records,
        report=str(report_file),
        skip_invalid=skip_invalid,
    )
    if not skip_invalid:
        raise IngestError(
            nmsg(
                "{rejected} record of {records} rejected, nothing was ingested: {summary}.",
                "{rejected} of {records} records rejected, nothing was ingested: {summary}.",
                result.rejected,
                rejected=result.rejected,
                records=result.records,
                summary=report.summary(),
            ),
            hint=joined(
                [
                    *report.hints,
                    msg(
                        "See {report} ({columns}). Fix those rows or the mapping (e.g. a date "
                        "format), then ingest again; or pass --skip-invalid to ingest the "
                        "valid rows only.",
                        report=report_file,
                        columns=", ".join(REPORT_COLUMNS),
                    ),
                ],
                " ",
            ),
            report_path=str(report_file),
        )


def _bad_dates_error(report: ErrorReport, report_file: Path) -> IngestError:
    """The refusal of a --skip-invalid ingest whose date columns are likely read in the
    wrong layout: skipping their rejected records would keep the others, misread."""
    columns = [
        msg(
            "{column} of {file} under {format}: {rejected:,} of {values:,} ({share:.0%})",
            column=b.column,
            file=b.file,
            format=b.format,
            rejected=b.rejected,
            values=b.values,
            share=b.rejected / b.values,
        )
        for b in report.bad_dates
    ]
    bad = {b.column for b in report.bad_dates}
    hints = [h for h in report.hints if h.fields.get("column") in bad]
    return IngestError(
        nmsg(
            "A date column's format rejects a large share of its values, so its layout is "
            "likely wrong (e.g. day and month swapped), and --skip-invalid would keep the "
            "dates it happens to read, misread: {columns}. Nothing was ingested.",
            "Date columns' formats reject a large share of their values, so their layouts "
            "are likely wrong (e.g. day and month swapped), and --skip-invalid would keep "
            "the dates they happen to read, misread: {columns}. Nothing was ingested.",
            len(columns),
            columns=joined(columns, "; "),
        ),
        hint=joined(
            [
                *hints,
                msg(
                    "Check the format against the file ({command} suggests one) and see "
                    "{report}. If those dates are wrong in the file itself, pass {option} "
                    "with --skip-invalid to ingest the other records.",
                    command="`ironriver mapping draft FILE`",
                    report=report_file,
                    option="--allow-bad-dates",
                ),
            ],
            " ",
        ),
        report_path=str(report_file),
    )
