"""Markings (TLP 2.0) and releasability: the one rule that decides who sees a fact.

Every statement and every ledger row carries an *access label*: the agency and country that
own it (from its dataset), its TLP 2.0 marking, and the set of countries and/or agencies it is
releasable to. `can_see(principal, label)` is the only visibility rule in ironriver; the
store, the ledgers, exports and sync feeds all filter with it.

The rule (documented for users in docs/policy.md):

- The owning agency always sees its own facts.
- CLEAR: anyone.
- GREEN: anyone in the community named by `releasable_to` (country or agency); an empty
  `releasable_to` means the whole community.
- AMBER: principals whose country or agency is named in `releasable_to`.
- AMBER+STRICT: principals whose *agency* is named in `releasable_to` (a country is not
  enough: TLP 2.0 limits AMBER+STRICT to the recipient organisation).
- RED: only individual recipients named as `user:<name>` in `releasable_to`.

Releasability tokens are upper-case country codes (`US`, `MX`), agency codes (`ATF`, `FGR`)
or `user:<name>`.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from ironriver.errors import ConfigError
from ironriver.i18n import Msg, marked, msg, nmsg
from ironriver.yamltext import not_text


class Marking(StrEnum):
    CLEAR = "CLEAR"
    GREEN = "GREEN"
    AMBER = "AMBER"
    AMBER_STRICT = "AMBER+STRICT"
    RED = "RED"

    @classmethod
    def parse(cls, value: str) -> Marking:
        text = value.strip().upper().replace("TLP:", "").replace("_", "+").replace(" ", "")
        if text == "WHITE":  # TLP 1.0 name for CLEAR
            text = "CLEAR"
        try:
            return cls(text)
        except ValueError:
            names = ", ".join(m.value for m in cls)
            raise ConfigError(
                msg("Unknown marking {value!r}.", value=value),
                hint=msg("Use one of the TLP 2.0 markings: {names}.", names=names),
            ) from None


def parse_releasable(values: Iterable[str] | str | None) -> frozenset[str]:
    """Normalise a releasability list (`"US,MX"`, `["us", "ATF"]`) to upper-case tokens."""
    if values is None:
        return frozenset()
    if isinstance(values, str):
        values = values.replace(";", ",").replace("|", ",").split(",")
    out: set[str] = set()
    for value in values:
        token = value.strip()
        if not token:
            continue
        if token.lower().startswith("user:"):
            out.add("user:" + token[5:].strip())
        else:
            out.add(token.upper())
    return frozenset(out)


def parse_releasable_input(values: Iterable[object] | str | None) -> frozenset[str]:
    """`parse_releasable` for what a user wrote (a mapping's `releasable_to`, a command's
    `--releasable-to`), refusing what would silently share with nobody: each entry is split
    at , ; | (`["MX, US"]` is MX and US, not one agency called "MX, US"); an entry holding a
    space, or a country's name instead of its code ("Mexico"), or `user:` without a name, is
    a `ConfigError` saying what to write. (Stored labels go through `parse_releasable`.)"""
    from followthemoney.types import registry

    if values is None:
        return frozenset()
    items = [values] if isinstance(values, str) else list(values)
    for item in items:
        what = not_text(item)
        if what is not None:  # `[NO, US]`: Norway would have been the agency FALSE
            raise ConfigError(
                msg("A releasability entry is {what}, not text.", what=what),
                hint=msg("Quote it as written, e.g. {example}.", example="['NO', 'US']"),
            )
    tokens = [t.strip() for item in items for t in re.split(r"[,;|]", str(item))]
    for token in filter(None, tokens):
        if token.lower().startswith("user:"):
            if not token[5:].strip():
                raise ConfigError(
                    msg("Releasability entry {value!r} names no user.", value=token),
                    hint=msg("Write {example}.", example="user:NAME"),
                )
            continue
        if registry.country.validate(token):  # a code (GB-SCT), whatever its length
            continue
        meant = registry.country.clean(token) if len(token) > 3 else None
        if meant:  # a name FtM's country type knows ("Mexico", "United States")
            raise ConfigError(
                msg("Releasability entry {value!r} is a country's name.", value=token),
                hint=msg("Use its code: {code}.", code=meant.upper()),
            )
        if any(c.isspace() for c in token):
            raise ConfigError(
                msg("Releasability entry {value!r} holds a space.", value=token),
                hint=msg(
                    "Give one country code, agency or user:NAME per entry, separated by "
                    "commas, e.g. {example}.",
                    example="MX,US,FGR",
                ),
            )
    return parse_releasable(tokens)


def check_releasable(marking: Marking, tokens: frozenset[str]) -> None:
    """Refuse releasability entries that `can_see` ignores under `marking`, so that what a
    user wrote shares with whom it says: RED is read by named users only (`user:NAME`), and
    AMBER and AMBER+STRICT by countries and agencies only."""
    if marking is Marking.CLEAR and tokens:  # CLEAR is everyone's: `[ATF]` meant ATF only
        raise ConfigError(
            msg(
                "Marking CLEAR is read by everyone: releasable_to {ignored} would be ignored.",
                ignored=", ".join(sorted(tokens)),
            ),
            hint=msg(
                "Choose GREEN or AMBER to release to {ignored} only, or remove releasable_to.",
                ignored=", ".join(sorted(tokens)),
            ),
        )
    users = sorted(t for t in tokens if t.startswith("user:"))
    others = sorted(t for t in tokens if not t.startswith("user:"))
    if marking is Marking.RED and others:
        raise ConfigError(
            msg(
                "Marking RED is read only by the users named as user:NAME: {ignored} would "
                "be ignored.",
                ignored=", ".join(others),
            ),
            hint=msg(
                "Name the recipients as user:NAME, or choose AMBER to release to a country "
                "or agency."
            ),
        )
    if marking in (Marking.AMBER, Marking.AMBER_STRICT) and users:
        raise ConfigError(
            msg(
                "Marking {marking} is released to countries and agencies, not to named "
                "users: {ignored} would be ignored.",
                marking=marking.value,
                ignored=", ".join(users),
            ),
            hint=msg("Choose RED to release to named users, or name their agency."),
        )


def strict_country_note(dataset: str, label: AccessLabel, agencies: Collection[str]) -> Msg | None:
    """A note when `label` is AMBER+STRICT and releases to a country code (`MX`) that no
    agency in `agencies` (the principals file's) is: AMBER+STRICT is read by the agencies
    named only, so such an entry most likely meant the country, and no one there reads the
    facts but their owner. Not refused: a two-letter agency (Mexico's Guardia Nacional, `GN`,
    is also Guinea's code) may be a partner node's, declared in its own principals file."""
    from followthemoney.types import registry

    if label.marking is not Marking.AMBER_STRICT:
        return None
    known = {agency.upper() for agency in agencies}
    codes = sorted(
        token
        for token in label.releasable_to
        if not token.startswith("user:") and token not in known and registry.country.validate(token)
    )
    if not codes:
        return None
    return nmsg(
        "{dataset}: AMBER+STRICT is read by the agencies named only, and {codes} is a country "
        "code that no principal's agency is here: no one reads these facts through it. To "
        "release them to a country, choose AMBER; name agencies for AMBER+STRICT (e.g. "
        "{example}). If {codes} is a partner node's agency, this is as meant.",
        "{dataset}: AMBER+STRICT is read by the agencies named only, and {codes} are country "
        "codes that no principal's agency is here: no one reads these facts through them. To "
        "release them to a country, choose AMBER; name agencies for AMBER+STRICT (e.g. "
        "{example}). If {codes} are a partner node's agencies, this is as meant.",
        len(codes),
        dataset=dataset,
        codes=", ".join(codes),
        example="FGR, SEDENA",
    )


# The longest texts the store's columns hold (store/tables.py: datasets.name, the agency of a
# dataset, label and audit event, and an audit event's actor, the principal's name).
# PostgreSQL refuses a longer one with a traceback mid-ingest or at a principal's first read,
# where SQLite would keep it, so they are checked where they are declared.
DATASET_NAME_CHARS = 255
AGENCY_CHARS = 64
PRINCIPAL_NAME_CHARS = 128


def check_lengths(
    *, dataset: str | None = None, agency: str | None = None, principal: str | None = None
) -> None:
    """`ConfigError` when a dataset name, agency or principal name is longer than the
    store holds (the limits above), on every backend alike."""
    limits = (
        (
            dataset,
            DATASET_NAME_CHARS,
            marked(
                "Dataset name {value!r} is {n} characters long; the store holds at most {limit}."
            ),
            msg("Choose a shorter name, e.g. {example}.", example="us_atf_dealer_sales"),
        ),
        (
            agency,
            AGENCY_CHARS,
            marked("Agency {value!r} is {n} characters long; the store holds at most {limit}."),
            msg("Give the agency's acronym, e.g. {example}.", example="FGR"),
        ),
        (
            principal,
            PRINCIPAL_NAME_CHARS,
            marked(
                "Principal name {value!r} is {n} characters long; the audit log holds at most "
                "{limit}."
            ),
            msg("Choose a shorter name, e.g. {example}.", example="mx-fgr-analista"),
        ),
    )
    for value, limit, said, hint in limits:
        if value is not None and len(value) > limit:
            fields = {"value": value[:40] + "…", "n": len(value), "limit": limit}
            raise ConfigError(Msg(said, fields), hint=hint)


def parse_country(value: str) -> str:
    """A dataset owner's country as labels keep it: its upper-case code (`MX`), one FtM's
    country type knows (ISO 3166-1 and a few of its own); `ConfigError` for anything else, a
    country's name included (the hint gives its code)."""
    from followthemoney.types import registry

    code = value.strip()
    if registry.country.validate(code):
        return code.upper()
    meant = registry.country.clean(code)  # a name: "Mexico" -> "mx"
    raise ConfigError(
        msg("Unknown country code {value!r}.", value=value),
        hint=msg("Use its code: {code}.", code=meant.upper())
        if meant
        else msg("Use a two-letter ISO 3166-1 country code, e.g. MX or US."),
    )


def releasable_text(tokens: Iterable[str]) -> str:
    """The canonical text form of a releasability set: sorted, comma-joined."""
    return ",".join(sorted(tokens))


@dataclass(frozen=True)
class Principal:
    """Who is reading: a user in an agency of a country, with roles (by default `analyst`,
    as in a principals file that names none)."""

    name: str
    agency: str
    country: str
    roles: frozenset[str] = field(default_factory=lambda: frozenset({"analyst"}))
    description: str = ""
    lang: str = ""  # language of messages ("en"/"es"); "" = by country (MX: Spanish)

    @property
    def tokens(self) -> frozenset[str]:
        return frozenset({self.agency.upper(), self.country.upper(), f"user:{self.name}"})

    def has_role(self, role: str) -> bool:
        return role in self.roles or "admin" in self.roles


@dataclass(frozen=True)
class AccessLabel:
    """Owner, marking and releasability of a fact. Small in number; statements refer to it."""

    owner_agency: str
    owner_country: str
    marking: Marking
    releasable_to: frozenset[str] = frozenset()

    @property
    def releasable_text(self) -> str:
        return releasable_text(self.releasable_to)


def limits_handling(label: AccessLabel) -> bool:
    """Whether `label`'s facts come with handling rules a recipient must be told: AMBER,
    AMBER+STRICT or RED (passed on only to those named, or not at all), or GREEN released
    to named countries or agencies only (CLEAR, and GREEN to the whole community, are
    the levels meant to be passed on)."""
    if label.marking is Marking.CLEAR:
        return False
    return label.marking is not Marking.GREEN or bool(label.releasable_to)


def can_see(principal: Principal, label: AccessLabel) -> bool:
    """True when `principal` may see a fact carrying `label` (see the module docstring)."""
    if principal.agency.upper() == label.owner_agency.upper():
        return True
    rel = label.releasable_to
    marking = label.marking
    if marking is Marking.CLEAR:
        return True
    if marking is Marking.GREEN:
        return not rel or bool(rel & principal.tokens)
    if marking is Marking.AMBER:
        return principal.agency.upper() in rel or principal.country.upper() in rel
    if marking is Marking.AMBER_STRICT:
        return principal.agency.upper() in rel
    return f"user:{principal.name}" in rel
