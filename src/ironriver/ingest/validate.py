"""Row-level validation of one query: builds the `bad` table of rejected rows.

`bad` has one row per problem: `_row` (record number), `column`, `value`, `reason`. A record
is rejected when any check holds for it:

- duplicate: the record repeats an earlier record in every column the mapping reads
  (the first occurrence is kept; the later ones are rejected, pointing at the first); only
  the records the query's `filters` keep are compared;
- bad value: a non-empty value that does not clean to its property or ledger type
  (e.g. a date that does not match its `format`);
- required: a property or ledger column marked `required: true` has no value.

Structural problems (encoding, missing columns, unparseable lines) are whole-file errors
raised earlier by `source.py`.

`build_bad_table` evaluates all the checks on one table in a single scan of it (the table may
be a view that types its values as it is read), then splits the few matching rows per check.
The duplicate check is left out for a file read whole whose records all differ in the columns
it compares first (`hashes_repeat`, a sort of their hashes: cheaper than the check's own
hash aggregate, which then finds nothing).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from ironriver.errors import IngestError
from ironriver.i18n import msg, t
from ironriver.ingest.ledger_compile import ledger_value_sql
from ironriver.ingest.record_checks import Check
from ironriver.ingest.specs import LedgerColumn, LedgerSpec
from ironriver.sqltext import ident, literal
from ironriver.store.ledger_read import PART_COLUMN, column_types, part_schemas, parts_sql

_ROW = "\x00"  # stands for the row number in a translated template (never in a template)


# How many of a file's first records `separating_columns` looks at, and how many columns
# it may pick.
SEPARATING_SAMPLE = 4096
SEPARATING_MOST = 3


def separating_columns(
    con: duckdb.DuckDBPyConnection, refs: list[str], table: str = "src", where: str = "TRUE"
) -> list[str]:
    """The fewest of `refs` (at most `SEPARATING_MOST`, most distinct first) that tell apart
    the first `SEPARATING_SAMPLE` records `where` keeps as well as all of `refs` do: a
    transaction number, say. `duplicate_check_sql` compares in every column only the records
    whose values in these repeat. [] when none such are found among the most distinct
    (every column then takes part from the start)."""
    if len(refs) <= 1:
        return []
    src = ident(table)
    sample = (
        f"(SELECT {', '.join(ident(r) for r in refs)} FROM {src} WHERE {where} "
        f"LIMIT {SEPARATING_SAMPLE})"
    )
    # (fetchall: an unfinished result would hold the connection, DuckDB >= 2)
    ((*each, whole),) = con.execute(
        f"SELECT {', '.join(f'count(DISTINCT {ident(r)})' for r in refs)}, "
        f"count(DISTINCT hash({', '.join(ident(r) for r in refs)})) FROM {sample}"
    ).fetchall()
    ranked = [r for _, r in sorted(zip(each, refs, strict=True), key=lambda p: -p[0])]
    for n in range(1, min(SEPARATING_MOST, len(refs) - 1) + 1):
        cols = ", ".join(ident(r) for r in ranked[:n])
        ((found,),) = con.execute(f"SELECT count(DISTINCT hash({cols})) FROM {sample}").fetchall()
        if found == whole:
            return ranked[:n]
    return []


def hashes_repeat(
    con: duckdb.DuckDBPyConnection, columns: Sequence[str], table: str = "src", where: str = "TRUE"
) -> bool:
    """Whether two records of `table` that `where` keeps have the same hash of `columns`
    (DuckDB's `hash`, as `duplicate_check_sql` compares them): False means that check finds
    no duplicate when given `columns` as its `narrow` (or, with no `narrow`, as its `refs`).
    The hashes are sorted by NumPy and compared side by side: 8 bytes a record, a quarter
    of the CPU of DuckDB's `GROUP BY ... HAVING count(*) > 1` over the bench's 1M records
    (its hash table of a million groups), which then runs only for a file with a repeat."""
    cols = ", ".join(ident(c) for c in columns) or "1"
    hashes = con.execute(f"SELECT hash({cols}) FROM {ident(table)} WHERE {where}").fetchnumpy()
    values = next(iter(hashes.values()))
    if len(values) < 2:
        return False
    values = np.asarray(values)
    if not values.flags.writeable:
        values = values.copy()
    values.sort()  # (in place: the hashes are held once)
    return bool(np.any(values[1:] == values[:-1]))


def duplicate_check_sql(
    refs: list[str], table: str = "src", where: str = "TRUE", narrow: Sequence[str] = ()
) -> str:
    """SELECT of (_row, column, value, reason) for records of `table` repeating an earlier
    one, among the records `where` keeps (a query's `filters`: a record it leaves out is
    never read, so it neither is nor makes a duplicate); the reason is in the current
    language (the row number of the first is joined in by SQL). With `narrow` (some of
    `refs`: `separating_columns`), only the records whose values in those repeat are
    hashed and compared in every column: two records equal in all of `refs` are equal in
    `narrow`, so none is missed, and a file of distinct transaction numbers is checked by
    hashing one column instead of all."""
    cols = ", ".join(ident(r) for r in refs) or "1"
    src = ident(table)
    with_ = ""
    if narrow:
        few = ", ".join(ident(r) for r in narrow)
        with_ = (
            f"WITH _narrowed AS MATERIALIZED (SELECT _row, {cols} FROM {src} WHERE ({where}) "
            f"AND hash({few}) IN (SELECT hash({few}) FROM {src} WHERE {where} "
            "GROUP BY 1 HAVING count(*) > 1)) "
        )
        src, where = "_narrowed", "TRUE"
    # Only records whose row hash repeats go through the exact (costly) window.
    candidates = (
        f"hash({cols}) IN (SELECT hash({cols}) FROM {src} WHERE {where} "
        "GROUP BY 1 HAVING count(*) > 1)"
    )
    before, _, after = t("duplicate of row {row}", row=_ROW).partition(_ROW)
    reason = f"{literal(before)} || CAST(_first AS VARCHAR) || {literal(after)}"
    column = literal(t("(all columns)"))
    return (
        f'SELECT _row, {column} AS "column", NULL AS value, '
        f"{reason} AS reason FROM ({with_}"
        f"SELECT _row, min(_row) OVER (PARTITION BY {cols}) AS _first FROM {src} "
        f"WHERE ({where}) AND {candidates}) WHERE _row <> _first"
    )


class CheckSelect(str):
    """The SELECT of one check's rejected rows (a str, usable alone), remembering its check
    and table so that `build_bad_table` can evaluate the checks of one table together."""

    check: Check
    table: str

    def __new__(cls, check: Check, table: str) -> CheckSelect:
        sql = (
            f'SELECT _row, {literal(check.column)} AS "column", '
            f"CAST({check.value} AS VARCHAR) AS value, {literal(check.reason)} AS reason "
            f"FROM {ident(table)} WHERE {check.condition}"
        )
        self = super().__new__(cls, sql)
        self.check = check
        self.table = table
        return self


def check_sql(check: Check, table: str) -> CheckSelect:
    """SELECT of (_row, column, value, reason) for the rows of `table` `check` rejects."""
    return CheckSelect(check, table)


def any_rejects(checks: Sequence[Check]) -> str:
    """SQL true for a row that one of `checks` rejects, NULL or false otherwise (a check
    whose condition is NULL rejects nothing)."""
    return " OR ".join(f"({c.condition})" for c in checks)


def _fused(table: str, checks: list[Check], name: str) -> tuple[str, list[str]]:
    """A CTE scanning `table` once for the rows any of `checks` rejects, and one SELECT per
    check over it."""
    flags = [
        f"coalesce({c.condition}, FALSE) AS _k{i}, CAST({c.value} AS VARCHAR) AS _v{i}"
        for i, c in enumerate(checks)
    ]
    cte = (
        f"{name} AS MATERIALIZED (SELECT _row, {', '.join(flags)} FROM {ident(table)} "
        f"WHERE {any_rejects(checks)})"
    )
    selects = [
        f'SELECT _row, {literal(c.column)} AS "column", _v{i} AS value, '
        f"{literal(c.reason)} AS reason FROM {name} WHERE _k{i}"
        for i, c in enumerate(checks)
    ]
    return cte, selects


def build_bad_table(con: duckdb.DuckDBPyConnection, selects: list[str], table: str = "bad") -> int:
    """Create `table` from the UNION of check SELECTs; return the number of rejected records.

    `CheckSelect`s on the same table are evaluated in one scan of it (see module doc)."""
    by_table: dict[str, list[Check]] = {}
    plain: list[str] = []
    for sql in selects:
        if isinstance(sql, CheckSelect):
            by_table.setdefault(sql.table, []).append(sql.check)
        else:
            plain.append(sql)
    ctes: list[str] = []
    parts: list[str] = []
    for i, (name, checks) in enumerate(by_table.items()):
        cte, fused = _fused(name, checks, f"_hits{i}")
        ctes.append(cte)
        parts.extend(fused)
    parts.extend(plain)
    union = (
        "\nUNION ALL\n".join(parts)
        if parts
        else (
            'SELECT CAST(NULL AS BIGINT) AS _row, NULL AS "column", NULL AS value, '
            "NULL AS reason WHERE FALSE"
        )
    )
    with_ = f"WITH {', '.join(ctes)}\n" if ctes else ""
    con.execute(f"CREATE OR REPLACE TEMP TABLE {ident(table)} AS {with_}{union}")
    row = con.execute(f"SELECT count(DISTINCT _row) FROM {ident(table)}").fetchall()
    return int(row[0][0]) if row else 0


_ARROW_TYPES = {
    "string": pa.string(),
    "integer": pa.int64(),
    "float": pa.float64(),
    "boolean": pa.bool_(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us"),
}


@dataclass(frozen=True)
class StoredKeys:
    """How a file's ledger rows (`n`) are compared with the rows a keyed ledger's parts
    already hold (`o`), when the mapping changed since they were written: a column the
    parts lack (added since) is not compared, in the parts that lack it; a column stored
    with another type (a mapping that changed it) is read as text and then as the column's
    type now, by the ingest's own parser (a stored text '10' is the new float 10.0), and
    compared with `=` (a hash join; an empty value equals nothing)."""

    source: str  # FROM item over the stored parts, with `_part` naming each row's file
    pairs: dict[str, tuple[str, str]]  # column -> (stored value over o, new value over n)
    only_in: dict[str, list[str]]  # column -> the parts holding it, when not all do

    def same(self, key: list[str]) -> str:
        return " AND ".join("{} = {}".format(*self.pairs[k]) for k in key)

    def differs(self) -> str:
        out = []
        for c, (old, new) in self.pairs.items():
            test = f"{old} IS DISTINCT FROM {new}"
            if c in self.only_in:
                files = ", ".join(literal(p) for p in self.only_in[c])
                test = f"(o.{PART_COLUMN} IN ({files}) AND {test})"
            out.append(test)
        return " OR ".join(out) or "FALSE"


def stored_keys(
    stored: list[Path], columns: Sequence[LedgerColumn], key: list[str]
) -> StoredKeys | None:
    """`StoredKeys` for a ledger of `columns` whose parts are `stored`; None when no part
    holds every key column (none holds a key)."""
    if not stored:
        return None
    schemas = part_schemas(stored)
    held = column_types(schemas)
    if any(k not in held for k in key):
        return None
    pairs: dict[str, tuple[str, str]] = {}
    only_in: dict[str, list[str]] = {}
    text = []
    for spec in columns:
        c, kind = spec.name, spec.type
        if c not in held:
            continue  # added since: no stored value to differ from
        col = ident(c)
        if held[c] == {_ARROW_TYPES[kind]}:
            pairs[c] = (f"o.{col}", f"n.{col}")
        else:
            text.append(c)  # read as text, then as the type the mapping gives it now
            pairs[c] = (ledger_value_sql(spec, f"o.{col}"), f"n.{col}")
        having = [str(p) for p, schema in schemas.items() if c in schema.names]
        if len(having) < len(stored):
            only_in[c] = having
    return StoredKeys(parts_sql(schemas, text, part_column=True), pairs, only_in)


def key_conflict_sql(
    types: Mapping[str, str], key: list[str], old: StoredKeys | None, table: str = "led"
) -> list[str]:
    """SELECTs of (_row, column, value, reason) for ledger rows of `table` (columns `types`:
    name -> ledger type) whose `key` (a ledger's record key) repeats with other values: an
    earlier row's of the file, or a row the ledger's stored parts (`old`) hold (rows are
    kept as first stored; a record whose values changed is not a repeat to skip but a
    conflict to report). Rows with a key column empty have no key."""
    keys = ", ".join(ident(k) for k in key)
    named = " AND ".join(f"{ident(k)} IS NOT NULL" for k in key)
    shown = " || '/' || ".join(f"CAST({ident(k)} AS VARCHAR)" for k in key)
    column = literal(", ".join(key))
    cols = ", ".join(ident(c) for c in types)
    before, _, after = t("key repeats row {row}'s with other values", row=_ROW).partition(_ROW)
    reason = f"{literal(before)} || CAST(_first AS VARCHAR) || {literal(after)}"
    selects = [
        f'SELECT _row, {column} AS "column", {shown} AS value, {reason} AS reason FROM ('
        f"SELECT _row, {keys}, min(_row) OVER (PARTITION BY {keys}) AS _first, "
        f"count(DISTINCT hash({cols})) OVER (PARTITION BY {keys}) AS _versions "
        f"FROM {ident(table)} WHERE {named}) WHERE _versions > 1 AND _row <> _first"
    ]
    if old is not None:
        stored_reason = literal(t("key already stored with other values"))
        nshown = " || '/' || ".join(f"CAST(n.{ident(k)} AS VARCHAR)" for k in key)
        selects.append(
            f'SELECT n._row, {column} AS "column", {nshown} AS value, {stored_reason} AS reason '
            f"FROM {ident(table)} n WHERE EXISTS (SELECT 1 FROM {old.source} o WHERE "
            f"{old.same(key)} AND ({old.differs()}))"
        )
    return selects


# A number column (ledger `integer`/`float`) declares how its numbers are written with
# `decimal` (docs/mapping.md); without it, this many values written with a thousands dot
# ("1.500", which a float column would store as 1.5) or a decimal comma ("1.500,50", "12,5")
# refuse the ingest, as a date column in the wrong layout is refused: fewer are typos.
NUMBER_LAYOUT_MIN = 2
_THOUSANDS_DOT = r"[+-]?[1-9][0-9]{0,2}(\.[0-9]{3})+"
_DECIMAL_COMMA = r"[+-]?([1-9][0-9]{0,2}(\.[0-9]{3})+|[0-9]+),[0-9]+"
_DOT_DECIMAL = r"[+-]?[0-9]*\.[0-9]+"  # (not a thousands dot: 12.5, 0.250, 1234.5)


def number_layout_error(
    con: duckdb.DuckDBPyConnection,
    ledger: LedgerSpec,
    scol: Mapping[str, str],
    where: str,
    file: str,
) -> IngestError | None:
    """The error of a ledger number column with no declared `decimal` whose values (in
    `san`, the records `where` keeps) look written with a decimal comma or a thousands dot:
    `NUMBER_LAYOUT_MIN` or more of them, a thousands dot counting only when no value of
    the column has a dot that groups no thousands (12.5 makes 12.345 a decimal). One scan;
    none when no column needs it."""
    cols = [c for c in ledger.columns if c.type in ("integer", "float") and c.decimal is None]
    # first with cheap tests (a LIKE, a search), then the regular expressions on the columns
    # those leave in doubt: any comma, or 3-decimal dots and no plain decimal (a column of
    # plain decimals, 999.99, costs no regular expression; a 4-digit 1234.567 passes
    # `%.___` and is no thousands dot, which the expressions tell). The plain decimals are
    # counted (a cast of every value) only for a column whose 3-decimal dots, and no comma,
    # leave it in doubt: a column of neither, most, is read by a LIKE and a search alone.
    if not cols:
        return None
    cheap = []
    for c in cols:
        x = ident(scol[c.column])
        cheap += [
            f"count(*) FILTER (WHERE {x} LIKE '%.___')",
            f"count(*) FILTER (WHERE contains({x}, ','))",
        ]
    found = con.execute(f"SELECT {', '.join(cheap)} FROM san WHERE {where}").fetchone()
    assert found is not None  # an aggregate's one row
    doubt = {
        c.name: found[2 * k + 1]  # (its commas)
        for k, c in enumerate(cols)
        if found[2 * k] + found[2 * k + 1] >= NUMBER_LAYOUT_MIN
    }
    dotted = [c for c in cols if c.name in doubt and not doubt[c.name]]
    decimals: dict[str, int] = {}  # a dotted column's plain decimals (12.5)
    if dotted:
        counts = [
            f"count(*) FILTER (WHERE contains({x}, '.') AND NOT {x} LIKE '%.___' "
            f"AND try_cast({x} AS DOUBLE) IS NOT NULL)"
            for x in (ident(scol[c.column]) for c in dotted)
        ]
        row = con.execute(f"SELECT {', '.join(counts)} FROM san WHERE {where}").fetchone()
        assert row is not None  # an aggregate's one row
        decimals = {c.name: n for c, n in zip(dotted, row, strict=True)}
    cols = [c for c in cols if c.name in doubt and (doubt[c.name] or not decimals[c.name])]
    if not cols:
        return None
    items = []
    for c in cols:
        x = ident(scol[c.column])
        dots = f"regexp_full_match({x}, {literal(_THOUSANDS_DOT)})"
        comma = f"regexp_full_match({x}, {literal(_DECIMAL_COMMA)})"
        plain = f"regexp_full_match({x}, {literal(_DOT_DECIMAL)}) AND NOT {dots}"
        items += [
            f"count(*) FILTER (WHERE {dots})",
            f"count(*) FILTER (WHERE {comma})",
            f"count(*) FILTER (WHERE {plain})",
            f"min({x}) FILTER (WHERE {dots} OR {comma})",
        ]
    row = con.execute(f"SELECT {', '.join(items)} FROM san WHERE {where}").fetchone()
    assert row is not None  # an aggregate's one row
    for k, c in enumerate(cols):
        dots, commas, plain, example = row[4 * k : 4 * k + 4]
        if commas + (0 if plain else dots) < NUMBER_LAYOUT_MIN:
            continue
        return IngestError(
            msg(
                "{file}: ledger column {column} ({type}, from column {source}) holds {n:,} "
                "numbers written with a thousands dot or a decimal comma (e.g. {example}): "
                "read as they are, 1.500 would be stored as 1.5 and 1.500,50 rejected.",
                file=file,
                column=f"{ledger.name}.{c.name}",
                type=c.type,
                source=c.column,
                n=commas + dots,
                example=repr(example),
            ),
            hint=msg(
                "Declare how the column writes its numbers: {comma} reads 1.500,50 as 1500.5 "
                "and 1.500 as 1500; {dot} says the dot is the decimal point (1.500 is 1.5, "
                "1,500.50 is 1500.5).",
                comma=f'`{c.name}: {{column: {c.column}, type: {c.type}, decimal: ","}}`',
                dot='`decimal: "."`',
            ),
        )
    return None
