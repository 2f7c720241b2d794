"""A first mapping for a new agency file, guessed from a sample of its records
(`ironriver mapping draft FILE`).

Onboarding a file is mostly reading it: its encoding and delimiter, the sheet and the row
holding the column names, and for every column whether it holds dates, and in which order
(31/01/2024 or 01/31/2024). The draft does that reading and writes a mapping with a typed
ledger of every column, which ingests as it is once the dataset's owner and marking are
filled in; the FtM entities, which need the analyst's judgement (which columns make a person,
which a firearm), are left to write (docs/mapping.md).

Guesses, from up to `SAMPLE_ROWS` records:
- encoding: UTF-8 when the sample decodes as UTF-8, else cp1252 (Windows exports), else
  latin-1; delimiter: of , ; tab |, the one that splits the most of the first lines into the
  same number of fields; header row: the first line split so (a title above it is skipped).
- a workbook's sheet, when none is named: the visible one with the most columns, the first
  of them on a tie (a cover page holds one or two), said on the `sheet:` line;
- a sheet's header row: the first of its first rows holding at least 60% as many values as
  the fullest of them (a title or a logo row above the header holds one or two).
- a JSON Lines file's encoding as a CSV file's (past a byte-order mark); a key holding
  lists is no ledger column but may be an entity's property, one holding objects neither.
- a column's type: `date` or `timestamp` when one format reads 95% or more of the sampled
  values (a spreadsheet's date cells read in any), flagged when it misses some; when both
  day-first and month-first read them all (every day is 12 or less) the owner country's
  order is taken (day-first for MX) and the column is flagged; two-digit years (%y) come
  with their window, flagged (`_windowed`); `integer` for whole numbers of at most 9 digits
  without leading zeros, and `float` for decimal numbers, unless the header names an
  identifier or a designation (folio, serial, phone, calibre...), and the same with
  `decimal: ","` for numbers written with a decimal comma or a dot grouping thousands
  (7.345,80; 1.500 alone is flagged: a decimal point?); `boolean` for true/false, yes/no,
  sí/no; else `string`. A header name the file repeats is left out, flagged (ingest could not tell
  the columns apart); the columns no suggested entity reads are named in a comment.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import os
import re
import shlex
import unicodedata
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path

import pyarrow as pa

from ironriver.errors import IngestError, json_problem
from ironriver.i18n import Msg, msg, nmsg, nt, t
from ironriver.ingest.clean import english_meridian, english_months, names_months
from ironriver.ingest.encoding import check_not_packed
from ironriver.ingest.header import csv_layout
from ironriver.ingest.sheets import SUFFIXES, open_sheet
from ironriver.ingest.specs import LedgerType, SourceKind, SourceSpec
from ironriver.ingest.suggest import suggest, words

SAMPLE_ROWS = 1000
DATE_SHARE = 0.95
"""The share of a column's sampled values one date layout must read for a date column."""
_SAMPLE_BYTES = 4 << 20
_HEADER_SCAN_ROWS = 30
DATE_FORMATS = (
    "%Y-%m-%d",
    "%d/%m/%Y",
    "%m/%d/%Y",
    "%d-%m-%Y",
    "%m-%d-%Y",
    "%Y/%m/%d",
    "%d.%m.%Y",
    "%d/%b/%Y",  # 31/ene/2024 (Spanish month names read too)
    "%d-%b-%Y",  # 31-ENE-2024, 31-JAN-2024 (DD-MON-YYYY: Oracle exports' default)
    "%d %b %Y",
    "%d de %B de %Y",  # 31 de enero de 2024
    "%b %Y",  # Dec 2021: a month
    "%B %Y",
    "%m/%Y",
    "%Y-%m",
    # two-digit years, after every four-digit layout (Python's %Y and %y take exactly four
    # and two digits, so none reads the other's values); drafted with a window (`_window`)
    "%d/%m/%y",
    "%m/%d/%y",
    "%d-%m-%y",
    "%m-%d-%y",
)
_CLOCKS = ("%H:%M:%S", "%H:%M", "%I:%M:%S %p", "%I:%M %p")  # 24-hour, then AM/PM
TIMESTAMP_FORMATS = (
    "%Y-%m-%dT%H:%M:%S",
    *(
        f"{day} {clock}"
        for day in (
            "%Y-%m-%d",
            "%d/%m/%Y",
            "%m/%d/%Y",
            "%d-%m-%Y",
            "%m-%d-%Y",
            "%d/%m/%y",
            "%m/%d/%y",
        )
        for clock in _CLOCKS
    ),
)
_DAY_FIRST = {  # and the month-first twin
    "%d/%m/%Y": "%m/%d/%Y",
    "%d-%m-%Y": "%m-%d-%Y",
    "%d/%m/%y": "%m/%d/%y",
    "%d-%m-%y": "%m-%d-%y",
}
_DAY_FIRST.update(
    {f"{d} {clock}": f"{m} {clock}" for d, m in list(_DAY_FIRST.items()) for clock in _CLOCKS}
)
# a spreadsheet's date cells are read with this format, so the guess knows them
_TYPED = "@@typed-date@@"  # (not a control character: str.strip() removes those)
_TYPED_FORMAT = _TYPED + "%Y-%m-%dT%H:%M:%S"
EVENT_YEARS_FROM = 2000
"""The first year of a two-digit-year date column's window (`two_digit_years_from`, docs/
mapping.md) when the column is no birth date: agencies' records are of recent events, and
2000-2099 also reads a date a little ahead (a hearing, an expiry). Unless a sampled year
would then be later than the draft's year: then the hundred years ending that year."""
_BORN = {"nacimiento", "nac", "nacido", "natalicio", "birth", "birthdate", "dob", "born"}
"""Words of a birth date column's header: its two-digit years are read in the hundred years
ending the draft's year (no one is born in the future; a person born a hundred years ago
is rarer than one born last year)."""
_INTEGER = re.compile(r"^[+-]?[1-9]\d{0,8}$|^0$")
_FLOAT = re.compile(r"^[+-]?(\d+\.\d*|\.\d+|\d+)$")
# numbers as Spanish-locale spreadsheets write them: a dot grouping thousands, a decimal comma
_COMMA_NUMBER = re.compile(r"^[+-]?([1-9]\d{0,2}(\.\d{3})+|\d+)(,\d+)?$")
_THOUSANDS_DOT = re.compile(r"^[+-]?[1-9]\d{0,2}(\.\d{3})+$")
_BOOLEANS = {"true", "false", "yes", "no", "sí", "si", "t", "f", "y", "n"}
_IDENTIFIER = re.compile(
    r"(^|_)(id|folio|serial|serie|numero|num|no|nro|placa|plate|vin|curp|rfc|phone|telefono|"
    r"tel|cel|celular|movil|mobile|cell|codigo|code|clave|licen[cs]e|licencia|ffl|txn|zip|cp|postal|calibre|caliber|"
    r"calibro|modelo|model)(_|$)"
)


@dataclass(frozen=True)
class ColumnGuess:
    """One column of the file and what the draft makes of it."""

    header: str  # as the file names it
    name: str  # the ledger column's name
    type: LedgerType
    format: str | None = None
    example: str | None = None  # a sampled value, as the file has it
    flag: Msg | None = None  # what to check
    values: int = 0  # how many sampled records have a value in it
    decimal: str | None = None  # a number column's declared decimal mark (docs/mapping.md)
    years_from: int | None = None  # a %y format's window (two_digit_years_from)
    years_note: Msg | None = None  # what that window reads, to check
    listed: bool = False  # a JSON key holding a list in some record: no ledger column


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


def draft_file(
    path: Path,
    country: str = "",
    sheet: str | int | None = None,
    header_row: int | None = None,
    rows: int = SAMPLE_ROWS,
    year: int | None = None,
) -> Draft:
    """Read a sample of `path` (CSV, JSON Lines or a spreadsheet, by its suffix) and guess
    how to map it (module doc); `country` (US or MX) settles ambiguous date orders, `year`
    (default: this year) the windows of two-digit years."""
    if not path.is_file():
        raise IngestError(
            msg("Input file {path} does not exist.", path=path),
            hint=msg("Name the agency file to draft a mapping for."),
        )
    suffix = path.suffix.lower()
    if suffix in SUFFIXES:
        draft, samples = _sample_sheet(path, sheet, header_row, rows)
    elif suffix in (".jsonl", ".ndjson"):
        draft, samples = _sample_jsonl(path, rows)
    else:
        draft, samples = _sample_csv(path, rows, header_row)
    names = _names([c.header for c in draft.columns])
    year = year or date.today().year
    columns = [
        replace(
            _windowed(_guess(column.header, name, values, country.upper()), values, year),
            listed=column.listed,
        )
        for column, name, values in zip(draft.columns, names, samples, strict=True)
    ]
    return replace(draft, columns=columns)


def _sample_csv(
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


def _sample_jsonl(path: Path, rows: int) -> tuple[Draft, list[list[str]]]:
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


def _sample_sheet(
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
    opened.date_formats = dict.fromkeys(refs, _TYPED_FORMAT)
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


def _names(headers: list[str]) -> list[str]:
    """Ledger column names from headers: ASCII lower-case words joined by _, unique."""
    out: list[str] = []
    for i, header in enumerate(headers):
        plain = unicodedata.normalize("NFKD", header).encode("ascii", "ignore").decode()
        name = re.sub(r"[^a-z0-9]+", "_", plain.lower()).strip("_") or f"column_{i + 1}"
        if not name[0].isalpha():
            name = f"c_{name}"
        base, n = name, 2
        while name in out:
            name, n = f"{base}_{n}", n + 1
        out.append(name)
    return out


def _guess(header: str, name: str, raw: list[str], country: str) -> ColumnGuess:
    values = [v.strip() for v in raw if v.strip()]
    typed = [v for v in values if v.startswith(_TYPED)]
    texts = [v for v in values if not v.startswith(_TYPED)]
    example = texts[0] if texts else (typed[0].removeprefix(_TYPED) if typed else None)
    guess = ColumnGuess(header, name, "string", example=example, values=len(values))
    if not values:
        return replace(guess, flag=msg("no value in the sample: typed as text"))
    if typed:  # date cells: any layout reads them; the dates typed as text choose it
        with_time = any(not v.endswith("T00:00:00") for v in typed)
        if not texts:
            fmt = TIMESTAMP_FORMATS[0] if with_time else DATE_FORMATS[0]
            return replace(guess, type="timestamp" if with_time else "date", format=fmt)
        formats, missed = _formats(texts, (TIMESTAMP_FORMATS if with_time else ()) + DATE_FORMATS)
        if not formats:
            mixed = msg("date cells mixed with text in no one date layout: typed as text")
            return replace(guess, flag=mixed)
        fmt, flag = _order(formats, country)
        flag = flag or _missed(fmt, missed)
        if "%H" in fmt:
            return replace(guess, type="timestamp", format=fmt, flag=flag)
        if with_time and flag is None:
            flag = msg("some date cells have a time, which the dates typed as text lack")
        return replace(guess, type="date", format=fmt, flag=flag)
    for kind, candidates in (("date", DATE_FORMATS), ("timestamp", TIMESTAMP_FORMATS)):
        formats, missed = _formats(values, candidates)
        if formats:
            fmt, flag = _order(formats, country)
            flag = flag or _missed(fmt, missed)
            return replace(guess, type=kind, format=fmt, flag=flag)  # type: ignore[arg-type]
    if all(v.lower() in _BOOLEANS for v in values):
        return replace(guess, type="boolean")
    if all(_INTEGER.match(v) for v in values) and not _IDENTIFIER.search(name):
        return replace(guess, type="integer")
    if not _IDENTIFIER.search(name) and (number := _comma_number(guess, values)) is not None:
        return number
    if (
        all(_FLOAT.match(v) for v in values)
        and any("." in v for v in values)
        and not _IDENTIFIER.search(name)
    ):
        return replace(guess, type="float")
    return guess


def _comma_number(guess: ColumnGuess, values: list[str]) -> ColumnGuess | None:
    """A number column written with a decimal comma and/or a dot grouping thousands
    ("7.345,80", "1.500"), declared with `decimal: ","`; None when the values are not all
    so written, or none shows it. Thousands dots alone (no comma) could be decimal points
    with three decimals: flagged."""
    if not all(_COMMA_NUMBER.match(v) for v in values):
        return None
    commas = any("," in v for v in values)
    if not commas and not any(_THOUSANDS_DOT.match(v) for v in values):
        return None
    if commas:
        return replace(guess, type="float", decimal=",")
    flag = msg(
        "every dot has three digits after it, as a thousands dot (1.500 read as 1500): if it "
        'is a decimal point, write decimal: "."'
    )
    return replace(guess, type="integer", decimal=",", flag=flag)


def _formats(values: list[str], candidates: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """The candidate formats that read the most values, if they read at least `DATE_SHARE`
    of them (a typo or two does not make a date column text), and the values they miss."""
    best: list[str] = []
    missed: list[str] = values
    for fmt in candidates:
        misses = []
        for value in values:
            try:
                text = english_months(value) if names_months(fmt) else value
                datetime.strptime(english_meridian(text) if "%p" in fmt else text, fmt)
            except ValueError:
                misses.append(value)
                if len(misses) > (1 - DATE_SHARE) * len(values):
                    break
        else:
            if len(misses) < len(missed) or not best:
                best, missed = [fmt], misses
            elif len(misses) == len(missed):
                best.append(fmt)
    return best, (missed if best else [])


def _missed(fmt: str, missed: list[str]) -> Msg | None:
    if not missed:
        return None
    return nmsg(
        "{n} sampled value does not read as {format} ({example}): ingest will reject it",
        "{n} sampled values do not read as {format} (e.g. {example}): ingest will reject them",
        len(missed),
        format=fmt,
        example=json.dumps(missed[0], ensure_ascii=False),
    )


def _order(formats: list[str], country: str) -> tuple[str, Msg | None]:
    """One format among those that read every value, and a flag when the day-first and the
    month-first layouts both do (every sampled day is 12 or less)."""
    for day_first, month_first in _DAY_FIRST.items():
        if day_first in formats and month_first in formats:
            fmt = day_first if country == "MX" else month_first
            return fmt, msg(
                "every sampled day is 12 or less: is it day-first or month-first? {format} "
                "was chosen by the owner country",
                format=fmt,
            )
    return formats[0], None


def _windowed(guess: ColumnGuess, raw: list[str], year: int) -> ColumnGuess:
    """`guess` with the window of its two-digit years (`two_digit_years_from`), which a %y
    format needs, and a note saying what it reads: for a birth date (`_BORN`) the hundred
    years ending `year`; else from `EVENT_YEARS_FROM`, unless a sampled year would then be
    later than `year`."""
    fmt = guess.format
    if fmt is None or "%y" not in fmt:
        return guess
    years = []
    for value in raw:
        try:
            text = english_meridian(value.strip()) if "%p" in fmt else value.strip()
            years.append(datetime.strptime(text, fmt).year % 100)
        except ValueError:
            continue  # (a spreadsheet's date cell, or a value the flag names)
    last = year - 99
    if set(words(guess.header)) & _BORN:
        note = msg(
            "two-digit years read as {start}-{end}, as a birth date is not in the future: if "
            "someone was born before {start}, lower two_digit_years_from",
            start=last,
            end=year,
        )
        return replace(guess, years_from=last, years_note=note)
    later = sorted({y for y in years if EVENT_YEARS_FROM + y > year})
    if not later:
        note = msg(
            "two-digit years read as {start}-{end}, as for recent events: if the file holds "
            "dates before {start}, lower two_digit_years_from",
            start=EVENT_YEARS_FROM,
            end=EVENT_YEARS_FROM + 99,
        )
        return replace(guess, years_from=EVENT_YEARS_FROM, years_note=note)
    note = msg(
        "two-digit years read as {start}-{end}, as {example} read as {later} would be in the "
        "future: if the column holds dates after {end}, raise two_digit_years_from",
        start=last,
        end=year,
        example=f"{later[-1]:02d}",
        later=EVENT_YEARS_FROM + later[-1],
    )
    return replace(guess, years_from=last, years_note=note)


def render_yaml(
    draft: Draft,
    dataset: str = "",
    agency: str = "",
    country: str = "",
    marking: str = "AMBER",
    releasable_to: list[str] | None = None,
    out: Path | None = None,
    anywhere: bool = False,
) -> str:
    """The mapping file of `draft`: every column in a typed ledger; the dataset's owner and
    access label from the arguments, left empty (which ingest refuses) when not given. `out`
    is where the mapping will be written (the file is named relative to it, and the header's
    command names `out` as given); by default beside the file. `anywhere`: where it will be
    saved is not known (`mapping draft` to standard output, saved with `>` in any folder):
    the file is named by its absolute path, and the header says what to save it as."""
    stem = _names([draft.path.stem])[0]
    mark = t("CHECK")
    if out is not None:
        where = os.path.relpath(draft.path.resolve(), out.resolve().parent)
    else:
        where = str(draft.path.resolve()) if anywhere else draft.path.name
    saved = str(out) if out is not None else f"{stem}.yaml"
    step = t("Check every line marked {mark}, fill in what is empty, then run:", mark=mark)
    if anywhere and out is None:
        step = t(
            "Save it as {file} (or run the draft with {option}), check every line marked "
            "{mark}, fill in what is empty, then run:",
            file=saved,
            option=f"-o {shlex.quote(saved)}",
            mark=mark,
        )
    if not dataset:
        dataset = "_".join(p for p in (country.lower(), agency.lower(), stem) if p)
        dataset = _names([dataset])[0]
    lines = [
        "# "
        + nt(
            "Draft mapping for {file}, from {n:,} sampled record.",
            "Draft mapping for {file}, from {n:,} sampled records.",
            draft.sampled,
            file=draft.path.name,
        ),
        "# " + step,
        f"#   ironriver ingest {shlex.quote(saved)} --dry-run",
        f"{json.dumps(dataset)}:",
        f"  title: {json.dumps(draft.path.stem, ensure_ascii=False)}",
        f"  agency: {json.dumps(agency.upper())}"
        if agency
        else f"  agency:  # {mark}: FGR, ATF...",
        f"  country: {json.dumps(country.upper())}" if country else f"  country:  # {mark}: MX, US",
        f"  marking: {json.dumps(marking.upper())}",
        f"  releasable_to: {json.dumps(releasable_to or [])}",
        "  queries:",
    ]
    url = {"csv": "csv_url", "jsonl": "jsonl_url", "xlsx": "xlsx_url"}[draft.kind]
    lines.append(f"  - {url}: {json.dumps(where, ensure_ascii=False)}")
    if draft.kind in ("csv", "jsonl") and draft.encoding != "utf-8":
        lines.append(f"    encoding: {draft.encoding}")
    if draft.kind == "csv":
        if draft.delimiter != ",":
            lines.append(f"    delimiter: {json.dumps(draft.delimiter)}")
    if draft.kind == "xlsx":
        note = f"  # {mark}: {draft.sheet_note.render()}" if draft.sheet_note else ""
        lines.append(f"    sheet: {json.dumps(draft.sheet, ensure_ascii=False)}{note}")
    if draft.header_row != 1:
        lines.append(f"    header_row: {draft.header_row}")
    lines += _entity_lines(draft, mark, country.upper())
    lines += [
        "    ledger:",
        f"      name: {json.dumps(stem)}",
        "      columns:",
    ]
    headers = [c.header for c in draft.columns]
    flagged: set[str] = set()
    for key in draft.objects:
        objects = t(
            "{column} holds JSON objects, which neither a ledger nor an entity reads: flatten "
            "the export to map them",
            column=json.dumps(key, ensure_ascii=False),
        )
        lines.append(f"        # {mark}: {objects}")
    for column in draft.columns:
        if not column.header or column.header in flagged:
            continue  # a column without a name cannot be read
        if column.listed:
            listed = t(
                "{column} holds lists, which a ledger column does not (one value each): an "
                "entity's property reads each element",
                column=json.dumps(column.header, ensure_ascii=False),
            )
            lines.append(f"        # {listed}")
            continue
        if headers.count(column.header) > 1:
            flagged.add(column.header)
            repeated = t(
                "{column} names more than one column: rename them in the file to map them",
                column=json.dumps(column.header, ensure_ascii=False),
            )
            lines.append(f"        # {mark}: {repeated}")
            continue
        spec: dict[str, object] = {"column": column.header, "type": column.type}
        if column.format:
            spec["format"] = column.format
        if column.years_from is not None:
            spec["two_digit_years_from"] = column.years_from
        if column.decimal:
            spec["decimal"] = column.decimal
        # keys quoted: YAML reads a bare `no:` or `on:` as a boolean
        line = f"        {json.dumps(column.name)}: " + json.dumps(spec, ensure_ascii=False)
        notes = []
        if column.example is not None:
            notes.append(
                t("e.g. {example}", example=json.dumps(column.example, ensure_ascii=False))
            )
        for flag in (column.flag, column.years_note):
            if flag is not None:
                notes.append(f"{mark}: {flag.render()}")
        lines.append(line + ("  # " + "; ".join(notes) if notes else ""))
    return "\n".join(lines) + "\n"


def _keys_note(keyed_by: str, mark: str) -> str:
    """The comment on a suggested person's `keys` line: what keying it so merges."""
    if keyed_by == "names":
        note = t(
            "keyed on the name columns: people of the same name become one entity; key on a "
            "record id or an identifier column (CURP) if the file has one"
        )
        return f"  # {mark}: {note}"
    if keyed_by == "record":
        note = t(
            "one person per record: the same person in two records is two entities (not "
            "merged yet: a search by name or identifier finds each)"
        )
        return f"  # {note}"
    if keyed_by == "identifier":
        note = t("a record without this identifier makes no person (the ingest counts them)")
        return f"  # {mark}: {note}"
    return ""


def _entity_lines(draft: Draft, mark: str, country: str) -> list[str]:
    """The `entities:` block the column names suggest (`suggest`), or a pointer to the docs,
    and which columns no suggested entity reads; phone numbers without their international
    prefix are read as `country`'s."""
    headers = [c.header for c in draft.columns]
    suggestions = suggest(headers, lists={c.header for c in draft.columns if c.listed})
    if not suggestions:
        return ["    # " + t("entities: map records to FtM entities here (see docs/mapping.md)")]
    dates = {c.header: c for c in draft.columns if c.type in ("date", "timestamp")}
    note = t("suggested from the column names: keep, fix or remove (see docs/mapping.md)")
    lines = [f"    entities:  # {mark}: {note}"]
    read: set[str] = set()
    for entity in suggestions:
        read.update(entity.keys, entity.properties.values(), entity.name_from)
        lines += [
            f"      {json.dumps(entity.name)}:",
            f"        schema: {json.dumps(entity.schema)}",
            f"        keys: {json.dumps(entity.keys, ensure_ascii=False)}"
            + _keys_note(entity.keyed_by, mark),
        ]
        if entity.key_literal:
            lines.append(f"        key_literal: {json.dumps(entity.key_literal)}")
        if entity.key_clean:
            cleaned = json.dumps(entity.key_clean, ensure_ascii=False)
            note = t(
                "the id hashes the number as stored (+52...): one phone however the files "
                "write it, whichever dataset holds it"
            )
            lines.append(f"        key_clean: {cleaned}  # {note}")
        lines.append("        properties:")
        for prop, header in entity.properties.items():
            spec: dict[str, object] = {"column": header}
            comment = ""
            if (column := dates.get(header)) is not None and column.format:
                spec["format"] = column.format
                if column.years_from is not None and column.years_note is not None:
                    spec["two_digit_years_from"] = column.years_from
                    comment = f"  # {mark}: {column.years_note.render()}"
            elif entity.schema == "Phone" and prop == "number" and country:
                spec["format"] = country
            spec_text = json.dumps(spec, ensure_ascii=False)
            lines.append(f"          {json.dumps(prop)}: {spec_text}{comment}")
        if entity.name_from:
            spec_name = {"columns": entity.name_from, "join": " "}
            lines.append(f'          "name": {json.dumps(spec_name, ensure_ascii=False)}')
    unread = [c for c in draft.columns if c.header not in read and headers.count(c.header) == 1]
    kept = [c.header for c in unread if c.header and not c.listed]
    lost = [c.header for c in unread if c.header and c.listed]
    if kept:
        left = nt(
            "no entity above reads {columns}: add it to one if analysts need it (the ledger "
            "below keeps its values)",
            "no entity above reads {columns}: add them to one if analysts need them (the "
            "ledger below keeps their values)",
            len(kept),
            columns=", ".join(json.dumps(h, ensure_ascii=False) for h in kept),
        )
        lines.append(f"    # {mark}: {left}")
    if lost:
        left = nt(
            "no entity above reads {columns}, which holds lists (no ledger column): map it to "
            "an entity's property or its values are not loaded",
            "no entity above reads {columns}, which hold lists (no ledger column): map them "
            "to an entity's property or their values are not loaded",
            len(lost),
            columns=", ".join(json.dumps(h, ensure_ascii=False) for h in lost),
        )
        lines.append(f"    # {mark}: {left}")
    return lines
