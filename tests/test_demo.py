"""`ironriver demo` end to end: a real (tiny) world, real ingest, two countries' views."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ironriver.cli import cli
from ironriver.demo import print_report, run_demo


@pytest.mark.slow
def test_demo_shows_each_country_its_own_view(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = run_demo(tmp_path, scale=0.002, seed=3, echo=False)
    us, mx = report.views
    assert us.principal.country == "US" and mx.principal.country == "MX"
    # US-person records in bulk (4473 sales, multiple-sale reports, every crossing and plate
    # read, inspections) are releasable to the US only; seizures and Mexican records are shared.
    assert us.ledger_rows["dealer_sales"] > 0
    us_only = {"dealer_sales", "multiple_sales", "outbound_crossings", "plate_reads", "inspections"}
    assert us_only <= set(us.ledger_rows)
    assert not us_only & set(mx.ledger_rows)  # not even their existence
    assert sum(mx.statements_by_dataset.values()) > 0
    assert any(ds.startswith("mx_") for ds in us.statements_by_dataset)
    # The recovered gun is visible to both, from Mexican records.
    assert report.views[0].gun_id is not None
    for view in report.views:
        assert any(prop == "serialNumber" for prop, _v, _d in view.gun_properties)
    # The first retail sale behind that gun is in ATF records: the US sees it, Mexico not.
    assert us.gun_sales, "the demo should pick a gun that traces to a US dealer sale"
    assert mx.gun_sales == []
    assert report.audit_ok and report.audit_events > 0
    print_report(report)
    out = capsys.readouterr().out
    assert "What us-atf-analyst (ATF, US) sees" in out
    assert "Lo que ve mx-fgr-analista (FGR, MX)" in out
    mx_part = out[out.index("Lo que ve mx-fgr-analista") :]
    ledgers = mx_part[mx_part.index("Filas visibles de libros de registro") :]
    assert ledgers.splitlines()[1] == "(nada visible)"  # not an empty table
    n = report.audit_events
    assert f"Audit log: {n} events, both hash chains (writes, reads) intact." in out
    assert (
        f"Bitácora de auditoría: {n} eventos, ambas cadenas de hashes (escrituras, lecturas) íntegras."
        in out
    )
    assert "True" not in out  # no untranslated Python value where a reader expects words
    # the demo's store is there to explore with the CLI afterwards, ledgers included
    assert "Explore it as us-atf-analyst: ironriver search" in out
    assert "Explórelo como mx-fgr-analista: ironriver search" in out
    # where the examples of every --help find this store (they read $IRONRIVER_DB)
    assert (
        "The examples of every --help run on this store once you type: export IRONRIVER_DB=" in out
    )
    assert "Los ejemplos de cada --help se ejecutan sobre este almacén" in out
    args = ["ledgers", "--db", str(tmp_path / "demo.db"), "--as", "us-atf-analyst", "--json"]
    listed = CliRunner().invoke(cli, args, catch_exceptions=False)
    seen = {row["ledger"]: row["visible_ledger_rows"] for row in json.loads(listed.output)}
    assert seen == us.ledger_rows
    # the ingest lines count what was stored: their sum is the store's statements
    from ironriver.store import open_store

    store = open_store(f"sqlite:///{tmp_path / 'demo.db'}", create=False)
    assert sum(row[2] for row in report.ingested) == store.statement_count()
    store.close()


@pytest.mark.slow
def test_demo_same_on_postgresql(tmp_path: Path, pg_url: str) -> None:
    """The whole demo (a world's every agency file ingested, both countries' views) gives the
    same answers on PostgreSQL (batches written with COPY inside the transaction) as on
    SQLite (statements staged in a side file, then copied)."""
    on_sqlite = run_demo(tmp_path / "s", scale=0.002, seed=5, echo=False)
    on_pg = run_demo(tmp_path / "p", db_url=pg_url, scale=0.002, seed=5, echo=False)
    assert on_pg.ingested == on_sqlite.ingested
    assert sum(r[2] for r in on_pg.ingested) > 1000  # statements: a real load, not a toy
    for pg_view, lite_view in zip(on_pg.views, on_sqlite.views, strict=True):
        assert pg_view.statements_by_dataset == lite_view.statements_by_dataset
        assert pg_view.ledger_rows == lite_view.ledger_rows
        assert pg_view.gun_id == lite_view.gun_id
        assert sorted(pg_view.gun_properties) == sorted(lite_view.gun_properties)
        assert sorted(pg_view.gun_sales) == sorted(lite_view.gun_sales)
    assert on_pg.audit_ok and on_pg.audit_events == on_sqlite.audit_events


@pytest.mark.slow
def test_a_second_demo_starts_a_fresh_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Record numbers restart in every world and are entity keys: a second world ingested
    into the first one's store merged unrelated people (one Individual, two birth dates)."""
    from ironriver.i18n import use_lang
    from ironriver.store import open_store

    run_demo(tmp_path, scale=0.002, seed=3, echo=False)
    second = run_demo(tmp_path, scale=0.002, seed=4, echo=False)
    store = open_store(f"sqlite:///{tmp_path / 'demo.db'}", create=False)
    try:
        assert store.statement_count() == sum(row[2] for row in second.ingested)
    finally:
        store.close()
    # a store given with --db must be empty: this one holds the seed-4 world
    args = ["demo", "--workdir", str(tmp_path / "w"), "--db", str(tmp_path / "demo.db")]
    refused = CliRunner().invoke(cli, args)
    assert refused.exit_code == 2, refused.output
    assert "not empty" in refused.output and "Traceback" not in refused.output
    # --lang (docs/i18n.md: it comes before the principal's language) applies to both views
    with use_lang("es"):
        print_report(second)
    out = capsys.readouterr().out
    assert "Lo que ve us-atf-analyst (ATF, US)" in out
    assert "What " not in out and "Audit log" not in out
    with use_lang("en"):
        print_report(second)
    out = capsys.readouterr().out
    assert "What mx-fgr-analista (FGR, MX) sees" in out
    assert "Lo que ve" not in out and "Bitácora" not in out


@pytest.mark.parametrize("option", [["--json"], ["--as", "no-such-principal"]])
def test_demo_offers_no_options_it_would_ignore(option: list[str]) -> None:
    # --json printed tables and --as was neither used nor checked; --db read $IRONRIVER_DB
    result = CliRunner().invoke(cli, ["demo", *option])
    assert result.exit_code == 2
    assert "No such option" in result.output
    help_text = CliRunner().invoke(cli, ["demo", "--help"]).output
    assert "IRONRIVER_DB" not in help_text


def test_the_demo_makes_its_workdir(tmp_path: Path) -> None:
    """The store is opened before the world is generated: a workdir that did not exist yet
    failed with 'unable to open database file'."""
    report = run_demo(tmp_path / "new" / "dir", scale=0.002, seed=5, echo=False)
    assert (tmp_path / "new" / "dir" / "demo.db").exists() and report.audit_ok


def test_demo_refuses_a_store_holding_only_ledger_rows(tmp_path: Path) -> None:
    """A store whose only data is ledger rows (no statement) is someone's: the demo must not
    mix its synthetic sales into them (ledger rows cannot be retracted), and, running as no
    principal, must not say how much the store holds."""
    import pyarrow as pa

    from ironriver.policy.markings import AccessLabel, Marking
    from ironriver.store import open_store
    from samples import write_ledger

    db = tmp_path / "live.db"
    store = open_store(f"sqlite:///{db}")
    try:
        label = AccessLabel("ATF", "US", Marking.AMBER, frozenset({"US"}))
        rows = pa.table({"txn": [f"T{i}" for i in range(1234)]})
        assert write_ledger(store, "us_atf_sales", "dealer_sales", label, rows)
        assert store.statement_count() == 0
    finally:
        store.close()
    before = sorted(p.name for p in (tmp_path / "live.db.ledgers").rglob("*.parquet"))
    args = ["demo", "--workdir", str(tmp_path / "w"), "--db", str(db)]
    refused = CliRunner().invoke(cli, args)
    assert refused.exit_code == 2, refused.output
    assert "not empty" in refused.output and "Traceback" not in refused.output
    assert "1234" not in refused.output and "1,234" not in refused.output
    assert sorted(p.name for p in (tmp_path / "live.db.ledgers").rglob("*.parquet")) == before
    assert not (tmp_path / "w").exists() or not any((tmp_path / "w").rglob("*.parquet"))


def test_the_demo_report_writes_counts_and_countries_as_the_other_commands_do(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Its tables once printed 249573 where `stats` prints 249,573, and a country's code
    ("us") where a reader expects its name."""
    from ironriver.demo import DEMO_PRINCIPALS, DemoReport, PrincipalView

    views = [
        PrincipalView(
            principal,
            lang,
            {"Firearm": 1130},
            {"mx_sedena_aseguramientos": 1130},
            {"outbound_crossings": 249573} if lang == "en" else {},
            "g1",
            [("countryOfManufacture", "us", "mx_sedena_aseguramientos")],
        )
        for principal, lang in zip(DEMO_PRINCIPALS, ("en", "es"), strict=True)
    ]
    print_report(DemoReport(Path("world"), "sqlite:///demo.db", views=views))
    out = capsys.readouterr().out
    assert "249,573" in out and "249573" not in out
    assert "1,130" in out and "1130" not in out
    assert "United States" in out and "Estados Unidos" in out


def test_the_explore_hint_names_a_db_that_opens(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Review R20 F3: a workdir whose name holds `%` or `?` (escaped in the store's URL) was
    printed as the URL's escaped path (`de%2541mo%3Fx`), which names no store; and a space
    split the value in a shell."""
    import shlex

    from ironriver.demo import DEMO_PRINCIPALS, DemoReport, PrincipalView
    from ironriver.settings import sqlite_url
    from ironriver.store import open_store

    workdir = tmp_path / "de%41mo?x y"
    workdir.mkdir()
    db_url = sqlite_url(workdir / "demo.db")
    open_store(db_url).close()
    view = PrincipalView(DEMO_PRINCIPALS[0], "en", {}, {}, {}, None, [])
    print_report(DemoReport(tmp_path / "world", db_url, views=[view]))
    hint = next(line for line in capsys.readouterr().out.splitlines() if "Explore it" in line)
    words = shlex.split(hint[hint.index(": ") + 2 : hint.index(" (also:")])
    db = words[words.index("--db") + 1]
    assert Path(db) == workdir / "demo.db"
    done = CliRunner().invoke(cli, ["stats", "--db", db, "--as", "us-atf-analyst", "--json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.output)["statements_by_dataset"] == {}
