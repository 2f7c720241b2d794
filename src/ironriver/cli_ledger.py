"""`ironriver ledger DATASET`: the rows of one dataset's ledger that the principal may see,
filtered (`--where COLUMN=VALUE`, or a range `COLUMN=LOW..HIGH`), as a table, CSV or JSON; a
thin command over `View.ledger_stream` (`ironriver.policy.ledger_rows`), which reads, checks
and audits, and hands the rows over in Arrow batches, each written as it comes (memory holds
a batch).

The top-level CLI loads it on first use (`LAZY_COMMANDS` in `cli_lazy.py`). Column names and
values are data: shown as stored, never translated; only our own headers and notes are.
"""

from __future__ import annotations

import io
import json
import re
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, TextIO

import click

from ironriver.cli_columns import headers
from ironriver.cli_json import releasable_list
from ironriver.cli_support import app_context, common_options, excel_option, table
from ironriver.csvcells import BOM, EXCEL, inert_array, inert_cell, line_end
from ironriver.errors import ConfigError
from ironriver.i18n import msg, nt, t
from ironriver.model.labels import yes_no
from ironriver.progress import stderr_note

if TYPE_CHECKING:  # the policy loads FtM, SQLAlchemy, Arrow and DuckDB: imported where rows
    # are read, so that `ledger --help` needs none of them (`ironriver.cli`)
    import pyarrow as pa

    from ironriver.policy import LedgerRows
    from ironriver.policy.ledger_rows import LedgerStream

LIMIT = 50
"""`--limit`'s default: `ironriver.policy.ledger_rows.DEFAULT_LIMIT`, the library's, which
a test holds it equal to (said here so that the help imports no policy)."""

# the access label and source of each row, after its columns in CSV (a ledger's own column
# never starts with "_", so these cannot clash with one)
_CSV_LABEL = ("_marking", "_releasable_to", "_owner_agency", "_owner_country", "_source_ref")
# `COLUMN>VALUE` and the like, which `--where` does not take (a ledger column's name is
# `[a-z][a-z0-9_]*`: `ingest.mapping_fields.NAME_RE`, so no column has these signs in it)
_COMPARISON = re.compile(
    r"\s*(?P<column>[A-Za-z_][A-Za-z0-9_]*)\s*(?P<sign>[<>]=?)\s*(?P<value>\S.*)"
)


@click.command("ledger")
@common_options
@click.argument("dataset")
@click.option(
    "--ledger",
    "ledger_name",
    default=None,
    metavar="NAME",
    help="Which of the dataset's ledgers (needed only when you see several).",
)
@click.option(
    "--where",
    "where",
    multiple=True,
    help="Only rows whose COLUMN equals VALUE, as COLUMN=VALUE (repeatable: all must hold). "
    "Text ignores case, accents, spaces and punctuation, as the identifier search does; "
    "dates are 2024-03-01; a timestamp column takes a day, an hour (2024-03-01T14), a minute "
    "(2024-03-01T14:30) or a second, in UTC or with an offset, and matches all of it. A date "
    "or timestamp column also takes a month (2024-03 or 03/2024) or a year (2024); a number, "
    "date or timestamp column a range, COLUMN=LOW..HIGH, both ends included (LOW.. or ..HIGH "
    "for one end: price=1000..).",
)
@click.option("--columns", default=None, help="Only these columns, comma-separated, in this order.")
@click.option(
    "--limit",
    default=LIMIT,
    show_default=True,
    type=click.IntRange(min=1),
    help="Rows at most (the command says when more matched).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv"]),
    default="table",
    show_default=True,
    help="table: for people; csv: CSV on standard output, with each row's marking, "
    "releasability, owner and source.",
)
@excel_option
@click.option(
    "--reason", default="", help="Why you read it (audited; needed for AMBER+STRICT or RED rows)."
)
@click.pass_context
def ledger(
    ctx: click.Context,
    dataset: str,
    ledger_name: str | None,
    where: tuple[str, ...],
    columns: str | None,
    limit: int,
    fmt: str,
    reason: str,
) -> None:
    """Show the rows of a dataset's ledger (sales, crossings, plate reads...) that you may
    see, those matching every --where, at most --limit. `ironriver ledgers` lists the
    datasets and their ledgers.

    \b
    Examples:
      ironriver ledger us_atf_dealer_sales --where serial=PSA343193 \\
          --as us-atf-analyst --reason "trace 7"
      ironriver ledger us_cbp_plate_reads --where plate=VKH768X \\
          --where read_at=2024-01-01 --columns plate,read_at --as us-cbp-officer
    """
    app = app_context(ctx)
    if app.as_json and fmt == "csv":
        raise ConfigError(
            msg("--json and --format csv both choose the output."),
            hint=msg("Pass one of them."),
        )
    if EXCEL.get() and fmt != "csv":
        raise ConfigError(
            msg("--excel writes CSV for Excel: it goes with --format csv."),
            hint=msg("Add --format csv, or leave out --excel."),
        )
    pairs = [_pair(text) for text in where]
    chosen = None if columns is None else [c.strip() for c in columns.split(",") if c.strip()]
    # read and written batch by batch: memory holds a batch of rows, not --limit of them
    with app.view(reason).ledger_stream(
        dataset, pairs, columns=chosen, limit=limit, ledger=ledger_name
    ) as read:
        if fmt == "csv":
            _write_csv(read, bool(pairs))
            _say_more(read)
        elif app.as_json:
            _write_json(read)
        else:
            _human(read, bool(pairs))


def _pair(text: str) -> tuple[str, str]:
    """`COLUMN=VALUE` as (column, value); the value may hold `=` itself. A comparison
    (`price>1000`, `price>=1000`, `sold<2024-01-01`) is refused with the range that says it
    (`price=1000..`: ranges include their ends, so `>` is said as `>=` is)."""
    compared = _COMPARISON.fullmatch(text)
    if compared is not None:
        column, sign, value = compared["column"], compared["sign"], compared["value"].strip()
        example = f"{column}={value}.." if sign.startswith(">") else f"{column}=..{value}"
        raise ConfigError(
            msg(
                "--where {text!r} compares with {sign}: a filter is COLUMN=VALUE, or a range "
                "COLUMN=LOW..HIGH that includes both ends (LOW.. or ..HIGH for one end).",
                text=text,
                sign=sign,
            ),
            # quoted: "price=1000.." and the sentence's full stop would read "price=1000...",
            # which, typed back, is refused as no range
            hint=msg("Write it as {example}.", example=f"--where '{example}'"),
        )
    column, equals, value = text.partition("=")
    if not equals or not column.strip():
        raise ConfigError(
            msg("--where {text!r} is not COLUMN=VALUE.", text=text),
            hint=msg("Write it as {example}.", example="--where serial=ABC123"),
        )
    return column.strip(), value


def ledger_rows_json(result: LedgerRows) -> dict[str, Any]:
    """`ledger --json`: the rows, each with its values under `values` (keyed by the
    ledger's column names: data, not this vocabulary) beside its label and source.
    (`ledger --json` writes the same, a batch of rows at a time: `_write_json`.)"""
    return {
        **_json_head(result.dataset, result.ledger, result.columns, result.matched),
        "rows": [
            _json_row(
                row.values,
                row.marking,
                row.releasable_to,
                row.owner_agency,
                row.owner_country,
                row.source_ref,
            )
            for row in result.rows
        ],
    }


def _json_head(dataset: str, ledger: str, columns: list[str], matched: int) -> dict[str, Any]:
    return {"dataset": dataset, "ledger": ledger, "columns": columns, "matched_rows": matched}


def _json_row(
    values: dict[str, Any],
    marking: str,
    releasable_to: str,
    owner_agency: str,
    owner_country: str,
    source_ref: str | None,
) -> dict[str, Any]:
    return {
        "values": {c: _json_value(v) for c, v in values.items()},
        "marking": marking,
        "releasable_to": releasable_list(releasable_to),
        "owner_agency": owner_agency,
        "owner_country": owner_country,
        "source_ref": source_ref,
    }


def _stream_rows(read: LedgerStream) -> Iterator[list[tuple[Any, ...]]]:
    """The rows of `read`, a batch at a time, each as its Python values (the columns,
    then `_marking`, `_releasable_to`, `_owner_agency`, `_owner_country`, `_source_ref`)."""
    for batch in read.batches:
        yield list(zip(*(c.to_pylist() for c in batch.columns), strict=True))


def _write_json(read: LedgerStream) -> None:
    """`ledger_rows_json` of the rows of `read`, written as `AppContext.emit` writes JSON
    (`json.dumps`, indent 2) and byte for byte the same, a batch of rows at a time."""
    from ironriver.policy.ledger_rows import row_fields

    head = json.dumps(
        _json_head(read.dataset, read.ledger, read.columns, read.matched),
        ensure_ascii=False,
        indent=2,
        default=str,
    )
    out = sys.stdout
    out.write(head[: -len("\n}")] + ',\n  "rows": [')
    first = True
    for rows in _stream_rows(read):
        text = [
            json.dumps(
                _json_row(*row_fields(read.columns, r)),
                ensure_ascii=False,
                indent=2,
                default=str,
            ).replace("\n", "\n    ")
            for r in rows
        ]
        if text:
            out.write(("\n    " if first else ",\n    ") + ",\n    ".join(text))
            first = False
    out.write("]\n}\n" if first else "\n  ]\n}\n")
    out.flush()


def _json_value(value: Any) -> Any:
    """A ledger value as JSON: dates `YYYY-MM-DD`, timestamps ISO 8601 in UTC with their
    offset (a ledger's timestamps are stored in UTC), numbers and yes/no as they are."""
    if isinstance(value, datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return aware.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)  # (a type no mapping makes)


def _cell(value: Any) -> str:
    """A ledger value in a table for people: yes/no in their language, nothing for none,
    a decimal number with its thousands separated by a comma, as counts are (1,250.0: a
    decimal point and a thousands comma, as Mexico writes them too). Integers are shown as
    stored: an integer column may hold a year or a code (2024, not 2,024)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return yes_no(value)
    if isinstance(value, float):
        return f"{value:,}"
    return str(value)


def _say_none(read: LedgerStream, filtered: bool) -> None:
    """On standard error, when no row is shown: none matched the filters, or, with none,
    the ledger holds no row the reader may see (a ledger of a header-only file: a ledger
    whose rows are all hidden from the reader is not found, `ironriver.policy.ledger_rows`)."""
    shown = f"{read.dataset}/{read.ledger}"
    stderr_note(
        t("No row of {ledger} that you may see matches.", ledger=shown)
        if filtered
        else t("Ledger {ledger} holds no row that you may see.", ledger=shown)
    )


def _human(read: LedgerStream, filtered: bool) -> None:
    """The rows as a table for people, a batch at a time: aligned over the first batch
    (`BATCH_ROWS` rows), each further batch to the widths so far or its own wider ones."""
    if not read.rows:
        _say_none(read, filtered)
        return
    heads = [*read.columns, *headers("marking", "source_ref")]  # column names are data
    n = len(read.columns)
    widths: list[int] | None = None
    for rows in _stream_rows(read):
        cells = [[*(_cell(v) for v in r[:n]), str(r[n]), str(r[n + 4] or "")] for r in rows]
        widths = table(cells, heads, widths)
    _say_more(read)


def _say_more(read: LedgerStream) -> None:
    """On standard error, when more rows matched than were shown."""
    if read.matched > read.rows:
        stderr_note(
            nt(
                "{shown:,} of {total:,} matching row shown; more with --limit {total}.",
                "{shown:,} of {total:,} matching rows shown; more with --limit {total}.",
                read.matched,
                shown=read.rows,
                total=read.matched,
            )
        )


def _write_csv(read: LedgerStream, filtered: bool) -> None:
    """The rows as CSV on standard output: the columns, then each row's label and source
    (values as in JSON; yes/no as true/false, none as an empty cell; a text a spreadsheet
    would run as a formula with a single quote before it: `inert_cell`); with --excel, UTF-8
    with a byte-order mark and CRLF line ends whatever the terminal's encoding
    (`ironriver.csvcells`). Written a batch at a time, each made with Arrow kernels
    (`_csv_lines`): the bytes Python's `csv.writer` writes of the same rows (quoted as for
    CRLF line ends: a cell holding a CR is quoted with LF ones too)."""
    if EXCEL.get():
        sys.stdout.flush()
        excel = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", newline="")
        excel.write(BOM)
        _csv_rows(read, excel)
        excel.flush()
        excel.detach()  # (standard output stays open)
    else:
        _csv_rows(read, sys.stdout)
    if not read.rows:
        _say_none(read, filtered)


def _csv_rows(read: LedgerStream, stream: TextIO) -> None:
    import pyarrow as pa

    end = line_end()
    stream.write(
        _csv_lines([pa.array([c], pa.string()) for c in (*read.columns, *_CSV_LABEL)], end)
    )
    n = len(read.columns)
    for batch in read.batches:
        # the columns, then the label's (`_LABEL`'s order: as `ledger --json` names them)
        cells = [batch.column(i) for i in range(n + len(_CSV_LABEL))]
        stream.write(_csv_lines(cells, end))


def _csv_lines(columns: list[pa.Array], end: str) -> str:
    """Rows of `columns` as CSV lines, each ending with `end`: what `csv.writer` (the
    excel dialect, QUOTE_MINIMAL, CRLF line ends) writes of the rows' cells as `_csv_value`
    and `inert_cell` make them, computed column by column with Arrow kernels. (The one CSV
    writer of `ledger`: its header too.)"""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not columns or len(columns[0]) == 0:
        return ""
    # a cell is quoted when it holds the delimiter, the quote, a CR or an LF, whatever the
    # line end (a lone CR left bare, as csv.writer leaves it with LF line ends, is read as a
    # line end by every CSV reader: the row split). (A row is never a single empty cell,
    # which csv.writer writes `""`: a ledger's CSV has its label's columns.)
    needs_quotes = '[,"\r\n]'
    cells = []
    for column in columns:
        text = _csv_text(column)
        quoted = pc.binary_join_element_wise('"', pc.replace_substring(text, '"', '""'), '"', "")
        cells.append(pc.if_else(pc.match_substring_regex(text, needs_quotes), quoted, text))
    lines = pc.binary_join_element_wise(pc.binary_join_element_wise(*cells, ","), end, "")
    lines = lines.cast(pa.large_string())  # (its offsets: a batch may exceed 2 GB of text)
    offsets = lines.buffers()[1]
    data = lines.buffers()[2]
    if data is None:
        return ""
    first, last = (
        int.from_bytes(offsets[i * 8 : i * 8 + 8], "little", signed=True)
        for i in (lines.offset, lines.offset + len(lines))
    )
    return str(data[first:last].to_pybytes().decode("utf-8"))


def _csv_text(column: pa.Array) -> pa.Array:
    """The cells of one column as `_csv_value` and `inert_cell` make them and `csv.writer`
    writes them (before quoting): text made inert, numbers and yes/no as Python writes
    them, dates and timestamps as `_json_value`, none as an empty cell."""
    import pyarrow as pa
    import pyarrow.compute as pc

    kind = column.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        text = inert_array(column.cast(pa.string()))
    elif pa.types.is_integer(kind) or pa.types.is_boolean(kind) or pa.types.is_date32(kind):
        text = column.cast(pa.string())  # (42, true/false, 2024-03-01: as Python writes them)
    elif pa.types.is_float64(kind):  # (a float32's Python float has more digits)
        text = _float_text(column)
    elif pa.types.is_timestamp(kind) and kind.unit == "us" and kind.tz is None:
        # "2024-03-01 14:30:05.000000" -> "2024-03-01T14:30:05+00:00" (a ledger's
        # timestamps are in UTC), its fraction kept when not zero, as `isoformat` does
        text = pc.replace_substring(column.cast(pa.string()), " ", "T", max_replacements=1)
        text = pc.replace_substring_regex(text, "\\.000000$", "")
        text = pc.binary_join_element_wise(text, "+00:00", "")
    else:  # a type no mapping makes: each cell through Python, as before
        shown = (inert_cell(_csv_value(v)) for v in column.to_pylist())
        text = pa.array([v if isinstance(v, str) else str(v) for v in shown], pa.string())
    return pc.fill_null(text, "")


def _float_text(column: pa.Array) -> pa.Array:
    """Floating-point cells as `repr` writes them (`0.1`, `125.0`, `1e+20`). Arrow writes
    the same shortest digits, without `.0` and with an exponent in other places: its text
    is kept, with `.0` added, for the numbers `repr` writes without an exponent (1e-4 up to
    1e16) that Arrow wrote without one; the others, few, go through `repr` itself."""
    import pyarrow as pa
    import pyarrow.compute as pc

    text = column.cast(pa.string())
    size = pc.abs(column)
    other = pc.fill_null(
        pc.or_(
            pc.match_substring_regex(text, "[a-z]"),  # an exponent, nan, inf
            pc.or_(
                pc.greater_equal(size, 1e16),
                pc.and_(pc.greater(size, 0), pc.less(size, 1e-4)),
            ),
        ),
        False,
    )
    plain = pc.if_else(
        pc.match_substring(text, "."), text, pc.binary_join_element_wise(text, ".0", "")
    )
    if not pc.any(other).as_py():
        return plain
    exact = pa.array([repr(v) for v in column.filter(other).to_pylist()], pa.string())
    return pc.replace_with_mask(plain, other, exact)


def _csv_value(value: Any) -> Any:
    shown = _json_value(value)
    if isinstance(shown, bool):
        return "true" if shown else "false"
    return "" if shown is None else shown
