"""Every audit event records the operating-system account and host that wrote it (`by`),
hashed with the event: `--as` names a principal the command line cannot check, so the
account is what ties an event to a person (docs/policy.md, "Who is acting")."""

from __future__ import annotations

import getpass
import json
import socket
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import text

from ironriver.cli import cli
from ironriver.store import open_store
from ironriver.store.audit import BY_KEY


def test_events_record_the_account_and_host_and_an_edit_is_caught(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    store = open_store(f"sqlite:///{db}")
    written = store.audit.append("us-atf-analyst", "ingest", "ds", "load", {"n": 1}, "ATF")
    store.close()
    me = {"user": getpass.getuser(), "host": socket.gethostname()}
    assert written.by == me and written.detail["n"] == 1 and BY_KEY not in written.detail
    runner = CliRunner()
    search = ["search", "perez", "--db", str(db), "--as", "us-atf-analyst", "--reason", "r"]
    assert runner.invoke(cli, search).exit_code == 0
    out = runner.invoke(cli, ["audit", "log", "--db", str(db), "--as", "loader", "--json"])
    events = json.loads(out.stdout)
    assert {e["action"] for e in events} >= {"ingest", "search"}
    for event in events:
        if event["action"] in ("ingest", "search"):
            assert event["by"] == me and BY_KEY not in event["detail"], event
    # the account is hashed with the event: rewriting it is an edit `verify` reports
    store = open_store(f"sqlite:///{db}")
    with store.engine.begin() as conn:
        conn.execute(text("DROP TRIGGER IF EXISTS audit_no_update"))
        row = conn.execute(text("SELECT seq, detail FROM audit_events WHERE action='ingest'")).one()
        forged = json.loads(row.detail)
        forged[BY_KEY] = {"user": "someone-else", "host": me["host"]}
        conn.execute(
            text("UPDATE audit_events SET detail = :d WHERE seq = :s"),
            {"d": json.dumps(forged, sort_keys=True, ensure_ascii=False), "s": row.seq},
        )
    store.close()
    verified = runner.invoke(cli, ["audit", "verify", "--db", str(db)])
    assert verified.exit_code == 5, verified.output
