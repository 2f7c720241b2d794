"""`ironriver entity` of an id the reader sees through other entities' statements only
(review R32 F1): a gun another agency holds, sold in a sale the reader sees, is answered with
its visible links, and the answer depends on the reader's visible statements alone, so an id
whose own statements are hidden and one held by no one read alike. Real SQLite stores built
with the CLI's own `ingest`, read with the CLI (click's runner)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from ironriver.cli import cli
from ironriver.store import open_store

MX = ["--agency", "FGR", "--country", "MX", "--marking", "AMBER", "--releasable-to", "MX"]
US = ["--agency", "ATF", "--country", "US", "--marking", "AMBER", "--releasable-to", "US"]


def ingest(db: str, folder: Path, dataset: str, owner: list[str], lines: list[Any]) -> None:
    src = folder / f"{dataset}.jsonl"
    src.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    result = CliRunner().invoke(
        cli,
        ["ingest", "--db", db, "--entities", str(src), "--dataset", dataset, *owner,
         "--as", "loader", "--reason", "r"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output


def sale(sale_id: str, gun: str) -> dict[str, Any]:
    return {
        "id": sale_id,
        "schema": "Sale",
        "properties": {"firearm": [gun], "date": ["2024-01-05"]},
    }


def store(folder: Path, with_us: bool) -> str:
    """The FGR's sales of gun `g-hidden` (which the ATF holds, in `with_us`) and `g-none`
    (which no one holds)."""
    db = str(folder / "links.db")
    ingest(db, folder, "mx_fgr", MX, [sale("s-a", "g-hidden"), sale("s-b", "g-none")])
    if with_us:
        gun = {"id": "g-hidden", "schema": "Firearm", "properties": {"serialNumber": ["SN1"]}}
        ingest(db, folder, "us_atf", US, [gun])
    return db


def run(db: str, *args: str, lang: str = "en") -> Any:
    return CliRunner().invoke(
        cli, ["--lang", lang, "entity", *args, "--db", db, "--as", "mx-fgr-analista"]
    )


def test_an_id_seen_through_links_only_is_answered_with_them(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    db = store(tmp_path / "a", with_us=True)
    table = run(db, "g-hidden")
    assert table.exit_code == 0, table.output
    assert table.stdout.startswith(
        "No statement of 'g-hidden' is visible to you; visible statements of other entities "
        "refer to it:"
    )
    assert "s-a" in table.stdout and "SN1" not in table.stdout
    data = json.loads(run(db, "g-hidden", "--json").stdout)
    assert data["entity"] is None and data["statements"] == []
    assert [(n["entity_id"], n["prop"], n["direction"]) for n in data["neighbours"]] == [
        ("s-a", "firearm", "in")
    ]
    assert data["neighbours_total"] == 1
    es = run(db, "g-hidden", lang="es")
    assert es.exit_code == 0 and es.stdout.startswith("No hay ninguna afirmación de 'g-hidden' que")
    # the ATF sees its gun as an entity, with the sale it cannot see left out
    us = CliRunner().invoke(cli, ["entity", "g-hidden", "--db", db, "--as", "us-atf-analyst"])
    assert us.exit_code == 0 and us.stdout.startswith("Firearm: SN1") and "s-a" not in us.stdout


def test_a_hidden_id_and_one_held_by_no_one_read_alike(tmp_path: Path) -> None:
    """The same reads of g-hidden and g-none, on a store where the ATF holds g-hidden and on
    one where it does not: equal, once the ids and sales are named alike."""
    outputs = []
    for name, with_us in (("a", True), ("b", False)):
        (tmp_path / name).mkdir()
        db = store(tmp_path / name, with_us)
        for gun, other in (("g-hidden", "s-a"), ("g-none", "s-b")):
            for args in ([], ["--json"], ["--neighbours", "0"]):
                result = run(db, gun, *args, lang="es")
                assert result.exit_code == 0, result.output
                outputs.append(
                    (args, result.stdout.replace(gun, "GUN").replace(other, "SALE"), with_us)
                )
    by_args: dict[str, set[str]] = {}
    for args, out, _with_us in outputs:
        by_args.setdefault(" ".join(args), set()).add(out)
    assert all(len(outs) == 1 for outs in by_args.values()), by_args


def test_an_id_with_no_visible_statement_nor_link_is_not_found(tmp_path: Path) -> None:
    db = store(tmp_path, with_us=True)
    for gun in ("s-zzz", "nope"):
        result = run(db, gun, "--json")
        assert result.exit_code == 4
        assert json.loads(result.stdout)["error"]["message"] == (
            f"No entity {gun!r} is visible to you."
        )
    # the ATF's reader sees none of the FGR's sales: g-none is nothing to it
    us = CliRunner().invoke(cli, ["entity", "g-none", "--db", db, "--as", "us-atf-analyst"])
    assert us.exit_code == 4


def events(db: str) -> list[Any]:
    store = open_store(f"sqlite:///{db}")
    try:
        return list(store.audit.events())
    finally:
        store.close()


def test_a_sensitive_neighbour_is_named_and_refused_before_any_read_is_logged(
    tmp_path: Path,
) -> None:
    """Review R32 F3: the refusal said "A result holds RED statements" with "Pass --reason",
    after the entity and its statements had been logged as read."""
    db = str(tmp_path / "red.db")
    person = {"id": "p-b", "schema": "Person", "properties": {"name": ["Ann Buyer"]}}
    ingest(db, tmp_path, "us_atf", US, [person])
    owns = {
        "id": "own-red",
        "schema": "Ownership",
        "properties": {"owner": ["p-b"], "asset": ["g-x"]},
    }
    red = ["--agency", "ATF", "--country", "US", "--marking", "RED"]
    ingest(db, tmp_path, "us_atf_red", [*red, "--releasable-to", "user:us-atf-analyst"], [owns])
    as_us = ["--db", db, "--as", "us-atf-analyst"]
    before = len(events(db))
    result = CliRunner().invoke(cli, ["--lang", "en", "entity", "p-b", *as_us, "--json"])
    assert result.exit_code == 3
    error = json.loads(result.stdout)["error"]
    assert error["message"] == (
        "A neighbour of 'p-b' holds RED statements: showing the neighbours must say why (the "
        "reason is audited)."
    )
    assert "--reason" in error["hint"] and "--neighbours 0" in error["hint"]
    logged = events(db)[before:]
    assert [(e.action, e.target, e.detail) for e in logged] == [
        ("refused", "p-b", {"attempt": "neighbours", "markings": "RED"})
    ]
    es = CliRunner().invoke(cli, ["--lang", "es", "entity", "p-b", *as_us])
    assert es.exit_code == 3 and "Un vecino de 'p-b' tiene afirmaciones RED" in es.output
    assert "--neighbours 0" in es.output
    # either remedy reads it
    alone = CliRunner().invoke(cli, ["entity", "p-b", *as_us, "--neighbours", "0"])
    assert alone.exit_code == 0 and "own-red" not in alone.stdout
    why = CliRunner().invoke(cli, ["entity", "p-b", *as_us, "--reason", "case 7"])
    assert why.exit_code == 0 and "own-red" in why.stdout


def test_a_sales_ends_come_by_role_with_their_ids(tmp_path: Path) -> None:
    """Review R32 F7: seen from its dealer, a sale's ends are its buyer then its gun, each
    with its property and id in --json, whichever id sorts first."""
    db = str(tmp_path / "ends.db")
    lines: list[Any] = [
        {"id": "d1", "schema": "Company", "properties": {"name": ["Big Box"]}},
        {"id": "z-buyer", "schema": "Person", "properties": {"name": ["Zoe Buyer"]}},
        {"id": "a-gun", "schema": "Firearm", "properties": {"serialNumber": ["SN-1"]}},
        {
            "id": "s1",
            "schema": "Sale",
            "properties": {"dealer": ["d1"], "buyer": ["z-buyer"], "firearm": ["a-gun"]},
        },
    ]
    ingest(db, tmp_path, "us_atf", US, lines)
    args = ["entity", "d1", "--db", db, "--as", "us-atf-analyst"]
    data = json.loads(CliRunner().invoke(cli, [*args, "--json"]).stdout)
    assert [n["ends"] for n in data["neighbours"]] == [
        [
            {"prop": "buyer", "entity_id": "z-buyer", "caption": "Zoe Buyer"},
            {"prop": "firearm", "entity_id": "a-gun", "caption": "SN-1"},
        ]
    ]
    table = CliRunner().invoke(cli, ["--lang", "en", *args])
    assert "Sale → Zoe Buyer → SN-1" in table.stdout
    # the neighbours event names what the table showed: the sale, its buyer and gun (F4)
    shown = [e.detail for e in events(db) if e.action == "neighbours"]
    assert shown[-1] == {"n": 1, "shown": 1, "ids": ["s1"], "end_ids": ["a-gun", "z-buyer"]}


def test_a_link_from_a_neighbour_of_two_schemata_is_labelled(tmp_path: Path) -> None:
    """Review R32 F5: x1 is a Person to one dataset and a Sale (whose dealer is d1) to
    another; assembled as a Person, which has no `dealer`, its link was shown as `dealer`,
    the property's name, where the others show its label."""
    db = str(tmp_path / "conf.db")
    dealer = {"id": "d1", "schema": "Company", "properties": {"name": ["Big Box"]}}
    person = {"id": "x1", "schema": "Person", "properties": {"name": ["Conflicted Person"]}}
    ingest(db, tmp_path, "us_atf", US, [dealer, person])
    sale = {"id": "x1", "schema": "Sale", "properties": {"dealer": ["d1"]}}
    cbp = ["--agency", "CBP", "--country", "US", "--marking", "AMBER", "--releasable-to", "US"]
    ingest(db, tmp_path, "us_cbp", cbp, [sale])
    for lang, label in (("en", "Dealer"), ("es", "Armería")):
        result = CliRunner().invoke(
            cli, ["--lang", lang, "entity", "d1", "--db", db, "--as", "us-atf-analyst"]
        )
        assert result.exit_code == 0, result.output
        row = next(line for line in result.stdout.splitlines() if line.rstrip().endswith("x1"))
        assert row.split()[:2] == [("in" if lang == "en" else "entrante"), label], row
