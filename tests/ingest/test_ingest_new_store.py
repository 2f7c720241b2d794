"""An ingest refused for its records into a new `--db` leaves nothing behind (the store it
had to make to stage them: its file, read-audit file and ledger folder), and never removes
a store that existed before it, nor one something else wrote into meanwhile (real CLI
through click's runner, real SQLite stores; test_ingest_cli.py holds the refusals decided
before the store is opened)."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from sales_fixtures import ROWS, sales_ledger, write_csv  # type: ignore[import-not-found]

from ironriver.cli import cli
from ironriver.errors import IngestError
from ironriver.store import DatasetInfo, Store, open_store
from samples import FGR  # type: ignore[import-not-found]


def _ingest(db: Path, *args: str, lang: str = "en") -> tuple[int, str]:
    done = CliRunner().invoke(cli, ["--lang", lang, "ingest", "--db", str(db), *args])
    return done.exit_code, done.output


def _bad_rows(sales_dir: Path) -> None:
    rows = [list(r) for r in ROWS]
    rows[0][1] = "bad"  # a sale date that does not read
    write_csv(sales_dir / "sales.csv", rows)


def _tables(db: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every table's rows, in rowid order where there is one (byte-for-byte values)."""
    with closing(sqlite3.connect(db)) as conn:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {n: conn.execute(f'SELECT * FROM "{n}"').fetchall() for n in sorted(names)}


def test_a_refused_ingest_into_a_new_db_leaves_no_store(sales_dir: Path, tmp_path: Path) -> None:
    """Rejected rows, a malformed CSV, a keyed ledger's rejected key (which made the ledger's
    folder and lock file) and an entity file's rejected entity, each into a new --db: the
    store the ingest made to stage them was left, empty (file, read-audit file, ledger
    folder). Now nothing is left but the error report beside the input, and the command says
    it removed the store it said it made (en, es)."""
    folder = tmp_path / "new"
    folder.mkdir()
    db = folder / "store.db"
    _bad_rows(sales_dir)
    keyed = sales_ledger(tmp_path, "keyed.csv", "T1,A1\n,A2\n", key=True)  # a txn missing
    entities = tmp_path / "e.jsonl"
    entities.write_text('{"id": "g1", "schema": "Spaceship", "properties": {}}\n', "utf-8")
    entity_args = ["--entities", str(entities), "--dataset", "us_atf_e", "--agency", "ATF"]
    runs = [
        [str(sales_dir / "sales.yaml")],
        [str(keyed)],
        [*entity_args, "--country", "US"],
    ]
    for args in runs:
        code, out = _ingest(db, *args, "--as", "us-atf-analyst")
        assert code == 1 and "rejected" in out, (args, out)
        assert "Created a new store" in out, args
        assert f"Removed the new store at {db}: nothing was ingested into it." in out, args
        assert sorted(folder.iterdir()) == [], args
    assert (sales_dir / "sales.yaml.errors.csv").exists()  # what the user needs stays
    (sales_dir / "sales.csv").write_text("txn,sold\nT1,01/05/2023,extra\n", encoding="utf-8")
    code, out = _ingest(db, str(sales_dir / "sales.yaml"), "--as", "us-atf-analyst", lang="es")
    assert code == 1 and "Se eliminó el almacén nuevo en" in out, out
    assert sorted(folder.iterdir()) == []
    write_csv(sales_dir / "sales.csv", ROWS)  # (the test can fail: a good ingest keeps it)
    code, out = _ingest(db, str(sales_dir / "sales.yaml"), "--as", "us-atf-analyst")
    assert code == 0 and "Removed" not in out, out
    assert db.exists() and (folder / "store.db.ledgers").is_dir()


def test_a_refused_ingest_never_removes_a_store_that_existed(
    sales_dir: Path, tmp_path: Path
) -> None:
    """Into a store that existed (here holding an earlier load, and an empty one made by
    `init`), a refused ingest leaves every table's rows and every file as they were."""
    loaded, empty = tmp_path / "loaded.db", tmp_path / "empty.db"
    code, out = _ingest(loaded, str(sales_dir / "graph.yaml"), "--as", "us-atf-analyst")
    assert code == 0, out
    done = CliRunner().invoke(cli, ["init", "--db", str(empty)])
    assert done.exit_code == 0, done.output
    _bad_rows(sales_dir)
    for db in (loaded, empty):
        tables = _tables(db)
        files = sorted(p.name for p in tmp_path.iterdir())
        code, out = _ingest(db, "--json", str(sales_dir / "sales.yaml"), "--as", "us-atf-analyst")
        assert code == 1 and "Removed" not in out, out
        assert _tables(db) == tables
        assert sorted(p.name for p in tmp_path.iterdir()) == files


def test_a_new_store_written_into_meanwhile_is_kept(
    sales_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The store this ingest made, which another command wrote into before the ingest was
    refused (a dataset declared), is not removed: only an empty store the open made is."""
    import ironriver.ingest as ingest  # (the command imports it when it runs)

    db = tmp_path / "shared.db"

    def another_command_then_refused(store: object, *args: object, **kw: object) -> object:
        other = open_store(f"sqlite:///{db}")
        with other.writer() as w:
            w.ensure_dataset(DatasetInfo(name="mx_fgr_x", agency="FGR", country="MX"))
        other.close()
        raise IngestError("refused for its records")

    monkeypatch.setattr(ingest, "ingest_mapping", another_command_then_refused)
    code, out = _ingest(db, str(sales_dir / "sales.yaml"), "--as", "us-atf-analyst")
    assert code == 1 and "refused for its records" in out and "Removed" not in out, out
    store = open_store(f"sqlite:///{db}")
    assert [i.name for _, i in store.datasets()] == ["mx_fgr_x"]
    store.close()


def test_an_ingest_interrupted_before_its_commit_leaves_no_new_store(
    sales_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C while the records are read (before the commit: nothing written) into a new
    --db: the store the ingest made is removed, as for a refusal."""
    import ironriver.ingest.pipeline as pipeline

    def interrupted(*args: object, **kw: object) -> object:
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline, "prepare_query", interrupted)
    folder = tmp_path / "new"
    folder.mkdir()
    code, out = _ingest(folder / "s.db", str(sales_dir / "sales.yaml"), "--as", "us-atf-analyst")
    assert code != 0 and "Removed the new store" in out, out
    assert sorted(folder.iterdir()) == []


def test_a_removal_that_fails_never_hides_the_refusal(
    sales_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The removal of the new store failing (here an OSError, as from a disk that refuses
    it) leaves the store, and the user reads the refusal, not the removal's error."""
    import ironriver.store as store_package  # (the command imports it when it runs)

    def failing(*args: object) -> bool:
        raise OSError("read-only file system")

    monkeypatch.setattr(store_package, "remove_unused", failing)
    _bad_rows(sales_dir)
    db = tmp_path / "s.db"
    code, out = _ingest(db, str(sales_dir / "sales.yaml"), "--as", "us-atf-analyst")
    assert code == 1 and "rejected, nothing was ingested" in out, out
    assert "Traceback" not in out and "Removed" not in out
    assert db.exists()


def _refused_while_open_in(monkeypatch: pytest.MonkeyPatch, db: Path, opened: list[Store]) -> None:
    """Make the CLI's ingest, once it has made the store, be refused while another ingest
    (B, appended to `opened`) has opened it: B opened it after it was made, before the
    refusal, and is still reading its records."""
    import ironriver.ingest as ingest_cli

    def refused_while_another_ingest_reads(store: object, *a: object, **kw: object) -> object:
        opened.append(open_store(f"sqlite:///{db}"))
        raise IngestError("refused for its records")

    monkeypatch.setattr(ingest_cli, "ingest_mapping", refused_while_another_ingest_reads)


@pytest.mark.parametrize(
    ("lang", "note"), [("en", "Kept the new store at"), ("es", "Se conservó el almacén nuevo en")]
)
def test_an_ingest_in_progress_into_the_new_store_keeps_it(
    sales_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lang: str, note: str
) -> None:
    """(R17 F1) A (the CLI) made the store and is refused while B, another ingest, has it
    open. A keeps the store and says so; B's ingest then succeeds into it, and its data is
    there for the next command. Before the open lock, A removed the files from under B: B
    failed on a store with no tables, or committed into the unlinked file and was lost."""
    from ironriver.ingest.pipeline import ingest_mapping
    from ironriver.policy import DEFAULT_PRINCIPALS_YAML, parse_principals

    db = tmp_path / "shared.db"
    opened: list[Store] = []
    _refused_while_open_in(monkeypatch, db, opened)
    code, out = _ingest(db, str(sales_dir / "sales.yaml"), "--as", "us-atf-analyst", lang=lang)
    assert code == 1 and "refused for its records" in out, out
    assert f"{note} {db}" in out and "Removed" not in out, out
    (b,) = opened
    assert not b.created  # B did not make it: B's own refusal would never remove it
    atf = parse_principals(yaml.safe_load(DEFAULT_PRINCIPALS_YAML))["us-atf-analyst"]
    try:
        result = ingest_mapping(b, sales_dir / "graph.yaml", actor=atf.name, principal=atf)
    finally:
        b.close()
    after = open_store(f"sqlite:///{db}", create=False)
    try:
        assert result.statements_new > 0
        assert [i.name for _, i in after.datasets()] == list(result.datasets)
    finally:
        after.close()


def test_a_read_audited_in_the_new_store_keeps_it(
    sales_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """(R17 F1b) Another principal searched the new store (and closed it) before the ingest
    that made it was refused: the search's event is in the read-audit file, so the store
    and that file are kept (a read that happened keeps its audit event), and the command
    says why. Before, only the writes chain was looked at: both files were removed."""
    import ironriver.ingest as ingest_cli
    from ironriver.policy import View

    db = tmp_path / "shared.db"

    def refused_after_a_read(store: object, *a: object, **kw: object) -> object:
        other = open_store(f"sqlite:///{db}")
        View(other, FGR, reason="case 7").search("garcia")  # audited, in the reads chain
        other.close()
        raise IngestError("refused for its records")

    monkeypatch.setattr(ingest_cli, "ingest_mapping", refused_after_a_read)
    code, out = _ingest(db, str(sales_dir / "sales.yaml"), "--as", "us-atf-analyst")
    assert code == 1 and f"Kept the new store at {db}: another command stored" in out, out
    store = open_store(f"sqlite:///{db}", create=False)
    try:
        searches = [e for e in store.audit.events() if e.action == "search"]
        assert [(e.actor, e.reason) for e in searches] == [(FGR.name, "case 7")]
    finally:
        store.close()
