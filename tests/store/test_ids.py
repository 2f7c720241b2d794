"""Search keys are computed twice (Arrow for bulk writes, Python for queries): they must agree,
or a stored name could never be found again."""

from __future__ import annotations

import pyarrow as pa
from followthemoney.statement import Statement
from hypothesis import given, settings
from hypothesis import strategies as st

from ironriver.store.ids import search_key, search_keys_arrow, statement_id

TYPES = ["name", "identifier", "phone", "date", "string", "entity"]
TEXT = st.text(
    alphabet=st.sampled_from(list("abcXYZ019 -./?ÁéíÑñüÜ'\t\n\x1f\x85\u00a0\u2003\u3000\u200bİßΣ")),
    min_size=0,
    max_size=20,
)


@settings(max_examples=300, deadline=None)
@given(rows=st.lists(st.tuples(st.sampled_from(TYPES), TEXT), min_size=1, max_size=20))
def test_arrow_and_python_search_keys_agree(rows: list[tuple[str, str]]) -> None:
    arrow = search_keys_arrow(pa.array([t for t, _ in rows]), pa.array([v for _, v in rows]))
    assert arrow.to_pylist() == [search_key(t, v) for t, v in rows]


def test_examples() -> None:
    assert search_key("name", "  José  PÉREZ ") == "jose perez"
    assert search_key("identifier", "ab-1?2") == "AB1?2"
    assert search_key("date", "2024-01-01") is None
    # Our statement ids are FtM's own statement keys.
    assert statement_id("mx_fgr", "e1", "name", "Juan") == Statement.make_key(
        "mx_fgr", "e1", "name", "Juan", external=False
    )
