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
```
Roles: `analyst` (read, search), `ingest` (write datasets of the own agency), `export`
(bulk export), `auditor` (read the audit log), `admin` (all).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from ironriver.errors import ConfigError
from ironriver.policy.markings import Principal

ROLES = frozenset({"analyst", "ingest", "export", "auditor", "admin"})


def parse_principals(data: Any, source: str = "principals file") -> dict[str, Principal]:
    if not isinstance(data, dict) or not isinstance(data.get("principals"), list):
        raise ConfigError(
            f"{source} must hold a 'principals:' list.",
            hint="See `ironriver.policy.principals` for the format.",
        )
    out: dict[str, Principal] = {}
    for i, item in enumerate(data["principals"], start=1):
        if not isinstance(item, dict):
            raise ConfigError(f"{source}: principal #{i} is not a mapping.")
        missing = [k for k in ("name", "agency", "country") if not item.get(k)]
        if missing:
            raise ConfigError(
                f"{source}: principal #{i} lacks {', '.join(missing)}.",
                hint="Each principal needs name, agency and country.",
            )
        roles = frozenset(str(r) for r in item.get("roles", ["analyst"]))
        unknown = roles - ROLES
        if unknown:
            raise ConfigError(
                f"{source}: principal {item['name']!r} has unknown roles {sorted(unknown)}.",
                hint=f"Use roles from {sorted(ROLES)}.",
            )
        name = str(item["name"])
        if name in out:
            raise ConfigError(f"{source}: principal {name!r} is declared twice.")
        out[name] = Principal(
            name=name,
            agency=str(item["agency"]).upper(),
            country=str(item["country"]).upper(),
            roles=roles,
            description=str(item.get("description", "")),
        )
    return out


def load_principals(path: Path) -> dict[str, Principal]:
    if not path.exists():
        raise ConfigError(
            f"Principals file {path} does not exist.",
            hint="Create it (see `ironriver init`) or pass --principals.",
        )
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"Principals file {path} is not valid YAML: {exc}") from exc
    return parse_principals(data, str(path))


DEFAULT_PRINCIPALS_YAML = """\
# Who may read this store. Pass with --principals FILE or IRONRIVER_PRINCIPALS.
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
  - name: loader
    description: "Node administrator: may load any agency's files (reads like any OIG user)"
    agency: OIG
    country: US
    roles: [admin]
"""


def get_principal(principals: dict[str, Principal], name: str | None) -> Principal:
    if not name:
        raise ConfigError("No principal given.", hint="Pass --as NAME (or set IRONRIVER_AS).")
    if name not in principals:
        raise ConfigError(
            f"Unknown principal {name!r}.",
            hint=f"Known principals: {', '.join(sorted(principals))}.",
        )
    return principals[name]
