"""Schema and property labels in the reader's language.

FtM translates its own schemata's labels (its `followthemoney` catalogs: "Person" ->
"Persona"); ironriver's schemata (`model/schema/*.yaml`) are translated by our catalog
(`locale/es/LC_MESSAGES/model.po`; `ironriver.i18n_tools` collects their labels and
descriptions from the YAML), and so are FtM's labels its Spanish catalog leaves out ("Bank
account"; `ftm.po`, collected by `ftm_label_texts`). Tables for people show labels;
`--json` keeps the names.

An entity with no name (nor other caption property) has FtM's English label of its schema as
its caption ("Membership"): `shown_caption` puts that one in the reader's language.

A yes/no cell of a table reads "yes"/"no" ("sí"/"no"), never Python's `True`: `yes_no`; a
country code reads as the country's name ("us" -> "Estados Unidos"): `shown_value`.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from ironriver.i18n import Lang, current_lang, marked, pt, t, translate

# the keys of our schema YAML whose texts people read
_TEXT_KEYS = ("label", "plural", "description")

# a ledger column's types (`ingest.specs.LEDGER_TYPES`) as a reader says them; FtM's property
# types have their own labels
_LEDGER_TYPE_LABELS = {
    "string": marked("text"),
    "integer": marked("whole number"),
    "float": marked("decimal number"),
    "boolean": marked("yes/no value"),
    "date": marked("date"),
    "timestamp": marked("date and time"),
}


@cache
def _ftm_translation(lang: Lang) -> Any:
    """FtM's own catalog for `lang` (a gettext translation; English: the texts as they are)."""
    from gettext import NullTranslations, translation

    from followthemoney.util import i18n_path

    if lang == "en":
        return NullTranslations()
    return translation("followthemoney", i18n_path, [lang], fallback=True)


def ftm_translates(english: str, lang: Lang) -> bool:
    """Whether FtM's own catalog has `english` in `lang`."""
    return str(_ftm_translation(lang).gettext(english)) != english


def _instead_of_ftm(lang: Lang) -> dict[str, str]:
    """FtM labels that FtM's own catalog translates but a Mexican reader says otherwise
    (`ftm.po`, gettext context "instead of FtM's"): FtM's "Primer nombre" for firstName,
    which holds every given name, is "Nombre(s)"; "Membresía" (a club's) is "Pertenencia" to
    an organization; FtM's "Dirección" for Directorship is also its Address, so a directorship
    is a "Cargo directivo"."""
    return {
        "First name": pt("instead of FtM's", "First name", lang),
        "Membership": pt("instead of FtM's", "Membership", lang),
        "Memberships": pt("instead of FtM's", "Memberships", lang),
        "Directorship": pt("instead of FtM's", "Directorship", lang),
        "Directorships": pt("instead of FtM's", "Directorships", lang),
    }


def _instead_of_ftm_in(schema: Any, prop: str, lang: Lang) -> str | None:
    """Our word for property `prop` where it depends on the schema: a person's `name` (FtM's
    "Nombre", beside firstName's "Nombre(s)") is the "Nombre completo"."""
    if prop == "name" and schema.is_a("Person"):
        return pt("instead of FtM's, a person's", "Name", lang)
    return None


def _text(english: str, lang: Lang) -> str:
    """Our word for one of FtM's labels where we have one (`_instead_of_ftm`), else FtM's
    translation of `english`, else ours (our schemata), else `english`."""
    english = english.strip()
    if lang == "en" or not english:
        return english
    ours = _instead_of_ftm(lang).get(english)
    if ours is not None:
        return ours
    theirs = str(_ftm_translation(lang).gettext(english))
    return theirs if theirs != english else translate(english, lang)


def schema_label(name: str, lang: Lang | None = None) -> str:
    """The label of schema `name` (the name itself for an unknown schema)."""
    from ironriver.model import get_model

    schema = get_model().get(name)
    if schema is None:
        return name
    return _text(str(schema._label), lang or current_lang())


def prop_label(schema: str, prop: str, lang: Lang | None = None) -> str:
    """The label of property `prop` of `schema` (the name itself when either is unknown)."""
    from ironriver.model import get_model

    sch = get_model().get(schema)
    found = sch.get(prop) if sch is not None else None
    if found is None:
        return prop
    lang = lang or current_lang()
    if lang != "en":
        ours = _instead_of_ftm_in(sch, prop, lang)
        if ours is not None:
            return ours
    return _text(str(found._label), lang)


def shown_caption(caption: str, schema: str | None, lang: Lang | None = None) -> str:
    """An entity's caption as a reader sees it: FtM's stand-in for a missing name, its
    schema's English label, as `schema_label` says it; a name stays as it is (a name that is
    the English label itself shows as the label too: it says the same)."""
    from ironriver.model import get_model

    found = get_model().get(schema) if schema else None
    if found is None or caption != found._label:
        return caption
    return schema_label(found.name, lang)


def type_label(name: str, lang: Lang | None = None) -> str:
    """A value type as a reader says it inside a sentence ("not a valid {type}"): an FtM
    property type by FtM's label ("phone number", "número de teléfono"), a ledger column type
    by ours; lowercase unless it is an acronym ("URL"). Unknown names come back as they are."""
    from followthemoney.types import registry

    lang = lang or current_lang()
    if name in _LEDGER_TYPE_LABELS:
        return translate(_LEDGER_TYPE_LABELS[name], lang)
    ftm_type = next((kind for kind in registry.types if kind.name == name), None)
    if ftm_type is None:
        return name
    label = _text(str(ftm_type.label), lang)  # the English text (FtM marks it with N_)
    return label if label[1:2].isupper() else label[:1].lower() + label[1:]


# the Babel locale whose territory names a reader's language uses: Mexican Spanish, US English
_TERRITORY_LOCALES: dict[Lang, str] = {"en": "en_US", "es": "es_MX"}


@cache
def _territories(lang: Lang) -> dict[str, str]:
    from babel import Locale

    return dict(Locale.parse(_TERRITORY_LOCALES[lang]).territories)


def country_name(code: str, lang: Lang | None = None) -> str:
    """A country code (FtM's `country` type: "us", "at") as the country's name in the
    reader's language ("Estados Unidos", "Austria"; Babel's names for the CLDR territories);
    a code of FtM's that CLDR lacks ("zz", which FtM means as global and CLDR as unknown;
    "suhh", "ge-ab") by FtM's English name ("Global", "Soviet Union"), else as it is."""
    from followthemoney.types import registry

    key = code.strip().upper()
    if key != "ZZ":
        name = _territories(lang or current_lang()).get(key)
        if name is not None:
            return name
    return str(registry.country.caption(code.strip().lower()))


def shown_value(schema: str, prop: str, value: str, lang: Lang | None = None) -> str:
    """A statement's value as a table for people shows it: a country code as the country's
    name (`country_name`: "País de fabricación: Estados Unidos", not "us"); any other value
    as it is. `--json` keeps the value itself."""
    from ironriver.model import get_model

    sch = get_model().get(schema)
    found = sch.get(prop) if sch is not None else None
    if found is not None and found.type.name == "country":
        return country_name(value, lang)
    return value


def yes_no(value: bool, lang: Lang | None = None) -> str:
    """A yes/no value as a table shows it, one style in each language: "yes"/"no",
    "sí"/"no" (lowercase, like any other cell)."""
    return t("yes", lang) if value else t("no", lang)


def ftm_label_texts() -> Iterator[tuple[str, str]]:
    """(text, place) for every label of FtM's own model a reader may see: its schemata's, their
    properties' (reverse ones included) and its property types'."""
    from followthemoney import model
    from followthemoney.types import registry

    for schema in sorted(model.schemata.values(), key=lambda s: s.name):
        yield str(schema._label).strip(), f"followthemoney: {schema.name}"
        for prop in sorted(schema.properties.values(), key=lambda p: p.name):
            if prop.schema is schema:  # (not each schema that inherits it)
                yield str(prop._label).strip(), f"followthemoney: {schema.name}.{prop.name}"
    for kind in sorted(registry.types, key=lambda k: k.name):
        yield str(kind.label).strip(), f"followthemoney: type {kind.name}"


def yaml_texts(folder: Path) -> Iterator[tuple[str, str]]:
    """(text, place) for every label, plural and description in our schema YAML files."""
    for path in sorted(folder.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for name, schema in data.items():
            place = f"ironriver/model/schema/{path.name}: {name}"
            for key in _TEXT_KEYS:
                if schema.get(key):
                    yield str(schema[key]).strip(), place
            for prop_name, prop in (schema.get("properties") or {}).items():
                for key in _TEXT_KEYS:
                    if prop.get(key):
                        yield str(prop[key]).strip(), f"{place}.{prop_name}"
                reverse = prop.get("reverse") or {}
                for key in _TEXT_KEYS:
                    if reverse.get(key):
                        yield str(reverse[key]).strip(), f"{place}.{prop_name} (reverse)"
