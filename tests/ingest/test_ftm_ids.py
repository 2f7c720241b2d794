"""Our bulk path and the real `ftm map` produce the same entities for the same mapping."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sales_fixtures import snapshot  # type: ignore[import-not-found]

from ironriver.ingest import ingest_mapping
from ironriver.model import write_model_dir
from ironriver.store import Store

Entities = dict[str, tuple[str, dict[str, set[str]]]]


def _ftm_map(mapping: Path, tmp_path: Path) -> Entities:
    env = dict(os.environ)
    env.pop("FTM_MODEL_PATH", None)
    model_dir = write_model_dir(tmp_path / "model")
    env["FTM_MODEL_PATH"] = str(model_dir)
    ftm = Path(sys.executable).with_name("ftm")
    # ftm resolves csv_url against the working directory; ours against the mapping file.
    out = subprocess.run(
        [str(ftm), "map", "--no-sign", mapping.name],
        cwd=mapping.parent,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    entities: Entities = {}
    for line in out.splitlines():
        data = json.loads(line)
        _, props = entities.setdefault(data["id"], (data["schema"], {}))
        for prop, values in data["properties"].items():
            props.setdefault(prop, set()).update(values)
    return entities


def _ours(store: Store) -> Entities:
    from sqlalchemy import text

    with store.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT s.entity_id, p.schema, p.prop, s.value FROM statements s "
                "JOIN props p ON p.id = s.prop_id"
            )
        ).fetchall()
    entities: Entities = {}
    for entity_id, schema, prop, value in rows:
        _, props = entities.setdefault(entity_id, (schema, {}))
        props.setdefault(prop, set()).add(value)
    return entities


def test_same_entities_as_ftm_map(sqlite_store: Store, sales_dir: Path, tmp_path: Path) -> None:
    ingest_mapping(sqlite_store, sales_dir / "graph.yaml", actor="t")
    assert snapshot(sqlite_store)[0]
    theirs = _ftm_map(sales_dir / "graph.yaml", tmp_path)
    ours = _ours(sqlite_store)
    assert len(theirs) == 4 + 4 + 3  # sales, firearms, buyers
    assert ours == theirs
