"""What one country's auditor lists of the audit log tells nothing of the other country's
events: neither how many there were nor when (chain positions, the reads chain's anchor),
nor what the system's events name of every agency's data (review R24 F3, F4). An admin
lists events whole; `audit verify` checks the chains whole."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from ironriver.cli import cli
from ironriver.policy import listed_event
from ironriver.store import open_store
from samples import sample_db

_POSITION = {"seq", "prev_hash", "hash"}


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout


def _listing(db: str, who: str) -> list[dict[str, Any]]:
    code, out = _run("audit", "log", "--db", db, "--as", who, "--json", "--limit", "1000")
    assert code == 0, out
    events: list[dict[str, Any]] = json.loads(out)
    return events


def _activity(db: str, us_searches: int) -> None:
    """Mexican reads, then `us_searches` US searches, then more Mexican reads and an anchor
    of the reads chain in the writes chain (`audit checkpoint`, by each country)."""
    mx = ("--db", db, "--as", "mx-fgr-analista", "--reason", "carpeta 12")
    assert _run("search", "garcia", *mx)[0] == 0
    for n in range(us_searches):
        us = ("--db", db, "--as", "us-atf-analyst", "--reason", f"op zafiro {n}")
        assert _run("search", f"secreto{n}", *us)[0] == 0
    assert _run("entity", "p2", *mx)[0] in (0, 4)
    for auditor in ("mx-auditor", "auditor"):
        args = ("--db", db, "--as", auditor, "--reason", "nightly")
        assert _run("audit", "checkpoint", *args)[0] == 0


def _comparable(events: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """What a listing says of each event, its time and host aside (they differ by run)."""
    return [
        (e["chain"], e["actor"], e["agency"], e["action"], e["target"], e["reason"], e["detail"])
        for e in events
    ]


def test_a_countrys_auditor_cannot_count_the_other_countrys_events(tmp_path: Path) -> None:
    (tmp_path / "quiet").mkdir()
    (tmp_path / "busy").mkdir()
    quiet, busy = sample_db(tmp_path / "quiet"), sample_db(tmp_path / "busy")
    _activity(quiet, us_searches=0)
    _activity(busy, us_searches=4)
    mx_quiet, mx_busy = _listing(quiet, "mx-auditor"), _listing(busy, "mx-auditor")
    # the same listing whether or not US analysts searched in between
    assert _comparable(mx_quiet) == _comparable(mx_busy)
    assert {e["agency"] for e in mx_busy} <= {"FGR", "SEDENA", "SABG", ""}
    for e in mx_busy:
        assert not _POSITION & e.keys(), e
        assert "read_anchor" not in e["detail"], e
        if not e["agency"]:  # the system's: listed, naming no data
            assert (e["target"], e["detail"]) == ("", {}), e
    # the Mexican checkpoint is listed, without the reads chain's head it recorded
    assert [e["action"] for e in mx_busy].count("read-chain-checkpoint") == 1
    # an admin lists every event whole: positions, anchors, the system's details
    admin = _listing(busy, "loader")
    assert all(_POSITION <= e.keys() for e in admin)
    assert sum("read_anchor" in e["detail"] for e in admin) >= 2
    assert len([e for e in admin if e["action"] == "search"]) == 4 + 1
    # and the human table of a country's auditor has no seq column
    code, out = _run("--lang", "en", "audit", "log", "--db", busy, "--as", "mx-auditor")
    assert code == 0 and out.splitlines()[0].split()[:3] == ["chain", "at", "actor"], out


def test_the_system_events_detail_is_an_admins_to_read(tmp_path: Path) -> None:
    db = sample_db(tmp_path)
    store = open_store(f"sqlite:///{db}")
    try:
        event = store.audit.append(
            "ironriver",
            "labels-baseline",
            "cbp_seizures,fgr_cases",
            "upgrade from 0014",
            {"labels": {"cbp_seizures": {"agency": "CBP", "marking": "RED"}}},
        )
    finally:
        store.close()
    scoped = listed_event(event, frozenset({"FGR", "SEDENA", "SABG"}))
    assert (scoped["target"], scoped["detail"]) == ("", {})
    assert not _POSITION & scoped.keys()
    assert scoped["action"] == "labels-baseline" and scoped["reason"] == "upgrade from 0014"
    whole = listed_event(event, None)
    assert whole["target"] == "cbp_seizures,fgr_cases" and whole["detail"]["labels"]
    assert whole["seq"] == event.seq and whole["hash"] == event.hash


def test_an_owner_the_actor_could_not_see_is_not_listed_to_its_countrys_auditor(
    tmp_path: Path,
) -> None:
    """A SEDENA ingest refused for naming HSI's AMBER+STRICT dataset records each owner (for
    an admin); Mexico's auditor, who lists SEDENA's events, read HSI's ownership there,
    which the refusal itself had withheld from the loader (review R25 F3)."""
    db = sample_db(tmp_path)
    store = open_store(f"sqlite:///{db}")
    try:
        event = store.audit.append(
            "mx-sedena-analista",
            "refused",
            "mx_sedena_casos",
            "carga",
            {
                "because": "another-agencys",
                "datasets": {
                    "op_alpha": {"agency": "HSI", "entities": 1},
                    "mx_fgr_aseguramientos": {"agency": "FGR", "entities": 2},
                },
            },
            agency="SEDENA",
        )
    finally:
        store.close()
    mx = listed_event(event, frozenset({"FGR", "SEDENA", "SABG"}))["detail"]["datasets"]
    assert mx == {
        "op_alpha": {"entities": 1},
        "mx_fgr_aseguramientos": {"agency": "FGR", "entities": 2},
    }
    assert listed_event(event, None)["detail"]["datasets"]["op_alpha"]["agency"] == "HSI"
    listed = _listing(db, "mx-auditor")
    refused = [e for e in listed if e["action"] == "refused"]
    assert refused and "HSI" not in json.dumps(refused)
