"""The YAML files users write (mappings, principals): a key given twice is an error named by
line, and YAML's own errors say where and what in the reader's language."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ironriver import yamltext
from ironriver.errors import ConfigError, IngestError
from ironriver.ingest import load_mapping
from ironriver.policy.principals import load_principals

MAPPING = """\
us_atf_sales:
  agency: ATF
  country: US
  marking: AMBER
  queries:
    - csv_url: sales.csv
      entities:
        buyer:
          schema: Person
          keys: [id]
          properties:
            name:
              column: name
            name:
              column: alias
"""


def test_a_property_mapped_twice_is_refused_not_halved(tmp_path: Path) -> None:
    # PyYAML keeps the second `name:` without a word: the first column was never ingested
    path = tmp_path / "mapping.yml"
    path.write_text(MAPPING, encoding="utf-8")
    with pytest.raises(IngestError) as err:
        load_mapping(path)
    text = err.value.render("en")
    assert "line 14, column 13: the key 'name' is given twice in one place" in text
    assert "Fix the YAML syntax" in text
    spanish = err.value.render("es")
    assert "línea 14, columna 13: la clave 'name' aparece dos veces" in spanish


def test_a_principal_with_two_countries_is_refused(tmp_path: Path) -> None:
    # the second `country:` would silently decide what this principal may read
    path = tmp_path / "principals.yaml"
    path.write_text(
        "principals:\n"
        "  - name: us-atf-analyst\n"
        "    agency: ATF\n"
        "    country: US\n"
        "    roles: [analyst]\n"
        "    country: MX\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as err:
        load_principals(path)
    assert "line 6, column 5: the key 'country' is given twice" in err.value.render("en")


def test_a_merge_key_still_overrides_what_it_merges() -> None:
    data = yamltext.load("base: &b {marking: AMBER, country: US}\nds:\n  <<: *b\n  marking: RED\n")
    assert data["ds"] == {"marking": "RED", "country": "US"}
    with pytest.raises(yaml.YAMLError, match="duplicate key 'marking'"):
        yamltext.load("ds:\n  <<: {country: US}\n  marking: RED\n  marking: CLEAR\n")


@pytest.mark.parametrize(
    ("text", "english", "spanish"),
    [
        ("a:\n\t- x\n", "line 2, column 1: the character '\\t' cannot start", "línea 2, columna 1"),
        ("a: b: c\n", "line 1, column 5: a ':' where no key may start", "donde no puede empezar"),
        ("a: 'x\n", "the file ends inside a quoted text", "termina dentro de un texto"),
        ("a:\n  b: 1\n c: 2\n", "line 3, column 2: the indentation does not", "la sangría"),
        ("a: [1, 2\n", "is not closed with ]", "no se cierra con ]"),
        ("a: *nope\n", "*nope refers to no anchor", "*nope no remite a ningún ancla"),
    ],
)
def test_yaml_errors_say_where_and_what(text: str, english: str, spanish: str) -> None:
    with pytest.raises(yaml.YAMLError) as err:
        yamltext.load(text)
    problem = yamltext.problem(err.value)
    assert not isinstance(problem, str)
    assert english in problem.render("en") and spanish in problem.render("es")
    assert "^" in problem.render("en")  # the line, with a caret under the place


def test_a_principal_key_misspelt_is_named(tmp_path: Path) -> None:
    # `role:` for `roles:` would silently leave the loader an analyst without its role
    path = tmp_path / "principals.yaml"
    path.write_text(
        "principals:\n  - {name: loader, agency: OIG, country: US, role: [admin]}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as err:
        load_principals(path)
    assert "principal #1 has an unknown key 'role'" in err.value.render("en")
    assert "Did you mean roles?" in err.value.render("en")
    assert "¿Quiso decir roles?" in err.value.render("es")


def test_a_principal_country_is_a_code(tmp_path: Path) -> None:
    # "Mexico" was kept as the country MEXICO: nothing released to MX reached that analyst
    path = tmp_path / "principals.yaml"
    path.write_text(
        "principals:\n  - {name: ana, agency: FGR, country: Mexico}\n"
        "  - {name: bo, agency: ATF, country: us}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as err:
        load_principals(path)
    assert "principal 'ana': Unknown country code 'Mexico'" in err.value.render("en")
    assert "Use its code: MX." in err.value.render("en")
    path.write_text("principals:\n  - {name: bo, agency: ATF, country: us}\n", encoding="utf-8")
    assert load_principals(path)["bo"].country == "US"


def test_a_country_yaml_reads_as_a_boolean_is_named(tmp_path: Path) -> None:
    # `country: NO` (Norway) is YAML's false: it was reported as "missing 'country'"
    path = tmp_path / "principals.yaml"
    path.write_text("principals:\n  - {name: ana, agency: POL, country: NO}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_principals(path)
    text = err.value.render("en")
    assert "country: YAML read the value as the boolean false" in text
    assert "country: 'NO'" in text
