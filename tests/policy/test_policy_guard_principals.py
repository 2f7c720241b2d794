"""Guard: a principals file grants exactly the roles and identity it writes, and what
reading or writing those roles allows (`View`, ingest, export, retraction) follows them."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from ironriver.errors import AccessDenied, ConfigError
from ironriver.policy import (
    DEFAULT_PRINCIPALS_YAML,
    Principal,
    View,
    authorize_export,
    authorize_ingest,
    parse_principals,
    require_role,
)
from ironriver.store import Store


def _one(**item: Any) -> Principal:
    return parse_principals({"principals": [item]})[str(item["name"])]


def test_roles_are_exactly_those_written() -> None:
    assert _one(name="a", agency="atf", country="us").roles == frozenset({"analyst"})
    assert _one(name="a", agency="ATF", country="US", roles="auditor").roles == frozenset(
        {"auditor"}
    )
    assert _one(name="a", agency="ATF", country="US", roles=["ingest", "export"]).roles == (
        frozenset({"ingest", "export"})
    )
    with pytest.raises(ConfigError, match="unknown roles superuser\\."):
        _one(name="a", agency="ATF", country="US", roles=["analyst", "superuser"])


def test_identity_is_normalised_and_complete() -> None:
    p = _one(name="a", agency="atf", country="us")
    assert (p.agency, p.country) == ("ATF", "US")
    for missing in ({"agency": ""}, {"country": ""}, {"name": ""}):
        item = {"name": "a", "agency": "ATF", "country": "US", **missing}
        with pytest.raises(ConfigError, match="lacks"):
            parse_principals({"principals": [item]})


def test_an_agency_that_is_a_principals_country_is_refused() -> None:
    """Releasability holds countries and agencies alike (review R7): an agency "US" in
    country MX would read all that is released to the United States. Refused when the
    file's principals belong to that country; a two-letter agency of no such country (GN,
    Guardia Nacional, which is also Guinea's code) stays allowed."""
    from ironriver.policy.markings import AccessLabel, Marking, can_see

    spoof = Principal(name="x", agency="US", country="MX", roles=frozenset({"analyst"}))
    assert can_see(spoof, AccessLabel("CBP", "US", Marking.AMBER, frozenset({"US"})))
    ok = {"name": "b", "agency": "CBP", "country": "US"}
    for agency in ("US", "us ", "MX"):
        data = {"principals": [ok, {"name": "a", "agency": agency, "country": "MX"}]}
        with pytest.raises(ConfigError, match="also the country code of principals here"):
            parse_principals(data)
    gn = {"name": "a", "agency": "GN", "country": "MX"}
    assert parse_principals({"principals": [ok, gn]})["a"].agency == "GN"


def test_an_agency_with_principals_in_two_countries_is_refused() -> None:
    """Rules that name an agency name it alone (review R24 F2): a Mexican "HSI" would read
    US HSI's AMBER+STRICT facts, and Mexico's auditor would list US HSI agents' searches.
    Refused, whatever the case or order; an agent posted abroad keeps its agency's country."""
    from ironriver.policy.markings import AccessLabel, Marking, can_see
    from ironriver.policy.rights import audited_agencies

    us = {"name": "us-hsi-agent", "agency": "HSI", "country": "US"}
    mx = {"name": "mx-hsi-enlace", "agency": "hsi ", "country": "MX"}
    auditor = {"name": "mx-auditor", "agency": "SABG", "country": "MX", "roles": ["auditor"]}
    liaison = Principal(name="l", agency="HSI", country="MX", roles=frozenset({"analyst"}))
    strict = AccessLabel("HSI", "US", Marking.AMBER_STRICT, frozenset({"HSI"}))
    assert can_see(liaison, strict)  # what the refusal keeps out of a file
    mx_auditor = Principal("mx-auditor", "SABG", "MX", frozenset({"auditor"}))
    assert "HSI" in (audited_agencies(mx_auditor, [liaison]) or ())
    for items in ([us, mx, auditor], [auditor, mx, us]):
        with pytest.raises(ConfigError, match="agency HSI has principals in two countries"):
            parse_principals({"principals": items})
    posted = {"name": "us-hsi-cdmx", "agency": "HSI", "country": "US"}
    got = parse_principals({"principals": [us, posted, auditor]})
    assert audited_agencies(got["mx-auditor"], got.values()) == frozenset({"SABG"})


def test_a_name_declared_twice_is_refused() -> None:
    """Two entries of one name could give it another agency's reading rights."""
    data = {
        "principals": [
            {"name": "a", "agency": "ATF", "country": "US"},
            {"name": "a", "agency": "FGR", "country": "MX", "roles": ["admin"]},
        ]
    }
    with pytest.raises(ConfigError, match="declared twice"):
        parse_principals(data)


def test_the_default_file_grants_what_it_says() -> None:
    got = parse_principals(yaml.safe_load(DEFAULT_PRINCIPALS_YAML))
    assert got["auditor"].roles == frozenset({"auditor"})
    assert not got["auditor"].has_role("analyst")
    assert got["loader"].has_role("ingest") and got["loader"].has_role("export")
    assert not got["us-cbp-officer"].has_role("export")


def test_roles_gate_each_action(sqlite_store: Store) -> None:
    analyst = Principal("an", "ATF", "US")
    exporter = Principal("ex", "ATF", "US", frozenset({"analyst", "export"}))
    loader = Principal("lo", "ATF", "US", frozenset({"ingest"}))
    admin = Principal("ad", "OIG", "US", frozenset({"admin"}))
    with pytest.raises(AccessDenied, match="an may not export"):
        authorize_export(analyst)
    authorize_export(exporter)
    authorize_export(admin)
    with pytest.raises(AccessDenied, match="ex may not ingest"):
        authorize_ingest(exporter, "us_atf", "ATF", "US")
    authorize_ingest(loader, "us_atf", "atf", "us")  # its own agency's and country's dataset
    with pytest.raises(AccessDenied, match="which belongs to FGR"):
        authorize_ingest(loader, "mx_fgr", "FGR", "MX")
    with pytest.raises(AccessDenied, match="as a dataset of MX"):
        authorize_ingest(loader, "atf_mx", "ATF", "MX")  # its own agency's, another country
    authorize_ingest(admin, "mx_fgr", "FGR", "MX")  # admin: any agency's
    homes = {"FGR": frozenset({"MX"})}  # (the principals file's: `agency_countries`)
    with pytest.raises(AccessDenied, match="places FGR in MX"):
        authorize_ingest(admin, "mx_fgr", "FGR", "US", homes)
    authorize_ingest(admin, "mx_fgr", "FGR", "MX", homes)
    authorize_ingest(admin, "mx_sspc", "SSPC", "MX", homes)  # an agency the file lacks
    with pytest.raises(AccessDenied, match="lo may not read the audit log"):
        require_role(loader, "auditor", "read the audit log")
    require_role(admin, "auditor", "read the audit log")
    with pytest.raises(AccessDenied, match="lo may not read the store"):
        View(sqlite_store, loader)
    View(sqlite_store, loader, role="ingest")
