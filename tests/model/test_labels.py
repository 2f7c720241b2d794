"""Schema and property labels in the reader's language: FtM's catalogs for its schemata,
ours for ironriver's."""

from __future__ import annotations

from ironriver.i18n import use_lang
from ironriver.model.labels import ftm_translates, prop_label, schema_label


def test_ftm_schemata_use_ftms_catalog() -> None:
    assert schema_label("Person", "es") == "Persona"
    assert prop_label("Individual", "firstName", "es") == "Primer nombre"  # inherited
    assert ftm_translates("Person", "es") and not ftm_translates("Firearm", "es")


def test_our_schemata_use_our_catalog() -> None:
    assert schema_label("Firearm", "es") == "Arma de fuego"
    assert prop_label("Individual", "paternalSurname", "es") == "Apellido paterno"
    assert prop_label("Person", "phones", "es") == "Teléfonos"  # a reverse property of ours
    with use_lang("es"):
        assert schema_label("BorderCrossing") == "Cruce fronterizo"


def test_english_and_unknown_names() -> None:
    assert schema_label("Firearm", "en") == "Firearm"
    assert prop_label("Sale", "dealerLicense", "en") == "Dealer licence (FFL)"
    assert schema_label("NoSuchSchema", "es") == "NoSuchSchema"
    assert prop_label("Firearm", "noSuchProp", "es") == "noSuchProp"
