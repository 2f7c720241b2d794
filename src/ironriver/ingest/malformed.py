"""What is wrong with a CSV or JSON Lines file that its reader cannot parse, said plainly,
each an `IngestError` naming the file, the line and what to fix.

- `reader_error`: DuckDB's reader failed (`source` hands such a file to it when Arrow
  refused it): a quote never closed, a title above the header (`header.title_above`), a line
  with the wrong number of fields or a stray quote, a JSON Lines line that is not one JSON
  document (named by Python's parser: DuckDB names the line after it), a record past the
  longest read; else DuckDB's own first line.
- `check_records_are_lines`, `check_last_record`: Arrow read the file, but a value opening
  with a quote is read up to the next quote, across lines: a stray quote, or one never
  closed, silently merges records, which these find (only where the file's lines say a
  value may span lines).

The `path` each is given is the file its reader read: UTF-8, whatever the query's `encoding`
(a file in another is transcoded to a UTF-8 copy first: `source`), so each reads it as UTF-8
(reading the copy in the query's encoding raised on UTF-16: a traceback where a short line
should have been named).
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from itertools import islice
from pathlib import Path

import pyarrow as pa

from ironriver.errors import IngestError, json_problem
from ironriver.i18n import Msg, msg
from ironriver.ingest.header import (
    csv_layout,
    csv_records,
    record_widths,
    title_above,
    title_error,
)
from ironriver.ingest.specs import SourceSpec

_MIB = 1 << 20
_LAYOUT_SCAN_LINES = 30  # the first lines read for the delimiter the file looks to have


def reader_error(path: Path, spec: SourceSpec, error: str, max_record_bytes: int) -> IngestError:
    """DuckDB's reader's `error` about the file at `path`, said plainly (see the module doc);
    `max_record_bytes`: the longest record the reader was told to read."""
    line = _unclosed_quote(path) if spec.kind == "csv" else None
    if line is not None:  # DuckDB says only that it could not read the file's shape
        return _unclosed_quote_error(spec, line)
    row = title_above(path, spec) if spec.kind == "csv" else None
    if row is not None:
        return title_error(spec, row)
    if spec.kind == "csv":
        shaped = _csv_line_error(path, spec, error)
    else:
        shaped = _jsonl_line_error(path, spec)
    if shaped is not None:
        return shaped
    if "Maximum line size" in error:
        return IngestError(
            msg(
                "Cannot parse {file}: a record is longer than {limit} MiB.",
                file=spec.path.name,
                limit=max_record_bytes // _MIB,
            ),
            hint=msg(
                "Look for a binary file saved as text or a broken export; a field that "
                "long must be cut or sent as a file of its own."
            ),
        )
    line = _bare_carriage_return(path) if spec.kind == "csv" else None
    if line is not None:  # DuckDB says only that its state machine got lost
        return IngestError(
            msg(
                "Cannot parse {file}: line {line} holds a carriage return (\\r) on its own, "
                "inside a value: the file mixes line endings.",
                file=spec.path.name,
                line=line,
            ),
            hint=msg(
                "Save the file with one kind of line ending (LF or CRLF), or quote the value "
                "that holds it, then ingest again."
            ),
        )
    shaped = _layout_error(path, spec) if "invalid state" in error else None
    if shaped is not None:  # DuckDB says only that its state machine got lost
        return shaped
    return IngestError(
        msg("Cannot parse {file}: {error}", file=spec.path.name, error=error.splitlines()[0]),
        hint=msg(
            "Look for a row with the wrong number of fields, an unclosed quote or an invalid "
            "JSON line, fix it, then ingest again."
        ),
    )


def _bare_carriage_return(path: Path) -> int | None:
    """The line (counted by line feeds) of the file's first carriage return that no line
    feed follows and that is not the file's last byte, if any (read in blocks: an error
    path only)."""
    line, previous = 1, b""
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            data = previous + block
            at = 0
            while (found := data.find(b"\r", at, len(data) - 1)) >= 0:
                if data[found + 1 : found + 2] != b"\n":
                    return line + data.count(b"\n", 0, found)
                at = found + 1
            tail = len(data) - 1  # the last byte waits for the next block
            line += data.count(b"\n", 0, tail)
            previous = data[tail:]
    return None


def _layout_error(path: Path, spec: SourceSpec) -> IngestError | None:
    """The error of a CSV file whose records do not split into its header's fields with the
    query's delimiter and quotes (DuckDB's parser loses its way in such a file): the line of
    the first record that does not, and the delimiter and header line the file's first
    lines suggest (`header.csv_layout`) when they are other than the query's. None when
    every record splits right (another cause)."""
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as fh:  # (module doc)
        lines = (line.rstrip("\r\n") for line in fh)
        width = None if not spec.header else len(spec.header)
        row = 0 if spec.header else spec.header_row
        line = None
        for start, n in record_widths(lines, spec.delimiter):
            if start < row or not n:
                continue
            if width is None:
                width = n
            elif n != width:
                line = start
                break
    if line is None:
        return None
    hint = _layout_hint(path, spec) or msg(
        "Check that the values holding the delimiter, a quote or a line break are quoted "
        'whole, with their inner quotes doubled ("tipo ""fusil"""), then ingest again.'
    )
    return IngestError(
        msg(
            "Cannot parse {file}: line {line} does not split into the header's {width} fields "
            "with the delimiter {delimiter}: the delimiter or the quoting looks wrong.",
            file=spec.path.name,
            line=line,
            width=width,
            delimiter=f'"{_shown(spec.delimiter)}"',
        ),
        hint=hint,
    )


def _layout_hint(path: Path, spec: SourceSpec, delimiter_only: bool = False) -> Msg | None:
    """What to set when the file's first lines read with another delimiter or header line
    than the query's (`header.csv_layout`), else None; `delimiter_only`: only when the
    delimiter differs (a record of one field more than its header also moves the guessed
    header line)."""
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as fh:  # (module doc)
        head = [line.rstrip("\r\n") for line in islice(fh, _LAYOUT_SCAN_LINES)]
    delimiter, header_row = csv_layout(head)
    moved = not spec.header and header_row != spec.header_row
    if delimiter == spec.delimiter and (delimiter_only or not moved):
        return None
    example = f'`delimiter: "{_shown(delimiter)}"`'
    if moved:
        example += f", `header_row: {header_row}`"
    return msg(
        "The file's first lines read as {example}: set that in the query, or run {command} "
        "to see how the file reads.",
        example=example,
        command=f"`ironriver mapping draft {spec.path.name}`",
    )


def _shown(delimiter: str) -> str:
    """A delimiter as a mapping writes it (a tab as \\t)."""
    return "\\t" if delimiter == "\t" else delimiter


def _csv_line_error(path: Path, spec: SourceSpec, error: str) -> IngestError | None:
    """DuckDB's error about one record of a CSV file, said plainly, with the record's line
    and text as the file has them (`_record_at`); None for another error."""
    line = re.search(r"CSV Error on Line: (\d+)", error)
    if line is None:
        return None
    fields = re.search(r"Expected Number of Columns: (\d+) Found: (\d+)", error)
    found = int(fields.group(2)) if fields else None
    number, text, values = _record_at(path, spec, int(line.group(1)), found, error)
    if fields is not None:
        return _fields_error(path, spec, number, text, values, int(fields.group(1)))
    if "unterminated quote" in error:
        return IngestError(
            msg(
                "Cannot parse {file}: line {line} has a quote inside a value that is not "
                "quoted as a whole: {text}",
                file=spec.path.name,
                line=number,
                text=text[:200],
            ),
            hint=msg(
                'Quote the whole value and double the quotes inside it ("Ruger ""LCP"""), '
                "then ingest again."
            ),
        )
    return None


def _fields_error(
    path: Path, spec: SourceSpec, line: int, text: str, values: list[str], expected: int
) -> IngestError:
    """The error of the record on `line` (its `text` and `values`), which does not have the
    header's `expected` number of fields: a line of only delimiters (a spreadsheet's empty
    row saved one field short) or of only spaces is said to be so, not shown as fields."""
    if not any(v.strip() for v in values) and spec.delimiter in text:
        return IngestError(
            msg(
                "Cannot parse {file}: line {line} holds only delimiters ({text}), {found} "
                "empty fields where the header has {expected}.",
                file=spec.path.name,
                line=line,
                text=text[:200],
                found=len(values),
                expected=expected,
            ),
            hint=msg(
                "Delete that line (it holds no value: a spreadsheet's empty row?), then "
                "ingest again."
            ),
        )
    if not text.strip():
        return IngestError(
            msg(
                "Cannot parse {file}: line {line} holds only spaces or tabs.",
                file=spec.path.name,
                line=line,
            ),
            hint=msg("Delete that line (empty lines are skipped), then ingest again."),
        )
    return IngestError(
        msg(
            "Cannot parse {file}: line {line} has {found} fields where the header has "
            "{expected}: {text}",
            file=spec.path.name,
            line=line,
            found=len(values),
            expected=expected,
            text=text[:200],
        ),
        hint=_layout_hint(path, spec, delimiter_only=True)
        or msg(
            "Quote a value that holds the delimiter ({delimiter}), or fix the line. If "
            "every record has one more field than the header (a delimiter ending each "
            "line?), give that column a name in the header.",
            delimiter=repr(spec.delimiter),
        ),
    )


def _record_at(
    path: Path, spec: SourceSpec, number: int, found: int | None, error: str
) -> tuple[int, str, list[str]]:
    """The line an editor shows, the text and the values of the record DuckDB's `error`
    calls line `number`, of `found` fields when it says. DuckDB numbers the lines above the
    header as lines but a record as one line, even when a quoted value in it spans lines:
    past such a value its number fell short of the editor's. Its copy of the line is not
    used either: after a CRLF line end it opens with the line feed (read up to there, it
    looked empty). When the record so found has not the `found` fields (a title holding a
    quoted line break?), DuckDB's own line and text. `path` is UTF-8 (a file in another
    encoding has been transcoded)."""
    skip = 0 if spec.header else spec.header_row - 1
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as fh:
        taken: list[str] = []  # the lines of the record being read

        def lines() -> Iterator[str]:
            for line in islice(fh, skip, None):
                taken.append(line.rstrip("\r\n"))
                yield taken[-1]

        # (up to a line the parser cannot read, such as a field past its size limit)
        for index, (start, values) in enumerate(csv_records(lines(), spec.delimiter), skip + 1):
            if index == number:
                if found is None or len(values) == found:
                    return skip + start, "\n".join(taken), values
                break
            taken.clear()
    original = re.search(r"Original Line: \n?(.*)", error)
    text = original.group(1) if original else ""
    return number, text, next(csv.reader([text], delimiter=spec.delimiter), [])


def _jsonl_line_error(path: Path, spec: SourceSpec) -> IngestError | None:
    """The first line of a JSON Lines file that is not one JSON document, found by Python's
    parser (DuckDB's error names the line after it); None if every line parses."""
    with path.open(encoding="utf-8-sig", errors="replace") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                json.loads(line)
            except ValueError as exc:
                problem = json_problem(exc)
                return IngestError(
                    msg(
                        "Cannot parse {file}: line {line} is not one JSON document ({problem}): "
                        "{text}",
                        file=spec.path.name,
                        line=number,
                        problem=problem,
                        text=line.strip()[:200],
                    ),
                    hint=msg(
                        "Each line of a JSON Lines file must be one {example} object: fix that "
                        "line, then ingest again.",
                        example="{...}",
                    ),
                )
    return None


def check_records_are_lines(
    path: Path, spec: SourceSpec, records: int, lines: int, max_record_bytes: int
) -> None:
    """Arrow reads a value opening with a quote up to the next quote, across lines and
    whatever follows that quote: a stray quote (an inch mark: `"16 barrel`) silently makes
    the records after it part of one value. Each record is a line unless a value spans
    lines (or blank lines are skipped): when the file has more lines than its header and
    records, a strict parse checks that every quoted value ends at the end of its field,
    naming the line of the first that does not. `lines`: the file's; `max_record_bytes`: the
    longest record read."""
    if records + (0 if spec.header else spec.header_row) >= lines:
        return
    csv.field_size_limit(max_record_bytes)
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as fh:
        reader = csv.reader(
            fh, delimiter=spec.delimiter, quotechar='"', doublequote=True, strict=True
        )
        start = 1
        try:
            for _ in reader:
                start = reader.line_num + 1
        except csv.Error:
            if reader.line_num == start and _unclosed_quote(path) is not None:
                raise _unclosed_quote_error(spec, start) from None
            raise IngestError(
                msg(
                    "Cannot parse {file}: the quoted value opened on line {start} ends on "
                    "line {end} with more text after its closing quote, so the lines between "
                    "would be read as one value.",
                    file=spec.path.name,
                    start=start,
                    end=reader.line_num,
                ),
                hint=msg(
                    'A quote that is part of a value (an inch mark: 16") must be doubled '
                    'inside a quoted value ("16"" barrel"), or the value must not start with '
                    "one. Fix the line, then ingest again."
                ),
            ) from None


def check_last_record(path: Path, spec: SourceSpec, last: pa.Table, refs: list[str]) -> None:
    """A quote that is never closed makes Arrow read every later line into the last record's
    value, silently: when that record spans lines, find out whether a quote is left open
    (a scan of the file, only then: a value may also span lines by right)."""
    values = last.select(refs).to_pylist()[-1:] if last.num_rows else []
    if any("\n" in v for row in values for v in row.values() if isinstance(v, str)):
        line = _unclosed_quote(path)
        if line is not None:
            raise _unclosed_quote_error(spec, line)


def _unclosed_quote(path: Path) -> int | None:
    """The line on which a CSV quote opens that the file never closes, if one does (a
    doubled quote inside a quoted value counts twice, so the parity holds)."""
    open_line = None
    with path.open("rb") as fh:
        for number, line in enumerate(fh, start=1):
            if line.count(b'"') % 2:
                open_line = number if open_line is None else None
    return open_line


def _unclosed_quote_error(spec: SourceSpec, line: int) -> IngestError:
    """The error of a file whose quote opened on `line` is never closed."""
    return IngestError(
        msg(
            "Cannot parse {file}: the quote opened on line {line} is never closed.",
            file=spec.path.name,
            line=line,
        ),
        hint=msg(
            'Close it, or double a quote that is part of a value ("" inside a quoted value), '
            "then ingest again."
        ),
    )
