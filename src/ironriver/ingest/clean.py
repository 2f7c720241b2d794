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
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import datetime
from typing import Any, NamedTuple

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from followthemoney.types import registry
from followthemoney.types.common import PropertyType
from followthemoney.util import sanitize_text
from prefixdate import DatePrefix, Precision
from prefixdate.formats import format_precision

from ironriver.i18n import Msg, msg, t
from ironriver.sqltext import ident, literal
from ironriver.store import MAX_ID_LENGTH
from ironriver.store.ids import clean_phone

# The control characters FtM's `sanitize_text` removes from every value (normality's
# `remove_unsafe_chars`: C0 but tab, line feed and carriage return, DEL, C1), which joins the
# words either side ("Eva\x01Cuatro" -> "EvaCuatro"). In a name they are word breaks
# (`sanitize_name`); as RE2 spells them (Arrow) and as Python's re does.
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_RE2_CONTROLS = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x{7f}-\x{9f}]"


def sanitize_name(value: str) -> str | None:
    """FtM's `sanitize_text` of a value read as a name, each control character it would
    remove (`_CONTROLS`) a space first: "Eva\\x01Cuatro" is "Eva Cuatro" (whose words a search
    finds), not "EvaCuatro". The name type's cleaning then squashes the spaces, as it does a
    tab or a line break, which `sanitize_text` keeps. rigour's name tokenizer (what FtM's
    name matching reads) splits words at every control character the same way; invisible
    format characters (zero-width space, soft hyphen...) are removed, as both remove them."""
    return sanitize_text(_CONTROLS.sub(" ", value))


ASCII_OK = "[ -~]*"  # printable ASCII: nothing for NFC or unsafe-character removal to change
# Characters that normality's squash_spaces/strip_quotes treat specially beyond ' ' (Unicode
# whitespace and zero-width marks left after sanitizing); names holding any go to FtM.
NAME_SPECIAL = (
    "[\\x{00}-\\x{1f}\\x{7f}-\\x{a0}\\x{ad}\\x{a00}\\x{1680}\\x{2000}-\\x{200f}"
    "\\x{2028}-\\x{202f}\\x{205f}-\\x{2064}\\x{3000}\\x{feff}]"
)
# A character no entity id holds (RE2): a control or line/paragraph separator, or a format
# character (a bidi override, U+FEFF...) other than the joiners of scripts and emoji. The
# entity import refuses the same ids (`refused_in_id`, by Python's Unicode tables;
# DuckDB's differ only at U+13439-U+1343F, which it refuses too).
ID_REFUSED = r"[\p{Cc}\p{Zl}\p{Zp}]|[^\P{Cf}\x{200C}\x{200D}]"


def escaped_id_sql(text: str) -> str:
    """SQL for `text` with each character of `ID_REFUSED` written as `\\uXXXX`, so that a
    report shows what the id holds (the rest as written)."""
    chars = f"string_split({text}, '')"
    escaped = (
        f"CASE WHEN regexp_matches(c, '{ID_REFUSED}') THEN printf('\\u%04x', unicode(c)) ELSE c END"
    )
    return f"array_to_string(list_transform({chars}, lambda c: {escaped}), '')"


_FAST_DATE_DIRECTIVES = re.compile(r"%[YmdHMS%]")
_PRECISION_FORMATS = {
    Precision.YEAR: "%Y",
    Precision.MONTH: "%Y-%m",
    Precision.DAY: "%Y-%m-%d",
    Precision.HOUR: "%Y-%m-%dT%H",
    Precision.MINUTE: "%Y-%m-%dT%H:%M",
    Precision.SECOND: "%Y-%m-%dT%H:%M:%S",
}


def _passthrough(type_name: str) -> bool:
    ptype = registry.get(type_name)
    return type(ptype).clean_text is PropertyType.clean_text


def fast_date_format(fmt: str) -> bool:
    """True when DuckDB's strptime reads `fmt` as Python's does (but for %Y: `four_digit_year`)."""
    rest = _FAST_DATE_DIRECTIVES.sub("", fmt)
    return "%" not in rest and format_precision(fmt) in _PRECISION_FORMATS


_DIRECTIVE_SPLIT = re.compile(r"(%.)")  # a format's directives and literal text, in order
_YEAR_1000 = "TIMESTAMP '1000-01-01'"


def has_two_digit_year(fmt: str | None) -> bool:
    """Whether a date format reads a two-digit year (`%y`; not a literal `%%y`)."""
    return fmt is not None and "%y" in _DIRECTIVE_SPLIT.split(fmt)


LOCALE_DIRECTIVES = ("%c", "%x", "%X")
"""strptime directives whose layout is the running machine's locale's (`%x` is `%m/%d/%y`
in the C locale: a two-digit year, and another layout on a machine set to es_MX)."""


def locale_directives(fmt: str | None) -> list[str]:
    """The `LOCALE_DIRECTIVES` a date format uses (not a literal `%%x`)."""
    parts = _DIRECTIVE_SPLIT.split(fmt or "")
    return [d for d in LOCALE_DIRECTIVES if d in parts]


# What Python's strptime reads for each directive of a format the ledger path reads with
# DuckDB's strptime, which is laxer: its %y also reads one digit ('1/1/5' as 2005)
_DIRECTIVE_TEXT = {
    "%y": "[0-9]{2}",
    "%Y": "[0-9]{4}",
    "%d": "[0-9]{1,2}",
    "%m": "[0-9]{1,2}",
    "%H": "[0-9]{1,2}",
    "%I": "[0-9]{1,2}",
    "%M": "[0-9]{1,2}",
    "%S": "[0-9]{1,2}",
    "%j": "[0-9]{1,3}",
    "%f": "[0-9]{1,6}",
    "%%": "%",
}


def two_digit_year_guard(text: str, fmt: str) -> str:
    """SQL: `text` writes each `%y` of `fmt` with exactly two digits, as Python's strptime
    (an entity date's parser) requires; DuckDB's reads '5' too. The format becomes a regular
    expression: the numeric directives as Python reads them, any other (%b, %p...) as a run
    of non-digits, a space as any run of spaces, the rest as literal text."""
    pattern = []
    for part in _DIRECTIVE_SPLIT.split(fmt):
        if part in _DIRECTIVE_TEXT:
            pattern.append(_DIRECTIVE_TEXT[part])
        elif _DIRECTIVE_SPLIT.fullmatch(part):
            pattern.append("[^0-9]+?")
        else:
            pattern.append(r"\s+".join(re.escape(word) for word in part.split(" ")))
    return f"regexp_full_match({text}, {literal(''.join(pattern))}, 'i')"


def window_year(year: int, start: int) -> int:
    """`year`, read from two digits, moved into the hundred years from `start` on: with
    1930, 2055 (strptime's reading of '55') is 1955 and 2024 stays 2024."""
    return start + (year - start) % 100


def two_digit_year(text: str, fmt: str, start: int) -> str | None:
    """FtM's `clean_text` of a date `text` in the `%y` format `fmt` (Python's strptime, an ISO
    prefix at the format's precision), with the two-digit year read in the hundred years from
    `start` on rather than in strptime's fixed 1969-2068; None when it does not read, or
    names a day that year lacks (29 February of 1900)."""
    try:
        parsed = datetime.strptime(text, fmt)
        parsed = parsed.replace(year=window_year(parsed.year, start))
    except (ValueError, TypeError):
        return None
    out: str | None = DatePrefix(parsed, precision=format_precision(fmt)).text
    return out


def two_digit_year_sql(parsed: str, start: int) -> str:
    """SQL: the timestamp `parsed` (DuckDB's strptime of a `%y` format, which reads 00-68 as
    2000-2068 and 69-99 as 1969-1999, as Python's does) with its year in the hundred years
    from `start` on; NULL for a 29 February that year lacks (adding years would make it the
    28th)."""
    year = f"year({parsed})"
    shift = f"((({year} - {start}) % 100 + 100) % 100 + {start} - {year})"
    new = f"({year} + {shift})"
    leap = f"(({new} % 4 = 0 AND {new} % 100 <> 0) OR {new} % 400 = 0)"
    return (
        f"(CASE WHEN month({parsed}) = 2 AND day({parsed}) = 29 AND NOT {leap} THEN NULL "
        f"ELSE {parsed} + to_years(CAST({shift} AS INTEGER)) END)"
    )


def four_digit_year(parsed: str, text: str, fmt: str) -> str:
    """SQL: `parsed` (DuckDB's `try_strptime(text, fmt)`), or NULL when a %Y of `fmt` was not
    written with four digits.

    DuckDB's %Y reads one to four digits, so '05/01/23' under '%d/%m/%Y' is the year 23;
    Python's (FtM's, `ftm map`'s) takes exactly four, and '0023' is the year 23. A year from
    1000 on has four digits: one comparison. An earlier one (rare) is read again with the
    zeros a four-digit year writes before it as literal text of the format, and must give
    the same value ('0023' read as '00%Y' is 23 again; '23' does not read). Where digits follow
    %Y directly ('%Y%m%d'), a year before 1000 does not read again and is rejected."""
    parts = _DIRECTIVE_SPLIT.split(fmt)
    if "%Y" not in parts:
        return parsed
    branches = [f"WHEN {parsed} >= {_YEAR_1000} THEN {parsed}"]
    for zeros, since in (("0", "0100"), ("00", "0010"), ("000", "0001")):
        padded = "".join(zeros + part if part == "%Y" else part for part in parts)
        branches.append(
            f"WHEN {parsed} >= TIMESTAMP '{since}-01-01' "
            f"AND try_strptime({text}, {literal(padded)}) = {parsed} THEN {parsed}"
        )
    return f"(CASE {' '.join(branches)} END)"


SANITIZED_PREFIX = "__sanitized__:"  # column holding a source column's sanitized text


def sanitized_name(column: str) -> str:
    """The name of the column holding `column`'s sanitized text, when the source has it."""
    return SANITIZED_PREFIX + column


JSON_KIND_PREFIX = "__json__:"  # column saying which records hold a JSON list or object
LIST_SEP = "\x1f"
"""Between the values of a JSON Lines list in its sanitized column: FtM's `sanitize_text`
removes control characters, so no sanitized value holds it."""


NAME_TEXT_PREFIX = "__name_text__:"  # column holding a source column's text read as a name


def name_text_name(column: str) -> str:
    """The name of the column holding, for a source column read as a name, `sanitize_name`
    of each value where that is not its sanitized text (a control character in it; "" for
    no value there), NULL elsewhere (`name_differences`)."""
    return NAME_TEXT_PREFIX + column


def json_kind_name(column: str) -> str:
    """The name of the column saying, per record, whether a JSON Lines file's `column` holds
    a list of values ('list', its sanitized column then holds them sanitized, joined by
    `LIST_SEP`) or an object or a list holding objects or lists ('nested', no value); NULL
    for a plain value. Present only for a column that holds either in some record."""
    return JSON_KIND_PREFIX + column


# Scalars for the kernels, built from buffers: converting Python values (`pa.scalar("")`, or
# a bare "" passed to a kernel) makes pyarrow import pandas on first use, 0.2 s.
_EMPTY = pa.Array.from_buffers(pa.string(), 1, [None, pa.py_buffer(bytes(8)), pa.py_buffer(b"")])[0]
_NULL = pa.nulls(1, pa.string())[0]


# a CSV value written after the delimiter and a space, quoted: `a, "b, c"` (Python's csv
# module as FtM reads CSV, `skipinitialspace`, reads it as `b, c`; Arrow keeps the quotes)
_SPACED_QUOTED = r'^ +"(?:[^"]|"")*"$'


def _unquoted(values: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """`values` with each `_SPACED_QUOTED` one read as its quoted text (`""` a quote)."""
    spaced = pc.match_substring_regex(values, _SPACED_QUOTED)
    if not pc.any(spaced).as_py():
        return values
    inner = pc.replace_substring_regex(values, r'^ +"(.*)"$', r"\1")
    return pc.if_else(spaced, pc.replace_substring(inner, '""', '"'), values)


def universal_newlines(text: str) -> str:
    """A CSV value's line breaks as `ftm map` reads them (Python's universal newlines, a file
    opened without `newline=""`): CR LF and a lone CR inside a quoted value are LF (review
    R29 F2: kept, a key holding one gave another id than FtM's)."""
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def sanitize_array(
    values: pa.Array | pa.ChunkedArray, unquote: bool = False
) -> pa.Array | pa.ChunkedArray:
    """FtM's `sanitize_text` of every value, vectorised with Arrow (the same rule as
    `Cleaner.sanitize_columns`): printable-ASCII values are stripped of spaces, empty → NULL;
    every other distinct value is sanitized once by FtM. A column that needs neither is
    returned as it is (no copy)."""
    return sanitize_arrays(values, unquote, names=False)[0]


def sanitize_arrays(
    values: pa.Array | pa.ChunkedArray, unquote: bool = False, *, names: bool = True
) -> tuple[pa.Array | pa.ChunkedArray, pa.Array | pa.ChunkedArray | None]:
    """`sanitize_array` of `values`, and with `names` their text read as names
    (`sanitize_name` of each), or None when that is the same (no value holds a control
    character `sanitize_text` removes: the distinct values that are not printable ASCII,
    which `sanitize_array` reads in Python anyway, are searched for one in Arrow)."""
    lead = pc.starts_with(values, " ")
    if unquote and pc.any(lead).as_py():  # `unquote`: CSV text (see `_SPACED_QUOTED`)
        values = _unquoted(values)
        lead = pc.starts_with(values, " ")
    padded = pc.or_(lead, pc.ends_with(values, " "))
    fast = pc.utf8_trim(values, " ") if pc.any(padded).as_py() else values
    empty = pc.equal(fast, _EMPTY)
    if pc.any(empty).as_py():
        fast = pc.if_else(empty, _NULL, fast)
    if _all_printable_ascii(values):  # (most columns: no value for FtM to read)
        return fast, None
    printable = pc.ascii_is_printable(values)
    special = pc.unique(pc.filter(values, pc.invert(printable)))
    if not len(special):
        return fast, None
    texts = special.to_pylist()
    read = [universal_newlines(v) for v in texts] if unquote else texts
    clean = pa.array([sanitize_text(v) for v in read], pa.string())
    where = pc.index_in(values, value_set=special)
    slow = pc.take(clean, where)
    sanitized = pc.if_else(printable, fast, slow)
    if not names or not pc.any(pc.match_substring_regex(special, _RE2_CONTROLS)).as_py():
        return sanitized, None
    named = pa.array([sanitize_name(v) for v in read], pa.string())
    return sanitized, pc.if_else(printable, fast, pc.take(named, where))


def _all_printable_ascii(values: pa.Array | pa.ChunkedArray) -> bool:
    """Whether every value of `values` is printable ASCII (bytes 0x20-0x7E), as
    `pc.ascii_is_printable` says of each: read from each chunk's text at once, a vectorised
    scan of its bytes (a fifth of the CPU of the kernel, which walks value by value). False
    when unsure (a chunk of another type; a byte that is not, maybe under a NULL): the
    caller then asks the kernel."""
    chunks = values.chunks if isinstance(values, pa.ChunkedArray) else [values]
    for chunk in chunks:
        if not len(chunk):
            continue
        if not pa.types.is_string(chunk.type):
            return False
        _, offsets_buffer, data_buffer = chunk.buffers()
        if data_buffer is None or not data_buffer.size:
            continue  # (every value empty or NULL: printable, or none)
        offsets = np.frombuffer(
            offsets_buffer, np.int32, count=len(chunk) + 1, offset=chunk.offset * 4
        )
        text = np.frombuffer(data_buffer, np.uint8)[offsets[0] : offsets[-1]]
        # (bytes below 0x20 wrap around past 0x5E)
        if not np.all(text - np.uint8(0x20) < 0x5F):
            return False
    return True


def name_differences(
    sanitized: pa.Array | pa.ChunkedArray, named: pa.Array | pa.ChunkedArray
) -> pa.Array | pa.ChunkedArray:
    """The column `name_text_name` names: each of `named` (a column's text read as names)
    that is not its `sanitized` text ("" where that is no value), NULL where it is the
    same, so that `nullif(coalesce(named, sanitized), '')` is the text read as a name."""
    same = pc.fill_null(
        pc.equal(named, sanitized), pc.and_(pc.is_null(named), pc.is_null(sanitized))
    )
    return pc.if_else(same, _NULL, pc.fill_null(named, _EMPTY))


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
                out = _PRECISION_FORMATS[format_precision(fmt)]
                parsed = f"try_strptime({text}, {literal(fmt)})"
                # a year before 1000 goes to FtM, which rejects one not written with four
                # digits (DuckDB's %Y reads '23' as the year 23: `four_digit_year`)
                ok = f"coalesce({parsed} >= {_YEAR_1000}, TRUE)"
                fast = f"strftime({parsed}, {literal(out)})"
                ascii_ok = f"regexp_full_match({text}, '{ASCII_OK}')"
                # what DuckDB does not read goes to Python's strptime, which also reads
                # numbers padded with a space ('1/ 5/2023') or without their zero
                # ('5012023' as %d%m%Y)
                return (
                    f"(CASE WHEN {ascii_ok} AND {ok} THEN coalesce({fast}, {slow}) ELSE {slow} END)"
                )
        return slow


# Spanish month names, as Mexican agencies write dates ("12-ENE-2024", "5 de marzo de
# 2024"), in English for strptime's %b / %B (which read English only). A format naming months
# reads both languages: the English and Spanish names that look alike (mar, may) mean the same.
SPANISH_MONTHS = {
    "enero": "January",
    "febrero": "February",
    "marzo": "March",
    "abril": "April",
    "mayo": "May",
    "junio": "June",
    "julio": "July",
    "agosto": "August",
    "septiembre": "September",
    "setiembre": "September",
    "octubre": "October",
    "noviembre": "November",
    "diciembre": "December",
    "ene": "Jan",
    "abr": "Apr",
    "ago": "Aug",
    "sept": "Sep",
    "set": "Sep",
    "dic": "Dec",
}
_SPANISH_MONTH = re.compile(r"\b(" + "|".join(SPANISH_MONTHS) + r")\b", re.IGNORECASE)


def names_months(fmt: str | None) -> bool:
    """Whether a date format reads month names (%b, %B), so also Spanish ones."""
    return fmt is not None and ("%b" in fmt or "%B" in fmt)


def english_months(text: str) -> str:
    """`text` with Spanish month names in English (`SPANISH_MONTHS`)."""
    return _SPANISH_MONTH.sub(lambda m: SPANISH_MONTHS[m.group(1).lower()], text)


def english_months_sql(text: str) -> str:
    """`english_months` as DuckDB SQL over the expression `text`."""
    for spanish, english in SPANISH_MONTHS.items():
        text = f"regexp_replace({text}, '\\b{spanish}\\b', '{english}', 'gi')"
    return text


# Spanish-locale spreadsheets write the time of day as "01:15:00 p. m." ("a. m.", "p.m.",
# with a space or a no-break space); strptime's %p (Python's in the C locale, DuckDB's) reads
# AM and PM only. A format with %p reads both: the marker is rewritten first.
# (after the time's last digit)
_MERIDIAN = re.compile(r"([0-9])[\s\u00a0\u202f]*([aApP])\.?[\s\u00a0\u202f]?[mM]\.?$")
_MERIDIAN_RE2 = r"([0-9])[\s\x{a0}\x{202f}]*([aApP])\.?[\s\x{a0}\x{202f}]?[mM]\.?$"


def reads_meridian(fmt: str | None) -> bool:
    """Whether a date format reads a.m./p.m. (%p), so also as Spanish writes them."""
    return fmt is not None and "%p" in fmt


def english_meridian(text: str) -> str:
    """`text` with a closing a.m./p.m. marker written as strptime's %p reads it ("01:15:00
    p. m." -> "01:15:00 PM")."""
    return _MERIDIAN.sub(lambda m: m.group(1) + " " + m.group(2).upper() + "M", text)


def english_meridian_sql(text: str) -> str:
    """`english_meridian` as DuckDB SQL over the expression `text`."""
    for letter in "AP":
        pattern = _MERIDIAN_RE2.replace("[aApP]", f"[{letter.lower()}{letter}]")
        text = f"regexp_replace({text}, {literal(pattern)}, '\\1 {letter}M')"
    return text


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


# The Unicode categories of the characters no entity id may hold: line or paragraph
# separators (Zl, Zp: U+2028), control and format characters (Cc, Cf: a tab, NUL, U+0085,
# U+200B, a byte-order mark, a bidi override) and lone surrogates (Cs, which no UTF-8 text
# holds); the joiners (U+200C, U+200D) are parts of scripts and emoji, and kept. None is
# visible in a report, and PostgreSQL refuses NUL (review R30 F1). A space (Zs) is kept
# inside an id, not at its ends: a mapping's `id_column` keeps the spaces inside an agency's
# record number ("AP/FGR 123"), so the store's own export must load again (review R30c F3).
# The entity import's bulk path (`entity_bulk._PLAIN_OBJECTS`) takes only ids of letters, marks, numbers, punctuation,
# symbols and spaces, and leaves any other to the per-line path, which decides: both paths
# read an id alike whatever Unicode version DuckDB's regular expressions know (private-use
# or unassigned characters, in no category here, are the per-line path's, and taken).
ID_REFUSED_CATEGORIES = frozenset({"Zl", "Zp", "Cc", "Cf", "Cs"})
_ID_JOINERS = frozenset("\u200c\u200d")


def refused_in_id(char: str) -> bool:
    return unicodedata.category(char) in ID_REFUSED_CATEGORIES and char not in _ID_JOINERS


def id_problem(raw_id: object) -> str | None:
    """Why `raw_id`, a line's `"id"` given (neither null nor empty), is no entity id, in the
    current language; None when it is one. An id is JSON text, or a whole number (its
    digits, as FtM reads it: 0 too); text holds no character of `ID_REFUSED_CATEGORIES`."""
    if isinstance(raw_id, bool):  # (a bool is an int to Python)
        what = msg("a boolean (true or false)")
    elif isinstance(raw_id, float):
        what = msg("a number with a decimal point or an exponent")
    elif isinstance(raw_id, list):
        what = msg("a list")
    elif isinstance(raw_id, dict):
        what = msg("an object")
    elif isinstance(raw_id, int):
        return None
    else:
        text = str(raw_id)
        ends = [c for c in (text[0], text[-1]) if unicodedata.category(c) == "Zs"]
        char = next((c for c in text if refused_in_id(c)), ends[0] if ends else None)
        if char is None:
            return None
        name = unicodedata.name(char, "")  # (a control character has none)
        return t(
            "an entity id is one piece of text without line breaks, control or invisible "
            "characters, and no space at either end: it holds {char}",
            char=f"U+{ord(char):04X}" + (f" {name}" if name else ""),
        )
    return t("an entity id is text or a whole number, not {what}", what=what)


def shown_id(text: str) -> str:
    """`text`, an id or reference `id_problem` refuses, for the report: the characters the
    reason names escaped (`\\u200b`), or they may not be seen; the rest as written."""
    return "".join(
        f"\\u{ord(c):04x}"
        if refused_in_id(c) or (c != " " and unicodedata.category(c) == "Zs")
        else c
        for c in text
    )


def reference_text(value: str) -> str | None:
    """`value` as a reference to an entity, when it is any text an id may be (`id_problem`:
    FtM's `EntityType` takes only letters, digits, '.' and '-', so a reference to a mapping's
    `id_column` id "AP/FGR 123", which `ftm map` writes, would not load: review R31 F1); else
    None. Its length is the callers' to check (`MAX_ID_LENGTH`, said as such)."""
    return value if value != "" and id_problem(value) is None else None


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


# -- numbers written with a decimal comma or thousands separators ------------------------
# A ledger number column's `decimal` (docs/mapping.md): "," reads "1.500,50" as 1500.5 and
# "1.500" as 1500 (a dot groups thousands, as Spanish-locale spreadsheets write them); "."
# reads "1,500.50" as 1500.5 and says that "1.500" is 1.5. Without it a float column would
# read "1.500" as 1.5 (`validate.number_layout_error` refuses such a column).
DECIMAL_MARKS = (",", ".")
_GROUPED = {  # a number whose thousands are grouped by the other mark, its decimals after
    ",": r"[+-]?([1-9][0-9]{0,2}(\.[0-9]{3})+|[0-9]+)(,[0-9]+)?",
    ".": r"[+-]?[1-9][0-9]{0,2}(,[0-9]{3})+(\.[0-9]+)?",
}


def decimal_problem(value: Any, type_name: str) -> tuple[Msg, Msg] | None:
    """What is wrong with a ledger column's `decimal` (None if nothing): a number column's,
    one of `DECIMAL_MARKS`."""
    if value is None:
        return None
    if type_name not in ("integer", "float"):
        return (
            msg("decimal is for number columns (integer, float), not {type}.", type=type_name),
            msg("Remove it, or type the column as a number."),
        )
    if value not in DECIMAL_MARKS:
        return (
            msg(
                "decimal must be {comma} or {dot}, not {value}.",
                comma='","',
                dot='"."',
                value=repr(value),
            ),
            msg(
                'Write decimal: "," for 1.500,50 (one thousand five hundred and a half), '
                'decimal: "." for 1,500.50.'
            ),
        )
    return None


def number_text_sql(text: str, decimal: str) -> str:
    """SQL: the sanitized text `text` of a number written with `decimal` as its decimal mark
    (and the other mark grouping thousands) as a plain number's text ("1.500,50" ->
    "1500.50" under ","); under "," any other text is NULL (not a number so written), under
    "." text without grouping is left as it is."""
    grouped = f"regexp_full_match({text}, {literal(_GROUPED[decimal])})"
    if decimal == ",":
        return f"(CASE WHEN {grouped} THEN replace(replace({text}, '.', ''), ',', '.') END)"
    return f"(CASE WHEN {grouped} THEN replace({text}, ',', '') ELSE {text} END)"
