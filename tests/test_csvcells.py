"""`ironriver.csvcells`: a CSV cell a spreadsheet would run as a formula gets a quote before
it, a plain number does not; the Arrow kernels (an export's columns) and the Python function
(the ledger's cells) agree on every text."""

from __future__ import annotations

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from ironriver.csvcells import inert, inert_cell, inert_table


def test_formulas_are_quoted_numbers_are_not() -> None:
    for text in ["=1+2", "+52 55 1234", "@SUM(A1)", "-x", "-", "\t=1", "\r=1", "-5\n"]:
        assert inert(text) == "'" + text, text
    for text in ["-5", "+52", "-12.5", "-.5", "-1e3", "+1E-3", "A-1", "plain", "", " =1"]:
        assert inert(text) == text, text
    assert inert_cell(-12.5) == -12.5 and inert_cell(None) is None


@settings(deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(alphabet="=+-@\t\r.e0123456789 aZ\n"))))
def test_arrow_and_python_agree(texts: list[str | None]) -> None:
    table = pa.table({"text": pa.array(texts, pa.string()), "n": list(range(len(texts)))})
    got = inert_table(table)
    assert got.schema == table.schema
    assert got.column("text").to_pylist() == [inert_cell(t) for t in texts]
    assert got.column("n").to_pylist() == list(range(len(texts)))
