"""`ironriver ledger DATASET`: the rows of one dataset's ledger that the principal may see,
filtered (`--where COLUMN=VALUE`), as a table, CSV or JSON; a thin command over
`View.ledger_rows` (`ironriver.policy.ledger_rows`), which reads, checks and audits.

The top-level CLI loads it on first use (`LAZY_COMMANDS` in `cli_lazy.py`). Column names and
values are data: shown as stored, never translated; only our own headers and notes are.
"""

from __future__ import annotations

import csv
import io
import sys
from datetime import UTC, date, datetime
from typing import Any, TextIO

import click

from ironriver.cli_columns import headers
from ironriver.cli_json import releasable_list
from ironriver.cli_support import app_context, common_options, excel_option, table
from ironriver.csvcells import BOM, EXCEL, inert_cell, line_end
from ironriver.errors import ConfigError
from ironriver.i18n import msg, nt, t
from ironriver.model.labels import yes_no
from ironriver.policy import LedgerRows
from ironriver.policy.ledger_rows import DEFAULT_LIMIT

# the access label and source of each row, after its columns in CSV (a ledger's own column
# never starts with "_", so these cannot clash with one)
_CSV_LABEL = ("_marking", "_releasable_to", "_owner_agency", "_source_ref")


@click.command("ledger")
@common_options
@click.argument("dataset")
@click.option(
    "--ledger",
    "ledger_name",
    default=None,
    help="Which of the dataset's ledgers (needed only when you see several).",
)
@click.option(
    "--where",
    "where",
    multiple=True,
    help="Only rows whose COLUMN equals VALUE, as COLUMN=VALUE (repeatable: all must hold). "
    "Text ignores case, accents, spaces and punctuation, as the identifier search does; "
    "dates are 2024-03-01; a timestamp column takes a day, an hour (2024-03-01T14), a minute "
    "(2024-03-01T14:30) or a second, in UTC or with an offset, and matches all of it.",
)
@click.option("--columns", default=None, help="Only these columns, comma-separated, in this order.")
@click.option(
    "--limit",
    default=DEFAULT_LIMIT,
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
    Example: ironriver ledger us_atf_dealer_sales --where serial=562-13682
               --as us-atf-analyst --reason "trace 7"
             ironriver ledger us_cbp_plate_reads --where plate=KBW4369
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
    result = app.view(reason).ledger_rows(
        dataset, pairs, columns=chosen, limit=limit, ledger=ledger_name
    )
    if fmt == "csv":
        _write_csv(result)
        _say_more(result)
        return
    app.emit(ledger_rows_json(result), lambda: _human(result))


def _pair(text: str) -> tuple[str, str]:
    """`COLUMN=VALUE` as (column, value); the value may hold `=` itself."""
    column, equals, value = text.partition("=")
    if not equals or not column.strip():
        raise ConfigError(
            msg("--where {text!r} is not COLUMN=VALUE.", text=text),
            hint=msg("Write it as {example}.", example="--where serial=ABC123"),
        )
    return column.strip(), value


def ledger_rows_json(result: LedgerRows) -> dict[str, Any]:
    """`ledger --json`: the rows, each with its values under `values` (keyed by the
    ledger's column names: data, not this vocabulary) beside its label and source."""
    return {
        "dataset": result.dataset,
        "ledger": result.ledger,
        "columns": result.columns,
        "matched_rows": result.matched,
        "rows": [
            {
                "values": {c: _json_value(v) for c, v in row.values.items()},
                "marking": row.marking,
                "releasable_to": releasable_list(row.releasable_to),
                "owner_agency": row.owner_agency,
                "owner_country": row.owner_country,
                "source_ref": row.source_ref,
            }
            for row in result.rows
        ],
    }


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


def _say_none(result: LedgerRows) -> None:
    click.echo(
        t(
            "No row of {ledger} that you may see matches.",
            ledger=f"{result.dataset}/{result.ledger}",
        ),
        err=True,
    )


def _human(result: LedgerRows) -> None:
    if not result.rows:
        _say_none(result)
        return
    table(
        [
            [*(_cell(row.values[c]) for c in result.columns), row.marking, row.source_ref or ""]
            for row in result.rows
        ],
        [*result.columns, *headers("marking", "source_ref")],  # column names are data
    )
    _say_more(result)


def _say_more(result: LedgerRows) -> None:
    """On standard error, when more rows matched than were shown."""
    if result.matched > len(result.rows):
        click.echo(
            nt(
                "{shown:,} of {total:,} matching row shown; more with --limit {total}.",
                "{shown:,} of {total:,} matching rows shown; more with --limit {total}.",
                result.matched,
                shown=len(result.rows),
                total=result.matched,
            ),
            err=True,
        )


def _write_csv(result: LedgerRows) -> None:
    """The rows as CSV on standard output: the columns, then each row's label and source
    (values as in JSON; yes/no as true/false, none as an empty cell; a text a spreadsheet
    would run as a formula with a single quote before it: `inert_cell`); with --excel, UTF-8
    with a byte-order mark and CRLF line ends whatever the terminal's encoding
    (`ironriver.csvcells`)."""
    if EXCEL.get():
        sys.stdout.flush()
        excel = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", newline="")
        excel.write(BOM)
        _csv_rows(result, excel)
        excel.flush()
        excel.detach()  # (standard output stays open)
    else:
        _csv_rows(result, sys.stdout)
    if not result.rows:
        _say_none(result)


def _csv_rows(result: LedgerRows, stream: TextIO) -> None:
    out = csv.writer(stream, lineterminator=line_end())
    out.writerow([inert_cell(c) for c in (*result.columns, *_CSV_LABEL)])
    for row in result.rows:
        values = [_csv_value(row.values[c]) for c in result.columns]
        label = [row.marking, row.releasable_to, row.owner_agency, row.source_ref]
        out.writerow([inert_cell(v) for v in (*values, *label)])


def _csv_value(value: Any) -> Any:
    shown = _json_value(value)
    if isinstance(shown, bool):
        return "true" if shown else "false"
    return "" if shown is None else shown
