"""A PostgreSQL URL whose `search_path` names a schema the database lacks.

There the store's tables can be neither found nor made: a reading command said "There is
no ironriver store ... ironriver init", and `init` then failed with PostgreSQL's own "no
schema has been selected to create in". Both now name the schema and say how to create it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from ironriver.cli import cli

SCHEMA = "ironriver_missing_schema"


def _schema_url(url: str, path: str) -> str:
    return (
        make_url(url)
        .update_query_dict({"options": f"-csearch_path={path}"})
        .render_as_string(hide_password=False)
    )


@pytest.fixture
def database(pg_url: str) -> Iterator[str]:
    """The emptied test database's URL; `SCHEMA` absent before and after."""
    engine = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    drop = text(f'DROP SCHEMA IF EXISTS "{SCHEMA}" CASCADE')
    with engine.connect() as conn:
        conn.execute(drop)
    try:
        yield pg_url
    finally:
        with engine.connect() as conn:
            conn.execute(drop)
        engine.dispose()


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.output


@pytest.mark.postgres
def test_a_missing_search_path_schema_is_named_with_how_to_create_it(
    database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # (the store init makes at the end records its ledger folder under the working folder)
    monkeypatch.chdir(tmp_path)
    url = _schema_url(database, SCHEMA)
    principals = str(tmp_path / "principals.yaml")
    for command in (
        ["datasets", "--as", "us-atf-analyst"],
        ["init", "--principals-out", principals],
    ):
        code, out = _run(*command, "--db", url)
        assert code == 2, out
        assert f"Schema {SCHEMA} does not exist in the PostgreSQL database of" in out, command
        assert f"CREATE SCHEMA {SCHEMA};" in out and "search_path" in out
        assert "There is no ironriver store" not in out and "no schema has been" not in out
    code, out = _run("--lang", "es", "init", "--db", url, "--principals-out", principals)
    assert code == 2
    assert f"El esquema {SCHEMA} no existe en la base de datos PostgreSQL de" in out
    assert f"Créelo (en psql: CREATE SCHEMA {SCHEMA};)" in out
    # nothing was written: no principals file, no table anywhere in the database
    assert not Path(principals).exists()
    engine = create_engine(database)
    try:
        assert inspect(engine).get_table_names(schema="public") == []
        # two schemas, one of them quoted: each named, the SQL spelled as typed
        code, out = _run(
            "init",
            "--db",
            _schema_url(database, f'"IrMissing",{SCHEMA}'),
            "--principals-out",
            principals,
        )
        assert code == 2
        assert f"Schemas IrMissing, {SCHEMA} do not exist" in out
        assert 'CREATE SCHEMA "IrMissing"; and so on' in out
        # the schema made as the hint says: init makes the store there
        with engine.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {SCHEMA}"))
        code, out = _run("init", "--db", url, "--principals-out", principals)
        assert code == 0, out
        assert "alembic_version" in inspect(engine).get_table_names(schema=SCHEMA)
        assert inspect(engine).get_table_names(schema="public") == []
    finally:
        engine.dispose()
