"""Guard: a schema a reader names must exist (a typo is an error, never "no filter"), and an
entity whose visible statements disagree on schema gets one, the same in every read: the
more specific, the first by name between equals (Person and Organization are as deep)."""

from __future__ import annotations

import pytest

from ironriver.errors import ConfigError
from ironriver.policy import View
from ironriver.policy.schemata import entity_schema
from ironriver.store import Store
from samples import ATF, US, load, table

# schemata that cannot be one entity, equally deep (as many ancestors)
TIES = [
    ("Person", "Organization"),
    ("Vessel", "Airplane"),
    ("Vehicle", "BankAccount"),
    ("Vehicle", "Event"),
    ("Sale", "Recovery"),
    ("Firearm", "Recovery"),
    ("Address", "Identification"),
    ("Organization", "Document"),
]


def test_a_mistyped_schema_is_an_error_in_every_read(sqlite_store: Store) -> None:
    load(sqlite_store)
    view = View(sqlite_store, ATF, reason="guard")
    reads = (
        lambda: list(view.export("Persn")),
        lambda: view.export_table("Persn"),
        lambda: view.table(schemata=["Persn"]),
        lambda: view.search("perez", "Persn"),
        lambda: view.by_identifier("ABC123", 20, "Firarm"),
    )
    for read in reads:
        with pytest.raises(ConfigError, match="Unknown schema"):
            read()


def test_equally_deep_schemata_resolve_to_the_first_by_name(sqlite_store: Store) -> None:
    # (a set's order changes from one process to the next: several pairs, so that a rule
    # following it cannot pass by chance)
    for tie in TIES:
        assert entity_schema(frozenset(tie)) == min(tie), tie
    assert entity_schema(frozenset({"Person", "Vessel"})) == "Vessel"  # deeper wins
    # a Phone, whose id anyone who knows the number computes, wins its conflicts (R25 F2)
    for other in ("Firearm", "Person", "Vessel", "Company"):
        assert entity_schema(frozenset({"Phone", other})) == "Phone", other
    with sqlite_store.writer() as w:
        w.ensure_dataset(US)
        rows = [("x1", "Person", "name", "Pat"), ("x1", "Organization", "name", "Pat Org")]
        w.add_statements(table(US.name, rows), US.name, US.label)
    view = View(sqlite_store, ATF, reason="guard")
    entity = view.entity("x1")
    assert entity is not None and entity.schema.name == "Organization"
    assert view.counts().entities_by_schema == {"Organization": 1}
    assert [(e.id, e.schema.name) for e in view.export()] == [("x1", "Organization")]
