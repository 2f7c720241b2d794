"""Value cleaning as DuckDB SQL, identical in result to FtM's `type.clean_text(sanitize_text(v))`.

FtM cleans each value in Python; the bulk path must not create a Python object per value, so
each property type gets a vectorised SQL expression for the common case and falls back to
FtM's own cleaning for the rest:

| type                                  | vectorised (SQL) when the value is printable ASCII | FtM fallback (Python, once per distinct value) |
|---------------------------------------|-----------------------------------------------------|-----------------------------------------------|
| string, text, number, html, identifier (no format) | `trim`, empty → NULL                  | values with non-ASCII or control characters (NFC, unsafe-character removal) |
| name                                  | strip surrounding quotes, squash spaces, `trim`     | as above                                      |
| date with a `format`                  | `strptime` → ISO prefix at the format's precision   | non-ASCII values; formats using directives other than %Y %m %d %H %M %S (e.g. %y, %b) |
| date without a format                 | `YYYY`, `YYYY-MM`, `YYYY-MM-DD` checked by casting  | anything else (prefixdate's parser)           |
| country, phone, email, url, entity, gender, language, address, identifier with format, ... | — | always (FtM's lookups, e.g. country names → codes, cannot be written as SQL) |

The fallback is a DuckDB Arrow UDF: it receives a whole vector, cleans each *distinct* value
once with FtM (cached for the run) and maps the results back with Arrow compute, so its cost
grows with the number of distinct unusual values, not with rows. Phone numbers are cleaned
without the country hint FtM takes from the entity's country property (a `format` on the
phone property still gives the country).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
from followthemoney.types import registry
from followthemoney.types.common import PropertyType
from followthemoney.util import sanitize_text
from prefixdate import Precision
from prefixdate.formats import format_precision

from ironriver.ingest.sqltext import literal

ASCII_OK = "[ -~]*"  # printable ASCII: nothing for NFC or unsafe-character removal to change
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
    """True when DuckDB's strptime reads `fmt` exactly as Python's does."""
    rest = _FAST_DATE_DIRECTIVES.sub("", fmt)
    return "%" not in rest and format_precision(fmt) in _PRECISION_FORMATS


class Cleaner:
    """Builds cleaning expressions for one DuckDB connection, registering fallbacks as needed."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self._udfs: dict[tuple[str | None, str | None, bool], str] = {}

    def _udf(self, type_name: str | None, fmt: str | None = None, fuzzy: bool = False) -> str:
        key = (type_name, fmt, fuzzy)
        if key not in self._udfs:
            name = f"ir_clean_{len(self._udfs)}"
            self.con.create_function(  # type: ignore[call-overload]  # stub lacks str enums
                name,
                _vector_cleaner(_python_cleaner(type_name, fmt, fuzzy)),
                [duckdb.sqltype("VARCHAR")],
                duckdb.sqltype("VARCHAR"),
                type="arrow",
                null_handling="special",
            )
            self._udfs[key] = name
        return self._udfs[key]

    def sanitize(self, raw: str) -> str:
        """FtM `sanitize_text(raw)`: NFC, unsafe characters removed, stripped, empty → NULL."""
        return (
            f"(CASE WHEN regexp_full_match({raw}, '{ASCII_OK}') THEN nullif(trim({raw}), '') "
            f"ELSE {self._udf(None)}({raw}) END)"
        )

    def value(self, raw: str, type_name: str, fmt: str | None = None, fuzzy: bool = False) -> str:
        """FtM `type.clean_text(sanitize_text(raw), format=fmt, fuzzy=fuzzy)` as SQL."""
        fast = self._fast(raw, type_name, fmt)
        slow = f"{self._udf(type_name, fmt, fuzzy)}({raw})"
        if fast is None:
            return slow
        return f"(CASE WHEN regexp_full_match({raw}, '{ASCII_OK}') THEN {fast} ELSE {slow} END)"

    def _fast(self, raw: str, type_name: str, fmt: str | None) -> str | None:
        text = f"nullif(trim({raw}), '')"
        if type_name == "identifier" and fmt is None:
            return text
        if type_name == "name":
            unquoted = f"regexp_replace(trim({raw}), '^[\"''](.*)[\"'']$', '\\1')"
            return f"nullif(trim(regexp_replace({unquoted}, ' +', ' ', 'g')), '')"
        if type_name == "date":
            if fmt is None:
                return (
                    f"(CASE WHEN regexp_full_match(trim({raw}), '[0-9]{{4}}') "
                    f"AND trim({raw}) BETWEEN '0001' AND '9999' THEN trim({raw}) "
                    f"WHEN regexp_full_match(trim({raw}), '[0-9]{{4}}-[0-9]{{2}}') "
                    f"AND try_cast(trim({raw}) || '-01' AS DATE) IS NOT NULL THEN trim({raw}) "
                    f"WHEN regexp_full_match(trim({raw}), '[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}') "
                    f"AND try_cast(trim({raw}) AS DATE) IS NOT NULL THEN trim({raw}) END)"
                )
            if not fast_date_format(fmt):
                return None
            out = _PRECISION_FORMATS[format_precision(fmt)]
            # FtM strptime()s the sanitized text, which is already stripped.
            return f"strftime(try_strptime(trim({raw}), {literal(fmt)}), {literal(out)})"
        if fmt is None and _passthrough(type_name):
            return text
        return None


def _python_cleaner(
    type_name: str | None, fmt: str | None, fuzzy: bool
) -> Callable[[str], str | None]:
    if type_name is None:
        return sanitize_text
    ptype = registry.get(type_name)

    def clean(value: str) -> str | None:
        text = sanitize_text(value)
        if text is None:
            return None
        out: str | None = ptype.clean_text(text, fuzzy=fuzzy, format=fmt, proxy=None)
        return out

    return clean


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
