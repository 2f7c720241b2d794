"""A mapping key ironriver does not know is an error with the nearest known key: FtM ignores
it, and a typo would silently change what is ingested (`filter:`), the ids (`keyliteral:`)
or who may read the data (`releasable-to:`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ironriver.errors import IngestError
from ironriver.ingest import load_mapping

BASE = """\
us_atf_sales:
  agency: ATF
  country: US
  marking: AMBER
  releasable_to: [MX]
  queries:
    - csv_url: sales.csv
      filters: {active: 'yes'}
      entities:
        buyer:
          schema: Person
          keys: [id]
          properties:
            name: {column: name}
      ledger:
        name: sales
        columns:
          id: {column: id, type: string}
        key: [id]
"""


def _mapping(tmp_path: Path, text: str) -> Path:
    (tmp_path / "sales.csv").write_text("id,name,active\n1,Ana,yes\n", encoding="utf-8")
    path = tmp_path / "mapping.yml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_base_mapping_loads(tmp_path: Path) -> None:
    (dataset,) = load_mapping(_mapping(tmp_path, BASE))
    assert dataset.releasable_to and dataset.queries[0].source.filters


@pytest.mark.parametrize(
    ("old", "new", "where", "suggestion"),
    [
        (
            "  releasable_to: [MX]",
            "  releasable-to: [MX]",
            "dataset 'us_atf_sales'",
            "releasable_to",
        ),
        ("      filters: {", "      filter: {", "query 1", "filters"),
        (
            "          keys: [id]",
            "          keys: [id]\n          keyliteral: x",
            "entity 'buyer'",
            "key_literal",
        ),
        ("name: {column: name}", "name: {colum: name, column: name}", "property 'name'", "column"),
        ("        key: [id]", "        keys: [id]", "query 1", "key"),
        ("{column: id, type: string}", "{column: id, typ: string}", "ledger column 'id'", "type"),
    ],
)
def test_a_misspelt_key_is_named_with_the_nearest_known_one(
    tmp_path: Path, old: str, new: str, where: str, suggestion: str
) -> None:
    assert old in BASE
    with pytest.raises(IngestError) as err:
        load_mapping(_mapping(tmp_path, BASE.replace(old, new)))
    english = err.value.render("en")
    assert where in english and "(it would be ignored)" in english
    assert f"Did you mean {suggestion}?" in english
    assert f"¿Quiso decir {suggestion}?" in err.value.render("es")


def test_aleph_dataset_metadata_is_accepted(tmp_path: Path) -> None:
    text = BASE.replace(
        "  marking: AMBER\n", "  marking: AMBER\n  label: Sales\n  category: leak\n"
    )
    (dataset,) = load_mapping(_mapping(tmp_path, text))
    assert dataset.name == "us_atf_sales"


def test_a_key_far_from_any_lists_the_known_ones(tmp_path: Path) -> None:
    text = BASE.replace("          keys: [id]", "          keys: [id]\n          zzz: 1")
    with pytest.raises(
        IngestError, match="use one of: id_column, key, key_clean, key_literal, keys"
    ):
        load_mapping(_mapping(tmp_path, text))


def test_ftms_sql_keys_are_refused_not_ignored(tmp_path: Path) -> None:
    # `tables:` beside a csv_url would have been ignored: the whole file read instead
    text = BASE.replace("      filters: {active: 'yes'}\n", "      tables: [sales]\n")
    with pytest.raises(IngestError, match="SQL database sources are not supported"):
        load_mapping(_mapping(tmp_path, text))


@pytest.mark.parametrize(
    ("old", "new", "says"),
    [
        # YAML reads these as something else: Norway as false, 0012 as the number 10
        ("name: {column: name}", "nationality: {literal: NO}", "literal: YAML read the value"),
        ("name: {column: name}", "idNumber: {literal: 0012}", "the number 10"),
        ("name: {column: name}", "name: {column: name, required: 'no'}", "required must be"),
        ("name: {column: name}", "name: {column: name, fuzzy: 'no'}", "fuzzy must be"),
        ("name: {column: name}", "alias: {column: name, split: [';']}", "split must be text"),
        # given but blank: said so, not "names no literal" (review R29 F5)
        ("name: {column: name}", "notes: {literal: '   '}", "value of literal is blank"),
        ("name: {column: name}", "notes: {columns: ['', ' ']}", "value of columns is blank"),
        ("name: {column: name}", "notes: {template: '  '}", "value of template is blank"),
        ("{column: id, type: string}", "{column: id, required: 'yes'}", "required must be"),
    ],
)
def test_option_values_of_the_wrong_kind_are_refused(
    tmp_path: Path, old: str, new: str, says: str
) -> None:
    """Each was read silently: no nationality, idNumber "10", every record rejected for a
    `required: 'no'` column, "Méjico" cleaned fuzzily, an alias never split."""
    assert old in BASE
    with pytest.raises(IngestError, match=says):
        load_mapping(_mapping(tmp_path, BASE.replace(old, new)))


def test_clear_with_releasability_is_refused(tmp_path: Path) -> None:
    # `marking: CLEAR, releasable_to: [ATF]` meant ATF only; CLEAR is everyone's
    text = BASE.replace("marking: AMBER", "marking: CLEAR").replace("[MX]", "[ATF]")
    with pytest.raises(IngestError, match="Marking CLEAR is read by everyone"):
        load_mapping(_mapping(tmp_path, text))


def test_an_agency_is_trimmed(tmp_path: Path) -> None:
    (dataset,) = load_mapping(_mapping(tmp_path, BASE.replace("agency: ATF", "agency: 'ATF '")))
    assert dataset.agency == "ATF"


def test_a_template_of_a_number_is_a_template(tmp_path: Path) -> None:
    """`template: 0` states "0", as in `ftm map` (review R30c F5: it was said to be blank)."""
    text = BASE.replace("name: {column: name}", "idNumber: {template: 0}")
    assert text != BASE
    [mapping] = load_mapping(_mapping(tmp_path, text))
    [prop] = [p for e in mapping.queries[0].entities for p in e.properties if p.template]
    assert prop.template == "0"
