"""Shared fixtures. Which to use when:

- `store`: a fresh, real store on every backend (SQLite file in tmp_path, and PostgreSQL
  when IRONRIVER_TEST_PG_URL is set); use it for behaviour that must hold on both.
- `sqlite_store`: a fresh SQLite store only (fast; for tests about ingest, CLI, demo).
- `principals`: the built-in demo principals (US ATF, US CBP, MX FGR, MX SEDENA, auditor).
- `pg_stores`: fresh PostgreSQL stores made fast, each in a database of its own copied from a
  template (`view_facts.Stores`), for property tests that build two stores per example.

PostgreSQL tests are skipped with a loud reason when no server is configured; the reason is
repeated at the end of the run, never silent.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from sqlalchemy import create_engine, text

from ironriver.i18n import LANG_ENV, set_lang
from ironriver.policy import DEFAULT_PRINCIPALS_YAML, Principal, parse_principals
from ironriver.store import Store, open_store
from view_facts import Stores, shared_stores

PG_URL = os.environ.get("IRONRIVER_TEST_PG_URL")
PG_SKIP = os.environ.get(
    "IRONRIVER_TEST_PG_SKIP_REASON",
    "IRONRIVER_TEST_PG_URL is not set (run `bash .ci/postgres.sh` and export it)",
)
_skipped_pg: list[str] = []


@pytest.fixture(autouse=True)
def _english_by_default(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test starts in English (a CLI run as a Mexican principal switches the language
    of the process; so would $IRONRIVER_LANG)."""
    monkeypatch.delenv(LANG_ENV, raising=False)
    set_lang(None)
    yield
    set_lang(None)


def _reset_pg(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "sqlite":
        s = open_store(f"sqlite:///{tmp_path / 'store.db'}", ledger_dir=tmp_path / "ledgers")
    else:
        if not PG_URL:
            _skipped_pg.append(request.node.nodeid)
            pytest.skip(f"PostgreSQL SKIPPED: {PG_SKIP}")
        _reset_pg(PG_URL)
        s = open_store(PG_URL, ledger_dir=tmp_path / "ledgers")
    yield s
    s.close()


@pytest.fixture
def pg_url(request: pytest.FixtureRequest) -> str:
    """The URL of an emptied PostgreSQL test database (skipped, loudly, without one)."""
    if not PG_URL:
        _skipped_pg.append(request.node.nodeid)
        pytest.skip(f"PostgreSQL SKIPPED: {PG_SKIP}")
    _reset_pg(PG_URL)
    return PG_URL


def backend_url(backend: str, path: Path, request: pytest.FixtureRequest) -> str:
    """The store URL of a test parametrized by `backend`: an emptied PostgreSQL test
    database (skipped, loudly, without one), else a SQLite file at `path`."""
    if backend == "postgresql":
        return str(request.getfixturevalue("pg_url"))
    return f"sqlite:///{path}"


@pytest.fixture
def pg_stores(request: pytest.FixtureRequest) -> Stores:
    """The run's `view_facts.Stores` on PostgreSQL (skipped, loudly, without a server). One
    object for the whole run: a hypothesis test may take it (suppress the health check
    `function_scoped_fixture`), its examples sharing the templates."""
    if not PG_URL:
        _skipped_pg.append(request.node.nodeid)
        pytest.skip(f"PostgreSQL SKIPPED: {PG_SKIP}")
    return shared_stores("postgresql", PG_URL)


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    s = open_store(f"sqlite:///{tmp_path / 'store.db'}", ledger_dir=tmp_path / "ledgers")
    yield s
    s.close()


@pytest.fixture
def principals() -> dict[str, Principal]:
    return parse_principals(yaml.safe_load(DEFAULT_PRINCIPALS_YAML))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _skipped_pg:
        terminalreporter.write_sep("!", "POSTGRESQL TESTS SKIPPED", red=True, bold=True)
        terminalreporter.write_line(f"{len(_skipped_pg)} PostgreSQL store tests skipped: {PG_SKIP}")
