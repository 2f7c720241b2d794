"""`ironriver ingest` as a command: success output, and a clean error naming the report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sales_fixtures import ROWS, write_csv  # type: ignore[import-not-found]

from ironriver.cli_ingest import ingest_command


def test_cli_ingest_mapping(sales_dir: Path, tmp_path: Path) -> None:
    db = tmp_path / "cli.db"
    runner = CliRunner()
    ok = runner.invoke(
        ingest_command,
        ["--db", str(db), "--as", "us-atf-analyst", "--json", str(sales_dir / "sales.yaml")],
    )
    assert ok.exit_code == 0, ok.output
    [data] = json.loads(ok.stdout)  # a list, one per mapping; progress lines go to stderr
    assert data["ledger_rows_new"] == 4 and data["statements_new"] > 0
    rows = [list(r) for r in ROWS]
    rows[0][1] = "bad"
    write_csv(sales_dir / "sales.csv", rows)
    bad = runner.invoke(
        ingest_command, ["--db", str(db), "--as", "us-atf-analyst", str(sales_dir / "sales.yaml")]
    )
    assert bad.exit_code != 0
    assert "sales.yaml.errors.csv" in str(bad.exception)


def test_cli_ingest_entities(tmp_path: Path) -> None:
    path = tmp_path / "e.jsonl"
    path.write_text(
        '{"id": "g1", "schema": "Firearm", "properties": {"serialNumber": ["X1"]}}\n',
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        ingest_command,
        [
            "--db",
            str(tmp_path / "e.db"),
            "--as",
            "mx-fgr-analista",
            "--entities",
            str(path),
            "--dataset",
            "mx_fgr_export",
            "--agency",
            "FGR",
            "--country",
            "MX",
            "--releasable-to",
            "MX,US",
        ],
    )
    assert result.exit_code == 0, result.output
    # a Mexican agency's principal reads Spanish (the file is read in the stage's thread)
    assert "1 afirmación nueva" in result.stdout
    # progress on stderr: the lines read, what is staged, written, committed
    assert "e.jsonl: 1 entidad leída y revisada" in result.stderr
    assert "preparando 1 afirmación" in result.stderr
    assert "confirmando la escritura" in result.stderr


def test_dry_run_checks_counts_and_writes_nothing(sales_dir: Path, tmp_path: Path) -> None:
    """--dry-run reports exactly what an ingest would produce, opens no store, and fails on
    the same bad records with the same report."""
    db = tmp_path / "dry.db"
    runner = CliRunner()
    args = ["--db", str(db), "--as", "us-atf-analyst", "--json", str(sales_dir / "sales.yaml")]
    dry = runner.invoke(ingest_command, ["--dry-run", *args])
    assert dry.exit_code == 0, dry.output
    [checked] = json.loads(dry.stdout)
    # no store was created or opened, so what is new to it is not known
    assert checked["dry_run"] and checked["statements_new"] is checked["ledger_rows_new"] is None
    assert not db.exists()
    # without --as a dry run checks the files only (what the docs and drafts tell one to run)
    anyone = runner.invoke(ingest_command, ["--dry-run", *args[:2], *args[4:]])
    assert anyone.exit_code == 0, anyone.output
    assert json.loads(anyone.stdout) == [checked]
    [real] = json.loads(runner.invoke(ingest_command, args).stdout)
    for key in ("records", "rejected", "statements_produced", "ledger_rows_produced"):
        assert checked[key] == real[key], key
    rows = [list(r) for r in ROWS]
    rows[0][1] = "bad"
    write_csv(sales_dir / "sales.csv", rows)
    report = sales_dir / "sales.yaml.errors.csv"
    bad = runner.invoke(ingest_command, ["--dry-run", *args])
    assert bad.exit_code != 0 and "sales.yaml.errors.csv" in str(bad.exception)
    assert "bad" in report.read_text(encoding="utf-8")
    skipped = runner.invoke(ingest_command, ["--dry-run", "--skip-invalid", *args])
    assert skipped.exit_code == 0, skipped.output
    [counted] = json.loads(skipped.stdout)
    # the bad row is left out
    assert counted["ledger_rows_produced"] == real["ledger_rows_produced"] - 1
    args[1] = str(tmp_path / "other.db")
    [kept] = json.loads(runner.invoke(ingest_command, ["--skip-invalid", *args]).stdout)
    for key in ("records", "rejected", "statements_produced", "ledger_rows_produced"):
        assert counted[key] == kept[key], key
    # the summary counts the records ingested, not the ones skipped
    args[1] = str(tmp_path / "third.db")
    human = runner.invoke(ingest_command, ["--skip-invalid", *[a for a in args if a != "--json"]])
    assert human.exit_code == 0, human.output
    assert (
        f"{len(ROWS) - 1} records," in human.stdout and "Skipped 1 invalid record" in human.stderr
    )


def test_dry_run_of_entities(tmp_path: Path) -> None:
    path = tmp_path / "e.jsonl"
    path.write_text(
        '{"id": "g1", "schema": "Firearm", "properties": {"serialNumber": ["X1"]}}\n'
        '{"id": "g2", "schema": "Spaceship", "properties": {}}\n',
        encoding="utf-8",
    )
    args = [
        *("--db", str(tmp_path / "e.db"), "--as", "mx-fgr-analista", "--entities", str(path)),
        *("--dataset", "mx_fgr_export", "--agency", "FGR", "--country", "MX", "--dry-run"),
    ]
    # English chosen on purpose, over the Mexican principal's Spanish
    ok = CliRunner(env={"IRONRIVER_LANG": "en"}).invoke(ingest_command, [*args, "--skip-invalid"])
    assert ok.exit_code == 0, ok.output
    assert "1 record would give 1 statement and" in ok.output and "Nothing was written" in ok.output
    bad = CliRunner().invoke(ingest_command, args)
    assert bad.exit_code != 0 and "1 entity of 2 rejected" in str(bad.exception)
    assert not (tmp_path / "e.db").exists()


def test_several_mappings_in_one_command_each_in_its_transaction(
    sales_dir: Path, tmp_path: Path
) -> None:
    """`ironriver ingest a.yaml b.yaml`: each mapping committed in turn; a failure stops the
    run, names what was ingested before it, and leaves that in the store."""
    from ironriver.cli import cli
    from ironriver.store import open_store

    db = str(tmp_path / "many.db")
    graph, both = str(sales_dir / "graph.yaml"), str(sales_dir / "sales.yaml")
    args = ["ingest", "--db", db, "--as", "us-atf-analyst"]
    ok = CliRunner().invoke(cli, [*args, "--json", graph, both])
    assert ok.exit_code == 0, ok.output
    first, second = json.loads(ok.stdout)  # one result per mapping
    assert first["statements_new"] > 0 and second["statements_new"] == 0  # same statements
    assert second["ledger_rows_new"] == 4
    broken = sales_dir / "broken.yaml"
    broken.write_text((sales_dir / "graph.yaml").read_text().replace("sales.csv", "nope.csv"))
    fresh = str(tmp_path / "fresh.db")
    bad = CliRunner().invoke(
        cli, ["ingest", "--db", fresh, "--as", "us-atf-analyst", graph, str(broken)]
    )
    assert bad.exit_code == 1
    assert f"Ingested before {broken} failed: {graph}." in bad.stderr
    store = open_store(f"sqlite:///{fresh}")
    assert [info.name for _, info in store.datasets()] == ["us_atf_dealer_sales"]  # stayed
    store.close()
    reported = CliRunner().invoke(cli, [*args, "--report", "r.csv", graph, both])
    assert reported.exit_code == 2 and "--report names one error report" in reported.output


def test_entities_with_an_unknown_owner_country_are_refused(tmp_path: Path) -> None:
    """--country is checked as a mapping file's `country:` is: a usage error (exit 2)
    before anything is read or a store is made."""
    from ironriver.cli import cli

    path = tmp_path / "e.jsonl"
    path.write_text('{"id": "g1", "schema": "Firearm", "properties": {}}\n', encoding="utf-8")
    db = tmp_path / "e.db"
    args = ["--lang", "en", "ingest", "--db", str(db), "--as", "mx-fgr-analista"]
    args += ["--entities", str(path), "--dataset", "mx_fgr_export", "--agency", "FGR"]
    runner = CliRunner()
    bad = runner.invoke(cli, [*args, "--country", "XX"])
    assert bad.exit_code == 2, bad.output
    assert "Error: Unknown country code 'XX'." in bad.output
    assert "a two-letter ISO 3166-1 country code, e.g. MX or US" in bad.output
    named = runner.invoke(cli, [*args, "--country", "Mexico"])
    assert named.exit_code == 2 and "Use its code: MX." in named.output, named.output
    assert not db.exists()
    ok = runner.invoke(cli, [*args, "--country", "mx", "--json"])
    assert ok.exit_code == 0, ok.output


def test_an_ingest_refused_for_rights_or_its_mapping_makes_no_store(
    sales_dir: Path, tmp_path: Path
) -> None:
    """An ingest into a new --db refused for what the principal may not load (exit 3) or for
    its first mapping being wrong (exit 1) left the empty store it made: its file and
    read-audit file (and the message that it made one). Those refusals are decided before the
    store is opened; none is audited (nothing of a store is told), so nothing on record is
    lost."""
    from ironriver.cli import cli

    db = tmp_path / "new" / "store.db"
    db.parent.mkdir()
    graph = str(sales_dir / "graph.yaml")  # ATF's dataset
    entities = tmp_path / "e.jsonl"
    entities.write_text('{"id": "g1", "schema": "Firearm", "properties": {}}\n', "utf-8")
    broken = sales_dir / "broken.yaml"
    broken.write_text("us_atf_x:\n  agency: ATF\n  queries: nope\n", encoding="utf-8")
    refused = {
        3: [
            [graph, "--as", "us-cbp-officer"],  # another agency's dataset
            [graph, "--replace", "--as", "us-cbp-officer"],
            [
                *("--entities", str(entities), "--dataset", "us_atf_e", "--agency", "ATF"),
                *("--country", "US", "--as", "mx-fgr-analista"),
            ],
        ],
        1: [[str(broken), graph, "--as", "us-atf-analyst"]],  # the first mapping is wrong
    }
    for code, runs in refused.items():
        for args in runs:
            done = CliRunner().invoke(cli, ["ingest", "--db", str(db), *args])
            assert done.exit_code == code, (args, done.output)
            assert "Created a new store" not in done.output, args
            assert sorted(p.name for p in db.parent.iterdir()) == [], args
    done = CliRunner().invoke(cli, ["ingest", "--db", str(db), graph, "--as", "us-atf-analyst"])
    assert done.exit_code == 0 and "Created a new store" in done.output  # (the test can fail)


def test_each_mapping_file_is_read_once_per_ingest(
    sales_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The command reads and authorizes its first mapping before it opens the store (so a
    refusal makes no store); the ingest then read and authorized the same file again. It
    now gets the mapping the command read: each file is read once (a dry run, which opens
    no store, reads it once too; a second mapping is read by its own ingest)."""
    from ironriver.cli import cli
    from ironriver.ingest import check

    reads: list[Path] = []
    load = check.load_mapping

    def counted(path: Path) -> object:
        reads.append(path)
        return load(path)

    monkeypatch.setattr(check, "load_mapping", counted)
    graph, sales = sales_dir / "graph.yaml", sales_dir / "sales.yaml"
    base = ["ingest", "--db", str(tmp_path / "once.db"), "--as", "us-atf-analyst"]
    runs = {
        (str(sales),): [sales],
        (str(sales), "--replace"): [sales],
        (str(sales), "--replace", "--dry-run"): [sales],
        (str(sales), "--dry-run"): [sales],
        (str(graph), str(sales)): [graph, sales],
    }
    for args, read in runs.items():
        reads.clear()
        done = CliRunner().invoke(cli, [*base, *args])
        assert done.exit_code == 0, (args, done.output)
        assert reads == read, args
