"""Review R31 F1: a reference to an id the store takes but FtM's entity type does not (a
mapping's `id_column` "AP/FGR 123", "ap_2", letters of any script) was refused as "not a
valid entity", from a mapping's column as from `ingest --entities`, so the store's own export
of such a reference, and `ftm map`'s, did not load. A reference is now refused for what an id
is refused for, and for nothing else."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from ironriver.errors import IngestError
from ironriver.ingest import ingest_entities, ingest_mapping
from ironriver.policy import View, entity_dict
from ironriver.store import DatasetInfo, Store
from samples import FGR

# ids FtM's EntityType refuses and the store takes: a slash and a space, an underscore,
# letters outside ASCII, a no-break space inside, the joiners of scripts and emoji
ODD_IDS = ["AP/FGR 123", "ap_2", "José.ß-2", "B\u00a02", "\u0645\u06cc\u200c\u062e", "x\u200dy"]

MAPPING = """mx_fgr_r:
  agency: FGR
  country: MX
  marking: AMBER
  queries:
    - csv_url: p.csv
      entities:
        person: {schema: Person, id_column: folio, properties: {name: {column: nombre}}}
        sanction:
          schema: Sanction
          keys: [folio, programa]
          properties: {entity: {entity: person}, program: {column: programa}}
    - csv_url: s.csv
      entities:
        sanction:
          schema: Sanction
          keys: [folio, programa]
          properties: {entity: {column: folio}, program: {column: programa}}
"""


def _csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)


def _exported(store: Store) -> list[dict[str, object]]:
    return sorted(
        (entity_dict(e) for e in View(store, FGR, audit=False).export()),
        key=lambda e: str(e["id"]),
    )


def _references(store: Store) -> set[str]:
    return {
        str(value)
        for ent in _exported(store)
        if ent["schema"] == "Sanction"
        for value in ent["properties"]["entity"]  # type: ignore[index]
    }


@pytest.mark.parametrize("memory_mb", [2048, 0], ids=["whole", "streamed"])
def test_references_to_ids_ftm_refuses_load_and_their_export_loads_again(
    store: Store, tmp_path: Path, memory_mb: int
) -> None:
    _csv(tmp_path / "p.csv", ["folio", "nombre", "programa"], [[i, "N", "X"] for i in ODD_IDS])
    _csv(tmp_path / "s.csv", ["folio", "programa"], [[i, "Z"] for i in ODD_IDS])
    (tmp_path / "m.yaml").write_text(MAPPING, encoding="utf-8")
    result = ingest_mapping(store, tmp_path / "m.yaml", actor="loader", memory_mb=memory_mb)
    # (a person, and a sanction referring to it from each query, per id)
    assert (result.rejected, len(_exported(store))) == (0, 3 * len(ODD_IDS))
    # (the mapping's sanitizing drops the joiners, as `ftm map`'s does: ids and references
    # alike; every reference reaches its person)
    people = {str(e["id"]) for e in _exported(store) if e["schema"] == "Person"}
    assert len(people) == len(ODD_IDS) and "AP/FGR 123" in people and "ap_2" in people
    assert _references(store) == people
    before = _exported(store)
    path = tmp_path / "e.jsonl"
    path.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in before), "utf-8")
    info = DatasetInfo("mx_fgr_r", "FGR", "MX")
    again = ingest_entities(store, path, info, actor="loader", memory_mb=memory_mb)
    assert again.rejected == 0 and _exported(store) == before  # (nothing new, nothing lost)
    other = DatasetInfo("mx_fgr_copy", "FGR", "MX")
    copy = ingest_entities(store, path, other, actor="loader", memory_mb=memory_mb)
    assert copy.rejected == 0 and copy.statements_new == result.statements_new


# references no id could be (FtM's sanitizing of a value keeps a tab, a line break and the
# bidi controls; what it removes is refused too: `test_entities_r31`)
_BAD_REFERENCES = ["a\tb", "g\nh", "c\u202ed", "e\u2066f\u2069"]


def test_references_are_refused_for_what_ids_are_refused_for(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """On the bulk path's line shape and the per-line path's (a number among the values),
    a reference no id could be is reported; the good ones load."""
    lines = []
    for i, ref in enumerate(_BAD_REFERENCES):
        props = {"entity": [ref], "program": [f"P{i}"]}
        lines.append({"id": f"s{i}", "schema": "Sanction", "properties": props})
        lines.append({"id": f"t{i}", "schema": "Sanction", "properties": {**props, "summary": [1]}})
    lines.append({"id": "ok", "schema": "Sanction", "properties": {"entity": ["AP/FGR 123"]}})
    path = tmp_path / "refs.jsonl"
    path.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    info = DatasetInfo("mx_fgr_refs", "FGR", "MX")
    with pytest.raises(IngestError, match=rf"^{2 * len(_BAD_REFERENCES)} of {len(lines)} "):
        ingest_entities(sqlite_store, path, info, actor="loader")
    with Path(str(_report_of(tmp_path / "refs.jsonl"))).open(encoding="utf-8") as fh:
        report = [(r["column"], r["reason"]) for r in csv.DictReader(fh)]
    # (the id's reason, naming the character: a reference is read as written, as an id is)
    held = ["U+0009", "U+000A", "U+202E RIGHT-TO-LEFT OVERRIDE", "U+2066 LEFT-TO-RIGHT ISOLATE"]
    reason = (
        "an entity id is one piece of text without line breaks, control or invisible "
        "characters, and no space at either end: it holds {}"
    )
    assert report == [("entity", reason.format(c)) for c in held for _ in (1, 2)]
    done = ingest_entities(sqlite_store, path, info, actor="loader", skip_invalid=True)
    assert done.rejected == 2 * len(_BAD_REFERENCES)
    assert _references(sqlite_store) == {"AP/FGR 123"}


def _report_of(path: Path) -> Path:
    return path.with_name(path.name + ".errors.csv")


def test_a_mapped_reference_no_id_could_be_is_rejected(sqlite_store: Store, tmp_path: Path) -> None:
    _csv(tmp_path / "p.csv", ["folio", "nombre", "programa"], [["ok 1", "N", "X"]])
    _csv(tmp_path / "s.csv", ["folio", "programa"], [[r, "Z"] for r in _BAD_REFERENCES])
    (tmp_path / "m.yaml").write_text(MAPPING, encoding="utf-8")
    with pytest.raises(IngestError, match=rf"^{len(_BAD_REFERENCES)} of "):
        ingest_mapping(sqlite_store, tmp_path / "m.yaml", actor="loader")
    with (tmp_path / "m.yaml.errors.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["file"], r["column"]) for r in rows] == [("s.csv", "folio")] * len(_BAD_REFERENCES)
    assert all("(sanction.entity)" in r["reason"] for r in rows)
