"""An open of a store at the newest schema reads its revision with one query and imports no
Alembic (`opening.HEAD_REVISION`, `_revision`): the constant is the migration scripts' head,
the query reads what Alembic reads, on both backends, and a store at an older revision is
still upgraded by Alembic."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text

from ironriver.store import Store, open_store
from ironriver.store.opening import HEAD_REVISION, _alembic_config, _revision


def test_the_head_revision_is_the_newest_migration() -> None:
    """Adding a migration without moving HEAD_REVISION fails here (an open would then take
    every store for an older one and run the upgrade each time)."""
    assert ScriptDirectory.from_config(_alembic_config()).get_current_head() == HEAD_REVISION


def test_the_revision_read_is_alembics(store: Store) -> None:
    with store.engine.connect() as conn:
        assert _revision(conn) == MigrationContext.configure(conn).get_current_revision()
        assert _revision(conn) == HEAD_REVISION


def test_an_empty_database_has_no_revision(tmp_path: Path) -> None:
    from sqlalchemy import create_engine

    engine = create_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    with engine.connect() as conn:
        assert _revision(conn) is None
    engine.dispose()


def test_an_older_store_is_still_upgraded(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    open_store(str(path)).close()
    from sqlalchemy import create_engine

    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:  # as a store of the previous schema says it is
        conn.execute(text("UPDATE alembic_version SET version_num = '0013'"))
        conn.execute(text("DROP TABLE statement_sources"))
    engine.dispose()
    store = open_store(str(path))
    with store.engine.connect() as conn:
        assert _revision(conn) == HEAD_REVISION
        assert conn.execute(text("SELECT count(*) FROM statement_sources")).scalar() == 0
    store.close()


def test_opening_a_current_store_imports_no_alembic(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    open_store(str(path)).close()
    code = (
        "import sys; from ironriver.store import open_store; "
        f"open_store({str(path)!r}, create=False).close(); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'alembic'))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]", done.stdout


def test_an_upgrade_says_so_before_it_starts(tmp_path: Path) -> None:
    """A command opening an older store hears that it is being upgraded (it holds the write
    lock, and 0016 rebuilds `statements`: minutes on a large store), in the reader's
    language; the next command, on a current store, hears nothing."""
    from click.testing import CliRunner

    from ironriver.cli import cli
    from samples import sample_db

    db = sample_db(tmp_path, "s.db")
    engine = create_engine(f"sqlite:///{db}")
    with engine.begin() as conn:  # (0016 finds `statements` keyed so already: nothing to copy)
        conn.execute(text("UPDATE alembic_version SET version_num = '0015'"))
    engine.dispose()
    said = []
    for principal in ("mx-fgr-analista", "us-atf-analyst"):
        result = CliRunner().invoke(cli, ["stats", "--db", db, "--as", principal])
        assert result.exit_code == 0, result.output
        said.append(result.stderr)
    assert "Actualizando el almacén" in said[0] and "del esquema 0015 al 0016" in said[0]
    assert "Upgrading" not in said[1] and "Actualizando" not in said[1]
