"""Guard: the TLP 2.0 rule, written out as a table of who sees what, read through `View` on
a real store (not compared with `can_see`, which the property tests use as their oracle and
so cannot check). Each fact is an entity of its own, owned by ATF (US), with one label."""

from __future__ import annotations

import pyarrow as pa
import pytest

from ironriver.policy import AccessLabel, Marking, Principal, View, parse_releasable
from ironriver.store import DatasetInfo, Store
from ironriver.store.ids import statement_id

DATASET = DatasetInfo("us_atf_guard", "ATF", "US", Marking.CLEAR)

# entity id -> (marking, releasable_to) of its one statement, owned by ATF (US)
FACTS: dict[str, tuple[Marking, frozenset[str]]] = {
    "clear": (Marking.CLEAR, frozenset()),
    "clear_rel": (Marking.CLEAR, frozenset({"user:nobody"})),
    "green_all": (Marking.GREEN, frozenset()),
    "green_mx": (Marking.GREEN, frozenset({"MX"})),
    "green_user": (Marking.GREEN, frozenset({"user:cbp"})),
    "amber_us": (Marking.AMBER, frozenset({"US"})),
    "amber_fgr": (Marking.AMBER, frozenset({"FGR"})),
    "amber_mx": (Marking.AMBER, frozenset({"MX"})),
    "strict_mx": (Marking.AMBER_STRICT, frozenset({"MX"})),
    "strict_us": (Marking.AMBER_STRICT, frozenset({"US"})),
    "strict_fgr": (Marking.AMBER_STRICT, frozenset({"FGR"})),
    "red_agency": (Marking.RED, frozenset({"FGR", "MX", "US", "CBP"})),
    "red_user": (Marking.RED, frozenset({"user:fgr"})),
}

ATF = Principal("atf", "ATF", "US")
CBP = Principal("cbp", "CBP", "US")
FGR = Principal("fgr", "FGR", "MX")
SEDENA = Principal("sedena", "SEDENA", "MX")
EVERYONE = {"clear", "clear_rel", "green_all"}

# what each principal must see, written out (the rule of docs/policy.md)
EXPECTED: dict[str, set[str]] = {
    "atf": set(FACTS),  # the owning agency sees all its own facts, whatever their marking
    "cbp": EVERYONE | {"green_user", "amber_us"},
    "fgr": EVERYONE | {"green_mx", "amber_fgr", "amber_mx", "strict_fgr", "red_user"},
    "sedena": EVERYONE | {"green_mx", "amber_mx"},
}


def _load(store: Store) -> None:
    with store.writer() as w:
        w.ensure_dataset(DATASET)
        for entity, (marking, rel) in FACTS.items():
            value = f"SN-{entity}"
            t = pa.table(
                {
                    "id": [statement_id(DATASET.name, entity, "serialNumber", value)],
                    "entity_id": [entity],
                    "schema": ["Firearm"],
                    "prop": ["serialNumber"],
                    "value": [value],
                }
            )
            w.add_statements(t, DATASET.name, AccessLabel("ATF", "US", marking, rel))


@pytest.mark.parametrize("principal", [ATF, CBP, FGR, SEDENA], ids=lambda p: p.name)
def test_each_marking_is_seen_by_exactly_whom_it_names(
    sqlite_store: Store, principal: Principal
) -> None:
    _load(sqlite_store)
    view = View(sqlite_store, principal, reason="guard")
    seen = {entity for entity in FACTS if view.entity(entity) is not None}
    assert seen == EXPECTED[principal.name]
    # the other read paths agree: identifier search, the bulk table, counts
    found = {e for e in FACTS if view.by_identifier(f"SN-{e}")}
    assert found == EXPECTED[principal.name]
    assert set(view.table().column("entity_id").to_pylist()) == EXPECTED[principal.name]
    assert view.statement_count() == len(EXPECTED[principal.name])


def test_a_principal_of_the_owners_country_is_not_the_owner(sqlite_store: Store) -> None:
    """CBP shares ATF's country, not its agency: ATF's AMBER+STRICT and RED stay ATF's."""
    _load(sqlite_store)
    view = View(sqlite_store, CBP, reason="guard")
    for entity in ("strict_us", "strict_mx", "red_agency", "red_user"):
        assert view.entity(entity) is None


def test_releasability_is_normalised_to_upper_case_tokens() -> None:
    assert parse_releasable("us; atf|user:Ana , mx") == frozenset({"US", "ATF", "MX", "user:Ana"})
    assert parse_releasable(["fgr", " User:beto "]) == frozenset({"FGR", "user:beto"})
    assert parse_releasable(None) == frozenset()
