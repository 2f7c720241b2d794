"""`ironriver retract --ledger DATASET/LEDGER --file FILE` end to end on a real SQLite store:
the rows leave `ledger` and `ledgers`, the answer is a sentence or JSON in the reader's
language, and a command line that mixes or halves the two kinds of retraction is a clear
error before the store is opened."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sales_fixtures import sales_ledger  # type: ignore[import-not-found]

from ironriver.cli import cli


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.output


@pytest.fixture
def db(tmp_path: Path) -> str:
    mapping = sales_ledger(tmp_path, "enero.csv", "T1,A1\nT2,A2\n")
    path = str(tmp_path / "l.db")
    code, out = run("ingest", str(mapping), "--db", path, "--as", "loader")
    assert code == 0, out
    return path


def _retract(db: str, *args: str, who: str = "loader") -> tuple[int, str]:
    return run("retract", *args, "--reason", "re-sent", "--db", db, "--as", who)


def test_the_files_rows_leave_the_ledger(db: str) -> None:
    ledger = ("--ledger", "us_atf_sales/dealer_sales", "--file", "enero.csv")
    code, out = _retract(db, *ledger, "--json")
    assert code == 0, out
    document = json.loads(out[out.index("{") :])
    assert document["ledger_rows_retracted"] == 2 and document["file"] == "enero.csv"
    assert (document["dataset"], document["ledger"]) == ("us_atf_sales", "dealer_sales")
    assert [p.startswith("part-") for p in document["parts"]] == [True]
    code, out = run("ledgers", "--db", db, "--as", "us-atf-analyst")
    assert "dealer_sales" not in out
    code, out = run("ledger", "us_atf_sales", "--db", db, "--as", "us-atf-analyst")
    assert code == 4
    code, out = run("audit", "verify", "--db", db)
    assert code == 0, out


def test_the_answer_is_in_the_readers_language(db: str) -> None:
    ledger = ("--ledger", "us_atf_sales/dealer_sales", "--file", "enero.csv")
    code, out = run(
        "--lang", "es", "retract", *ledger, "--reason", "r", "--db", db, "--as", "loader"
    )
    assert code == 0, out
    assert (
        "Se retiraron 2 filas de enero.csv del libro de registro us_atf_sales/dealer_sales." in out
    )


def test_a_file_never_loaded_names_those_that_were(db: str) -> None:
    code, out = _retract(db, "--ledger", "us_atf_sales/dealer_sales", "--file", "febrero.csv")
    assert code == 4
    assert (
        "No rows of 'febrero.csv' that you can see are in ledger us_atf_sales/dealer_sales." in out
    )
    assert "Its rows you can see come from: enero.csv." in out


@pytest.mark.parametrize(
    ("args", "error"),
    [
        ((), "Say what to retract: an ENTITY_ID, or --ledger DATASET/LEDGER with --file FILE."),
        (
            ("e1", "--ledger", "us_atf_sales/dealer_sales", "--file", "enero.csv"),
            "Retract either an entity's statements or a file's ledger rows, not both.",
        ),
        (
            ("--prop", "alias", "--ledger", "us_atf_sales/dealer_sales", "--file", "enero.csv"),
            "Retract either an entity's statements or a file's ledger rows, not both.",
        ),
        (("--ledger", "us_atf_sales/dealer_sales"), "--ledger and --file go together"),
        (("--file", "enero.csv"), "--ledger and --file go together"),
        (
            ("--ledger", "dealer_sales", "--file", "enero.csv"),
            "--ledger takes DATASET/LEDGER (e.g. us_atf_sales/dealer_sales)",
        ),
    ],
)
def test_a_command_line_that_mixes_or_halves_them_is_refused(
    db: str, args: tuple[str, ...], error: str
) -> None:
    code, out = _retract(db, *args)
    assert code == 2 and error in out
    code, out = run("ledger", "us_atf_sales", "--db", db, "--as", "us-atf-analyst")
    assert code == 0 and "T1" in out  # nothing was retracted


def test_the_statements_the_file_gave_are_said_to_stay(tmp_path: Path) -> None:
    """Review R22: the rows went, and nothing said that the people the same file gave (its
    statements) stay searchable, nor how to withdraw them."""
    mapping = sales_ledger(tmp_path, "enero.csv", "T1,p1,ANA\nT2,p2,LUIS\n", buyers=True)
    db = str(tmp_path / "b.db")
    done = CliRunner().invoke(cli, ["ingest", str(mapping), "--db", db, "--as", "loader", "--json"])
    assert done.exit_code == 0, done.output
    [loaded] = json.loads(done.stdout)
    ledger = ("--ledger", "us_atf_sales/sales", "--file", "enero.csv")
    code, out = run(
        "--lang", "es", "retract", *ledger, "--reason", "r", "--db", db, "--as", "loader"
    )
    assert code == 0, out
    n = loaded["statements_new"]
    assert (
        f"{n} afirmaciones que enero.csv dio a us_atf_sales (entidades y sus propiedades) se "
        "mantienen: retirar de un libro de registro retira solo filas." in out
    ), out
    assert "--replace" in out
    code, out = run("search", "ana", "--db", db, "--as", "us-atf-analyst", "--json")
    assert code == 0 and "ANA" in out  # (they do stay)


def test_a_file_that_gave_no_statements_says_nothing_of_them(db: str) -> None:
    code, out = _retract(db, "--ledger", "us_atf_sales/dealer_sales", "--file", "enero.csv")
    assert code == 0 and "stay" not in out, out
    code, out = _retract(db, "--ledger", "us_atf_sales/dealer_sales", "--file", "enero.csv")
    assert code == 4  # (none left)
