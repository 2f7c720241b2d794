"""The header of a source file: where a CSV file's header is and what it names, and whether
it names what the mapping reads.

- `csv_layout`: a CSV file's delimiter and header row, guessed from its first lines (the
  lines above the header are a title: a record naming few values, as a title padded with
  delimiters does, is no header); `draft` proposes a query from it, and a file DuckDB's
  reader reads, or whose parse fails, is checked with it for a title above its
  `header_row` (`title_above`).
- `csv_header`: the header line as the readers parse a record.
- `check_header`: every column the mapping reads is in the header (a CSV file's, a sheet's),
  once; `missing_error` says which are not (a JSON Lines file's keys too), and why when it
  can tell (a name differing in spaces or case, another delimiter, a title above).

Each problem is an `IngestError` naming the file and what to fix.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Collection, Iterable, Iterator
from difflib import get_close_matches
from pathlib import Path

from ironriver.errors import IngestError
from ironriver.i18n import Msg, msg, nmsg
from ironriver.ingest.specs import SourceSpec

HEADER_BLOCK = 1 << 20  # the header must fit in the first block Arrow reads
_TITLE_SCAN_LINES = 30  # the lines read to tell a title from the header


HEADER_SHARE = 0.6
"""A CSV file's header names at least this share of the values of the fullest of its first
records of the header's width (and two or more), as a sheet's header row does (`draft`): a
title, or a blank line, holds one value or none, and Excel saves both padded with delimiters
to the sheet's width (`REPORTE DE DETENIDOS;;;;`, `;;;;`), as wide as the header."""


def csv_layout(lines: list[str]) -> tuple[str, int]:
    """A CSV file's delimiter and header row from its first lines: the delimiter that splits
    the most records into the same number (2 or more) of fields, and the line the first
    record split so that names enough values (`HEADER_SHARE`) starts on; the lines above it
    are a title. Records, not lines, are counted (`csv_records`): a quoted value may hold
    line breaks, as a description often does, and counted per line such a record looks like
    two short ones (a `;` file with decimal commas then looked `,`-separated). Only records
    holding two values or more are counted when there are such (a title and a blank line
    padded with delimiters, a line short of the header's width, tell nothing of the
    layout). On a tie, the delimiter giving more fields."""
    best = (",", 1, 0, 0)
    for delimiter in (",", ";", "\t", "|"):
        records = list(csv_records(lines, delimiter))
        wide = [len(r) for _, r in records if len(r) >= 2 and _named(r) >= 2]
        wide = wide or [len(r) for _, r in records if len(r) >= 2]
        if not wide:
            continue
        fields, agreeing = Counter(wide).most_common(1)[0]
        if (agreeing, fields) > (best[2], best[3]):
            start = _header_line([(line, r) for line, r in records if len(r) == fields])
            best = (delimiter, start, agreeing, fields)
    return best[0], best[1]


def _header_line(records: list[tuple[int, list[str]]]) -> int:
    """The first line of the first of `records` (first line, values) naming at least
    `HEADER_SHARE` of the fullest's values, and two; when none names two, the first naming
    as many as the fullest."""
    counts = [_named(record) for _, record in records]
    fullest = max(counts)
    least = max(2, HEADER_SHARE * fullest) if fullest >= 2 else fullest
    return next(line for (line, _), n in zip(records, counts, strict=True) if n >= least)


def _named(record: list[str]) -> int:
    """How many of a record's values are not blank."""
    return sum(1 for value in record if value.strip())


def record_widths(lines: Iterable[str], delimiter: str) -> Iterator[tuple[int, int]]:
    """(first line, number of fields) of each record of `lines` (`csv_records`)."""
    for start, record in csv_records(lines, delimiter):
        yield start, len(record)


def csv_records(lines: Iterable[str], delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """(first line, values) of each record of `lines` (without their line ends), read with
    quotes as the readers read them: a quoted value may span lines; a blank line is a record
    of no field. A record a quote left open at the end is read as it stands; from a line the
    parser cannot read on, nothing more is read."""
    reader = csv.reader(lines, delimiter=delimiter, quotechar='"', doublequote=True)
    start = 1
    try:
        for record in reader:
            yield start, record
            start = reader.line_num + 1
    except csv.Error:
        return


def title_above(path: Path, spec: SourceSpec) -> int | None:
    """The header's line when the file's first lines are a title above it (`csv_layout`,
    with the query's delimiter), if that is below the query's `header_row`."""
    if spec.header:
        return None
    with path.open("rb") as fh:
        head = fh.read(HEADER_BLOCK).decode("utf-8", "replace")
    lines = head.splitlines()[:_TITLE_SCAN_LINES]
    delimiter, row = csv_layout(lines)
    if delimiter != spec.delimiter or row <= spec.header_row:
        return None
    # a title's lines hold a value or two (or none); a line with most of the records'
    # fields is no title but a header short of a name (records ending in a delimiter?)
    width = len(next(csv.reader([lines[row - 1]], delimiter=delimiter), []))
    above = [next(csv.reader([line], delimiter=delimiter), []) for line in lines[: row - 1]]
    most = max(1, width // 2)
    return row if all(sum(1 for v in f if v.strip()) <= most for f in above) else None


def title_error(spec: SourceSpec, row: int) -> IngestError:
    """The error of a file whose lines above line `row` are a title (`title_above`)."""
    return IngestError(
        msg(
            "Cannot parse {file}: its lines above line {row} look like a title, not the "
            "header and records.",
            file=spec.path.name,
            row=row,
        ),
        hint=msg("Set {example} in the query.", example=f"`header_row: {row}`"),
    )


def csv_header(path: Path, spec: SourceSpec) -> list[str]:
    """The column names: the mapping's `header`, else the file's header line (its
    `header_row`th; blank lines count), parsed as the readers parse a record."""
    if spec.header:
        return list(spec.header)
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as fh:
        for _ in range(spec.header_row - 1):
            if not fh.readline():
                return []
        reader = csv.reader(fh, delimiter=spec.delimiter, quotechar='"', doublequote=True)
        try:
            return next(reader, [])
        except csv.Error:
            return []


def check_header(
    spec: SourceSpec, header: list[str], refs: list[str], places: list[str] | None = None
) -> None:
    """Every column the mapping reads is in `header`, once (else an `IngestError`); `places`
    names the header's columns in errors (default 1, 2, ...)."""
    check_twice(spec, header, refs, places)
    missing = [r for r in refs if r not in header]
    if missing:
        none_found = len(missing) == len(set(refs))
        raise missing_error(spec, missing, [h for h in header if h], none_found, refs)


def check_twice(
    spec: SourceSpec, header: list[str], refs: list[str], places: list[str] | None = None
) -> None:
    """No column the mapping reads is named twice in `header` (else an `IngestError`)."""
    twice = sorted({r for r in refs if header.count(r) > 1})
    if twice:
        names = places or [str(i + 1) for i in range(len(header))]
        found = [names[i] for i, name in enumerate(header) if name == twice[0]]
        raise IngestError(
            msg(
                "{file}'s header names {column} more than once (columns {places}): the "
                "mapping cannot tell which one it reads.",
                file=spec.path.name,
                column=twice[0],
                places=", ".join(found),
            ),
            hint=(
                msg(
                    "Rename all but one of them in the sheet's header, row {row}.",
                    row=spec.header_row,
                )
                if places
                else msg(
                    "Rename all but one of them in the file's header, line {line}.",
                    line=spec.header_row,
                )
            ),
        )


def missing_error(
    spec: SourceSpec,
    missing: list[str],
    present: list[str],
    none_found: bool = False,
    read: Collection[str] = (),
) -> IngestError:
    """The error of a file that lacks the `missing` columns, given the ones `present`;
    `read`: every column the mapping reads. A column the mapping reads and the file has is
    not the one a missing column was renamed to, so the name suggested for a missing one is
    among the others when one of them is near (`_nearest`)."""
    hint: Msg = msg(
        "The file has: {columns}. Fix the mapping's column names or the file's header "
        "(names are case-sensitive).",
        columns=", ".join(present) or msg("(no columns)"),
    )
    unread = [name for name in present if name not in read]
    near = [
        (ref, name)
        for names in (unread, present)  # (a column the mapping reads last)
        for ref in missing
        for name in names
        if name != ref and name.strip().casefold() == ref.strip().casefold()
    ]
    if near:  # the same name but for spaces or case: say which, quoted so spaces show
        ref, name = near[0]
        hint = msg(
            "The file's header has {name} where the mapping reads {ref} (they differ in "
            "spaces or case): write one like the other.",
            name=repr(name),
            ref=repr(ref),
        )
    elif close := _nearest(missing, unread) or _nearest(missing, present):
        # a typo, a name shortened or (S) added: NOMBRE, NOMBRE(S); APELLIDO_PAT
        ref, name = close
        hint = msg(
            "Did you mean {name} for {ref}? Write the mapping's column names as the file's "
            "header does (case-sensitive); the file has: {columns}.",
            name=repr(name),
            ref=repr(ref),
            columns=", ".join(present),
        )
    elif spec.kind == "csv" and len(present) == 1 and (shown := _other_delimiter(spec, present[0])):
        hint = msg(
            'The header is one column holding "{shown}": the file looks '
            "{shown}-separated. Set {example} in the query.",
            shown=shown,
            example=f'`delimiter: "{shown}"`',
        )
    elif none_found and spec.kind in ("csv", "xlsx") and not spec.header:  # a title above?
        hint = msg(
            "None of them is in row {row}, read as the header: set the query's header_row "
            "to the row holding the column names (is there a title above them?).",
            row=spec.header_row,
        )
    return IngestError(
        nmsg(
            "{file} lacks a column the mapping reads: {columns}.",
            "{file} lacks columns the mapping reads: {columns}.",
            len(missing),
            file=spec.path.name,
            # (a name with spaces at its ends quoted, so they show: `{{ a }}` in a template
            # reads the column " a ", review R29 F8)
            columns=", ".join(repr(c) if c != c.strip() else c for c in missing),
        ),
        hint=hint,
    )


def _nearest(missing: list[str], present: list[str]) -> tuple[str, str] | None:
    """(missing column, the header's name nearest it) for the first missing column that has
    one close enough (difflib's ratio of 0.75 or more, case-folded), if any."""
    folded = {name.casefold(): name for name in present}
    for ref in missing:
        found = get_close_matches(ref.casefold(), list(folded), n=1, cutoff=0.75)
        if found:
            return ref, folded[found[0]]
    return None


def _other_delimiter(spec: SourceSpec, header: str) -> str:
    """The delimiter a one-column header holds instead of the query's ("" if none), shown
    as written in a mapping (a tab as \\t)."""
    found = [d for d in (";", "\t", "|") if d in header and d != spec.delimiter]
    return ("\\t" if found[0] == "\t" else found[0]) if found else ""


def check_no_header_line(spec: SourceSpec) -> None:
    """Raise `IngestError` when a CSV file read with the mapping's `header` (for files that
    start with data) starts with that header itself: its names would be ingested as a
    record (a Person named "first")."""
    import csv

    with spec.path.open(encoding=spec.encoding, errors="replace", newline="") as fh:
        first = next(csv.reader(fh, delimiter=spec.delimiter), [])
    names = [v.strip().lstrip("\ufeff").casefold() for v in first]
    if names and names == [h.strip().casefold() for h in spec.header]:
        raise IngestError(
            msg(
                "{file} starts with its header line ({names}), but the mapping gives "
                "`header:`, which is for files that start with data: the names would be "
                "ingested as a record.",
                file=spec.path.name,
                names=", ".join(first),
            ),
            hint=msg("Remove `header:` from the mapping query."),
        )
