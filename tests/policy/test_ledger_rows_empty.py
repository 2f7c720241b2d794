"""`View.ledger_rows` of a ledger that holds no row at all (a part of no row: a file of a
header alone loaded), of a dataset whose own label the reader may see: read as a filter
matching nothing is (no row, the ledger's columns), not `NotFound`. Decided from facts the
reader may know alone, so nothing hidden shows: rows of labels it may not see beside the
empty part change nothing, a ledger whose rows are all hidden from it (no empty part) is
still not found word for word as a missing one, and so is any ledger of a dataset it may not
see, empty or not. The listings (`View.ledger_listing`: `ironriver ledgers`, `ironriver
datasets`) list such an empty ledger with 0 rows by the same rule, and only then, so that a
ledger one may read can be found; `View.ledger_counts` (what a dataset's rows and an export
count) is as it was.

On both backends (`store`); the property compares a store holding every row with one
holding the rows the reader sees alone (`view_facts.build_pair`), both given an empty part
in each dataset they declare: every answer must be equal.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ironriver.errors import AccessDenied, ConfigError, NotFound
from ironriver.policy import View
from ironriver.policy.markings import AccessLabel, Marking, Principal, can_see
from ironriver.store import Store
from samples import write_ledgers
from view_facts import (
    AGENCIES,
    DATASETS,
    build_pair,
    dataset_info,
    ledger_row_st,
    principal_st,
    shared_stores,
)

CBP = Principal("c", "CBP", "US")
FGR = Principal("f", "FGR", "MX")
# ATF's dataset, released to the US: CBP sees its label, FGR does not
AMBER_US = AccessLabel("ATF", "US", Marking.AMBER, frozenset({"US"}))
# a row of it only ATF may see (no command writes one under another label than its
# dataset's; the library may)
STRICT_ATF = AccessLabel("ATF", "US", Marking.AMBER_STRICT, frozenset({"ATF"}))
EMPTY = pa.table({"serial": pa.array([], pa.string()), "qty": pa.array([], pa.int64())})


def _outcome(call: Any) -> Any:
    """What a read gives, or the refusal it raises (its kind and message)."""
    try:
        return call()
    except (AccessDenied, NotFound, ConfigError) as exc:
        return (type(exc).__name__, str(exc))


def _read(view: View, dataset: str, *where: tuple[str, str], ledger: str | None = None) -> Any:
    read = view.ledger_rows(dataset, list(where), ledger=ledger)
    return read.dataset, read.ledger, read.columns, read.matched, [r.values for r in read.rows]


def _missing_alike(found: Any, missing: Any, name: str, typo: str) -> bool:
    """Whether the refusal `found` (of dataset `name`) is word for word `missing`'s (of
    `typo`, a dataset that does not exist)."""
    return (
        isinstance(found, tuple)
        and found[0] == missing[0] == "NotFound"
        and found[1].replace(name, "D") == missing[1].replace(typo, "D")
    )


def test_an_empty_ledger_of_a_dataset_one_sees_reads_as_no_match(store: Store) -> None:
    write_ledgers(store, [("us_atf_sales", "dealer_sales", AMBER_US, EMPTY)])
    view = View(store, CBP)
    assert _read(view, "us_atf_sales") == ("us_atf_sales", "dealer_sales", ["serial", "qty"], 0, [])
    assert _read(view, "us_atf_sales", ("qty", "3"), ledger="dealer_sales")[3:] == (0, [])
    with pytest.raises(ConfigError, match="has no column 'seriel'"):  # its columns are known
        view.ledger_rows("us_atf_sales", [("seriel", "x")])
    # each read is a `ledger` event, as a read matching nothing is (a wrong column is
    # refused before anything is read or logged, as for any ledger)
    events = [e for e in store.audit.events() if e.action == "ledger"]
    assert [
        (e.target, e.detail["ledger"], e.detail["matched"], e.detail["rows"]) for e in events
    ] == [("us_atf_sales", "dealer_sales", 0, 0)] * 2


def test_a_hidden_dataset_is_not_found_empty_or_not(store: Store) -> None:
    """FGR may not see ATF's US-only dataset: its empty ledger is answered word for word as
    a dataset that does not exist, with or without --ledger, with or without a filter."""
    write_ledgers(store, [("us_atf_sales", "dealer_sales", AMBER_US, EMPTY)])
    view = View(store, FGR)
    for kw in ({}, {"ledger": "dealer_sales"}):
        for where in ((), (("qty", "3"),)):
            hidden = _outcome(lambda w=where, k=kw: _read(view, "us_atf_sales", *w, **k))
            missing = _outcome(lambda w=where, k=kw: _read(view, "us_atf_salez", *w, **k))
            assert _missing_alike(hidden, missing, "us_atf_sales", "us_atf_salez"), hidden


def test_rows_one_may_not_see_beside_the_empty_part_change_nothing(store: Store) -> None:
    """A part of rows CBP may not see (another column among them) added to the empty
    ledger: CBP's answers are what they were, the hidden part's column not among them."""
    write_ledgers(store, [("us_atf_sales", "dealer_sales", AMBER_US, EMPTY)])
    view = View(store, CBP)
    reads = [
        lambda: _read(view, "us_atf_sales"),
        lambda: _read(view, "us_atf_sales", ("serial", "abc123")),
        lambda: _read(view, "us_atf_sales", ("secret", "x")),
    ]
    before = [_outcome(r) for r in reads]
    hidden = pa.table({"serial": ["ABC123"], "qty": [3], "secret": ["x"]})
    write_ledgers(store, [("us_atf_sales", "dealer_sales", STRICT_ATF, hidden)])
    assert [_outcome(r) for r in reads] == before
    assert before[2][0] == "ConfigError" and before[2][1].endswith("columns: serial, qty.")
    owner = View(store, Principal("a", "ATF", "US"), reason="check")
    assert _read(owner, "us_atf_sales")[3] == 1  # (the hidden row is there)


def test_a_ledger_of_hidden_rows_alone_is_not_found_as_a_missing_one(store: Store) -> None:
    """No empty part: that the ledger is there is known only from rows CBP may not see, so
    the answer is a missing dataset's, word for word."""
    hidden = pa.table({"serial": ["ABC123"], "qty": [3]})
    write_ledgers(
        store,
        [
            ("us_atf_sales", "dealer_sales", AMBER_US, pa.table({"serial": ["X"], "qty": [1]})),
            ("us_atf_sales", "plate_reads", STRICT_ATF, hidden),
        ],
    )
    view = View(store, CBP)
    found = _outcome(lambda: _read(view, "us_atf_sales", ledger="plate_reads"))
    missing = _outcome(lambda: _read(view, "us_atf_salez", ledger="plate_reads"))
    assert _missing_alike(found, missing, "us_atf_sales", "us_atf_salez"), found
    # the dataset's one visible ledger is read without --ledger, as before
    assert _read(view, "us_atf_sales")[1:4] == ("dealer_sales", ["serial", "qty"], 1)


def test_empty_ledgers_count_only_when_no_ledger_holds_a_visible_row(store: Store) -> None:
    """A dataset with a visible ledger and an empty one reads the visible one, as before;
    with two empty ones and no --ledger, the error names them, as it names visible ones."""
    write_ledgers(
        store,
        [
            ("us_atf_sales", "dealer_sales", AMBER_US, pa.table({"serial": ["X"], "qty": [1]})),
            ("us_atf_sales", "returns", AMBER_US, EMPTY),
            ("us_atf_other", "a_log", AMBER_US, EMPTY),
            ("us_atf_other", "b_log", AMBER_US, EMPTY),
        ],
    )
    view = View(store, CBP)
    assert _read(view, "us_atf_sales")[1] == "dealer_sales"
    assert _read(view, "us_atf_sales", ledger="returns")[1:4] == ("returns", ["serial", "qty"], 0)
    with pytest.raises(ConfigError, match="several ledgers: a_log, b_log"):
        view.ledger_rows("us_atf_other")
    assert _read(view, "us_atf_other", ledger="b_log")[1] == "b_log"


def _listed(view: View) -> Any:
    """What `ironriver ledgers` and `ironriver datasets` list (`ledger_listing`, the
    datasets' ledger rows), with the counts an export and a dataset's rows use."""
    listing = view.ledger_listing()
    datasets = [(d.info.name, d.visible_ledger_rows) for d in view.datasets(listing)]
    return listing.rows(), listing.damage, datasets, view.ledger_counts()


def test_the_listing_shows_an_empty_ledger_of_a_dataset_one_sees(store: Store) -> None:
    """CBP sees ATF's dataset: its empty ledger is listed with 0 rows, beside a ledger of
    rows; the counts a dataset's rows and an export use leave it out, as before."""
    write_ledgers(
        store,
        [
            ("us_atf_sales", "dealer_sales", AMBER_US, pa.table({"serial": ["X"], "qty": [1]})),
            ("us_atf_sales", "returns", AMBER_US, EMPTY),
        ],
    )
    listing = View(store, CBP).ledger_listing()
    assert listing.rows() == {
        ("us_atf_sales", "dealer_sales"): 1,
        ("us_atf_sales", "returns"): 0,
    }
    assert listing.rows_by_dataset() == {"us_atf_sales": 1}
    assert View(store, CBP).ledger_counts() == {("us_atf_sales", "dealer_sales"): 1}
    # a ledger of an empty part and rows: listed with its visible rows, or 0 beside
    # rows hidden from the reader (as `ledger_rows` reads it)
    write_ledgers(store, [("us_atf_sales", "returns", STRICT_ATF, pa.table({"serial": ["Y"]}))])
    assert View(store, CBP).ledger_listing().rows()[("us_atf_sales", "returns")] == 0
    owner = View(store, Principal("a", "ATF", "US"), reason="check")
    assert owner.ledger_listing().rows()[("us_atf_sales", "returns")] == 1


def test_the_listing_of_one_who_may_not_see_the_dataset_is_as_without_it(
    store: Store,
) -> None:
    """FGR may not see ATF's US-only dataset: what it is listed is what it was before the
    empty ledger was written."""
    shown = pa.table({"rid": [1]})
    mx = AccessLabel("SEDENA", "MX", Marking.AMBER, frozenset({"MX"}))
    write_ledgers(store, [("mx_sedena", "crossings", mx, shown)])
    before = _listed(View(store, FGR))
    write_ledgers(store, [("us_atf_sales", "dealer_sales", AMBER_US, EMPTY)])
    assert _listed(View(store, FGR)) == before
    assert before[0] == {("mx_sedena", "crossings"): 1}


def test_a_ledger_of_hidden_rows_alone_is_not_listed(store: Store) -> None:
    """No empty part: a ledger whose rows CBP may not see is not listed to it (a ledger
    whose rows were all retracted: tests/cli/test_cli_ledger_empty.py)."""
    hidden = pa.table({"serial": ["ABC123"], "qty": [3]})
    write_ledgers(store, [("us_atf_sales", "plate_reads", STRICT_ATF, hidden)])
    assert _listed(View(store, CBP))[:2] == ({}, {})
    owner = View(store, Principal("a", "ATF", "US"), reason="check")
    assert owner.ledger_listing().rows() == {("us_atf_sales", "plate_reads"): 1}


def _answers(view: View) -> dict[str, Any]:
    """Every dataset's rows as `ledger_rows` reads them, or the refusal, and the listings."""
    return {
        **{
            f"{dataset}:{i}": _outcome(lambda d=dataset, w=where: _read(view, d, *w))
            for dataset in [*DATASETS.values(), "ds_none"]
            for i, where in enumerate([(), (("rid", "3"),), (("rid", "1..3"),)])
        },
        "listed": _listed(view),
    }


def _empty_parts(store: Store) -> None:
    """A part of no row in the `crossings` ledger of each dataset `store` declares (under
    the dataset's own label, as an ingest of a header-only file writes it)."""
    declared = {info.name for _id, info in store.datasets()}
    write_ledgers(
        store,
        [
            (
                DATASETS[a],
                "crossings",
                dataset_info(a).label,
                pa.table({"rid": pa.array([], pa.int64())}),
            )
            for a in sorted(AGENCIES)
            if DATASETS[a] in declared
        ],
    )


_SEDENA_STRICT = AccessLabel("SEDENA", "MX", Marking.AMBER_STRICT, frozenset({"SEDENA"}))


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(ledger_row_st, max_size=4), principal=principal_st)
# a Mexican reader of SEDENA's dataset (released to MX) whose one row it may not see
@example(rows=[(1, _SEDENA_STRICT)], principal=Principal("f", "FGR", "MX"))
def test_empty_ledgers_tell_nothing_hidden(
    rows: list[tuple[int, AccessLabel]], principal: Principal
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        full, alone = build_pair(shared_stores("sqlite"), Path(tmp), [], rows, principal)
        try:
            _empty_parts(full)
            _empty_parts(alone)
            got = _answers(View(full, principal, audit=False))
            assert got == _answers(View(alone, principal, audit=False))
            missing = got["ds_none:0"]
            for agency, dataset in DATASETS.items():
                if not can_see(principal, dataset_info(agency).label):  # (its own: seen)
                    assert _missing_alike(got[f"{dataset}:0"], missing, dataset, "ds_none")
                else:  # its empty ledger, or its visible rows: a read, not a refusal
                    assert got[f"{dataset}:0"][1] == "crossings", got[f"{dataset}:0"]
                # listed (empty: with 0 rows) exactly when it is read
                listed = (dataset, "crossings") in got["listed"][0]
                assert listed == can_see(principal, dataset_info(agency).label), dataset
        finally:
            full.close()
            alone.close()
