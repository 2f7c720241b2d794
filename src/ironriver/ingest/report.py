"""Error reports: the rejected rows of an ingest as CSV (file, row, column, value, reason),
and the one-paragraph message that tells the user what to fix.

The CSV's header stays English in every language: programs read it by those names (the
hint that names the report says what they mean, docs/mapping.md too); its reasons are in the
language they were rendered in when the checks were built (`record_checks.invalid_reason`, ...).

What `row` counts depends on the source (`RowKind`): in a CSV or JSON Lines file, the record
(1 = the first record; the header, and any title lines above it, not counted: record 4 of a
CSV with its header on line 1 is line 5, when no value spans lines); in a spreadsheet, the
sheet's row as the program shows it; in an FtM entities file, the line. The summary says
which, so a reader does not open line 4 for record 4. A value a spreadsheet would run as a
formula is written with a quote before it (`ironriver.csvcells`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pyarrow as pa

from ironriver.csvcells import write_csv
from ironriver.errors import ResourceError, os_problem
from ironriver.i18n import Lang, Msg, current_lang, joined, marked, msg, translate
from ironriver.scratch import FolderNotSynced, replacing

REPORT_COLUMNS = ("file", "row", "column", "value", "reason")

#: what a report's `row` counts in a source (module doc)
RowKind = Literal["record", "sheet row", "line"]

# a spreadsheet's suffixes (`ingest.sheets.SUFFIXES`; not imported: that module loads its reader)
_SHEET_SUFFIXES = (".xlsx", ".xlsm", ".xlsb", ".xls", ".ods")


def row_kind(source: str) -> RowKind:
    """What `row` counts in `source`, a query's source label (`SourceSpec.label`: a file
    name, a spreadsheet's with its sheet, `meses.xlsx[Enero]`)."""
    name = source.rsplit("[", 1)[0] if source.endswith("]") else source
    return "sheet row" if name.lower().endswith(_SHEET_SUFFIXES) else "record"


# A date column whose `format` rejects this share of its non-empty values or more is written
# in another layout, not mistyped here and there: day and month swapped rejects every date
# whose day is past the 12th (about 60% of them), and keeps the others, wrong. --skip-invalid
# refuses such a column unless told otherwise (`allow_bad_dates`; docs/mapping.md).
BAD_DATES_SHARE = 0.2  # share of a date column's non-empty values its format rejects
BAD_DATES_MIN = 5  # rejected values: fewer (a small file's typos) never refuse


@dataclass(frozen=True)
class BadDates:
    """A date column of one file whose format rejects a large share of its values
    (`BAD_DATES_SHARE`): likely the wrong layout."""

    file: str
    column: str
    format: str
    rejected: int  # values its format rejects
    values: int  # its non-empty values (in the records the query's filters keep)

    @property
    def wrong(self) -> bool:
        """Whether the share rejected makes the layout likely wrong."""
        return self.rejected >= BAD_DATES_MIN and self.rejected >= BAD_DATES_SHARE * self.values


@dataclass
class ErrorReport:
    """Rejected rows collected over the queries of one ingest."""

    tables: list[pa.Table] = field(default_factory=list)
    kinds: dict[str, RowKind] = field(default_factory=dict)  # what `row` counts, by source
    hints: list[Msg] = field(default_factory=list)  # what the rejections suggest, if anything
    bad_dates: list[BadDates] = field(default_factory=list)  # columns likely in another layout

    def add(self, source: str, bad: pa.Table, rows: RowKind | None = None) -> None:
        """The rejections `bad` (`_row`, column, value, reason) of `source`, whose `_row`
        counts `rows` (default: `row_kind(source)`)."""
        if bad.num_rows == 0:
            return
        self.kinds[source] = rows or row_kind(source)
        files = pa.array([source] * bad.num_rows, pa.string())
        self.tables.append(
            pa.table(
                {
                    "file": files,
                    "row": bad.column("_row").cast(pa.int64()),
                    "column": bad.column("column").cast(pa.string()),
                    "value": bad.column("value").cast(pa.string()),
                    "reason": bad.column("reason").cast(pa.string()),
                }
            )
        )

    @property
    def rows(self) -> int:
        return sum(t.num_rows for t in self.tables)

    def table(self) -> pa.Table:
        if not self.tables:
            return pa.table({c: pa.array([], pa.string()) for c in REPORT_COLUMNS})
        return pa.concat_tables(self.tables).sort_by([("file", "ascending"), ("row", "ascending")])

    def write(self, path: Path) -> Path:
        """The report as CSV at `path`, for people to open: a rejected value (or a file or
        column name) a spreadsheet would run as a formula gets a quote before it; for Excel
        with `--excel` (`ironriver.csvcells`)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with replacing(path) as tmp:
                write_csv(self.table(), str(tmp))
        except FolderNotSynced as exc:  # (written before the store is: nothing ingested)
            raise ResourceError(
                msg(
                    "The error report was written to {path} whole, but its folder could not "
                    "be synced to disk: {problem}. The file is there; a power loss could "
                    "still undo its writing. Nothing was ingested.",
                    path=path,
                    problem=os_problem(exc),
                ),
                hint=msg(
                    "Check the disk that holds that folder; once it is sound, ingest again "
                    "(or give --report a path on another disk)."
                ),
            ) from exc
        return path

    def summary(self, limit: int = 5) -> Msg:
        """`n × column: reason (first at record r, header not counted)` for the most frequent
        problems (a sheet's row, an entities file's line: `RowKind`)."""
        table = self.table()
        groups: dict[tuple[str, str, str], list[int]] = {}
        for file, row, column, reason in zip(
            table.column("file").to_pylist(),
            table.column("row").to_pylist(),
            table.column("column").to_pylist(),
            table.column("reason").to_pylist(),
            strict=True,
        ):
            groups.setdefault((file, column, reason), []).append(row)
        ranked = sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))
        parts = [
            _problem(
                self.kinds.get(file, row_kind(file)), len(rows), file, column, reason, min(rows)
            )
            for (file, column, reason), rows in ranked[:limit]
        ]
        if len(ranked) > limit:
            parts.append(msg("... and {count} more kinds of problem", count=len(ranked) - limit))
        return joined(parts)


def _problem(kind: RowKind, count: int, file: str, column: str, reason: str, row: int) -> Msg:
    """One line of `ErrorReport.summary`, saying what its row number counts."""
    fields = {"count": count, "file": file, "column": column, "reason": reason, "row": row}
    if kind == "sheet row":
        return msg(
            "{count} × {file} {column}: {reason} (first at row {row} of the sheet)", **fields
        )
    if kind == "line":
        return msg("{count} × {file} {column}: {reason} (first at line {row})", **fields)
    return msg(
        "{count} × {file} {column}: {reason} (first at record {row}, header not counted)",
        **fields,
    )


# strptime's directives as a reader writes a date's layout (DD/MM/YYYY; in Spanish DD/MM/AAAA)
_LAYOUT = {
    "d": marked("DD"),
    "m": marked("MM"),
    "Y": marked("YYYY"),
    "y": marked("YY"),
    "H": marked("hh"),
    "M": marked("mm"),
    "S": marked("ss"),
}


def date_layout(fmt: str, lang: Lang | None = None) -> str | None:
    """A strptime format as people write a layout, in `lang` ("%d/%m/%Y" -> "DD/MM/YYYY",
    "DD/MM/AAAA" in Spanish); None when it holds a directive not in `_LAYOUT` (a month's
    name, a time zone: the format says it best) or no directive at all (no date's format:
    a phone's country, "MX")."""
    out: list[str] = []
    parts = fmt.split("%")
    if len(parts) == 1:
        return None
    out.append(parts[0])
    for part in parts[1:]:
        if not part or part[0] not in _LAYOUT:
            return None
        out.append(translate(_LAYOUT[part[0]], lang or current_lang()) + part[1:])
    return "".join(out)


# the date layouts agencies write, US and Mexican orders alike (tried in this order)
DATE_FORMATS = (
    "%d/%m/%Y",
    "%m/%d/%Y",
    "%Y-%m-%d",
    "%d-%m-%Y",
    "%m-%d-%Y",
    "%d.%m.%Y",
    "%Y/%m/%d",
    "%Y%m%d",
    "%d/%m/%y",
    "%m/%d/%y",
)


def date_format_hint(column: str, declared: str, values: list[str]) -> Msg | None:
    """When every rejected value of a date `column` reads in one other layout (a file of
    US month-first dates mapped as Mexican day-first ones, or the reverse), a hint naming
    it; else None."""
    from datetime import datetime

    values = [v.strip() for v in values if v and v.strip()]
    if not values:
        return None
    for fmt in DATE_FORMATS:
        if fmt == declared:
            continue
        try:
            for value in values:
                datetime.strptime(value, fmt)
        except ValueError:
            continue
        return msg(
            "The rejected dates of {column} read as {format} (e.g. {example}), not {declared}: "
            "set that format in the mapping if the whole file is written so.",
            column=column,
            format=fmt,
            example=repr(values[0]),
            declared=declared,
        )
    return None


def no_entities_note(dataset: str, file: str) -> Msg:
    """`empty_file_note` of an FtM entity JSON Lines file (review R29b F6)."""
    return msg(
        "{dataset}: {file} holds no entity (it is empty, or only blank lines): nothing was "
        "loaded from it. Check the export that made it (a failed or cut-short download, a "
        "query that matched nothing?).",
        dataset=dataset,
        file=file,
    )


def empty_file_note(dataset: str, file: str) -> Msg:
    """The note of a file that holds no record (a header alone, or blank lines): an ingest of
    nothing that succeeds looks like a load, and a cut-short export is the usual cause."""
    return msg(
        "{dataset}: {file} holds no record (a header alone, or only blank records): nothing "
        "was loaded from it. Check the export that made it (a failed or cut-short download, "
        "a query that matched nothing?).",
        dataset=dataset,
        file=file,
    )
