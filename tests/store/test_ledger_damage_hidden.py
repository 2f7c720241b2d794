"""A damaged ledger part of a dataset the reader may not see (review R24 F1): to that reader
every ledger read answers exactly as if the dataset did not exist; its owner, and whoever
may see it, is told of the damage, the part named. Before, the part's footer was read for
its labels before they were filtered: `datasets` and `ledgers` failed for every principal,
naming the hidden dataset, its ledger and its part. Real stores on both backends, the real
CLI, the reproduction's shape (a CBP dataset released to MX, an HSI one that is not, one
ledger name in both)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ironriver.cli import cli
from ironriver.errors import NotFound, StoreError
from ironriver.i18n import LANG_ENV
from ironriver.ingest.pipeline import ingest_mapping
from ironriver.policy import LedgerDamage, Principal, View, retract_ledger_file
from ironriver.store import Store
from samples import PLATE_READS_LEDGER

SEDENA = Principal("mx-sedena-analista", "SEDENA", "MX")
HSI = Principal("us-hsi-agent", "HSI", "US")
READER = "mx-fgr-analista"  # (the CLI's: a Mexican reader who may export)


def _load(store: Store, tmp_path: Path) -> Path:
    """CBP's `cbp_plates` (released to MX) and HSI's `hsi_watch` (AMBER+STRICT, to HSI),
    each a `plate_reads` ledger; return HSI's one part."""
    for dataset, agency, marking, releasable, rows in (
        ("cbp_plates", "CBP", "AMBER", "US, MX", "ABC123,2024-03-01\nXYZ9,2024-03-02\n"),
        ("hsi_watch", "HSI", "AMBER+STRICT", "HSI", "ABC123,2024-03-05\n"),
    ):
        (tmp_path / f"{dataset}.csv").write_text(f"plate,seen\n{rows}", encoding="utf-8")
        mapping = tmp_path / f"{dataset}.yaml"
        mapping.write_text(
            PLATE_READS_LEDGER.format(
                dataset=dataset, agency=agency, country="US", marking=marking, releasable=releasable
            ),
            encoding="utf-8",
        )
        ingest_mapping(store, mapping, actor="loader")
    (part,) = store.ledger_dir.glob("hsi_watch/plate_reads/part-*.parquet")
    return part


def _damage(part: Path) -> None:
    data = part.read_bytes()
    part.write_bytes(data[: len(data) // 2])  # (a bad restore: its footer cannot be read)


def _outcome(call: Any) -> Any:
    try:
        return call()
    except NotFound as exc:
        return ("NotFound", str(exc))


def _reads(store: Store) -> dict[str, Any]:
    """Every ledger read of the MX reader, with the names of the hidden dataset and of one
    that does not exist (whose answers must be the same, but for the name)."""
    view = View(store, SEDENA, reason="case 7")
    out: dict[str, Any] = {
        "counts": view.ledger_counts(),
        "damage": view.ledger_damage(),
        "datasets": [(d.info.name, d.visible_ledger_rows) for d in view.datasets()],
        "ledger": sorted(view.ledger("plate_reads").project("plate, _dataset").fetchall()),
        "rows": [r.values for r in view.ledger_rows("cbp_plates").rows],
    }
    for name in ("hsi_watch", "no_such"):
        out[f"rows:{name}"] = _outcome(lambda n=name: view.ledger_rows(n))
        out[f"rows:{name}:ledger"] = _outcome(
            lambda n=name: view.ledger_rows(n, ledger="plate_reads")
        )
        out[f"stream:{name}"] = _outcome(lambda n=name: view.ledger_stream(n))
    return out


def test_a_damaged_hidden_part_leaves_every_read_as_if_its_dataset_did_not_exist(
    store: Store, tmp_path: Path
) -> None:
    part = _load(store, tmp_path)
    before = _reads(store)
    assert before["counts"] == {("cbp_plates", "plate_reads"): 2}
    assert before["ledger"] == [("ABC123", "cbp_plates"), ("XYZ9", "cbp_plates")]
    _damage(part)
    after = _reads(store)
    assert after == before
    for read in ("rows", "rows:{}:ledger", "stream"):
        key = read if "{}" in read else read + ":{}"
        hidden, none = after[key.format("hsi_watch")], after[key.format("no_such")]
        assert hidden == (none[0], none[1].replace("no_such", "hsi_watch")), read
    # the owner is told, the part named (a read of its ledger stops; its listing names it,
    # the ledger's count unknown: H86)
    owner = View(store, HSI, reason="case 7")
    for call in (
        lambda: owner.ledger_rows("hsi_watch"),
        lambda: owner.ledger("plate_reads"),
    ):
        with pytest.raises(StoreError, match="cannot be read") as raised:
            call()
        assert str(part) in str(raised.value)
    assert owner.ledger_damage() == {
        ("hsi_watch", "plate_reads"): LedgerDamage(unreadable=(str(part),))
    }
    assert owner.ledger_counts() == {("cbp_plates", "plate_reads"): 2}


def _run(store: Store, *args: str, lang: str = "en") -> tuple[int, str]:
    db = store.engine.url.render_as_string(hide_password=False)
    env = {LANG_ENV: lang, "IRONRIVER_LEDGERS": str(store.ledger_dir)}
    result = CliRunner().invoke(cli, [*args, "--db", db], env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


def _as(store: Store, who: str, *args: str, lang: str = "en") -> tuple[int, str]:
    return _run(store, *args, "--as", who, lang=lang)


def test_the_cli_answers_a_damaged_hidden_part_as_no_dataset(store: Store, tmp_path: Path) -> None:
    part = _load(store, tmp_path)
    listings = [("ledgers",), ("datasets",), ("ledgers", "--json"), ("datasets", "--json")]
    before = {args: _as(store, READER, *args) for args in listings}
    assert all(code == 0 for code, _out in before.values()), before
    _damage(part)
    for args in listings:  # as they were: nothing of HSI's, no error
        assert _as(store, READER, *args) == before[args], args
    for lang in ("en", "es"):
        for args in (
            ("ledger", "{}", "--reason", "case 7"),
            ("ledger", "{}", "--ledger", "plate_reads", "--reason", "case 7"),
            ("export", "--dataset", "{}", "-o", str(tmp_path / "x.jsonl"), "--reason", "r"),
        ):
            said = {
                name: _as(store, READER, *(a.format(name) for a in args), lang=lang)
                for name in ("hsi_watch", "no_such")
            }
            code, out = said["no_such"]
            assert code == 4, (args, out)
            assert said["hsi_watch"] == (code, out.replace("no_such", "hsi_watch")), (args, lang)
            assert "part-" not in said["hsi_watch"][1]
    # the owner's listing names the part and what to do, and exits 1 (H86: it stopped there)
    for lang, hint in (("en", "Run `ironriver audit verify`"), ("es", "Ejecute `ironriver audit")):
        code, out = _as(store, "us-hsi-agent", "ledgers", lang=lang)
        assert code == 1 and str(part) in out and hint in out, out
        assert "cbp_plates" in out, out  # (the other ledgers still listed)


def test_a_retraction_of_a_hidden_damaged_part_is_refused_as_of_no_rows(
    store: Store, tmp_path: Path
) -> None:
    """`retract_ledger_file` by another agency's loader: refused as for a dataset that does
    not exist, the damaged part not opened (nor named)."""
    part = _load(store, tmp_path)
    _damage(part)
    loader = Principal("mx-fgr-loader", "FGR", "MX", frozenset({"ingest"}))
    refused = {}
    for name in ("hsi_watch", "no_such"):
        with pytest.raises(NotFound) as raised:
            retract_ledger_file(store, loader, name, "plate_reads", f"{name}.csv", reason="r")
        refused[name] = str(raised.value)
    assert refused["hsi_watch"] == refused["no_such"].replace("no_such", "hsi_watch")
    assert "part-" not in refused["hsi_watch"]
