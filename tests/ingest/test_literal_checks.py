"""A mapping's plain literal its property's type does not clean was dropped without a word
(as `ftm map` drops it): every record lacked a value the mapping states. It is refused when
the mapping is read now, naming the property and the literal; a reference literal may be any
text an id may be (review R31 F1)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ironriver.errors import IngestError
from ironriver.i18n import use_lang
from ironriver.ingest import check_mapping, ingest_mapping
from ironriver.policy import View, entity_dict
from ironriver.store import Store
from samples import FGR

HEAD = """mx_fgr_lit:
  agency: FGR
  country: MX
  marking: AMBER
  queries:
    - csv_url: s.csv
      entities:
        sanction:
          schema: Sanction
          keys: [folio]
          properties:
            program: {column: programa}
"""


def _mapping(tmp_path: Path, line: str) -> Path:
    (tmp_path / "s.csv").write_text("folio,programa\n1,X\n", encoding="utf-8")
    path = tmp_path / "m.yaml"
    path.write_text(HEAD + f"            {line}\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("line", "value", "kind"),
    [
        ("country: {literal: Narnia}", "Narnia", "country"),
        ('entity: {literal: "a\\tb"}', "a\tb", "entity"),
        ('startDate: {literal: "31/02/2024"}', "31/02/2024", "date"),
    ],
)
def test_a_literal_that_does_not_clean_is_refused_when_the_mapping_is_read(
    tmp_path: Path, line: str, value: str, kind: str
) -> None:
    with pytest.raises(IngestError) as err:
        check_mapping(_mapping(tmp_path, line))
    assert f"the literal {value!r} is not a valid {kind}, so no record would state it" in (
        err.value.message
    )
    assert not (tmp_path / "m.yaml.errors.csv").exists()


def test_the_refusal_in_spanish(tmp_path: Path) -> None:
    with use_lang("es"), pytest.raises(IngestError) as err:
        check_mapping(_mapping(tmp_path, "country: {literal: Narnia}"))
    assert "el literal 'Narnia' no es un valor válido" in err.value.render("es")


def test_literals_that_clean_load(sqlite_store: Store, tmp_path: Path) -> None:
    """A reference literal to an id FtM's entity type refuses, and a country by its name."""
    line = 'entity: {literal: "AP/FGR 123"}\n            country: {literal: Mexico}'
    result = ingest_mapping(sqlite_store, _mapping(tmp_path, line), actor="loader")
    assert result.rejected == 0
    [sanction] = [entity_dict(e) for e in View(sqlite_store, FGR, audit=False).export()]
    props = sanction["properties"]
    assert props["entity"] == ["AP/FGR 123"] and props["country"] == ["mx"]  # type: ignore[index]
