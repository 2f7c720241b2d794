"""LedgerStore: atomic, idempotent part files; reads hold only rows `can_see` allows."""

from __future__ import annotations

import tempfile
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ironriver.errors import NotFound
from ironriver.policy.markings import AccessLabel, Marking, Principal, can_see
from ironriver.store.ledger import LedgerStore

AGENCIES = ["ATF", "CBP", "HSI", "FGR", "SEDENA"]
COUNTRIES = ["US", "MX"]
USERS = ["alice", "bob", "carla"]

labels = st.builds(
    AccessLabel,
    owner_agency=st.sampled_from(AGENCIES),
    owner_country=st.sampled_from(COUNTRIES),
    marking=st.sampled_from(list(Marking)),
    releasable_to=st.frozensets(
        st.sampled_from(AGENCIES + COUNTRIES + [f"user:{u}" for u in USERS]), max_size=3
    ),
)
principals = st.builds(
    Principal,
    name=st.sampled_from(USERS),
    agency=st.sampled_from(AGENCIES),
    country=st.sampled_from(COUNTRIES),
)


def test_write_is_idempotent_and_listed(tmp_path: Path) -> None:
    store = LedgerStore(tmp_path)
    label = AccessLabel("ATF", "US", Marking.AMBER, frozenset({"US"}))
    table = pa.table({"serial": ["a", "b"], "price": [1.0, 2.0]})
    assert store.write("us_atf", "sales", label, table) == 2
    assert store.write("us_atf", "sales", label, table) == 0
    [info] = store.ledgers()
    assert (info.dataset, info.ledger, info.rows, info.files) == ("us_atf", "sales", 2, 1)
    assert not list(tmp_path.rglob(".tmp-*"))


def test_unknown_ledger(tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        LedgerStore(tmp_path).visible_relation(
            duckdb.connect(), "nope", Principal("a", "ATF", "US")
        )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    parts=st.lists(labels, min_size=1, max_size=5), who=st.lists(principals, min_size=1, max_size=4)
)
def test_principal_never_sees_hidden_rows(parts: list[AccessLabel], who: list[Principal]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = LedgerStore(Path(tmp))
        expected_by_label: dict[int, AccessLabel] = {}
        for i, label in enumerate(parts):
            # each part has distinct row ids; the same label may appear in several parts
            ids = [i * 10 + k for k in range(3)]
            store.write(f"ds{i % 2}", "crossings", label, pa.table({"rid": ids}))
            for rid in ids:
                expected_by_label[rid] = label
        con = duckdb.connect()
        for principal in who:
            want = {rid for rid, lab in expected_by_label.items() if can_see(principal, lab)}
            if not want:
                # nothing visible: indistinguishable from a ledger that does not exist
                with pytest.raises(NotFound):
                    store.visible_relation(con, "crossings", principal)
                continue
            rel = store.visible_relation(con, "crossings", principal)
            got = {int(r[0]) for r in rel.project("rid").fetchall()}
            assert got == want
            for agency, country, marking, rel_text in rel.project(
                "_owner_agency, _owner_country, _marking, _releasable_to"
            ).fetchall():
                shown = AccessLabel(
                    agency,
                    country,
                    Marking(marking),
                    frozenset(rel_text.split(",")) if rel_text else frozenset(),
                )
                assert can_see(principal, shown)
