"""The principals file as the command line reads it before the policy is loaded: the file's
vocabulary (its keys and roles), the built-in starter file, the principal nearest to a
mistyped name, and each principal's language when the file is plainly written.

`ironriver.policy.principals` parses the file and says everything wrong with it; it needs
the policy package, whose `__init__` loads the store (SQLAlchemy), and FtM for the country
codes. The command line reads the language of the principal `--as` names before it parses
its arguments, so that `--help` and click's errors speak it too
(`cli_support.principal_lang_given`): through the policy, a `--help` would load all of that
(~1 s of CPU). `plain_langs` reads the languages from the YAML alone, only from a document
every part of which is plainly what the policy accepts (countries US and MX, known keys and
roles, short names, no duplicates...), and says None for any other: the caller then asks the
policy, which gives its answer or its error as before. `tests/cli/test_principals_file.py`
holds both answers equal.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from typing import Any

from ironriver.i18n import Lang, lang_for_country, parse_lang

ROLES = frozenset({"analyst", "ingest", "export", "auditor", "admin"})
PRINCIPAL_KEYS = frozenset({"name", "agency", "country", "roles", "description", "lang"})

#: what a plainly written principal has (each well within what the policy accepts: its
#: limits are 128 characters for a name and 64 for an agency, `policy.markings`)
PLAIN_NAME_CHARS = 100
_PLAIN_AGENCY = re.compile(r"[A-Za-z][A-Za-z0-9]{0,31}")
_PLAIN_COUNTRIES = frozenset({"US", "MX"})

DEFAULT_PRINCIPALS_YAML = """\
# Who may read this store. Pass with --principals FILE or IRONRIVER_PRINCIPALS.
# Quién puede leer este almacén. Páselo con --principals ARCHIVO o IRONRIVER_PRINCIPALS.
# Optional per principal / opcional por usuario: lang: en | es (default / predeterminado:
# Spanish for MX agencies, English otherwise / español para dependencias de MX, inglés si no).
principals:
  - name: us-atf-analyst
    agency: ATF
    country: US
    roles: [analyst, ingest, export]
  - name: us-cbp-officer
    agency: CBP
    country: US
    roles: [analyst, ingest]
  - name: mx-fgr-analista
    agency: FGR
    country: MX
    roles: [analyst, ingest, export]
  - name: mx-sedena-analista
    agency: SEDENA
    country: MX
    roles: [analyst, ingest]
  - name: us-hsi-agent
    agency: HSI
    country: US
    roles: [analyst, ingest]
  - name: mx-cni-analista
    agency: CNI
    country: MX
    roles: [analyst, ingest]
  - name: auditor
    agency: OIG
    country: US
    roles: [auditor]
  - name: mx-auditor
    description: "Secretaría Anticorrupción y Buen Gobierno (antes SFP): audita a las dependencias de MX"
    agency: SABG
    country: MX
    roles: [auditor]
  - name: loader
    description: "Node administrator: may load any agency's files (reads like any OIG user)"
    agency: OIG
    country: US
    roles: [admin]
"""


def nearest_principal(principals: Iterable[str], name: str) -> str | None:
    """The principal whose name is nearest to `name`, a name none has (a typo:
    "mx-fgr-analist"), if one is near enough (difflib's ratio 0.8 or more)."""
    close = difflib.get_close_matches(name, sorted(principals), n=1, cutoff=0.8)
    return close[0] if close else None


def plain_langs(data: Any) -> dict[str, Lang] | None:
    """Each principal's language by name (its `lang:`, else Spanish for Mexico), read from a
    parsed principals document that is plainly one the policy accepts; None for any other
    (the policy's `parse_principals` then decides: it may accept it, or say what is wrong)."""
    if not isinstance(data, dict) or not isinstance(data.get("principals"), list):
        return None
    langs: dict[str, Lang] = {}
    homes: dict[str, str] = {}  # agency -> its principals' country
    for item in data["principals"]:
        plain = _plain_principal(item)
        if plain is None or plain[0] in langs:
            return None
        name, agency, lang = plain
        langs[name] = lang
        country = str(item["country"]).upper()
        if homes.setdefault(agency.upper(), country) != country:
            return None  # one agency in two countries: the policy refuses
    countries = set(homes.values())
    return langs if not homes.keys() & countries else None  # an agency "US": refused too


def _plain_principal(item: Any) -> tuple[str, str, Lang] | None:
    """(name, agency, language) of a plainly written principal, else None."""
    if not isinstance(item, dict) or not all(k in PRINCIPAL_KEYS for k in item):
        return None
    name, agency, country = item.get("name"), item.get("agency"), item.get("country")
    if not (isinstance(name, str) and 0 < len(name) <= PLAIN_NAME_CHARS):
        return None
    if not (isinstance(agency, str) and _PLAIN_AGENCY.fullmatch(agency)):
        return None
    if not (isinstance(country, str) and country.upper() in _PLAIN_COUNTRIES):
        return None
    if not _plain_roles(item.get("roles", ["analyst"])):
        return None
    lang = item.get("lang")
    if lang is None or lang == "":
        return name, agency, lang_for_country(country)
    given = parse_lang(lang) if isinstance(lang, str) else None
    return (name, agency, given) if given is not None else None


def _plain_roles(value: Any) -> bool:
    """Whether `roles:` is one known role or a list of known roles."""
    if isinstance(value, str):
        return value.strip() in ROLES
    return isinstance(value, list) and all(isinstance(r, str) and r in ROLES for r in value)
