"""`ironriver ledger DATASET` of a ledger that holds no row (a file of a header alone
loaded, or a re-send of one with `--replace`), end to end: a mapping ingested by the CLI into
a real SQLite store. A reader who may see the dataset is answered as a filter matching
nothing is (exit 0, no row, a note on standard error saying the ledger holds no row it may
see); a reader who may not see the dataset gets exactly what a dataset that does not exist
gets (exit 4, the same words). A ledger whose rows were all retracted stays not found: a
retraction hides its rows from every view, so that they were there is no reader's to know.
`ironriver ledgers` lists the empty ledger (0 rows) by the same rule: to its reader, so it can
be found; to one who may not see the dataset, listings are those of a store without it."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from ironriver.cli import cli

MAPPING = """\
us_atf_sales:
  agency: ATF
  country: US
  marking: AMBER
  releasable_to: [US]
  queries:
  - csv_url: sales.csv
    ledger:
      name: dealer_sales
      columns:
        txn: {column: txn, type: string, required: true}
        serial: {column: serial, type: string}
"""
HEADER = "txn,serial\n"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "sales.yaml").write_text(MAPPING, encoding="utf-8")
    return tmp_path


def ingest(folder: Path, rows: str, *extra: str) -> str:
    """`ingest` of the mapping with sales.csv holding `rows` under its header; the store."""
    (folder / "sales.csv").write_text(HEADER + rows, encoding="utf-8")
    db = str(folder / "l.db")
    result = invoke("ingest", str(folder / "sales.yaml"), "--db", db, "--as", "loader", *extra)
    assert result.exit_code == 0, result.output
    return db


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def read(db: str, *args: str, who: str = "us-atf-analyst") -> Result:
    return invoke("ledger", *args, "--db", db, "--as", who)


def test_the_owner_is_told_the_ledger_holds_no_row_it_may_see(folder: Path) -> None:
    db = ingest(folder, "")
    result = read(db, "us_atf_sales")
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "Ledger us_atf_sales/dealer_sales holds no row that you may see." in result.stderr
    # with a filter: as a filter matching no row of a ledger that holds some
    result = read(db, "us_atf_sales", "--ledger", "dealer_sales", "--where", "serial=ABC")
    assert result.exit_code == 0, result.output
    assert "No row of us_atf_sales/dealer_sales that you may see matches." in result.stderr
    result = read(db, "us_atf_sales", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "dataset": "us_atf_sales",
        "ledger": "dealer_sales",
        "columns": ["txn", "serial"],
        "matched_rows": 0,
        "rows": [],
    }
    result = read(db, "us_atf_sales", "--format", "csv")
    assert result.exit_code == 0, result.output
    label = ["_marking", "_releasable_to", "_owner_agency", "_owner_country", "_source_ref"]
    assert list(csv.reader(io.StringIO(result.stdout))) == [["txn", "serial", *label]]
    result = invoke("--lang", "es", "ledger", "us_atf_sales", "--db", db, "--as", "us-atf-analyst")
    assert result.exit_code == 0, result.output
    assert (
        "El libro de registro us_atf_sales/dealer_sales no contiene ninguna fila que usted "
        "pueda ver." in result.stderr
    )


def test_a_reader_who_may_not_see_the_dataset_gets_the_missing_answer(folder: Path) -> None:
    """FGR may not see ATF's US-only dataset: its empty ledger is answered exactly as a
    dataset that does not exist, and as a ledger of a visible dataset that does not exist
    is to its owner (exit 4), with or without --ledger."""
    db = ingest(folder, "")
    for extra in ((), ("--ledger", "dealer_sales")):
        hidden = read(db, "us_atf_sales", *extra, who="mx-fgr-analista")
        missing = read(db, "us_atf_salez", *extra, who="mx-fgr-analista")
        assert hidden.exit_code == missing.exit_code == 4
        assert hidden.stdout.replace("us_atf_sales", "D") == missing.stdout.replace(
            "us_atf_salez", "D"
        )
        assert hidden.stderr.replace("us_atf_sales", "D") == missing.stderr.replace(
            "us_atf_salez", "D"
        )
        assert "No hay ningún libro de registro" in hidden.output  # (FGR reads Spanish)
        assert "txn" not in hidden.output  # (its columns are not told)
    no_ledger = read(db, "us_atf_sales", "--ledger", "sales")  # the owner, a wrong ledger
    assert no_ledger.exit_code == 4
    assert "No ledger 'sales' of a dataset 'us_atf_sales' is visible to you." in no_ledger.output


def test_a_re_send_replaced_by_an_empty_file_holds_no_row(folder: Path) -> None:
    """The rows a file loaded, replaced (`--replace`) by a header alone: the ledger is
    there, empty, for its owner; still not found for FGR."""
    db = ingest(folder, "T1,ABC\nT2,XYZ\n")
    assert "T1" in read(db, "us_atf_sales").stdout
    ingest(folder, "", "--replace")
    result = read(db, "us_atf_sales")
    assert result.exit_code == 0, result.output
    assert "Ledger us_atf_sales/dealer_sales holds no row that you may see." in result.stderr
    assert read(db, "us_atf_sales", who="mx-fgr-analista").exit_code == 4


def test_a_ledger_whose_rows_were_all_retracted_stays_not_found(folder: Path) -> None:
    """Retracted rows are out of every view, for every reader: a ledger known only from them
    is answered as one that does not exist, to its owner too (as before)."""
    db = ingest(folder, "T1,ABC\n")
    done = invoke(
        "retract", "--ledger", "us_atf_sales/dealer_sales", "--file", "sales.csv",
        "--reason", "wrong file", "--db", db, "--as", "loader",
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    retracted = read(db, "us_atf_sales")
    missing = read(db, "us_atf_salez")
    assert retracted.exit_code == missing.exit_code == 4
    assert retracted.stderr.replace("us_atf_sales", "D") == missing.stderr.replace(
        "us_atf_salez", "D"
    )


def listed(db: str, command: str, who: str) -> Result:
    """`ironriver ledgers` or `ironriver datasets` as `who`, with --json."""
    return invoke(command, "--db", db, "--as", who, "--json")


def test_the_owner_finds_the_empty_ledger_listed_with_no_row(folder: Path) -> None:
    """`ironriver ledgers` lists the ledger it may read, with 0 rows (human and --json);
    `ironriver datasets` counts the dataset's ledger rows as 0, as before."""
    db = ingest(folder, "")
    result = invoke("ledgers", "--db", db, "--as", "us-atf-analyst")
    assert result.exit_code == 0, result.output
    assert [line.split() for line in result.stdout.splitlines()][-1] == [
        "us_atf_sales",
        "dealer_sales",
        "0",
    ]
    result = listed(db, "ledgers", "us-atf-analyst")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == [
        {"dataset": "us_atf_sales", "ledger": "dealer_sales", "visible_ledger_rows": 0}
    ]
    result = listed(db, "datasets", "us-atf-analyst")
    assert result.exit_code == 0, result.output
    [dataset] = json.loads(result.stdout)
    assert (dataset["dataset"], dataset["visible_ledger_rows"]) == ("us_atf_sales", 0)


def test_the_listings_of_one_who_may_not_see_it_are_as_without_the_ledger(
    folder: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """FGR may not see ATF's US-only dataset: its `ledgers` and `datasets`, human and
    --json, are word for word those of a store whose ledger of that dataset is gone (its
    rows all retracted), where the owner is listed no ledger either."""
    db = ingest(folder, "")
    other = tmp_path_factory.mktemp("retracted")
    (other / "sales.yaml").write_text(MAPPING, encoding="utf-8")
    gone = ingest(other, "T1,ABC\n")
    done = invoke(
        "retract", "--ledger", "us_atf_sales/dealer_sales", "--file", "sales.csv",
        "--reason", "wrong file", "--db", gone, "--as", "loader",
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    for command in ("ledgers", "datasets"):
        for extra in ((), ("--json",)):
            empty = invoke(command, "--db", db, "--as", "mx-fgr-analista", *extra)
            without = invoke(command, "--db", gone, "--as", "mx-fgr-analista", *extra)
            assert (empty.exit_code, empty.stdout, empty.stderr) == (
                without.exit_code,
                without.stdout,
                without.stderr,
            ), (command, extra)
    assert json.loads(listed(gone, "ledgers", "mx-fgr-analista").stdout) == []
    # a ledger whose rows were all retracted is not listed, to its owner either
    assert json.loads(listed(gone, "ledgers", "us-atf-analyst").stdout) == []
    # and one of rows the reader sees is listed with them, as before
    assert json.loads(listed(ingest(folder, "T1,ABC\n"), "ledgers", "us-atf-analyst").stdout) == [
        {"dataset": "us_atf_sales", "ledger": "dealer_sales", "visible_ledger_rows": 1}
    ]


def test_a_ledgers_name_given_as_its_dataset_names_the_empty_ledgers_dataset(
    folder: Path,
) -> None:
    """`ironriver ledger dealer_sales` (the ledger's name, not its dataset's): the owner is
    asked whether it meant `us_atf_sales`, whose ledger holds no row, as `ledgers` lists it;
    FGR, who may not see the dataset, is told nothing of it, as of a store without it."""
    db = ingest(folder, "")
    owner = read(db, "dealer_sales")
    assert owner.exit_code == 4
    assert "Did you mean `us_atf_sales`?" in owner.output
    fgr = read(db, "dealer_sales", who="mx-fgr-analista")
    assert fgr.exit_code == 4
    assert "us_atf_sales" not in fgr.output
