"""A SQLite store named another way than by its file's own path (a symbolic link to the file
or to its folder, `..`, a relative path, `IRONRIVER_DB`, a `sqlite:///` URL) is the one store:
its ledger folder, read-audit file and open lock are those beside the file, whichever name a
command used. A link to no file yet makes the store at the file it points to, and a refused
ingest removes that again (real CLI through click's runner, real SQLite stores, real links in
tmp_path)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from sales_fixtures import sales_ledger  # type: ignore[import-not-found]
from sqlalchemy.engine import make_url

from ironriver.cli import cli
from ironriver.settings import Settings, to_url

ANALYST = ("--as", "us-atf-analyst")


def _run(*args: str, env: dict[str, str] | None = None, lang: str = "en") -> tuple[int, str]:
    done = CliRunner().invoke(cli, ["--lang", lang, *args], env=env)
    return done.exit_code, done.output


def _visible_rows(db: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    """The ledger rows `ledgers` counts through the name `db`, and what it printed."""
    code, out = _run("ledgers", *(["--db", db] if db else []), *ANALYST, "--json", env=env)
    assert code == 0, out
    listing = json.loads(out[out.index("[") :])
    return sum(row["visible_ledger_rows"] for row in listing), out


def _verified(db: Path) -> dict[str, object]:
    code, out = _run("audit", "verify", "--db", str(db), "--json")
    assert code == 0, out
    result: dict[str, object] = json.loads(out[out.index("{") :])
    return result


def _store(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A store `data/new.db` holding one ingest's two ledger rows; the mappings of two more
    (`b`: two rows, `c`: one), beside the store."""
    data = tmp_path / "data"
    data.mkdir()
    db = data / "new.db"
    first = sales_ledger(tmp_path, "a.csv", "T1,S1\nT2,S2\n")
    code, out = _run("ingest", str(first), "--db", str(db), *ANALYST)
    assert code == 0, out
    second = sales_ledger(tmp_path, "b.csv", "T3,S3\nT4,S4\n")
    third = sales_ledger(tmp_path, "c.csv", "T5,S5\n")
    return db, second, third


def _by_file_link(tmp_path: Path, db: Path) -> str:
    link = tmp_path / "link.db"
    link.symlink_to(db)
    return str(link)


def _by_relative_file_link(tmp_path: Path, db: Path) -> str:
    link = tmp_path / "rel.db"
    link.symlink_to(os.path.relpath(db, tmp_path))  # (a link's own relative target)
    return str(link)


def _by_folder_link(tmp_path: Path, db: Path) -> str:
    (tmp_path / "linked").symlink_to(db.parent, target_is_directory=True)
    return str(tmp_path / "linked" / db.name)


def _by_dot_dot(tmp_path: Path, db: Path) -> str:
    deep = tmp_path / "deep"
    (deep / "x").mkdir(parents=True)
    (tmp_path / "jump").symlink_to(deep / "x", target_is_directory=True)
    (deep / "link.db").symlink_to(db)
    # `jump/..` is `deep` on disk (the `..` is taken after the link), where `link.db` is
    return str(tmp_path / "jump" / ".." / "link.db")


def _by_url(tmp_path: Path, db: Path) -> str:
    return f"sqlite:///{_by_file_link(tmp_path, db)}"


SPELLINGS: dict[str, Callable[[Path, Path], str]] = {
    "link to the file": _by_file_link,
    "relative link to the file": _by_relative_file_link,
    "link to its folder": _by_folder_link,
    "dot-dot after a folder link": _by_dot_dot,
    "sqlite URL of a link": _by_url,
}


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_a_store_named_another_way_reads_and_writes_its_own_ledger_folder(
    tmp_path: Path, spelling: str
) -> None:
    """Through another name of its file, a store counts the ledger rows its own ledger folder
    holds (no "missing part file"), and an ingest through that name writes its part into
    that folder: no second folder appears, and `audit verify` of the file finds every part."""
    db, second, _ = _store(tmp_path)
    other = SPELLINGS[spelling](tmp_path, db)
    rows, out = _visible_rows(other)
    assert rows == 2 and "missing" not in out, out
    code, out = _run("ingest", str(second), "--db", other, *ANALYST)
    assert code == 0 and "Created" not in out, out
    assert _visible_rows(str(db))[0] == 4
    assert sorted(p.name for p in tmp_path.rglob("*.ledgers")) == ["new.db.ledgers"]
    assert sorted(p.name for p in tmp_path.rglob("*.open-lock")) == ["new.db.open-lock"]
    verified = _verified(db)
    assert verified["ok"] is True and verified["ledger_parts"] == 2, verified


def test_a_relative_db_and_ironriver_db_name_the_same_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A relative `--db` through a link (from the folder it is relative to) and
    `IRONRIVER_DB` naming a link: both read and write the store's own ledger folder."""
    db, second, third = _store(tmp_path)
    _by_file_link(tmp_path, db)
    monkeypatch.chdir(tmp_path)
    code, out = _run("ingest", str(second), "--db", "link.db", *ANALYST)
    assert code == 0, out
    env = {"IRONRIVER_DB": str(tmp_path / "link.db")}
    code, out = _run("ingest", str(third), *ANALYST, env=env)
    assert code == 0, out
    assert _visible_rows("", env)[0] == _visible_rows("link.db")[0] == 5
    assert sorted(p.name for p in tmp_path.rglob("*.ledgers")) == ["new.db.ledgers"]
    assert _verified(db)["ledger_parts"] == 3


def test_an_explicit_ledger_folder_is_used_as_given(tmp_path: Path) -> None:
    """`IRONRIVER_LEDGERS` is the folder, whatever name the store's file is given by (a
    relative folder stays relative: it is the user's); only the default one follows the
    file."""
    db = tmp_path / "new.db"
    link = tmp_path / "link.db"
    link.symlink_to(db)
    given = Settings.from_env({"IRONRIVER_LEDGERS": "shelf/ledgers"}, db=str(link))
    assert given.ledger_dir == Path("shelf/ledgers") and given.ledger_dir_given
    default = Settings.from_env({}, db=str(link))
    assert default.ledger_dir == tmp_path / "new.db.ledgers" and default.db_file == db


def test_a_refused_ingest_through_a_link_to_no_file_removes_the_store_it_made(
    tmp_path: Path,
) -> None:
    """A link to no file yet: the ingest makes the store at the file the link points to and
    says so; refused for its rows, it removes that store (file, read-audit file, lock,
    ledger folder) and says so, leaving the link as it was. A good ingest through it then
    makes the store there, its ledgers beside it."""
    data = tmp_path / "data"
    data.mkdir()
    real = data / "real.db"
    link = tmp_path / "link.db"
    link.symlink_to(real)
    bad = sales_ledger(tmp_path, "bad.csv", "T1,S1\n,S2\n", key=True)  # a txn missing
    code, out = _run("ingest", str(bad), "--db", str(link), *ANALYST)
    assert code == 1 and "rejected" in out, out
    assert f"Created a new store at {real}:" in out, out
    assert f"Removed the new store at {real}: nothing was ingested into it." in out, out
    assert sorted(data.iterdir()) == [] and link.is_symlink() and not link.exists()
    good = sales_ledger(tmp_path, "good.csv", "T1,S1\n")
    code, out = _run("ingest", str(good), "--db", str(link), *ANALYST)
    assert code == 0, out
    assert sorted(p.name for p in data.iterdir()) == [
        "real.db",
        "real.db.ledgers",
        "real.db.open-lock",
        "real.db.read-audit.sqlite",
    ]
    assert link.resolve() == real and _visible_rows(str(real))[0] == 1


@pytest.mark.parametrize(
    ("lang", "said"), [("en", "loop of symbolic links"), ("es", "bucle de enlaces simbólicos")]
)
def test_a_link_loop_is_refused_saying_so(tmp_path: Path, lang: str, said: str) -> None:
    """A `--db` that runs into a loop of links names no file: refused with a message that
    says so (en, es), not a traceback, and nothing is made."""
    loop = tmp_path / "loop.db"
    loop.symlink_to(tmp_path / "back.db")
    (tmp_path / "back.db").symlink_to(loop)
    mapping = sales_ledger(tmp_path, "a.csv", "T1,S1\n")
    before = sorted(tmp_path.iterdir())
    for args in (["stats", "--db", str(loop)], ["ingest", str(mapping), "--db", str(loop)]):
        code, out = _run(*args, *ANALYST, lang=lang)
        assert code == 2 and said in out and "Traceback" not in out, out
    assert sorted(tmp_path.iterdir()) == before


def test_a_sqlite_url_names_the_same_file_once_resolved(tmp_path: Path) -> None:
    """A `sqlite:///` URL's path is resolved as SQLAlchemy reads it (`%25` is `%`, `%3F` is
    `?`), and the resolved URL names that same file: its query is kept."""
    real = tmp_path / "a%41?.db"
    (tmp_path / "l%.db").symlink_to(real)
    url = to_url(f"sqlite:///{tmp_path}/l%25.db?timeout=3")
    assert make_url(url).database == str(real) and make_url(url).query == {"timeout": "3"}
    assert Settings.from_env({}, db=url).db_file == real
    assert to_url("sqlite://") == "sqlite://" and to_url("sqlite:///:memory:").endswith(":memory:")


@pytest.mark.parametrize("name", ["a%41.db", "what?.db", "100%.db"])
def test_a_plain_path_names_its_own_file(tmp_path: Path, name: str) -> None:
    """A plain `--db` path is the file of that name whatever characters it holds: SQLAlchemy
    decoded `%41` to `A` and read `?` as a URL's query (review R19 F7)."""
    url = to_url(str(tmp_path / name))
    assert make_url(url).database == str(tmp_path / name)
    assert Settings.from_env({}, db=str(tmp_path / name)).db_file == tmp_path / name
    code, out = _run("init", "--db", str(tmp_path / name))
    assert code == 0 and (tmp_path / name).is_file(), out
    code, out = _run("stats", "--db", str(tmp_path / name), *ANALYST)
    assert code == 0 and sorted(p.name for p in tmp_path.iterdir())[0] == name, out


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        ("en", "Cannot find the store path x.db: No such file or directory."),
        ("es", "No se encuentra la ruta del almacén x.db: No existe el archivo o la carpeta."),
    ],
)
def test_a_removed_current_folder_is_said_as_such(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lang: str, said: str
) -> None:
    """A relative `--db` (or the default store) from a current folder that was removed names
    no file: said as such, not as a loop of links (review R19 F6), and not a traceback."""
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()
    code, out = _run("stats", "--db", "x.db", *ANALYST, lang=lang)
    assert code == 2 and said in out and "loop" not in out and "Traceback" not in out, out
