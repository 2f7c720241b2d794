"""What a principal may do besides reading: ingest, export, and the audit log's upkeep.

- Ingest: the `ingest` role, and only into datasets owned by the principal's own agency and
  country (an agency speaks for its own records; `admin` may load any agency's, placed in
  the country the principals file places that agency in, when it knows the agency).
- Export: the `export` role.
- Anything else a role gates (reading or anchoring the audit log: `auditor`; restarting the
  read-audit log: `admin`): `require_role`.
- Which audit events an auditor reads: those of its own agency, of the agencies of its
  country's principals in the principals file, and the system's (`audited_agencies`); an
  `admin` reads all. Dataset labels do not count: their loaders declare them (review R11
  F2). A US inspector general does not read what Mexican analysts searched for, nor the
  reverse: each country oversees its own. What it lists of them is `listed_event`'s: no
  position in a chain, no other chain's head, and of the system's events no data they name,
  for each of those counts or names what the other country did or holds (review R24 F3, F4).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ironriver.errors import AccessDenied
from ironriver.i18n import Msg, msg
from ironriver.policy.markings import Principal
from ironriver.store.anchors import ANCHOR_KEY

if TYPE_CHECKING:
    from ironriver.store.audit import AuditEvent

CHAIN_POSITION = ("seq", "prev_hash", "hash")
"""An event's place in its chain, which an auditor of one country does not list
(`listed_event`)."""


def audited_agencies(
    principal: Principal, principals: Iterable[Principal]
) -> frozenset[str] | None:
    """The agencies whose principals' audit events `principal` may read: None (all) for an
    `admin`; else its own agency and every agency a principal of its country belongs to in
    the principals file (`principals`). Events with no agency (the system's: migrations, the
    demo's load) are read by every auditor (`EventFilter.agencies`).

    The store's dataset labels are not consulted: a dataset's owner country is what its
    loader declared, so a label could pull another country's agency into this scope (review
    R11 F2). So an agency no principal of the file belongs to (any more: events carry the
    acting principal's agency, so only principals since removed left such events) is read
    by an `admin` only; to keep its country's auditor reading them, keep one principal of
    that agency and country in the file (`roles: []` lets it do nothing)."""
    if "admin" in principal.roles:
        return None
    country = principal.country.upper()
    agencies = {principal.agency.upper()}
    agencies.update(p.agency.upper() for p in principals if p.country.upper() == country)
    return frozenset(agencies)


def listed_event(event: AuditEvent, scope: frozenset[str] | None) -> dict[str, Any]:
    """`event` as `audit log` lists it to an auditor of one country (`scope`: its
    `audited_agencies`), else (None: an admin) whole. Both chains number all events of both
    countries, so a listing of one country's would count and date the other's: reads 1 at
    10:52:24, then 6 at 10:52:51, are four hidden searches, and a write event's reads-chain
    anchor is the number of reads of both countries (review R24 F3). So it leaves out the
    chain position (`CHAIN_POSITION`) and the anchor. An event of the system's (no agency:
    a new store, an upgrade, a migration) is listed to every auditor, and may name every
    agency's data (migration 0015's `labels-baseline` names every dataset and its label,
    0008's `retract` entity ids; review R24 F4): its target and detail are left out. `audit
    verify` checks the chains whole; an `admin` lists events whole. And an event of the
    auditor's country may name the owner of a dataset its actor could not see (an `ingest
    --entities` refused for naming another agency's datasets records each one's `agency`):
    an owner outside the auditor's `scope` is left out (review R25 F3)."""
    data = dict(event.__dict__)
    if scope is None:
        return data
    for key in CHAIN_POSITION:
        data.pop(key, None)
    if not event.agency:
        data["target"] = ""
        data["detail"] = {}
        return data
    detail = {k: v for k, v in event.detail.items() if k != ANCHOR_KEY}
    named = detail.get("datasets")
    if isinstance(named, dict):
        detail["datasets"] = {
            name: _owner_in(value, scope) if isinstance(value, dict) else value
            for name, value in named.items()
        }
    data["detail"] = detail
    return data


def _owner_in(entry: dict[str, Any], scope: frozenset[str]) -> dict[str, Any]:
    """A dataset's entry of an event's detail without its `agency` when that agency is not
    one of `scope`'s."""
    agency = entry.get("agency")
    if isinstance(agency, str) and agency.upper() not in scope:
        return {k: v for k, v in entry.items() if k != "agency"}
    return entry


def agency_countries(principals: Iterable[Principal]) -> dict[str, frozenset[str]]:
    """Each agency of the principals file (upper case) -> the countries its principals are
    in: where an `admin` may place a dataset of that agency (`authorize_ingest`)."""
    homes: dict[str, set[str]] = {}
    for p in principals:
        homes.setdefault(p.agency.upper(), set()).add(p.country.upper())
    return {a: frozenset(c) for a, c in homes.items()}


def speaks_for(principal: Principal, owner_agency: str) -> bool:
    """Whether `principal` may write for the agency owning a dataset: its own agency's, or
    any as `admin` (the `ingest` role is checked apart)."""
    return "admin" in principal.roles or principal.agency.upper() == owner_agency.upper()


def authorize_ingest(
    principal: Principal,
    dataset: str,
    owner_agency: str,
    owner_country: str,
    homes: Mapping[str, Collection[str]] | None = None,
) -> None:
    """Raise `AccessDenied` unless `principal` may load data into `dataset`, declared as
    owned by `owner_agency` of `owner_country`: a principal with the `ingest` role, its own
    agency's and country's data only; an `admin`, any agency's, in the country the principals
    file places that agency in (`homes`: `agency_countries`; an agency it does not know, or
    no `homes`, may be placed in any). A label's owner country is shown as the facts'
    provenance (`owner_country` in reads and ledgers) and placed the owner in that country's
    auditor's scope before review R11 F2: a loader may not declare another country's."""
    if not principal.has_role("ingest"):
        raise AccessDenied(
            msg("{name} may not ingest.", name=principal.name),
            hint=msg("Ask an administrator for the {role!r} role.", role="ingest"),
        )
    agency, country = owner_agency.upper(), owner_country.upper()
    if not speaks_for(principal, agency):
        raise AccessDenied(
            msg(
                "{name} ({agency}) may not load {dataset!r}, which belongs to {owner}.",
                name=principal.name,
                agency=principal.agency,
                dataset=dataset,
                owner=agency,
            ),
            hint=msg("Ingest it as a principal of {owner}.", owner=agency),
        )
    if "admin" not in principal.roles:
        if country != principal.country.upper():
            raise AccessDenied(
                msg(
                    "{name} ({agency}, {country}) may not load {dataset!r} as a dataset of "
                    "{owner_country}: an agency declares its own country's data only.",
                    name=principal.name,
                    agency=principal.agency.upper(),
                    country=principal.country.upper(),
                    dataset=dataset,
                    owner_country=country,
                ),
                hint=msg(
                    "Declare the country {country} (--country {country}, or `country: "
                    "{country}` in the mapping).",
                    country=principal.country.upper(),
                ),
            )
        return
    known = (homes or {}).get(agency)
    if known and country not in known:
        raise AccessDenied(
            msg(
                "{dataset!r} is declared as {agency}'s of {owner_country}, but the principals "
                "file places {agency} in {countries}.",
                dataset=dataset,
                agency=agency,
                owner_country=country,
                countries=", ".join(sorted(known)),
            ),
            hint=msg(
                "Declare the country {country} (--country {country}, or `country: "
                "{country}` in the mapping).",
                country=sorted(known)[0],
            ),
        )


def require_role(principal: Principal, role: str, action: str | Msg) -> None:
    """Raise `AccessDenied` ("NAME may not ACTION.") unless `principal` has `role`. `action`
    is a verb phrase, `msg("read the audit log")`, so that it is translated with the rest."""
    if not principal.has_role(role):
        raise AccessDenied(
            msg("{name} may not {action}.", name=principal.name, action=action),
            hint=msg("Ask an administrator for the {role!r} role.", role=role),
        )


def authorize_export(principal: Principal) -> None:
    if not principal.has_role("export"):
        raise AccessDenied(
            msg("{name} may not export.", name=principal.name),
            hint=msg("Ask an administrator for the {role!r} role.", role="export"),
        )
