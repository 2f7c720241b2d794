"""Text shown to users, in English and Spanish. `t(key, lang)` picks one; every key has both.

A test checks that no key lacks a language.
"""

from __future__ import annotations

from typing import Literal

Lang = Literal["en", "es"]

MESSAGES: dict[str, dict[str, str]] = {
    "demo.title": {
        "en": "ironriver demo: one synthetic binational world, two countries' views",
        "es": "demostración de ironriver: un mundo binacional sintético, dos vistas nacionales",
    },
    "demo.generating": {
        "en": "Generating a synthetic world (scale {scale}, seed {seed}) in {path}",
        "es": "Generando un mundo sintético (escala {scale}, semilla {seed}) en {path}",
    },
    "demo.ingesting": {
        "en": "Ingesting {n} agency mappings into {db}",
        "es": "Cargando {n} mapeos de agencias en {db}",
    },
    "demo.ingested": {
        "en": "  {dataset}: {records} records -> {statements} statements, {ledger} ledger rows",
        "es": "  {dataset}: {records} registros -> {statements} afirmaciones, {ledger} filas de libro",
    },
    "demo.sees": {
        "en": "What {name} ({agency}, {country}) sees",
        "es": "Lo que ve {name} ({agency}, {country})",
    },
    "demo.entities": {"en": "Entities by schema", "es": "Entidades por esquema"},
    "demo.datasets": {
        "en": "Visible statements by dataset",
        "es": "Afirmaciones visibles por conjunto",
    },
    "demo.ledgers": {"en": "Visible ledger rows", "es": "Filas visibles de libros de registro"},
    "demo.gun": {
        "en": "A gun recovered in Mexico, as this principal sees it",
        "es": "Un arma asegurada en México, tal como la ve este usuario",
    },
    "demo.sales": {
        "en": "Its first retail sale in the US (ATF dealer records)",
        "es": "Su primera venta al menudeo en EE. UU. (registros de armerías, ATF)",
    },
    "col.date": {"en": "date", "es": "fecha"},
    "col.dealer": {"en": "dealer", "es": "armería"},
    "col.state": {"en": "state", "es": "estado"},
    "col.buyer": {"en": "buyer", "es": "comprador"},
    "demo.hidden": {"en": "(nothing visible)", "es": "(nada visible)"},
    "demo.audit": {
        "en": "Audit log: {events} events, chain intact: {ok}",
        "es": "Bitácora de auditoría: {events} eventos, cadena íntegra: {ok}",
    },
    "col.schema": {"en": "schema", "es": "esquema"},
    "col.entities": {"en": "entities", "es": "entidades"},
    "col.dataset": {"en": "dataset", "es": "conjunto"},
    "col.statements": {"en": "statements", "es": "afirmaciones"},
    "col.ledger": {"en": "ledger", "es": "libro"},
    "col.rows": {"en": "rows", "es": "filas"},
    "col.property": {"en": "property", "es": "propiedad"},
    "col.value": {"en": "value", "es": "valor"},
}


def t(key: str, lang: Lang = "en", **fields: object) -> str:
    """The message `key` in `lang`, with `{fields}` filled in."""
    return MESSAGES[key][lang].format(**fields)


def lang_for_country(country: str) -> Lang:
    return "es" if country.upper() == "MX" else "en"
