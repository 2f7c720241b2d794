"""How to read an agency file, and a sample of its records, for a draft (`draft`): a CSV
file's encoding, delimiter and header row (under a title) (`sample_csv`), a JSON Lines file's
encoding and keys (`sample_jsonl`), a workbook's sheet and header row (`sample_sheet`).

Each returns a `Draft` whose columns are named as the file names them, typed `string` (their
types are guessed from the sample afterwards, `draft_columns.guess_column`), with the sampled
values of each column, at most `rows` records. A CSV file is sampled from its first
`_SAMPLE_BYTES` (a record cut by that end is not read), a JSON Lines file's encoding guessed
from as many. A CSV file of binary bytes or without a header, and a JSON Lines line that is
no JSON, are an `IngestError` saying so.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from ironriver.errors import IngestError, json_problem
from ironriver.i18n import Msg, msg
from ironriver.ingest.draft_columns import TYPED_FORMAT, ColumnGuess
from ironriver.ingest.encoding import check_not_packed
from ironriver.ingest.header import csv_layout
from ironriver.ingest.sheets import open_sheet
from ironriver.ingest.specs import SourceKind, SourceSpec

_SAMPLE_BYTES = 4 << 20
_HEADER_SCAN_ROWS = 30


@dataclass(frozen=True)
class Draft:
    """What the sample showed: how to read the file, and its columns."""

    path: Path
    kind: SourceKind
    sampled: int
    columns: list[ColumnGuess]
    encoding: str = "utf-8"
    delimiter: str = ","
    sheet: str | None = None
    header_row: int = 1
    sheet_note: Msg | None = None  # how the sheet was chosen among the workbook's
    objects: tuple[str, ...] = ()  # JSON keys holding objects: neither column nor property


def sample_csv(
    path: Path, rows: int, header_row: int | None = None
) -> tuple[Draft, list[list[str]]]:
    """A CSV file's layout and sample; `header_row`: the header's line, when the user knows
    it (else found under a title)."""
    with path.open("rb") as fh:
        head = fh.read(_SAMPLE_BYTES)
        whole = not fh.read(1)
    if not whole:  # a record cut by the sample's end is not read
        head = head[: head.rfind(b"\n") + 1] or head
    utf16 = head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))  # Excel's "Unicode text"
    if not utf16 and _binary(head):
        check_not_packed(path, settable=False, drafting=True)  # (gzip: say so, and how)
        raise IngestError(
            msg(
                "{file} does not look like a text (CSV) file: it holds binary bytes.",
                file=path.name,
            ),
            hint=msg(
                "Draft a spreadsheet under its own suffix (.xlsx, .xls, .ods), or export the "
                "data as CSV first."
            ),
        )
    encoding = "utf-8"
    for encoding in ("utf-16",) if utf16 else ("utf-8", "cp1252", "latin-1"):
        try:
            text = codecs.decode(head, encoding)
            break
        except UnicodeDecodeError:
            continue
    text = text.removeprefix("\ufeff")
    lines = text.split("\n", _HEADER_SCAN_ROWS)[:_HEADER_SCAN_ROWS]
    if header_row is None:
        delimiter, header_row = csv_layout(lines)
    else:  # the delimiter from the header down (a title may hold commas)
        delimiter = csv_layout(lines[header_row - 1 :])[0]
    records = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    for _ in range(header_row - 1):  # a title above the header
        next(records, None)
    header = next(records, [])
    if not header:
        raise IngestError(
            msg("{file} is empty: no header, no records.", file=path.name),
            hint=msg("Check the export that made it (a failed or cut-short download?)."),
        )
    samples: list[list[str]] = [[] for _ in header]
    taken = 0
    for record in records:
        if taken >= rows:
            break
        if not any(v.strip() for v in record):
            continue
        taken += 1
        for i, value in enumerate(record[: len(header)]):
            samples[i].append(value)
    columns = [ColumnGuess(h, "", "string") for h in header]
    draft = Draft(path, "csv", taken, columns, encoding, delimiter, header_row=header_row)
    return draft, samples


def _binary(head: bytes) -> bool:
    """Whether bytes are not text: a NUL, or more than 1% control characters other than tab,
    line feed, carriage return and form feed."""
    if b"\x00" in head:
        return True
    controls = sum(head.count(bytes([c])) for c in range(32) if c not in (9, 10, 12, 13))
    return controls > 0.01 * max(len(head), 1)


def sample_jsonl(path: Path, rows: int) -> tuple[Draft, list[list[str]]]:
    """A JSON Lines file's sample: its encoding (a byte-order mark is no JSON, as for the
    ingest), and per top-level key the values, the elements of a list of plain values (a
    key `listed`: an entity property reads each, a ledger column none); a key holding an
    object (or a list of them) in some record is read by neither, and named in the draft."""
    with path.open("rb") as fh:
        head = fh.read(_SAMPLE_BYTES)
        if fh.read(1):  # a character cut by the sample's end is not read
            head = head[: head.rfind(b"\n") + 1] or head
    encoding = _text_encoding(head)
    keys: dict[str, list[str]] = {}
    listed: set[str] = set()
    objects: set[str] = set()
    taken = 0
    # (utf-8-sig: a UTF-8 byte-order mark is dropped; bytes past the sampled head that the
    # guessed encoding does not read are replaced, the ingest names them)
    opened = "utf-8-sig" if encoding == "utf-8" else encoding
    with path.open(encoding=opened, errors="replace") as fh:
        for number, line in enumerate(fh, start=1):
            if taken >= rows:
                break
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise IngestError(
                    msg(
                        "Cannot parse {file}: line {line} is not JSON ({error}).",
                        file=path.name,
                        line=number,
                        error=json_problem(exc),
                    ),
                    hint=msg("Each line of a JSON Lines file is one JSON object."),
                ) from None
            if not isinstance(record, dict):
                continue
            taken += 1
            for key, value in record.items():
                seen = keys.setdefault(str(key), [])
                if isinstance(value, list) and not any(isinstance(v, dict | list) for v in value):
                    listed.add(str(key))
                    values = value
                elif isinstance(value, dict | list):
                    objects.add(str(key))
                    continue
                else:
                    values = [value]
                seen += [
                    v if isinstance(v, str) else json.dumps(v) for v in values if v is not None
                ]
    keys = {k: v for k, v in keys.items() if k not in objects}
    columns = [ColumnGuess(k, "", "string", listed=k in listed) for k in keys]
    draft = Draft(path, "jsonl", taken, columns, encoding, objects=tuple(sorted(objects)))
    return draft, list(keys.values())


def _text_encoding(head: bytes) -> str:
    """The encoding of a text file's first bytes: UTF-8 when they decode as such, else
    cp1252 (Windows exports), else latin-1."""
    for encoding in ("utf-8", "cp1252"):
        try:
            codecs.decode(head, encoding)
            return encoding
        except UnicodeDecodeError:
            continue
    return "latin-1"


def sample_sheet(
    path: Path, sheet: str | int | None, header_row: int | None, rows: int
) -> tuple[Draft, list[list[str]]]:
    note = None
    if sheet is None:
        sheet, note = _widest_sheet(path)
    # parsed once (fastexcel parses a whole sheet for any request): from row 1 when the
    # header row is to be found, then read from it
    spec = SourceSpec(path, kind="xlsx", sheet=sheet, header_row=header_row or 1)
    opened = open_sheet(path, spec)  # names the sheet, or says what is wrong
    if header_row is None:
        opened = opened.below(_header_row(opened.cells.slice(0, _HEADER_SCAN_ROWS)))
    header = opened.header
    refs = sorted({h for h in header if h and header.count(h) == 1})
    opened.date_formats = dict.fromkeys(refs, TYPED_FORMAT)
    table = opened.read(refs).slice(0, rows)
    samples = []
    for h in header:
        values = table.column(h).drop_null().to_pylist() if h in refs else []
        samples.append([str(v) for v in values])
    columns = [ColumnGuess(h, "", "string") for h in header]
    draft = Draft(
        path,
        "xlsx",
        table.num_rows,
        columns,
        sheet=opened.name,
        header_row=opened.header_row,
        sheet_note=note,
    )
    return draft, samples


def _widest_sheet(path: Path) -> tuple[str | None, Msg | None]:
    """The sheet to draft when none is named: of a workbook's visible sheets, the one with
    the most columns (the fullest of its first rows: a cover page or a notes sheet holds one
    or two), the first of them on a tie (monthly sheets), and a note naming the others and
    `--sheet`; (None, None) for a workbook of one visible sheet (the ingest's default, the
    first visible one) or one fastexcel cannot open (`open_sheet` then says why)."""
    import fastexcel  # imported on first use, as in `sheets`

    try:
        reader = fastexcel.read_excel(str(path))
        widths: dict[str, int] = {}
        for name in reader.sheet_names:
            top = reader.load_sheet(
                name, header_row=None, n_rows=_HEADER_SCAN_ROWS, dtypes="string"
            )
            if top.visible == "visible":
                widths[name] = max(_filled(top.to_arrow()), default=0) if top.width else 0
    except fastexcel.FastExcelError:
        return None, None
    if len(widths) < 2:
        return None, None
    widest = max(widths, key=lambda name: widths[name])  # (the first of the widest)
    note = msg(
        "of the workbook's sheets {sheets}, the one with the most columns (the first of them "
        "on a tie); to draft another, pass --sheet NAME",
        sheets=", ".join(json.dumps(name, ensure_ascii=False) for name in widths),
    )
    return widest, note


def _filled(top: pa.Table) -> list[int]:
    """How many non-empty cells each row of `top` holds."""
    counts = [0] * top.num_rows
    for column in top.columns:
        for i, value in enumerate(column.to_pylist()):
            if value is not None and str(value).strip():
                counts[i] += 1
    return counts


def _header_row(top: pa.Table) -> int:
    """The 1-based row of a sheet's column names among its first rows `top` (module doc)."""
    counts = _filled(top)
    fullest = max(counts, default=0)
    for i, n in enumerate(counts):
        if n >= max(2, 0.6 * fullest) or (fullest == 1 and n == 1):
            return i + 1
    return 1
