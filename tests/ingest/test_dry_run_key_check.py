"""A dry run that reads the store (`ingest --dry-run --replace`, or the library's
`ingest_mapping(dry_run=True)`) is audited (`ingest-check`, on the reads chain) whether it
passes or refuses the file, and checks a keyed ledger's stored keys only for a loader who may
see every stored row: else "key already stored with other values" would be a silent,
field-by-field oracle on rows it may not read. On both backends."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sales_fixtures import sales_ledger  # type: ignore[import-not-found]

from ironriver.cli import cli
from ironriver.errors import IngestError
from ironriver.i18n import render
from ironriver.ingest import ingest_mapping
from ironriver.policy import Principal
from ironriver.store import Store
from ironriver.store.audit_chain import READS

ATF_LOADER = Principal("atf-loader", "ATF", "US", frozenset({"ingest"}))
# an administrator of another agency: may load any dataset, may not read ATF-only rows
ADMIN = Principal("root", "OIG", "US", frozenset({"admin"}))


def _mapping(tmp: Path, file: str, rows: str) -> Path:
    """Keyed sales that only ATF may read."""
    return sales_ledger(tmp, file, rows, key=True, marking="AMBER+STRICT", releasable="ATF")


def _checks(store: Store) -> list[dict[str, object]]:
    return [
        {"chain": e.chain, "actor": e.actor, "agency": e.agency, **e.detail}
        for e in store.audit.events()
        if e.action == "ingest-check"
    ]


def test_a_dry_run_is_audited_and_checks_stored_keys_only_for_who_may_see_them(
    store: Store, tmp_path: Path
) -> None:
    first = _mapping(tmp_path, "enero.csv", "T1,A1\n")
    ingest_mapping(store, first, actor="atf-loader", principal=ATF_LOADER)
    changed = _mapping(tmp_path, "febrero.csv", "T1,B1\nT2,A2\n")  # T1 stored as A1
    same = _mapping(tmp_path, "marzo.csv", "T1,A1\nT2,A2\n")
    # the owner, who sees the rows, is told of the conflict: audited all the same
    with pytest.raises(IngestError):
        ingest_mapping(
            store, changed, actor="atf-loader", principal=ATF_LOADER, dry_run=True, reason="r"
        )
    [refused] = _checks(store)
    assert refused["chain"] == READS and refused["outcome"] == "IngestError"
    assert (refused["actor"], refused["agency"], refused["keys_not_checked"]) == (
        "atf-loader",
        "ATF",
        [],
    )
    # another agency's admin may load the dataset but not read its rows: a conflicting
    # value and a stored one are answered alike, the check said to be skipped, and audited
    answers = []
    for mapping in (changed, same):
        result = ingest_mapping(store, mapping, actor="root", principal=ADMIN, dry_run=True)
        assert result.dry_run and result.rejected == 0
        answers.append([render(n, "en") for n in result.notes])
    assert answers[0] == answers[1]
    assert any("not checked against the rows ledger dealer_sales holds" in n for n in answers[0])
    checks = _checks(store)
    assert len(checks) == 3
    assert [(c["actor"], c["outcome"], c["keys_not_checked"]) for c in checks[1:]] == [
        ("root", "checked", ["us_atf_sales/dealer_sales"]),
        ("root", "checked", ["us_atf_sales/dealer_sales"]),
    ]
    assert checks[1]["files"] == ["febrero.csv"]
    assert store.audit.verify().ok
    # nothing was written by any of them; the real ingest still refuses the conflict
    assert [e.action for e in store.audit.events() if e.action == "ingest"] == ["ingest"]
    with pytest.raises(IngestError):
        ingest_mapping(store, changed, actor="root", principal=ADMIN)


def test_the_cli_dry_run_says_the_check_was_skipped_in_both_languages(tmp_path: Path) -> None:
    db = str(tmp_path / "s.db")
    first = _mapping(tmp_path, "enero.csv", "T1,A1\n")
    loaded = CliRunner().invoke(
        cli, ["ingest", str(first), "--db", db, "--as", "us-atf-analyst", "--reason", "load"]
    )
    assert loaded.exit_code == 0, loaded.output
    changed = _mapping(tmp_path, "febrero.csv", "T1,B1\n")
    args = ["ingest", str(changed), "--dry-run", "--replace", "--db", db, "--as", "loader"]
    for lang, text in [("en", "were not checked"), ("es", "no se cotejaron")]:
        result = CliRunner().invoke(cli, ["--lang", lang, *args, "--reason", "check"])
        assert result.exit_code == 0, result.output
        assert text in " ".join(result.output.split()), result.output
