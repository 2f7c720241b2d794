"""`ledger --json` writes its JSON a batch of rows at a time, pieced together from the texts
`json.dumps` makes of its head and of each row (`cli_ledger._write_json`): the bytes are
those of `json.dumps` of the whole object (indent 2, non-ASCII as it is), for generated rows
of awkward values (non-ASCII, quotes, backslashes, line and control characters, NaN and
infinities, none, dates, timestamps, booleans) in any split into batches, empty ones
included, and for no row, one row or many."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stdout
from datetime import UTC, date, datetime
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ironriver.cli_ledger import _write_json
from ironriver.policy.ledger_rows import LedgerStream

COLUMNS = ["note", "price", "sold", "at", "ok", "qty"]
TYPES = [pa.string(), pa.float64(), pa.date32(), pa.timestamp("us"), pa.bool_(), pa.int64()]
LABEL_TYPES = [pa.string()] * 5  # _marking, _releasable_to, _owner_agency/_country, _source_ref
TEXTS = ["Núñez, José", 'say "hi"', "back\\slash", "two\nlines", "\u2028", "\x1b[31m", "",
         "=1+2", "日本", "emoji 🙂", "tab\there"]  # fmt: skip
FLOATS = [0.1, -0.0, float("nan"), float("inf"), -float("inf"), 1e20, 5e-324]
TIMES = [datetime(2024, 3, 1, 14, 30, 5), datetime(2024, 12, 31, 23, 59, 59, 1)]


def _value(kind: int) -> st.SearchStrategy[Any]:
    pools: list[st.SearchStrategy[Any]] = [
        st.sampled_from(TEXTS),
        st.sampled_from(FLOATS),
        st.dates(date(1900, 1, 1), date(2100, 1, 1)),
        st.sampled_from(TIMES),
        st.booleans(),
        st.integers(-(2**62), 2**62),
    ]
    return st.one_of(st.none(), pools[kind])


_ROW = st.tuples(
    *(_value(k) for k in range(len(COLUMNS))),
    st.sampled_from(["AMBER", "GREEN"]),
    st.sampled_from(["MX,US", "", "MX"]),  # (stored sorted: `releasable_text`)
    st.sampled_from(["ATF", "FGR"]),
    st.sampled_from(["US", "MX"]),
    st.one_of(st.none(), st.sampled_from(["sales.csv:12", "ventas ñ.csv"])),
)


def _batches(rows: list[tuple[Any, ...]], sizes: list[int]) -> list[pa.RecordBatch]:
    """`rows` as record batches of `sizes` rows (the last takes what is left)."""
    schema = pa.schema(
        [(name, kind) for name, kind in zip(COLUMNS, TYPES, strict=True)]
        + [
            (name, kind)
            for name, kind in zip(
                ["_marking", "_releasable_to", "_owner_agency", "_owner_country", "_source_ref"],
                LABEL_TYPES,
                strict=True,
            )
        ]
    )
    out, start = [], 0
    for size in [*sizes, len(rows)]:
        part = rows[start : start + size]
        start += len(part)
        columns = [pa.array(list(column), kind) for column, kind in zip(
            zip(*part, strict=True) if part else [()] * len(schema), schema.types, strict=True
        )]  # fmt: skip
        out.append(pa.RecordBatch.from_arrays(columns, schema=schema))
    return out


def _expected(rows: list[tuple[Any, ...]], matched: int) -> str:
    """`json.dumps` of the whole object, built here by hand from the rows."""

    def shown(value: Any) -> Any:
        if isinstance(value, datetime):
            return value.replace(tzinfo=UTC).isoformat()
        return value.isoformat() if isinstance(value, date) else value

    n = len(COLUMNS)
    whole = {
        "dataset": "ventas_ñ",
        "ledger": 'sales "q"',
        "columns": COLUMNS,
        "matched_rows": matched,
        "rows": [
            {
                "values": {c: shown(v) for c, v in zip(COLUMNS, row[:n], strict=True)},
                "marking": row[n],
                "releasable_to": row[n + 1].split(",") if row[n + 1] else [],
                "owner_agency": row[n + 2],
                "owner_country": row[n + 3],
                "source_ref": row[n + 4],
            }
            for row in rows
        ],
    }
    return json.dumps(whole, ensure_ascii=False, indent=2) + "\n"


def _written(rows: list[tuple[Any, ...]], sizes: list[int]) -> str:
    batches = _batches(rows, sizes)
    read = LedgerStream(
        "ventas_ñ", 'sales "q"', COLUMNS, len(rows) + 3, len(rows), iter(batches), lambda: None
    )
    out = io.StringIO()
    with redirect_stdout(out):
        _write_json(read)
    return out.getvalue()


@settings(max_examples=150, deadline=None)
@given(
    rows=st.lists(_ROW, max_size=9),
    sizes=st.lists(st.integers(0, 4), max_size=4),
)
def test_streamed_json_is_json_dumps_of_the_whole(
    rows: list[tuple[Any, ...]], sizes: list[int]
) -> None:
    assert _written(rows, sizes) == _expected(rows, len(rows) + 3)


@pytest.mark.parametrize("sizes", [[], [0], [0, 0]])
def test_no_row_one_row(sizes: list[int]) -> None:
    """No row (no batch, or empty ones): `"rows": []`; one row after empty batches."""
    assert _written([], sizes) == _expected([], 3)
    assert '"rows": []\n}\n' in _expected([], 3)
    row = ("Núñez", float("nan"), None, TIMES[1], True, 7, "AMBER", "", "FGR", "MX", None)
    assert _written([row], sizes) == _expected([row], 4)
