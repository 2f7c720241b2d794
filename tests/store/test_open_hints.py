"""A store that cannot be opened says what to do about its own cause (review R23 F8): a
missing PostgreSQL database is created, a server that does not answer is looked for, and
only a SQLite file that may not be written is a matter of permissions. Real PostgreSQL
errors from the test server (skipped without one); SQLite's from its own messages."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from ironriver.errors import IronriverError, StoreError
from ironriver.i18n import Lang, render
from ironriver.store import open_store
from ironriver.store import opening as store_module


def _said(error: IronriverError, lang: Lang = "en") -> str:
    """The hint of `error`, in `lang`."""
    return render(error.hint_text, lang)


def _refusal(url: str) -> StoreError:
    with pytest.raises(StoreError) as info:
        open_store(url)
    return info.value


def test_a_missing_database_is_to_be_created(pg_url: str) -> None:
    url = make_url(pg_url).set(database="no_such_db_r23").render_as_string(hide_password=False)
    error = _refusal(url)
    assert 'database "no_such_db_r23" does not exist' in error.render("en")
    hint = _said(error)
    assert hint.startswith("The database no_such_db_r23 does not exist on that server")
    assert "`createdb no_such_db_r23`" in hint and "ironriver init --db URL" in hint
    assert "write" not in hint
    assert _said(error, "es").startswith(
        "La base de datos no_such_db_r23 no existe en ese servidor"
    )


def test_a_refused_connection_is_about_the_server(pg_url: str) -> None:
    url = make_url(pg_url).set(port=1).render_as_string(hide_password=False)
    error = _refusal(url)
    assert _said(error) == (
        f"No PostgreSQL server answered at {make_url(pg_url).host}:1: check that it runs "
        "there, and the host and port in the URL."
    )
    assert _said(error, "es").startswith("Ningún servidor PostgreSQL respondió en")


def _hint(error: str, url: str) -> str:
    exc = OperationalError("connect", {}, Exception(error))
    return _said(store_module._cannot_open("s", exc, create_engine(url)))


def test_each_cause_has_its_hint() -> None:
    pg = "postgresql+psycopg://u:p@db.example:6543/x"
    assert _hint('FATAL:  password authentication failed for user "u"', pg).startswith(
        "The server refused the user or password in the URL"
    )
    assert _hint("could not translate host name", pg).startswith(
        "No PostgreSQL server answered at db.example:6543"
    )
    assert _hint("attempt to write a readonly database", "sqlite:///s.db").startswith(
        "Check the path, and that you may write there"
    )
    assert "write" not in _hint("disk I/O error", "sqlite:///s.db")
