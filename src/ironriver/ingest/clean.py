"""Value cleaning as DuckDB SQL, identical in result to FtM's `type.clean_text(sanitize_text(v))`.

FtM cleans each value in Python; the bulk path must not create a Python object per value.
Cleaning runs in two steps, as in FtM:

1. `sanitize_columns` (FtM's CSV reader: `sanitize_text` = NFC, unsafe characters removed,
   stripped, empty → NULL): printable-ASCII values are trimmed; every *distinct* other value
   is sanitized once by FtM in Python. Sources read by `source.load_source` already hold
   the result, computed in Arrow (`sanitize_array`); for any other table it is SQL plus a
   join to a small table. One departure from FtM, for names only: a control character
   inside a value read as a name is a space, not removed (`sanitize_name`: "Eva\\x01Cuatro"
   is the name "Eva Cuatro", as rigour's name tokenizer reads it, not "EvaCuatro"); a column
   holding such a value has its text read as a name beside it (`Sanitized.names`).
2. `value` (FtM's `type.clean_text` on the sanitized text), per type:

| type | vectorised (SQL) | FtM fallback (Arrow UDF, once per distinct value per vector) |
|------|------------------|--------------------------------------------------------------|
| string, text, number, html, identifier without format | the sanitized text itself | — |
| name | strip surrounding quotes, squash spaces (any script) | values holding tabs, NBSP, Unicode spaces or zero-width marks |
| date with `format` | `strptime` → ISO prefix at the format's precision | what DuckDB does not read (Python's strptime also reads '1/ 5/2023', '5012023' as %d%m%Y); non-ASCII values; years before 1000 (DuckDB's %Y also reads 1-3 digits); formats with directives other than %Y %m %d %H %M %S (e.g. %y, %b); a %y format with the mapping's `two_digit_years_from` is read by Python's strptime, its year then moved into that window (`two_digit_year`) |
| date without format | `YYYY`, `YYYY-MM`, `YYYY-MM-DD`, validated by casting | anything else (prefixdate's parser), and what does not cast ('1975-03-00' → '1975-03') |
| entity | FtM's id pattern, at most `MAX_ID_LENGTH` (FtM's 200) characters (the self-reference check is the caller's) | — |
| country, phone, email, url, gender, language, address, identifier with format, ... | — | always (FtM's lookups, e.g. country names → codes, cannot be SQL) |

The fallback UDF receives a whole vector, cleans each distinct value once with FtM (cached
for the run) and maps the results back with Arrow compute, so its cost grows with distinct
unusual values, not rows. Phones are cleaned as FtM's mapping cleans them (FtM 4.11 takes no
country hint from the entity there; a `format` on the phone property gives the country), with
one departure: a number FtM rejects that is written with Mexico's old dialling prefixes (044,
045 and 01 under the format MX; +52 1 under any) is stored as the number it dialled, as a
search reads it (`store.ids.clean_phone`, the one rule both use); `ftm map` drops it. A value
FtM cleans is cleaned as FtM does, so its statement id stays `ftm map`'s.
`tests/ingest/test_ingest_clean.py` checks the SQL against FtM value for value.

Here: `Cleaner` (both steps' SQL and its fallbacks) and `clean_literal`. Beside it, each in
its own module (and importable from here as before): step 1 in Arrow and the names of the
source's side columns (`sanitize`), date formats as Python's strptime reads them
(`date_formats`), what text an entity id may be (`entity_ids`), and a ledger number's
decimal mark (`decimal_marks`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
from followthemoney.types import registry
from followthemoney.types.common import PropertyType
from followthemoney.util import sanitize_text
from prefixdate.formats import format_precision

# What other modules import from here, though it lives in the modules of its concept: the
# date formats (`date_formats`), what an entity id may be (`entity_ids`), a ledger number's
# decimal mark (`decimal_marks`), and FtM's `sanitize_text` in Arrow (`sanitize`).
from ironriver.ingest.date_formats import (
    PRECISION_FORMATS,
    YEAR_1000,
    fast_date_format,
    two_digit_year,
)
from ironriver.ingest.date_formats import english_meridian as english_meridian
from ironriver.ingest.date_formats import english_meridian_sql as english_meridian_sql
from ironriver.ingest.date_formats import english_months as english_months
from ironriver.ingest.date_formats import english_months_sql as english_months_sql
from ironriver.ingest.date_formats import four_digit_year as four_digit_year
from ironriver.ingest.date_formats import has_two_digit_year as has_two_digit_year
from ironriver.ingest.date_formats import locale_directives as locale_directives
from ironriver.ingest.date_formats import names_months as names_months
from ironriver.ingest.date_formats import reads_meridian as reads_meridian
from ironriver.ingest.date_formats import two_digit_year_guard as two_digit_year_guard
from ironriver.ingest.date_formats import two_digit_year_sql as two_digit_year_sql
from ironriver.ingest.decimal_marks import decimal_problem as decimal_problem
from ironriver.ingest.decimal_marks import number_text_sql as number_text_sql
from ironriver.ingest.entity_ids import ID_REFUSED as ID_REFUSED
from ironriver.ingest.entity_ids import escaped_id_sql as escaped_id_sql
from ironriver.ingest.entity_ids import id_problem as id_problem
from ironriver.ingest.entity_ids import reference_text as reference_text
from ironriver.ingest.entity_ids import shown_id as shown_id
from ironriver.ingest.sanitize import LIST_SEP as LIST_SEP
from ironriver.ingest.sanitize import NAME_TEXT_PREFIX, SANITIZED_PREFIX
from ironriver.ingest.sanitize import json_kind_name as json_kind_name
from ironriver.ingest.sanitize import name_differences as name_differences
from ironriver.ingest.sanitize import name_text_name as name_text_name
from ironriver.ingest.sanitize import sanitize_array as sanitize_array
from ironriver.ingest.sanitize import sanitize_arrays as sanitize_arrays
from ironriver.ingest.sanitize import sanitize_name as sanitize_name
from ironriver.ingest.sanitize import sanitized_name as sanitized_name
from ironriver.sqltext import ident, literal
from ironriver.store import MAX_ID_LENGTH
from ironriver.store.ids import clean_phone

ASCII_OK = "[ -~]*"  # printable ASCII: nothing for NFC or unsafe-character removal to change
# Characters that normality's squash_spaces/strip_quotes treat specially beyond ' ' (Unicode
# whitespace and zero-width marks left after sanitizing); names holding any go to FtM.
NAME_SPECIAL = (
    "[\\x{00}-\\x{1f}\\x{7f}-\\x{a0}\\x{ad}\\x{a00}\\x{1680}\\x{2000}-\\x{200f}"
    "\\x{2028}-\\x{202f}\\x{205f}-\\x{2064}\\x{3000}\\x{feff}]"
)


def _passthrough(type_name: str) -> bool:
    ptype = registry.get(type_name)
    return type(ptype).clean_text is PropertyType.clean_text


class Sanitized(NamedTuple):
    """The columns of the view `Cleaner.sanitize_columns` made, per source column: its
    sanitized text (`columns`), and for a column whose text read as a name differs in some
    value (a control character: `sanitize_name`), that text (`names`)."""

    columns: dict[str, str]
    names: dict[str, str]

    def name_text(self, column: str) -> str:
        """The column of the view holding `column`'s text read as a name."""
        return self.names.get(column, self.columns[column])


class Cleaner:
    """Builds cleaning expressions for one DuckDB connection, registering fallbacks as needed.

    Two steps, as FtM does them: `sanitize_columns` makes a table whose columns hold FtM's
    `sanitize_text` of each source column (what FtM's CSV reader hands to a mapping); then
    `value` is FtM's `type.clean_text` over such sanitized text.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self._udfs: dict[tuple[str | None, str | None, bool, int | None], str] = {}
        self._maps = 0

    def _udf(
        self,
        type_name: str | None,
        fmt: str | None = None,
        fuzzy: bool = False,
        years_from: int | None = None,
    ) -> str:
        key = (type_name, fmt, fuzzy, years_from)
        if key not in self._udfs:
            name = f"ir_clean_{len(self._udfs)}"
            self.con.create_function(  # type: ignore[call-overload]  # stub lacks str enums
                name,
                _vector_cleaner(_python_cleaner(type_name, fmt, fuzzy, years_from)),
                [duckdb.sqltype("VARCHAR")],
                duckdb.sqltype("VARCHAR"),
                type="arrow",
                null_handling="special",
            )
            self._udfs[key] = name
        return self._udfs[key]

    def sanitize_columns(
        self, columns: list[str], source: str = "src", target: str = "san"
    ) -> Sanitized:
        """Create the view `target`: `source` plus one sanitized column per input column,
        and one holding its text read as a name for each column where that differs
        (`sanitize_name`: a control character in some value).

        A column whose sanitized text `source` already holds (`sanitized_name`, see
        `source.py`) is only renamed, its text read as a name taken from the column
        `name_text_name` where `source` has one that holds a value. Otherwise printable-ASCII
        values are trimmed in SQL and every other distinct value is sanitized once by FtM in
        Python (and read as a name) and joined back; one scan of `source` finds those values
        for all columns."""
        names = {c: f"_s{i}" for i, c in enumerate(columns)}
        named: dict[str, str] = {}
        present = [str(c) for c in self.con.table(source).columns]
        held = [c for c in present if c.startswith((SANITIZED_PREFIX, NAME_TEXT_PREFIX))]
        src = ident(source)
        star = f"{src}.*"
        if held:
            star += f" EXCLUDE ({', '.join(ident(c) for c in held)})"
        selects = [star]
        joins = []
        todo = [c for c in columns if sanitized_name(c) not in held]
        special = self._special_values(source, todo)
        differing = self._differing_names(source, [c for c in columns if c not in todo], held)
        for i, (col, out) in enumerate(names.items()):
            raw = f"{src}.{ident(col)}"
            if col not in todo:
                text = f"{src}.{ident(sanitized_name(col))}"
                selects.append(f"{text} AS {out}")
                if col in differing:  # (`name_differences`)
                    other = f"{src}.{ident(name_text_name(col))}"
                    named[col] = f"_n{i}"
                    selects.append(f"nullif(coalesce({other}, {text}), '') AS _n{i}")
                continue
            fast = f"nullif(trim({raw}), '')"
            values = special[col]
            if not values:
                selects.append(f"{fast} AS {out}")
                continue
            clean = [sanitize_text(v) for v in values]
            read = [sanitize_name(v) for v in values]
            mapping = pa.table(
                {
                    "raw": values,
                    "clean": pa.array(clean, pa.string()),
                    "name": pa.array(read, pa.string()),
                }
            )
            alias = f"_map{self._maps}"
            self._maps += 1
            self.con.register(alias, mapping)
            joins.append(f"LEFT JOIN {alias} ON {raw} = {alias}.raw")
            # a match means the value is one of the special ones
            selects.append(
                f"(CASE WHEN {alias}.raw IS NOT NULL THEN {alias}.clean ELSE {fast} END) AS {out}"
            )
            if read != clean:
                named[col] = f"_n{i}"
                selects.append(
                    f"(CASE WHEN {alias}.raw IS NOT NULL THEN {alias}.name ELSE {fast} END) "
                    f"AS _n{i}"
                )
        self.con.execute(
            f"CREATE OR REPLACE TEMP VIEW {ident(target)} AS SELECT {', '.join(selects)} "
            f"FROM {src} {' '.join(joins)}"
        )
        return Sanitized(names, named)

    def _differing_names(self, source: str, columns: list[str], held: list[str]) -> set[str]:
        """The `columns` whose `name_text_name` column `source` has and holds a value in
        (one scan of those columns, mostly NULL)."""
        has = [c for c in columns if name_text_name(c) in held]
        if not has:
            return set()
        counts = ", ".join(f"count({ident(name_text_name(c))})" for c in has)
        row = self.con.execute(f"SELECT {counts} FROM {ident(source)}").fetchall()[0]
        return {c for c, n in zip(has, row, strict=True) if n}

    def _special_values(self, source: str, columns: list[str]) -> dict[str, list[str]]:
        """Per column, its distinct values that are not printable ASCII (one scan)."""
        if not columns:
            return {}
        items = []
        for col in columns:
            raw = f"{ident(source)}.{ident(col)}"
            items.append(
                f"list(DISTINCT {raw}) FILTER (WHERE NOT regexp_full_match({raw}, '{ASCII_OK}'))"
            )
        row = self.con.execute(f"SELECT {', '.join(items)} FROM {ident(source)}").fetchall()[0]
        return {
            col: sorted(str(v) for v in (values or []))
            for col, values in zip(columns, row, strict=True)
        }

    def value(
        self,
        text: str,
        type_name: str,
        fmt: str | None = None,
        fuzzy: bool = False,
        years_from: int | None = None,
    ) -> str:
        """FtM `type.clean_text(text, format=fmt, fuzzy=fuzzy)` of sanitized `text`, as SQL.
        `years_from`: a `%y` date format's two-digit years are read in the hundred years from
        it on (the mapping's `two_digit_years_from`; without it, strptime's 1969-2068)."""
        if type_name != "date" or not has_two_digit_year(fmt):
            years_from = None
        slow = f"{self._udf(type_name, fmt, fuzzy, years_from)}({text})"
        if (type_name == "identifier" and fmt is None) or (
            fmt is None and type_name != "name" and _passthrough(type_name)
        ):
            return text
        if type_name == "name":
            unquoted = f"regexp_replace({text}, '^[\"''](.*)[\"'']$', '\\1')"
            fast = f"nullif(trim(regexp_replace({unquoted}, ' +', ' ', 'g')), '')"
            return f"(CASE WHEN NOT regexp_matches({text}, '{NAME_SPECIAL}') THEN {fast} ELSE {slow} END)"
        if type_name == "entity" and fmt is None:
            # any id the store takes, not only FtM's EntityType.REGEX (letters, digits, '.'
            # and '-'): a mapping's `id_column` keeps an agency's record number as its id
            # ("AP/FGR 123"), and `ftm map` writes references to it, so a reference to it
            # must load, from a column as from the store's own export (review R31 F1). So a
            # reference is refused for what an id is (`ID_REFUSED`, a space at an end; longer
            # than FtM's bound for ids: `ids.MAX_ID_LENGTH`); the self-reference check needs
            # the entity, callers do it
            return (
                f"(CASE WHEN {text} <> '' AND length({text}) <= {MAX_ID_LENGTH} "
                f"AND NOT regexp_matches({text}, '{ID_REFUSED}|^\\p{{Zs}}|\\p{{Zs}}$') "
                f"THEN {text} END)"
            )
        if type_name == "date":
            if fmt is None:
                fast = (
                    f"(CASE WHEN regexp_full_match({text}, '[0-9]{{4}}') THEN {text} "
                    f"WHEN regexp_full_match({text}, '[0-9]{{4}}-[0-9]{{2}}') "
                    f"AND try_cast({text} || '-01' AS DATE) IS NOT NULL THEN {text} "
                    f"WHEN regexp_full_match({text}, '[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}') "
                    f"AND try_cast({text} AS DATE) IS NOT NULL THEN {text} END)"
                )
                # years 1000-2999, as FtM's date type takes them (others go to FtM: none); a
                # date that does not cast goes to FtM too, which shortens '1975-03-00' (an
                # unknown day, as agencies write it) to '1975-03' and rejects '2024-13-01'
                simple = f"regexp_full_match({text}, '[12][0-9]{{3}}(-[0-9]{{2}}(-[0-9]{{2}})?)?')"
                return f"(CASE WHEN {simple} THEN coalesce({fast}, {slow}) ELSE {slow} END)"
            if fast_date_format(fmt):
                out = PRECISION_FORMATS[format_precision(fmt)]
                parsed = f"try_strptime({text}, {literal(fmt)})"
                # a year before 1000 goes to FtM, which rejects one not written with four
                # digits (DuckDB's %Y reads '23' as the year 23: `four_digit_year`)
                ok = f"coalesce({parsed} >= {YEAR_1000}, TRUE)"
                fast = f"strftime({parsed}, {literal(out)})"
                ascii_ok = f"regexp_full_match({text}, '{ASCII_OK}')"
                # what DuckDB does not read goes to Python's strptime, which also reads
                # numbers padded with a space ('1/ 5/2023') or without their zero
                # ('5012023' as %d%m%Y)
                return (
                    f"(CASE WHEN {ascii_ok} AND {ok} THEN coalesce({fast}, {slow}) ELSE {slow} END)"
                )
        return slow


def _python_cleaner(
    type_name: str | None, fmt: str | None, fuzzy: bool, years_from: int | None = None
) -> Callable[[str], str | None]:
    if type_name is None:
        return sanitize_text
    ptype = registry.get(type_name)
    spanish = type_name == "date" and names_months(fmt)
    meridian = type_name == "date" and reads_meridian(fmt)

    def parse(value: str) -> str | None:
        if years_from is not None and fmt is not None:  # (a date, `Cleaner.value`)
            return two_digit_year(value, fmt, years_from)
        if type_name == "phone":  # FtM's, and Mexico's old prefixes read
            return clean_phone(value, fmt)
        out: str | None = ptype.clean_text(value, fuzzy=fuzzy, format=fmt, proxy=None)
        return out

    def clean(value: str) -> str | None:
        out = parse(value)
        if out is None and spanish:  # FtM reads English month names only
            out = parse(english_months(value))
        if out is None and meridian:  # and AM/PM only
            out = parse(english_meridian(english_months(value) if spanish else value))
        return out

    return clean


def clean_literal(
    type_name: str, value: str, fmt: str | None, fuzzy: bool, years_from: int | None
) -> str | None:
    """FtM's `clean_text` of a mapping's literal (not sanitized, as FtM cleans literals),
    with a `%y` date's years in the window from `years_from` (see `Cleaner.value`) and a
    phone's old Mexican prefixes read (`clean_phone`), and a reference any text an id may be,
    as a column's is (`Cleaner.value`; review R31 F1)."""
    if type_name == "entity":
        text = reference_text(value)
        return text if text is not None and len(text) <= MAX_ID_LENGTH else None
    if type_name == "date" and fmt is not None and years_from is not None:
        if has_two_digit_year(fmt):
            return two_digit_year(value, fmt, years_from)
    if type_name == "phone":
        return clean_phone(value, fmt)
    out: str | None = registry.get(type_name).clean_text(value, fuzzy=fuzzy, format=fmt, proxy=None)
    return out


def _vector_cleaner(clean: Callable[[str], str | None]) -> Callable[[Any], pa.Array]:
    cache: dict[str, str | None] = {}

    def run(values: Any) -> pa.Array:
        if isinstance(values, pa.ChunkedArray):
            values = values.combine_chunks()
        uniq = pc.unique(values)
        out: list[str | None] = []
        for item in uniq.to_pylist():
            if item is None:
                out.append(None)
                continue
            if item not in cache:
                cache[item] = clean(item)
            out.append(cache[item])
        return pc.take(pa.array(out, pa.string()), pc.index_in(values, value_set=uniq))

    return run
