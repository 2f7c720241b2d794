"""Schema and property labels in the reader's language: FtM's catalogs for its schemata,
ours for ironriver's."""

from __future__ import annotations

from ironriver.i18n import use_lang
from ironriver.model.labels import (
    ftm_translates,
    prop_label,
    schema_label,
    shown_caption,
    type_label,
)


def test_ftm_schemata_use_ftms_catalog() -> None:
    assert schema_label("Person", "es") == "Persona"
    assert prop_label("Individual", "lastName", "es") == "Apellido"  # inherited
    assert prop_label("Individual", "firstName", "es") == "Nombre(s)"  # ours, not FtM's
    assert ftm_translates("Person", "es") and not ftm_translates("Firearm", "es")


def test_our_schemata_use_our_catalog() -> None:
    assert schema_label("Firearm", "es") == "Arma de fuego"
    assert prop_label("Individual", "paternalSurname", "es") == "Apellido paterno"
    assert prop_label("Person", "phones", "es") == "Teléfonos"  # a reverse property of ours
    with use_lang("es"):
        assert schema_label("BorderCrossing") == "Cruce fronterizo"


def test_the_words_a_mexican_analyst_uses() -> None:
    """FtM's Spanish and our first words, as an FGR analyst says them (docs/i18n.md)."""
    assert schema_label("Membership", "es") == "Pertenencia"  # FtM: "Membresía"
    assert prop_label("Person", "membershipMember", "es") == "Pertenencia a organizaciones"
    assert schema_label("Directorship", "es") == "Cargo directivo"  # FtM: "Dirección"...
    assert schema_label("Address", "es") == "Dirección"  # ...as for an address
    assert prop_label("Person", "name", "es") == "Nombre completo"  # beside "Nombre(s)"
    assert prop_label("Individual", "name", "es") == "Nombre completo"
    assert prop_label("Organization", "name", "es") == "Nombre"  # not a person's
    assert prop_label("Person", "name", "en") == "Name"
    assert prop_label("Recovery", "recoveringAgency", "es") == "Autoridad que aseguró"
    assert prop_label("Firearm", "serialNumber", "es") == "Matrícula"
    assert prop_label("Firearm", "serialStatus", "es") == "Estado de la matrícula"
    assert prop_label("BorderCrossing", "port", "es") == "Puerto de entrada (garita)"


def test_english_and_unknown_names() -> None:
    assert schema_label("Firearm", "en") == "Firearm"
    assert prop_label("Sale", "dealerLicense", "en") == "Dealer licence (FFL)"
    assert schema_label("NoSuchSchema", "es") == "NoSuchSchema"
    assert prop_label("Firearm", "noSuchProp", "es") == "noSuchProp"


def test_ftm_labels_its_catalog_lacks_come_from_ours() -> None:
    assert not ftm_translates("Bank account", "es")
    assert schema_label("BankAccount", "es") == "Cuenta bancaria"
    assert prop_label("Person", "eyeColor", "es") == "Color de ojos"
    assert type_label("ip", "es") == "dirección IP"


def test_a_caption_standing_in_for_a_name_is_the_readers_label() -> None:
    """FtM's caption of an entity with no name is its schema's English label."""
    assert shown_caption("Membership", "Membership", "es") == "Pertenencia"  # ours, not FtM's
    assert shown_caption("Recovery", "Recovery", "es") == "Aseguramiento"  # ours
    assert shown_caption("Bank account", "BankAccount", "es") == "Cuenta bancaria"
    assert shown_caption("Membership", "Membership", "en") == "Membership"
    assert shown_caption("Juan Pérez", "Person", "es") == "Juan Pérez"  # a name: data
    assert shown_caption("r1", None, "es") == "r1"  # (a neighbour not visible)
