"""Our schemata load beside FtM's, and the real `ftm validate` accepts our exports."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ironriver.model import OUR_SCHEMATA, get_model, write_model_dir
from ironriver.policy import View
from ironriver.store import Store
from samples import ATF, load

FTM = shutil.which("ftm") or str(Path(sys.executable).parent / "ftm")


def test_our_schemata_extend_ftm() -> None:
    model = get_model()
    for name in OUR_SCHEMATA:
        assert model.get(name) is not None, name
    assert model.get("Individual").is_a("Person")
    assert model.get("Individual").get("paternalSurname").type.name == "name"
    assert model.get("Sale").get("firearm").range.name == "Firearm"
    assert model.get("Firearm").get("sales") is not None  # reverse property
    assert model.get("Arrest").is_a("Event")
    assert model.get("Arrest").get("arrestingAuthority").range.name == "LegalEntity"
    assert model.get("Individual").get("arrests") is not None  # the detainee's reverse
    assert model.get("Company") is not None  # FtM's own are still there


def _validate(path: Path, model_dir: Path | None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.pop("FTM_MODEL_PATH", None)
    if model_dir is not None:
        env["FTM_MODEL_PATH"] = str(model_dir)
    return subprocess.run(
        [FTM, "validate", "-i", str(path)], capture_output=True, text=True, env=env, check=False
    )


@pytest.mark.slow
def test_ftm_validate_accepts_our_export(sqlite_store: Store, tmp_path: Path) -> None:
    load(sqlite_store)
    out = tmp_path / "export.ftm.jsonl"
    with out.open("w", encoding="utf-8") as fh:
        for ent in View(sqlite_store, ATF, reason="ftm validate").export():
            fh.write(json.dumps(ent.to_dict()) + "\n")
    exported = [json.loads(line) for line in out.read_text().splitlines()]
    assert {e["schema"] for e in exported} >= {"Individual", "Firearm", "Sale", "Recovery"}
    model_dir = write_model_dir(tmp_path / "model")
    ok = _validate(out, model_dir)
    assert ok.returncode == 0, ok.stderr
    validated = {e["id"]: e for e in map(json.loads, ok.stdout.splitlines())}
    for ent in exported:
        assert validated[ent["id"]]["properties"] == ent["properties"]
    # Negative control: FtM's model alone does not know our schemata.
    bad = _validate(out, None)
    assert bad.returncode != 0 and "schema" in bad.stderr.lower()
