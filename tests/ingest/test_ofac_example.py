"""The OFAC SDN example (examples/ofac_sdn): real public data in a legacy format (no header,
latin-1, "-0- " for empty, CRLF, a final Ctrl-Z) mapped to persons, organisations, their
sanctions, aliases and addresses."""

from __future__ import annotations

from pathlib import Path

from ironriver.ingest import check_mapping, ingest_mapping
from ironriver.policy import Principal, View
from ironriver.store import Store

MAPPING = Path(__file__).resolve().parents[2] / "examples" / "ofac_sdn" / "mapping.yaml"


def test_sdn_entries_sanctions_aliases_and_addresses(sqlite_store: Store) -> None:
    checked = check_mapping(MAPPING)
    result = ingest_mapping(sqlite_store, MAPPING, actor="loader", reason="screening")
    # 762 entries (read twice: persons, organisations), 513 aliases (twice), 1,977 addresses
    assert result.records == checked.records == 762 + 513 + 1977  # each file once
    assert result.rejected == 0 and result.statements == checked.statements
    view = View(sqlite_store, Principal("ana", "FGR", "MX"), reason="test")  # CLEAR: anyone
    counts = view.counts().entities_by_schema
    assert counts == {"Person": 451, "Organization": 311, "Sanction": 762}
    (cjng,) = view.search("cjng")  # an alias from alt.csv lands on the entry of sdn.csv
    entity = view.require(cjng.entity_id)
    assert entity.caption == "CARTEL DE JALISCO NUEVA GENERACION"
    assert set(entity.get("alias")) == {"CJNG", "NEW GENERATION CARTEL OF JALISCO"}
    assert entity.get("country") == ["mx"]  # "Mexico" in add.csv, cleaned by FtM
    assert "-0-" not in " ".join(entity.get("notes") + entity.get("address"))
    (sanction,) = [n for n in view.neighbours(cjng.entity_id) if n.schema == "Sanction"]
    assert view.require(sanction.entity_id).get("program") == ["SDNTK"]
    # the one name holding every word (names lacking one word follow, marked)
    (chapo,) = [h for h in view.search("guzman loera joaquin") if not h.missing]
    assert view.require(chapo.entity_id).schema.name == "Person"
    # re-ingesting the same files changes nothing
    again = ingest_mapping(sqlite_store, MAPPING, actor="loader", reason="screening")
    assert again.statements_new == 0
