"""What a principal may do besides reading: ingest, export, and the audit log's upkeep.

- Ingest: the `ingest` role, and only into datasets owned by the principal's own agency (an
  agency speaks for its own records; `admin` may load any).
- Export: the `export` role.
- Anything else a role gates (reading or anchoring the audit log: `auditor`; restarting the
  read-audit log: `admin`): `require_role`.
- Which audit events an auditor reads: those of its own country's agencies and the system's
  (`audited_agencies`); an `admin` reads all. A US inspector general does not read what
  Mexican analysts searched for, nor the reverse: each country oversees its own.
"""

from __future__ import annotations

from collections.abc import Iterable

from ironriver.errors import AccessDenied
from ironriver.i18n import Msg, msg
from ironriver.policy.markings import Principal


def audited_agencies(
    principal: Principal,
    principals: Iterable[Principal],
    owners: Iterable[tuple[str, str]],
) -> frozenset[str] | None:
    """The agencies whose principals' audit events `principal` may read: None (all) for an
    `admin`; else its own agency and every agency of its country, as the principals file
    (`principals`) and the store's datasets (`owners`: (agency, country) pairs) place them.
    Events with no agency (the system's: migrations, the demo's load) are read by every
    auditor (`EventFilter.agencies`)."""
    if "admin" in principal.roles:
        return None
    country = principal.country.upper()
    agencies = {principal.agency.upper()}
    agencies.update(p.agency.upper() for p in principals if p.country.upper() == country)
    agencies.update(a.upper() for a, c in owners if c.upper() == country)
    return frozenset(agencies)


def speaks_for(principal: Principal, owner_agency: str) -> bool:
    """Whether `principal` may write for the agency owning a dataset: its own agency's, or
    any as `admin` (the `ingest` role is checked apart)."""
    return "admin" in principal.roles or principal.agency.upper() == owner_agency.upper()


def authorize_ingest(principal: Principal, dataset: str, owner_agency: str) -> None:
    """Raise `AccessDenied` unless `principal` may load data into `dataset`."""
    if not principal.has_role("ingest"):
        raise AccessDenied(
            msg("{name} may not ingest.", name=principal.name),
            hint=msg("Ask an administrator for the {role!r} role.", role="ingest"),
        )
    if not speaks_for(principal, owner_agency):
        raise AccessDenied(
            msg(
                "{name} ({agency}) may not load {dataset!r}, which belongs to {owner}.",
                name=principal.name,
                agency=principal.agency,
                dataset=dataset,
                owner=owner_agency.upper(),
            ),
            hint=msg("Ingest it as a principal of {owner}.", owner=owner_agency.upper()),
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
