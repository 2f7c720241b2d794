"""`audit verify-data` on who sees what (review R23 F1): a dataset's label (its `datasets` row,
its statements' `labels` row or `label_id`) or a statement's `retracted` flag changed in the
database by hand left both audit chains intact and `verify-data` satisfied, while another
agency's analyst read a RED alias (or a dataset silently vanished). Now each ingest event
records the labels its load declared and the store is held to them, and the retracted
statements to what the retraction events record; a store whose events are older passes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select, text

from ironriver.cli import cli
from ironriver.ingest import ingest_mapping
from ironriver.policy import Principal, retract
from ironriver.store import AuditEvent, EventFilter, Store, open_store
from ironriver.store.audit import LABELS_BASELINE
from ironriver.store.data_verify import LABELS_KEY, verify_data
from ironriver.store.tables import statements

MAPPING = """\
mx_cni_red:
  agency: CNI
  country: MX
  marking: RED
  releasable_to: [user:red-rita]
  queries:
    - csv_url: alias.csv
      entities:
        persona:
          schema: Person
          keys: [clave]
          properties:
            name: {column: alias}
mx_cni_green:
  agency: CNI
  country: MX
  marking: GREEN
  queries:
    - csv_url: armas.csv
      entities:
        arma:
          schema: Firearm
          keys: [serie]
          properties:
            serialNumber: {column: serie}
"""
CNI = Principal("cni-cam", "CNI", "MX", frozenset({"ingest", "analyst"}))


def _load(store: Store, tmp_path: Path, armas: str = "A1\nA2\nA3\n") -> None:
    (tmp_path / "alias.csv").write_text("clave,alias\n1,El Flaco\n2,La Sombra\n", "utf-8")
    (tmp_path / "armas.csv").write_text("serie\n" + armas, encoding="utf-8")
    (tmp_path / "m.yml").write_text(MAPPING, encoding="utf-8")
    ingest_mapping(store, tmp_path / "m.yml", actor="cni-cam", principal=CNI, replace=True)


def _sql(store: Store, *sql: str) -> None:
    with store.engine.begin() as conn:
        for each in sql:
            conn.execute(text(each))


def _found(store: Store) -> list[str]:
    check = verify_data(store)
    assert check.ok is not check.problems
    return [p.render("en") for p in check.problems]


def test_an_untouched_store_with_retractions_verifies(store: Store, tmp_path: Path) -> None:
    _load(store, tmp_path)
    _load(store, tmp_path, armas="A1\nA2\n")  # --replace retracts A3's statement
    with store.engine.connect() as conn:
        alias = conn.execute(
            select(statements.c.entity_id).where(statements.c.value == "El Flaco")
        ).scalar_one()
    retract(store, CNI, alias, reason="entered in error")
    check = verify_data(store)
    assert check.problems == () and check.ok
    assert check.retracted == 2  # A3's serial number, El Flaco's name
    assert check.labels_unrecorded == ()


def test_the_reviewers_label_edit_is_found(store: Store, tmp_path: Path) -> None:
    _load(store, tmp_path)
    _sql(
        store,
        "UPDATE labels SET marking = 'CLEAR', releasable_to = '' WHERE marking = 'RED'",
        "UPDATE datasets SET marking = 'CLEAR', releasable_to = '' WHERE marking = 'RED'",
    )
    assert _found(store) == [
        "dataset mx_cni_red: its label in the datasets table is CLEAR CNI/MX, but its "
        "ingests declared RED CNI/MX [user:red-rita] (edited in the database: who may see "
        "it changed): restore the store from a backup",
        "dataset mx_cni_red: 2 statements are stored under the label #1 CLEAR CNI/MX, not "
        "the RED CNI/MX [user:red-rita] their ingests declared (edited in the database: who "
        "may see them changed): restore the store from a backup",
    ]


def test_a_statement_pointed_at_another_label_is_found(store: Store, tmp_path: Path) -> None:
    _load(store, tmp_path)
    _sql(
        store,
        "UPDATE statements SET label_id = (SELECT id FROM labels WHERE marking = 'GREEN') "
        "WHERE value = 'La Sombra'",
    )
    [problem] = _found(store)
    assert problem.startswith(
        "dataset mx_cni_red: 1 statement is stored under the label #2 GREEN CNI/MX, not the "
        "RED CNI/MX [user:red-rita] its ingests declared"
    )


def test_a_statement_retracted_by_hand_is_found(store: Store, tmp_path: Path) -> None:
    _load(store, tmp_path)
    _sql(store, "UPDATE statements SET retracted = TRUE WHERE value = 'A2'")
    with store.engine.connect() as conn:
        hidden = conn.execute(select(statements.c.id).where(statements.c.value == "A2")).scalar()
    assert _found(store) == [
        "dataset mx_cni_green: 1 statement is retracted, but no retraction recorded in the "
        "audit log retracted it (marked retracted in the database: hidden from every view): "
        f"{hidden}; restore the store from a backup"
    ]


def test_a_tombstone_cleared_by_hand_is_found(store: Store, tmp_path: Path) -> None:
    _load(store, tmp_path)
    _load(store, tmp_path, armas="A1\nA2\n")  # --replace retracts A3's statement
    _sql(store, "UPDATE statements SET retracted = FALSE")
    [problem] = _found(store)
    assert problem.startswith("dataset mx_cni_green: 1 statement stands again, but a retraction")
    assert "restaurar" not in problem  # (English here; the Spanish below)
    check = verify_data(store)
    assert "restaure el almacén desde un respaldo" in check.problems[0].render("es")


def _write_older_events(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ingest events as ironriver wrote them before they recorded labels."""
    from ironriver.store.audit import AuditLog

    append = AuditLog.append

    def without_labels(self: AuditLog, *args: Any, **kwargs: Any) -> Any:
        detail = kwargs.get("detail")
        if isinstance(detail, dict):
            kwargs["detail"] = {k: v for k, v in detail.items() if k != LABELS_KEY}
        return append(self, *args, **kwargs)

    monkeypatch.setattr(AuditLog, "append", without_labels)


@pytest.fixture
def older_events(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    _write_older_events(monkeypatch)
    yield


@pytest.mark.usefixtures("older_events")
def test_a_store_of_older_events_passes_and_says_so(store: Store, tmp_path: Path) -> None:
    _load(store, tmp_path)
    _load(store, tmp_path, armas="A1\nA2\n")
    check = verify_data(store)
    assert check.ok and check.labels_unrecorded == ("mx_cni_green", "mx_cni_red")
    # without a record, a statement under another label than its dataset's is still seen
    _sql(
        store,
        "UPDATE statements SET label_id = (SELECT id FROM labels WHERE marking = 'GREEN') "
        "WHERE value = 'La Sombra'",
    )
    [problem] = _found(store)
    assert problem.startswith(
        "dataset mx_cni_red: 1 statement is stored under the label #2 GREEN CNI/MX, not its "
        "dataset's RED CNI/MX [user:red-rita]"
    )


@pytest.mark.usefixtures("older_events")
def test_the_command_names_the_datasets_of_older_events(
    sqlite_store: Store, tmp_path: Path
) -> None:
    import json

    _load(sqlite_store, tmp_path)
    db = ["--db", str(sqlite_store.engine.url)]
    sqlite_store.engine.dispose()
    out = CliRunner().invoke(cli, ["audit", "verify-data", *db, "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["labels_unrecorded"] == ["mx_cni_green", "mx_cni_red"]
    out = CliRunner().invoke(cli, ["--lang", "es", "audit", "verify-data", *db])
    assert out.exit_code == 0, out.output
    assert (
        "Las etiquetas de 2 conjuntos de datos no están en la bitácora de auditoría (los cargó "
        "una versión anterior): mx_cni_green, mx_cni_red" in out.output
    )


def _baselines(store: Store) -> list[AuditEvent]:
    return store.audit.write_events(EventFilter(action=LABELS_BASELINE))


def _downgrade(store: Store, revision: str) -> None:
    from alembic import command

    from ironriver.store import dialect
    from ironriver.store.opening import _alembic_config

    with dialect.write_transaction(store.engine) as conn:
        command.downgrade(_alembic_config(conn), revision)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_an_upgrade_records_the_labels_no_event_records(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    """R23 F1's limit: a store whose ingests were written before events recorded labels was
    held to its own rows, so an edit of both rows alike passed until the next ingest. Its
    upgrade (migration 0015) now records their labels once, in the writes chain, committed
    with the revision; `verify-data` holds the rows to them from then on."""
    from conftest import backend_url

    url = backend_url(backend, tmp_path / "old.db", request)
    ledgers = tmp_path / "ledgers"
    store = open_store(url, ledger_dir=ledgers)
    with pytest.MonkeyPatch.context() as older:
        _write_older_events(older)
        _load(store, tmp_path)
    _downgrade(store, "0014")  # a store of the previous version
    store.close()
    store = open_store(url, ledger_dir=ledgers, migrate=False)  # (as verify-data reads it)
    assert verify_data(store).labels_unrecorded == ("mx_cni_green", "mx_cni_red")
    store.close()

    store = open_store(url, ledger_dir=ledgers)  # upgrades: the labels recorded, as found
    [event] = _baselines(store)
    assert (event.actor, event.target, event.reason) == (
        "ironriver",
        "mx_cni_green,mx_cni_red",
        "upgrade from 0014",
    )
    assert event.detail[LABELS_KEY] == {
        "mx_cni_green": {"agency": "CNI", "country": "MX", "marking": "GREEN", "releasable_to": ""},
        "mx_cni_red": {
            "agency": "CNI",
            "country": "MX",
            "marking": "RED",
            "releasable_to": "user:red-rita",
        },
    }
    check = verify_data(store)
    assert check.ok and check.labels_unrecorded == ()
    assert store.audit.verify().ok  # hash-chained like every event
    # the reviewer's edit of both rows alike, made after the upgrade: found now
    _sql(
        store,
        "UPDATE labels SET marking = 'CLEAR', releasable_to = '' WHERE marking = 'RED'",
        "UPDATE datasets SET marking = 'CLEAR', releasable_to = '' WHERE marking = 'RED'",
    )
    assert [p.split(":")[0] for p in _found(store)] == ["dataset mx_cni_red"] * 2
    db = store.engine.url.render_as_string(hide_password=False)
    store.close()
    out = CliRunner().invoke(
        cli, ["audit", "verify", "--db", db], env={"IRONRIVER_LEDGERS": str(ledgers)}
    )
    assert out.exit_code == 0, out.output  # `audit verify` accepts the event

    store = open_store(url, ledger_dir=ledgers)  # once: not again at the next open
    assert len(_baselines(store)) == 1
    # nor at a second upgrade, even of a dataset row written by hand since (review R25 F4:
    # set back to 0014, the next open recorded the forged row as genuine)
    _sql(
        store,
        "INSERT INTO datasets (name, title, agency, country, marking, releasable_to, "
        "legal_basis, created_at) VALUES ('forged', '', 'CNI', 'MX', 'CLEAR', '', '', "
        "'2026-12-02T00:00:00+00:00')",
    )
    _downgrade(store, "0014")
    store.close()
    store = open_store(url, ledger_dir=ledgers)
    assert len(_baselines(store)) == 1
    assert "forged" in verify_data(store).labels_unrecorded  # named, not recorded
    store.close()


def test_a_store_whose_events_record_every_label_gets_no_baseline(
    store: Store, tmp_path: Path
) -> None:
    _load(store, tmp_path)
    _downgrade(store, "0014")
    url = store.engine.url.render_as_string(hide_password=False)
    store.close()
    again = open_store(url, ledger_dir=tmp_path / "ledgers")
    assert _baselines(again) == [] and verify_data(again).ok
    again.close()


def test_an_edit_before_the_upgrade_is_what_it_records(sqlite_store: Store, tmp_path: Path) -> None:
    """Trust on first use, as docs/policy.md says: nothing older records the label."""
    with pytest.MonkeyPatch.context() as older:
        _write_older_events(older)
        _load(sqlite_store, tmp_path)
    _sql(
        sqlite_store,
        "UPDATE labels SET marking = 'CLEAR', releasable_to = '' WHERE marking = 'RED'",
        "UPDATE datasets SET marking = 'CLEAR', releasable_to = '' WHERE marking = 'RED'",
    )
    _downgrade(sqlite_store, "0014")
    url = sqlite_store.engine.url.render_as_string(hide_password=False)
    sqlite_store.close()
    store = open_store(url, ledger_dir=tmp_path / "ledgers")
    [event] = _baselines(store)
    assert event.detail[LABELS_KEY]["mx_cni_red"]["marking"] == "CLEAR"
    assert verify_data(store).ok
    store.close()
