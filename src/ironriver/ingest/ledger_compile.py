"""Compile a query's ledger into DuckDB SQL: its typed rows over `san` and the checks that
reject a record whose value is not of its column's type, or missing where required.

A value is read from its sanitized text (NFC, stripped, empty -> NULL) and typed strictly: text
DuckDB's casts would take leniently ('12.5' as an integer, '0x1F', '1_000', 'inf', a date
without a four-digit year) is NULL, so its record is rejected and reported, never stored
otherwise. `ledger_value_sql` is also how a stored ledger's column is compared with a
file's (`validate`).
"""

from __future__ import annotations

from ironriver.i18n import t
from ironriver.ingest.clean import (
    english_meridian_sql,
    english_months_sql,
    four_digit_year,
    has_two_digit_year,
    names_months,
    number_text_sql,
    reads_meridian,
    two_digit_year_guard,
    two_digit_year_sql,
)
from ironriver.ingest.record_checks import Check, invalid_reason, missing_reason
from ironriver.ingest.specs import LedgerColumn, LedgerSpec
from ironriver.sqltext import ident, literal


def _ledger_expr(col: LedgerColumn, scol: dict[str, str]) -> str:
    return ledger_value_sql(col, ident(scol[col.column]))  # sanitized: NFC, stripped, empty -> NULL


def ledger_value_sql(col: LedgerColumn, text: str) -> str:
    """SQL of `col`'s typed value read from the SQL text expression `text` (sanitized text:
    NULL when empty); NULL when the text is not a value of the column's type."""
    if col.type == "string":
        return text
    if col.decimal is not None and col.type in ("integer", "float"):
        text = number_text_sql(text, col.decimal)  # "1.500,50" -> "1500.50" under ","
    # DuckDB's casts are lenient where a record must not be: '12.5' -> 13, '0x1F' -> 31,
    # '1_000' -> 1000, 'inf' and 'nan' are doubles. Such text is rejected (NULL, reported).
    if col.type == "integer":
        whole = f"regexp_full_match({text}, '[+-]?[0-9]+')"
        return f"CASE WHEN {whole} THEN try_cast({text} AS BIGINT) END"
    if col.type == "float":
        number = f"try_cast({text} AS DOUBLE)"  # (refuses hexadecimal itself)
        return f"CASE WHEN isfinite({number}) AND NOT contains({text}, '_') THEN {number} END"
    if col.type == "boolean":
        return (
            f"(CASE WHEN lower({text}) IN ('true', 't', 'yes', 'y', '1', 'si', 'sí') THEN TRUE "
            f"WHEN lower({text}) IN ('false', 'f', 'no', 'n', '0') THEN FALSE END)"
        )
    if names_months(col.format):  # Spanish month names too (clean.SPANISH_MONTHS)
        text = english_months_sql(text)
    if reads_meridian(col.format):  # and "p. m." as Spanish-locale spreadsheets write it
        text = english_meridian_sql(text)
    if col.format:
        parsed = four_digit_year(f"try_strptime({text}, {literal(col.format)})", text, col.format)
        if col.two_digit_years_from is not None and has_two_digit_year(col.format):
            guard = two_digit_year_guard(text, col.format)
            years = two_digit_year_sql(parsed, col.two_digit_years_from)
            parsed = f"(CASE WHEN {guard} THEN {years} END)"
        return f"CAST({parsed} AS DATE)" if col.type == "date" else parsed
    if col.type == "date":
        return f"CASE WHEN {_iso(text)} THEN try_cast({text} AS DATE) END"
    # an offset after the time (Z, +02:00, +0200, -05 as PostgreSQL writes it) is honoured:
    # stored in UTC (a plain cast would drop it). After the time: a date's own '-31' is none.
    offset = f"regexp_matches({text}, '[ T][0-9:.]+(Z|[+-][0-9]{{2}}(:?[0-9]{{2}})?)$')"
    return (
        f"CASE WHEN NOT {_iso(text)} THEN NULL "
        f"WHEN {offset} THEN timezone('UTC', try_cast({text} AS TIMESTAMPTZ)) "
        f"ELSE try_cast({text} AS TIMESTAMP) END"
    )


def _iso(text: str) -> str:
    """SQL: `text` is an ISO date with a four-digit year, maybe with a time. Without it
    DuckDB's cast takes '99999-01-01' for a date and '-2024-01-01' for 2025 BC."""
    day = "[0-9]{4}[-/][0-9]{1,2}[-/][0-9]{1,2}"
    return f"regexp_full_match({text}, '{day}([ T][0-9:.]+(Z|[+-][0-9:]+)?)?')"


def ledger_sql(ledger: LedgerSpec, scol: dict[str, str], where: str) -> tuple[str, list[Check]]:
    """SQL of the typed ledger rows (`_row` plus one column per ledger column) and their checks.

    A typed column keeps its sanitized text beside it (`_raw_<name>`) for the report; a
    string column is its sanitized text, so it needs no copy and cannot hold a bad value."""
    items = [f"{_ledger_expr(c, scol)} AS {ident(c.name)}" for c in ledger.columns]
    items += [
        f"{ident(scol[c.column])} AS {ident('_raw_' + c.name)}"
        for c in ledger.columns
        if c.type != "string"
    ]
    sql = f"SELECT _row, {', '.join(items)} FROM san WHERE {where}"
    checks = []
    for c in ledger.columns:
        raw = ident(c.name if c.type == "string" else "_raw_" + c.name)
        present = f"{raw} IS NOT NULL"
        place = t("ledger {column}", column=f"{ledger.name}.{c.name}")
        if c.type != "string":
            checks.append(
                Check(
                    f"{ident(c.name)} IS NULL AND {present}",
                    c.column,
                    raw,
                    invalid_reason(c.type, c.format, place),
                    date_format=c.format if c.type in ("date", "timestamp") else None,
                )
            )
        if c.required:
            checks.append(Check(f"NOT ({present})", c.column, "NULL", missing_reason(place)))
    return sql, checks
