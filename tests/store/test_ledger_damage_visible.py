"""A damaged ledger part (its footer unreadable: truncated, overwritten) of a dataset the
reader MAY see (task H86): `ironriver ledgers` and `ironriver datasets` stopped at it with
one error, listing nothing, though every other ledger could be counted. Now they list every
dataset and ledger they can, the damaged ledger's count unknown (`null` in `--json`), name
the part on standard error with what to do, and exit 1 (as a read of that ledger does, and
as they now do for a recorded part missing from disk). The library gives the same picture:
`View.ledger_counts` leaves the damaged ledger out, `View.ledger_damage` names its part,
`View.datasets` says its dataset's ledger rows are unknown (None). The R24 F1 gate holds: a
damaged part of a dataset the reader may not see is, to it, not there (its listing is as
before, exit 0). Real stores on both backends, the real CLI, in English and Spanish."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from click.testing import CliRunner

from ironriver.cli import cli
from ironriver.errors import StoreError
from ironriver.i18n import LANG_ENV
from ironriver.ingest.pipeline import ingest_mapping
from ironriver.policy import LedgerDamage, Principal, View
from ironriver.store import Store
from samples import PLATE_READS_LEDGER

DATASETS = (  # dataset, agency, country, marking, releasable_to, rows
    ("cbp_plates", "CBP", "US", "AMBER", "US, MX", "ABC123,2024-03-01\nXYZ9,2024-03-02\n"),
    ("fgr_plates", "FGR", "MX", "AMBER", "MX, US", "QQ1,2024-03-03\n"),
    ("hsi_watch", "HSI", "US", "AMBER+STRICT", "HSI", "ABC123,2024-03-05\n"),
)
READER = Principal("mx-fgr-analista", "FGR", "MX")  # sees cbp_plates and fgr_plates
OWNER = Principal("us-hsi-agent", "HSI", "US")  # sees all three


def _load(store: Store, tmp_path: Path) -> dict[str, Path]:
    """The three datasets, each a `plate_reads` ledger of one part; their parts by dataset."""
    for dataset, agency, country, marking, releasable, rows in DATASETS:
        (tmp_path / f"{dataset}.csv").write_text(f"plate,seen\n{rows}", encoding="utf-8")
        mapping = tmp_path / f"{dataset}.yaml"
        mapping.write_text(
            PLATE_READS_LEDGER.format(
                dataset=dataset,
                agency=agency,
                country=country,
                marking=marking,
                releasable=releasable,
            ),
            encoding="utf-8",
        )
        ingest_mapping(store, mapping, actor="loader")
    return {
        dataset: next(store.ledger_dir.glob(f"{dataset}/plate_reads/part-*.parquet"))
        for dataset, *_ in DATASETS
    }


def _damage(part: Path) -> None:
    data = part.read_bytes()
    part.write_bytes(data[: len(data) // 2])  # (a bad restore: its footer cannot be read)


def _listing(store: Store, who: Principal) -> dict[str, Any]:
    view = View(store, who, reason="case 7")
    return {
        "counts": view.ledger_counts(),
        "damage": view.ledger_damage(),
        "datasets": [(d.info.name, d.visible_ledger_rows) for d in view.datasets()],
    }


def test_the_library_counts_every_ledger_it_can_and_names_the_damaged_part(
    store: Store, tmp_path: Path
) -> None:
    parts = _load(store, tmp_path)
    assert _listing(store, READER) == {
        "counts": {("cbp_plates", "plate_reads"): 2, ("fgr_plates", "plate_reads"): 1},
        "damage": {},
        "datasets": [("cbp_plates", 2), ("fgr_plates", 1)],
    }
    _damage(parts["cbp_plates"])
    damage = {("cbp_plates", "plate_reads"): LedgerDamage(unreadable=(str(parts["cbp_plates"]),))}
    assert _listing(store, READER) == {
        "counts": {("fgr_plates", "plate_reads"): 1},  # (cbp_plates': unknown)
        "damage": damage,
        "datasets": [("cbp_plates", None), ("fgr_plates", 1)],
    }
    assert _listing(store, OWNER) == {
        "counts": {("fgr_plates", "plate_reads"): 1, ("hsi_watch", "plate_reads"): 1},
        "damage": damage,
        "datasets": [("cbp_plates", None), ("fgr_plates", 1), ("hsi_watch", 1)],
    }
    # a read of the damaged ledger still stops, naming the part; the others read
    view = View(store, READER, reason="case 7")
    with pytest.raises(StoreError, match="cannot be read") as raised:
        view.ledger_rows("cbp_plates")
    assert str(parts["cbp_plates"]) in str(raised.value)
    assert [r.values["plate"] for r in view.ledger_rows("fgr_plates").rows] == ["QQ1"]
    # a hidden dataset's part damaged too: nothing of it reaches the reader (R24 F1)
    before = _listing(store, READER)
    _damage(parts["hsi_watch"])
    assert _listing(store, READER) == before
    assert _listing(store, OWNER)["damage"] == {
        **damage,
        ("hsi_watch", "plate_reads"): LedgerDamage(unreadable=(str(parts["hsi_watch"]),)),
    }


def test_a_missing_part_makes_its_ledger_count_unknown_too(store: Store, tmp_path: Path) -> None:
    """A recorded part missing from disk (review R10) is damage of the same kind to a
    listing: its ledger's count is unknown, not the rows left (which read as a whole count
    to a program that does not read standard error)."""
    parts = _load(store, tmp_path)
    parts["cbp_plates"].unlink()
    assert _listing(store, READER) == {
        "counts": {("fgr_plates", "plate_reads"): 1},
        "damage": {("cbp_plates", "plate_reads"): LedgerDamage(missing=1)},
        "datasets": [("cbp_plates", None), ("fgr_plates", 1)],
    }


def _as(store: Store, who: str, *args: str, lang: str = "en") -> tuple[int, str, str]:
    """The CLI's exit code, standard output and standard error."""
    db = store.engine.url.render_as_string(hide_password=False)
    env = {LANG_ENV: lang, "IRONRIVER_LEDGERS": str(store.ledger_dir)}
    result = CliRunner().invoke(cli, [*args, "--db", db, "--as", who], env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.stdout, result.stderr


NOTE = {
    "en": (
        "Ledger cbp_plates/plate_reads has 1 part file that cannot be read (truncated or "
        "overwritten): {part}. How many of its rows you may see is unknown. Run `ironriver "
        "audit verify`; restore the file from a backup or re-ingest its source file."
    ),
    "es": (
        "El libro de registro cbp_plates/plate_reads tiene 1 archivo de partes que no se "
        "puede leer (truncado o sobrescrito): {part}. Se desconoce cuántas de sus filas "
        "puede ver usted. Ejecute `ironriver audit verify`; restaure el archivo desde un "
        "respaldo o vuelva a cargar su archivo de origen."
    ),
}
UNKNOWN = {"en": "unknown", "es": "desconocido"}


@pytest.mark.parametrize("lang", ["en", "es"])
def test_the_listings_show_what_they_can_and_exit_1(
    store: Store, tmp_path: Path, lang: str
) -> None:
    parts = _load(store, tmp_path)
    _damage(parts["cbp_plates"])
    _damage(parts["hsi_watch"])  # (hidden from the reader: never named to it)
    note = NOTE[lang].format(part=parts["cbp_plates"])
    code, out, err = _as(store, "mx-fgr-analista", "ledgers", lang=lang)
    assert code == 1, out + err
    rows = {tuple(line.split()) for line in out.splitlines()[2:]}
    assert rows == {
        ("cbp_plates", "plate_reads", UNKNOWN[lang]),
        ("fgr_plates", "plate_reads", "1"),
    }
    assert note in " ".join(err.split()), err
    code, out, err = _as(store, "mx-fgr-analista", "ledgers", "--json", lang=lang)
    assert code == 1 and note in " ".join(err.split()), err
    assert json.loads(out) == [
        {"dataset": "cbp_plates", "ledger": "plate_reads", "visible_ledger_rows": None},
        {"dataset": "fgr_plates", "ledger": "plate_reads", "visible_ledger_rows": 1},
    ]
    code, out, err = _as(store, "mx-fgr-analista", "datasets", lang=lang)
    assert code == 1 and note in " ".join(err.split()), err
    assert [line.split()[0] for line in out.splitlines()[2:]] == ["cbp_plates", "fgr_plates"]
    assert out.splitlines()[2].split()[-1] == UNKNOWN[lang], out
    code, out, err = _as(store, "mx-fgr-analista", "datasets", "--json", lang=lang)
    assert code == 1 and note in " ".join(err.split()), err
    assert [(d["dataset"], d["visible_ledger_rows"]) for d in json.loads(out)] == [
        ("cbp_plates", None),
        ("fgr_plates", 1),
    ]
    for args in (("ledgers",), ("datasets",), ("ledgers", "--json"), ("datasets", "--json")):
        code, out, err = _as(store, "mx-fgr-analista", *args, lang=lang)
        assert "hsi_watch" not in out + err and str(parts["hsi_watch"]) not in err, args


def test_a_hidden_damaged_part_leaves_the_listings_as_they_were(
    store: Store, tmp_path: Path
) -> None:
    parts = _load(store, tmp_path)
    listings = [("ledgers",), ("datasets",), ("ledgers", "--json"), ("datasets", "--json")]
    before = {args: _as(store, "mx-fgr-analista", *args) for args in listings}
    assert all(code == 0 for code, _out, _err in before.values()), before
    _damage(parts["hsi_watch"])
    for args in listings:
        assert _as(store, "mx-fgr-analista", *args) == before[args], args
    code, out, err = _as(store, "us-hsi-agent", "ledgers")  # its owner is told
    assert code == 1 and str(parts["hsi_watch"]) in " ".join(err.split()), err
    assert "hsi_watch" in out and "unknown" in out, out


def test_a_ledger_missing_a_part_and_holding_an_unreadable_one_is_told_both(
    store: Store, tmp_path: Path
) -> None:
    parts = _load(store, tmp_path)
    (tmp_path / "more.csv").write_text("plate,seen\nLMN4,2024-03-09\n", encoding="utf-8")
    more = tmp_path / "more.yaml"
    more.write_text(
        (tmp_path / "cbp_plates.yaml")
        .read_text(encoding="utf-8")
        .replace("cbp_plates.csv", "more.csv"),
        encoding="utf-8",
    )
    ingest_mapping(store, more, actor="loader")
    [second] = set(store.ledger_dir.glob("cbp_plates/plate_reads/part-*.parquet")) - {
        parts["cbp_plates"]
    }
    parts["cbp_plates"].unlink()
    _damage(second)
    assert View(store, READER).ledger_damage() == {
        ("cbp_plates", "plate_reads"): LedgerDamage(missing=1, unreadable=(str(second),))
    }
    code, out, err = _as(store, "mx-fgr-analista", "ledgers", lang="es")
    assert code == 1, out + err
    said = " ".join(err.split())
    assert "Al libro de registro cbp_plates/plate_reads le falta 1 archivo de partes" in said
    assert f"no se puede leer (truncado o sobrescrito): {second}." in said, err


def test_the_ledger_folder_alone_counts_around_an_unreadable_part(tmp_path: Path) -> None:
    """`LedgerStore.visible_counts` (no store): the part whose footer cannot be read is
    listed apart and its ledger left out of the counts; the other ledgers are counted."""
    from ironriver.policy import AccessLabel, Marking
    from ironriver.store.ledger import LedgerStore

    ledgers = LedgerStore(tmp_path)
    label = AccessLabel("CBP", "US", Marking.AMBER, frozenset({"US"}))
    ledgers.write("cbp", "crossings", label, pa.table({"rid": [1, 2]}))
    ledgers.write("cbp", "plate_reads", label, pa.table({"rid": [3]}))
    ledgers.write("cbp", "plate_reads", label, pa.table({"rid": [4, 5]}))
    [bad, *_] = sorted(tmp_path.glob("cbp/plate_reads/part-*.parquet"))
    _damage(bad)
    counted = ledgers.visible_counts(Principal("c", "CBP", "US"))
    assert counted.rows == {("cbp", "crossings"): 2}
    assert counted.unreadable == {("cbp", "plate_reads"): (bad,)}
