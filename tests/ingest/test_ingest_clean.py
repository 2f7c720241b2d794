"""The SQL cleaning equals FtM's `type.clean_text(sanitize_text(v))` value for value."""

from __future__ import annotations

import duckdb
import pyarrow as pa
import pytest
from followthemoney.types import registry
from followthemoney.util import sanitize_text
from hypothesis import given, settings
from hypothesis import strategies as st

from ironriver.ingest.clean import Cleaner, sanitize_array, sanitized_name

TRICKY = [
    " Ana  María ",
    "'Bob'",
    '"Quoted"',
    "  x  ",
    "a\tb",
    "a\xa0b",
    "a\u2003b",
    "a\u200bb",
    "Ｊｏｓé",
    "e\u0301",
    "",
    "   ",
    "01/05/2023",
    "1/5/2023",
    "13/45/2023",
    "2023-02-30",
    "2023-02",
    "2023",
    "2023-01-05T10:11",
    "Mexico",
    "méxico",
    "US",
    "5-12-345",
    "'",
    "''",
]
CASES = [
    ("name", None),
    ("string", None),
    ("identifier", None),
    ("number", None),
    ("date", "%m/%d/%Y"),
    ("date", None),
    ("date", "%d.%m.%y"),
    ("country", None),
]


def _run(
    values: list[str | None], type_name: str, fmt: str | None, held: bool = False
) -> list[str | None]:
    """Clean `values` through `Cleaner`; with `held`, the source holds the sanitized text
    computed in Arrow (as CSV sources do), otherwise `Cleaner` sanitizes in SQL."""
    con = duckdb.connect()
    x = pa.array(values, pa.string())
    if held:
        rows = pa.array(range(1, len(values) + 1), pa.int64())
        con.register(
            "src", pa.table({"_row": rows, "x": x, sanitized_name("x"): sanitize_array(x)})
        )
    else:
        con.register("raw", pa.table({"x": x}))
        con.execute("CREATE TEMP TABLE src AS SELECT row_number() OVER () AS _row, x FROM raw")
    cleaner = Cleaner(con)
    scol = cleaner.sanitize_columns(["x"])
    expr = cleaner.value(f'"{scol["x"]}"', type_name, fmt)
    return [r[0] for r in con.execute(f"SELECT {expr} FROM san ORDER BY _row").fetchall()]


def _ftm(value: str | None, type_name: str, fmt: str | None) -> str | None:
    text = sanitize_text(value)
    if text is None:
        return None
    out: str | None = registry.get(type_name).clean_text(text, format=fmt, proxy=None)
    return out


@pytest.mark.parametrize("held", [False, True], ids=["sql", "arrow"])
@pytest.mark.parametrize(("type_name", "fmt"), CASES)
def test_tricky_values(type_name: str, fmt: str | None, held: bool) -> None:
    values: list[str | None] = [*TRICKY, None]
    assert _run(values, type_name, fmt, held) == [_ftm(v, type_name, fmt) for v in values]


def test_sanitize_array_is_ftm_sanitize_text() -> None:
    values: list[str | None] = [*TRICKY, None, " padded ", "plain", ""]
    chunked = pa.chunked_array(
        [pa.array(values[:7], pa.string()), pa.array(values[7:], pa.string())]
    )
    assert sanitize_array(chunked).to_pylist() == [sanitize_text(v) for v in values]
    plain = pa.array(["a", "b c", None], pa.string())
    assert sanitize_array(plain) is plain  # nothing to change: no copy


@settings(max_examples=30, deadline=None)
@given(st.lists(st.text(max_size=12), min_size=1, max_size=20))
def test_random_names_and_strings(values: list[str]) -> None:
    values = [v.replace("\x00", "") for v in values]
    for type_name in ("name", "string"):
        want = [_ftm(v, type_name, None) for v in values]
        assert _run(list(values), type_name, None) == want
        assert _run(list(values), type_name, None, held=True) == want
