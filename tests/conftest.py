"""Shared fixtures. Which to use when:

- `store`: a fresh, real store on every backend (SQLite file in tmp_path, and PostgreSQL
  when IRONRIVER_TEST_PG_URL is set); use it for behaviour that must hold on both.
- `sqlite_store`: a fresh SQLite store only (fast; for tests about ingest, CLI, demo).

A fresh SQLite store (`store`'s SQLite run, `sqlite_store`) is a copy of one new store made
once per process, `tmp_path/store.db` and its read-audit file, opened as it is: migrating a new
store took ~0.1-0.5 s, most of a small test's time. It is a store `open_store` made (its
writes chain holding the one read-chain-start event, its read-audit file empty), only its
`created` is false and its events are older. A test about creating a store opens its own.
- `principals`: the built-in demo principals (US ATF, US CBP, MX FGR, MX SEDENA, auditor).
- `pg_stores`: fresh PostgreSQL stores made fast, each in a database of its own copied from a
  template (`view_facts.Stores`), for property tests that build two stores per example.

PostgreSQL tests are skipped with a loud reason when no server is configured; the reason is
repeated at the end of the run, never silent (under pytest-xdist too: the count is taken from
the reports the workers send).

Under pytest-xdist (`make test` runs `pytest -n auto`) each worker resets a database of its own,
`<test database>_v<pid>_<worker>`, made at its first PostgreSQL test (collated as the test
database) and dropped when the worker ends, so that two workers never reset each other's store
(a run killed leaves it: `DROP DATABASE` those named `<test database>_v<pid>_...`, as
`view_facts` says of its own).

Property tests (hypothesis) draw new examples on every run, which is how they find what no
one wrote down (twice so far: a code point Python and Arrow key differently, a particle typed).
CI (`.ci/run`) sets IRONRIVER_HYPOTHESIS_PROFILE=ci: the same examples every run
(`derandomize`), so a merge is never refused by a rare draw unrelated to it; a run anywhere
else keeps exploring, and what it finds becomes an `@example`.
"""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from hypothesis import settings
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from ironriver.i18n import LANG_ENV, set_fallback_lang, set_lang
from ironriver.policy import DEFAULT_PRINCIPALS_YAML, Principal, parse_principals
from ironriver.store import Store, open_store
from view_facts import Stores, shared_stores

settings.register_profile("ci", derandomize=True, print_blob=True)
settings.load_profile(os.environ.get("IRONRIVER_HYPOTHESIS_PROFILE", "default"))

PG_URL = os.environ.get("IRONRIVER_TEST_PG_URL")
PG_SKIP = os.environ.get(
    "IRONRIVER_TEST_PG_SKIP_REASON",
    "IRONRIVER_TEST_PG_URL is not set (run `bash .ci/postgres.sh` and export it)",
)
PG_SKIPPED = "PostgreSQL SKIPPED"  # the skips' reason starts so (counted at the end)
WORKER = os.environ.get("PYTEST_XDIST_WORKER")  # "gw0", "gw1"... under pytest-xdist
_skipped_pg: list[str] = []


@pytest.fixture(autouse=True)
def _english_by_default(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test starts in English (a CLI run as a Mexican principal switches the language
    of the process; so would $IRONRIVER_LANG)."""
    monkeypatch.delenv(LANG_ENV, raising=False)
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):  # a developer's Spanish locale too
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")
    set_lang(None)
    set_fallback_lang(None)
    yield
    set_lang(None)
    set_fallback_lang(None)


@functools.cache
def _test_db_url() -> str:
    """The database the PostgreSQL tests reset: the test database itself, or under
    pytest-xdist this worker's own (module doc), made on the first call."""
    assert PG_URL is not None
    if WORKER is None:
        return PG_URL
    url = make_url(PG_URL)
    name = f"{url.database}_v{os.getpid()}_{WORKER}".lower()
    engine = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            collate, ctype = conn.execute(
                text(
                    "SELECT datcollate, datctype FROM pg_database "
                    "WHERE datname = current_database()"
                )
            ).one()
            quoted = engine.dialect.identifier_preparer.quote(name)
            conn.execute(text(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)"))
            # (CREATE DATABASE takes no bound parameters: literals quoted here)
            collate, ctype = (str(v).replace("'", "''") for v in (collate, ctype))
            conn.execute(
                text(
                    f"CREATE DATABASE {quoted} TEMPLATE template0 ENCODING 'UTF8' "
                    f"LC_COLLATE '{collate}' LC_CTYPE '{ctype}'"
                )
            )
    finally:
        engine.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """A worker drops the database it made (`_test_db_url`)."""
    if WORKER is None or PG_URL is None or _test_db_url.cache_info().currsize == 0:
        return
    name = make_url(_test_db_url()).database
    engine = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            quoted = engine.dialect.identifier_preparer.quote(str(name))
            conn.execute(text(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)"))
    finally:
        engine.dispose()


def _reset_pg(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@functools.cache
def _sqlite_template() -> Path:
    """A new SQLite store, `store.db` (and its read-audit file) in a folder of its own, made
    once per process and removed at exit (module doc)."""
    folder = Path(tempfile.mkdtemp(prefix="ironriver-test-store-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    open_store(f"sqlite:///{folder / 'store.db'}", ledger_dir=folder / "ledgers").close()
    return folder / "store.db"


def _new_sqlite_store(folder: Path) -> Store:
    """A fresh SQLite store at `folder/store.db`, its ledgers in `folder/ledgers`: a copy of
    `_sqlite_template`'s files (closed: its WAL checkpointed into the file)."""
    template = _sqlite_template()
    for part in template.parent.glob(f"{template.name}*"):
        shutil.copyfile(part, folder / part.name)
    return open_store(f"sqlite:///{folder / template.name}", ledger_dir=folder / "ledgers")


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "sqlite":
        s = _new_sqlite_store(tmp_path)
    else:
        if not PG_URL:
            pytest.skip(f"{PG_SKIPPED}: {PG_SKIP}")
        url = _test_db_url()
        _reset_pg(url)
        s = open_store(url, ledger_dir=tmp_path / "ledgers")
    yield s
    s.close()


@pytest.fixture
def pg_url(request: pytest.FixtureRequest) -> str:
    """The URL of an emptied PostgreSQL test database (skipped, loudly, without one)."""
    if not PG_URL:
        pytest.skip(f"{PG_SKIPPED}: {PG_SKIP}")
    url = _test_db_url()
    _reset_pg(url)
    return url


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
        pytest.skip(f"{PG_SKIPPED}: {PG_SKIP}")
    return shared_stores("postgresql", PG_URL)


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    s = _new_sqlite_store(tmp_path)
    yield s
    s.close()


@pytest.fixture
def principals() -> dict[str, Principal]:
    return parse_principals(yaml.safe_load(DEFAULT_PRINCIPALS_YAML))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Counts the PostgreSQL skips from the reports (in the process that prints the summary:
    pytest-xdist's controller receives its workers' reports here)."""
    longrepr = report.longrepr
    if report.skipped and isinstance(longrepr, tuple) and PG_SKIPPED in str(longrepr[2]):
        _skipped_pg.append(report.nodeid)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _skipped_pg:
        terminalreporter.write_sep("!", "POSTGRESQL TESTS SKIPPED", red=True, bold=True)
        terminalreporter.write_line(f"{len(_skipped_pg)} PostgreSQL store tests skipped: {PG_SKIP}")
