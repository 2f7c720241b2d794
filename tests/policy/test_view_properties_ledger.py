"""Property: the ledger reads of a `View` (`ledger_rows`, `ledger_stream`, `ledger`,
`ledger_counts`, `ledger_damage`, what `datasets` counts) give what the principal's visible
ledger rows alone give, also when the store holds a damaged part (its footer unreadable) of
a dataset the principal may not see (review R24 F1: that part stopped every principal's
`datasets` and `ledgers`, naming it).

Drawn: ledger rows (an id and a label; each row one part, as `view_facts.add_ledger` writes
them, in its agency's dataset), a principal, and which of the datasets hidden from it holds
a damaged part, if any. Store A holds them all; store B only the rows the principal sees (a
label it may see, in a dataset whose own label it may see) and the datasets it may know of
(`view_facts.build_pair`). Every read on A must equal the same read on B, and the rows read
must be the visible rows (`expected`): filtered, limited, streamed a row per batch, and
refused alike without a reason when some are AMBER+STRICT or RED. The owner of the damaged
dataset is told of the damage: a read over it stops, naming the part.

`test_view_properties_reads.py` compares the other reads on richer facts; ledger rows there
are one read among many. An example takes ~1 s on SQLite (two stores made), most of it the
stores; 6 drawn and the finding's case keep the suite's time.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ironriver.errors import AccessDenied, NotFound, StoreError
from ironriver.policy import AccessLabel, Marking, Principal, View
from ironriver.policy.markings import releasable_text
from view_facts import (
    AGENCIES,
    DATASETS,
    Stores,
    build_pair,
    hidden_agencies,
    ledger_row_st,
    principal_st,
    sees_ledger_row,
    shared_stores,
)

WHERE: list[list[tuple[str, str]]] = [[], [("rid", "3")], [("rid", "1..3")]]
ALL = [*DATASETS.values(), "ds_none"]


def _outcome(call: Any) -> Any:
    """What a read gives, or the refusal it raises (its message, which must not differ)."""
    try:
        return call()
    except (AccessDenied, NotFound) as exc:
        return (type(exc).__name__, str(exc))


def _row(
    values: dict[str, Any], marking: str, rel: str, agency: str, country: str
) -> tuple[Any, ...]:
    return (values["rid"], marking, rel, agency, country)


def ledger_reads(view: View) -> dict[str, Any]:
    """Every ledger read of `view`, filtered, limited and streamed."""
    out: dict[str, Any] = {
        "counts": view.ledger_counts(),
        "damage": view.ledger_damage(),
        "datasets": [(d.info.name, d.visible_ledger_rows) for d in view.datasets()],
        "ledger": _outcome(
            lambda: sorted(
                view.ledger("crossings")
                .project("rid, _dataset, _marking, _releasable_to, _owner_agency")
                .fetchall()
            )
        ),
        "ledger:none": _outcome(lambda: view.ledger("nothing")),
    }
    for dataset in ALL:
        for i, where in enumerate(WHERE):
            for limit in (1, 50) if not where else (50,):
                out[f"rows:{dataset}:{i}:{limit}"] = _outcome(
                    lambda d=dataset, w=where, n=limit: _rows(view, d, w, n)
                )
        out[f"stream:{dataset}"] = _outcome(lambda d=dataset: _streamed(view, d))
    return out


def _rows(view: View, dataset: str, where: list[tuple[str, str]], limit: int) -> Any:
    read = view.ledger_rows(dataset, where, limit=limit)
    rows = [
        _row(r.values, r.marking, r.releasable_to, r.owner_agency, r.owner_country)
        for r in read.rows
    ]
    return read.dataset, read.ledger, read.columns, read.matched, rows


def _streamed(view: View, dataset: str) -> Any:
    """The rows of `dataset`'s ledger as `ledger_stream` hands them, a row per batch."""
    with view.ledger_stream(dataset, limit=3, batch_rows=1) as read:
        batches = [batch.to_pylist() for batch in read.batches]
    assert all(len(b) == 1 for b in batches), batches
    rows = [
        _row(r, r["_marking"], r["_releasable_to"] or "", r["_owner_agency"], r["_owner_country"])
        for [r] in batches
    ]
    return read.matched, read.rows, rows


def unjustified(view: View) -> dict[str, Any]:
    """The ledger reads an audited view refuses without a reason when some rows they would
    show are AMBER+STRICT or RED: which it refuses, and how, must not differ."""
    return {dataset: _outcome(lambda d=dataset: view.ledger_rows(d).matched) for dataset in ALL}


def expected(rows: list[tuple[int, AccessLabel]], who: Principal) -> dict[str, list[Any]]:
    """The visible rows of each dataset, sorted (a row written twice is one part)."""
    out: dict[str, list[Any]] = {}
    for rid, label in sorted(set(rows), key=repr):
        if sees_ledger_row(who, label):
            row = (
                rid,
                label.marking.value,
                releasable_text(label.releasable_to),
                label.owner_agency,
                label.owner_country,
            )
            out.setdefault(DATASETS[label.owner_agency], []).append(row)
    return {dataset: sorted(found) for dataset, found in out.items()}


def check(
    stores: Stores,
    rows: list[tuple[int, AccessLabel]],
    who: Principal,
    damaged: int | None,
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        full, alone = build_pair(stores, Path(tmp), [], rows, who, damaged)
        try:
            got = ledger_reads(View(full, who, audit=False))
            assert got == ledger_reads(View(alone, who, audit=False))
            assert unjustified(View(full, who)) == unjustified(View(alone, who))
            visible = expected(rows, who)
            assert got["counts"] == {(d, "crossings"): len(r) for d, r in sorted(visible.items())}
            for dataset in ALL:
                found = got[f"rows:{dataset}:0:50"]
                if dataset in visible:
                    assert sorted(found[4]) == visible[dataset], dataset
                    assert found[3] == len(visible[dataset])
                    assert got[f"stream:{dataset}"][2] == found[4][:3]
                    assert sorted(got[f"rows:{dataset}:2:50"][4]) == [
                        r for r in visible[dataset] if 1 <= r[0] <= 3
                    ]
                else:  # as for a dataset that does not exist, which `ds_none` is
                    none = got["rows:ds_none:0:50"]
                    assert found == (none[0], none[1].replace("ds_none", dataset))
            if damaged is not None:  # the damaged dataset's owner is told, the part named
                agency = hidden_agencies(who)[damaged % len(hidden_agencies(who))]
                owner = Principal("owner", agency, AGENCIES[agency])
                told = View(full, owner, audit=False)
                [(dataset, ledger)] = told.ledger_damage()
                assert (dataset, ledger) == (DATASETS[agency], "crossings")
                assert told.ledger_damage()[dataset, ledger].unreadable
                assert (dataset, ledger) not in told.ledger_counts()  # (unknown)
                with pytest.raises(StoreError, match="cannot be read"):
                    told.ledger_rows(dataset)
        finally:
            full.close()
            alone.close()


ledger_given = given(
    rows=st.lists(ledger_row_st, max_size=5),
    principal=principal_st,
    damaged=st.one_of(st.none(), st.integers(0, 3)),
)
_CBP = AccessLabel("CBP", "US", Marking.AMBER, frozenset({"US"}))
_STRICT = AccessLabel("SEDENA", "MX", Marking.AMBER_STRICT, frozenset({"MX"}))


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@ledger_given
# the finding's case: a Mexican reader, a US dataset's part damaged, its own rows strict
@example(
    rows=[(1, _CBP), (2, _STRICT), (3, _STRICT)],
    principal=Principal("s", "SEDENA", "MX"),
    damaged=0,
)
def test_ledger_reads_equal_the_visible_rows_alone(
    rows: list[tuple[int, AccessLabel]], principal: Principal, damaged: int | None
) -> None:
    check(shared_stores("sqlite"), rows, principal, damaged)


@pytest.mark.postgres
@settings(
    max_examples=4,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@ledger_given
def test_ledger_reads_equal_the_visible_rows_alone_on_postgresql(
    pg_stores: Stores,
    rows: list[tuple[int, AccessLabel]],
    principal: Principal,
    damaged: int | None,
) -> None:
    check(pg_stores, rows, principal, damaged)
