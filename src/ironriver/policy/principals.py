"""Principals declared in a YAML file the CLI reads (`--principals` / IRONRIVER_PRINCIPALS).

```yaml
principals:
  - name: us-analyst
    agency: ATF
    country: US
    roles: [analyst]
  - name: mx-analista
    agency: FGR
    country: MX
    roles: [analyst]
    lang: es        # optional: en or es (default: Spanish for MX, English otherwise)
```
Roles: `analyst` (read, search), `ingest` (write datasets of the own agency), `export`
(bulk export), `auditor` (read the audit log), `admin` (all). A single role may be written
without brackets (`roles: auditor`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from ironriver import yamltext
from ironriver.errors import SAVE_AS_UTF8, ConfigError, bad_byte
from ironriver.i18n import Msg, joined, msg, parse_lang
from ironriver.policy.markings import Principal, check_lengths, parse_country
from ironriver.principals_file import DEFAULT_PRINCIPALS_YAML as DEFAULT_PRINCIPALS_YAML
from ironriver.principals_file import PRINCIPAL_KEYS
from ironriver.principals_file import ROLES as ROLES
from ironriver.principals_file import nearest_principal as nearest_principal

_PRINCIPALS_FILE = msg("principals file")  # what errors call a document given without a name


def parse_principals(data: Any, source: str | Msg = _PRINCIPALS_FILE) -> dict[str, Principal]:
    """The principals of a parsed YAML document; `source` (its file name) names it in errors."""
    if not isinstance(data, dict) or not isinstance(data.get("principals"), list):
        raise ConfigError(
            msg("{source} must hold a 'principals:' list.", source=source),
            hint=msg(
                "Write it as {example} (`ironriver init` writes a starter file).",
                example="principals: [{name: NAME, agency: ATF, country: US, roles: [analyst]}]",
            ),
        )
    out: dict[str, Principal] = {}
    for i, item in enumerate(data["principals"], start=1):
        if not isinstance(item, dict):
            raise ConfigError(msg("{source}: principal #{i} is not a mapping.", source=source, i=i))
        found = yamltext.unknown_key(item, PRINCIPAL_KEYS)
        if found is not None:  # `role:` for `roles:` would leave a loader without its role
            key, hint = found
            raise ConfigError(
                msg(
                    "{source}: principal #{i} has an unknown key {key!r} (it would be ignored).",
                    source=source,
                    i=i,
                    key=key,
                ),
                hint=hint,
            )
        for key in ("name", "agency", "country"):  # `country: NO` is the boolean false
            problem = yamltext.text_problem(key, item[key]) if item.get(key) is not None else None
            if problem is not None:
                error, hint = problem
                raise ConfigError(
                    msg("{source}: principal #{i}: {error}", source=source, i=i, error=error),
                    hint=hint,
                )
        missing = [k for k in ("name", "agency", "country") if not item.get(k)]
        if missing:
            raise ConfigError(
                msg(
                    "{source}: principal #{i} lacks {fields}.",
                    source=source,
                    i=i,
                    fields=", ".join(missing),
                ),
                hint=msg("Each principal needs name, agency and country."),
            )
        roles = _roles(item.get("roles", ["analyst"]))
        unknown = roles - ROLES
        if unknown:
            raise ConfigError(
                msg(
                    "{source}: principal {name!r} has unknown roles {roles}.",
                    source=source,
                    name=item["name"],
                    roles=", ".join(sorted(unknown)),
                ),
                hint=msg("Use roles from {roles}.", roles=", ".join(sorted(ROLES))),
            )
        name = str(item["name"])
        if name in out:
            raise ConfigError(
                msg("{source}: principal {name!r} is declared twice.", source=source, name=name)
            )
        try:  # "Mexico" would be a country nothing is released to
            check_lengths(principal=name, agency=str(item["agency"]).strip())
            country = parse_country(str(item["country"]))
        except ConfigError as exc:
            raise ConfigError(
                msg(
                    "{source}: principal {name!r}: {error}",
                    source=source,
                    name=name,
                    error=exc.text,
                ),
                hint=exc.hint_text,
            ) from None
        out[name] = Principal(
            name=name,
            agency=str(item["agency"]).strip().upper(),  # "ATF " is ATF
            country=country,
            roles=roles,
            description=str(item.get("description", "")),
            lang=_lang(item.get("lang"), source, name),
        )
    _check_agencies_are_not_countries(out, source)
    _check_agencies_in_one_country(out, source)
    return out


def _check_agencies_are_not_countries(principals: dict[str, Principal], source: str | Msg) -> None:
    """`ConfigError` for a principal whose agency is the code of a country principals of the
    file belong to: releasability holds countries and agencies alike, so an agency "US" in
    country MX would read all that is released to the United States (review R7). A
    two-letter agency of no such country stays allowed (Mexico's Guardia Nacional is `GN`,
    Guinea's code: docs/policy.md)."""
    countries = {p.country for p in principals.values()}
    for principal in principals.values():
        if principal.agency in countries:
            raise ConfigError(
                msg(
                    "{source}: principal {name!r} has agency {agency}, which is also the "
                    "country code of principals here: it would read what is released to "
                    "that country.",
                    source=source,
                    name=principal.name,
                    agency=principal.agency,
                ),
                hint=msg("Give the agency's own acronym, e.g. {example}.", example="FGR"),
            )


def _check_agencies_in_one_country(principals: dict[str, Principal], source: str | Msg) -> None:
    """`ConfigError` for an agency with principals in two countries. Rules that name an
    agency name it alone: its owner's facts, AMBER+STRICT released to it, and the audit
    events its country's auditor reads (`rights.audited_agencies`). So a Mexican `HSI` would
    read the US agency's RED facts, and Mexico's auditor would list what US HSI agents
    searched for (review R24 F2). A US agent posted in Mexico is a US principal; two
    agencies that share an acronym need two names ("PF" and "PF-MX")."""
    first: dict[str, Principal] = {}
    for principal in principals.values():
        seen = first.setdefault(principal.agency, principal)
        if seen.country != principal.country:
            raise ConfigError(
                msg(
                    "{source}: agency {agency} has principals in two countries ({name!r} in "
                    "{country}, {other!r} in {other_country}): what is owned by or released "
                    "to the agency would be read in both, and each country's auditor would "
                    "read the other's events.",
                    source=source,
                    agency=principal.agency,
                    name=seen.name,
                    country=seen.country,
                    other=principal.name,
                    other_country=principal.country,
                ),
                hint=msg(
                    "A principal's country is the government it works for (an agent posted "
                    "abroad keeps their agency's country). Two agencies that share an "
                    "acronym need two names, e.g. {example}.",
                    example="PF-MX",
                ),
            )


def _roles(value: Any) -> frozenset[str]:
    """A principal's `roles:`, a list or a single role (`roles: analyst`, which would
    otherwise be read letter by letter)."""
    if isinstance(value, str):
        return frozenset({value.strip()})
    if isinstance(value, list | tuple | set):
        return frozenset(str(role) for role in value)
    return frozenset({str(value)})


def _lang(value: Any, source: str | Msg, name: str) -> str:
    """A principal's optional `lang:` (en or es)."""
    if value is None or value == "":
        return ""
    lang = parse_lang(str(value))
    if lang is None:
        raise ConfigError(
            msg(
                "{source}: principal {name} has an unknown language {value}.",
                source=source,
                name=repr(name),
                value=repr(value),
            ),
            hint=msg("Use lang: en or lang: es (or leave it out: Spanish for Mexican agencies)."),
        )
    return lang


def load_principals(path: Path) -> dict[str, Principal]:
    if not path.exists():
        raise ConfigError(
            msg("Principals file {path} does not exist.", path=path),
            hint=msg("Create it (see `ironriver init`) or pass --principals."),
        )
    try:
        data = yamltext.load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(
            msg(
                "Principals file {path} is not UTF-8 text (byte {byte} at position {at}).",
                path=path,
                **bad_byte(exc),
            ),
            hint=SAVE_AS_UTF8,
        ) from None
    except yaml.YAMLError as exc:
        raise ConfigError(
            msg(
                "Principals file {path} is not valid YAML: {error}",
                path=path,
                error=yamltext.problem(exc),
            ),
            hint=msg("Fix the YAML syntax at the position shown."),
        ) from None
    return parse_principals(data, str(path))


def get_principal(principals: dict[str, Principal], name: str | None) -> Principal:
    if not name:
        raise ConfigError(
            msg("No principal given."), hint=msg("Pass --as NAME (or set IRONRIVER_AS).")
        )
    if name not in principals:
        known = msg("Known principals: {names}.", names=", ".join(sorted(principals)))
        nearest = nearest_principal(principals, name)
        raise ConfigError(
            msg("Unknown principal {name!r}.", name=name),
            hint=(
                joined([msg("Did you mean {names}?", names=repr(nearest)), known], " ")
                if nearest is not None
                else known
                if principals
                else msg(
                    "The principals file declares none: add them (`ironriver init` writes a "
                    "starter file when there is none)."
                )
            ),
        )
    return principals[name]
