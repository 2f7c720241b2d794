"""FtM's default model, built at its first import, is parsed by libyaml once ironriver is
imported (`ironriver.ftm_import`: ~0.3 s of every command that opens a store): the same
model as PyYAML's pure-Python parser gives, and nothing of the hook is left behind."""

from __future__ import annotations

import json
import subprocess
import sys

FACTS = """
import json, sys, yaml
plain = yaml.safe_load
{first}
import followthemoney
from followthemoney import model
print(json.dumps({{
    "schemata": {{name: schema.to_dict() for name, schema in sorted(model.schemata.items())}},
    "qnames": sorted(model.qnames),
    "hooked": getattr(sys.modules.get("ironriver.ftm_import"), "parsed_with_libyaml", None),
    "restored": yaml.safe_load is plain,
    "finders_left": [type(f).__name__ for f in sys.meta_path if "FirstImport" in type(f).__name__],
}}, sort_keys=True, default=str))
"""


def _facts(first: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", FACTS.format(first=first)],
        capture_output=True,
        text=True,
        check=True,
    )
    facts: dict[str, object] = json.loads(done.stdout)
    return facts


def test_the_model_ftm_builds_is_the_same_with_libyaml() -> None:
    plain = _facts("")
    hooked = _facts("import ironriver")
    assert plain["hooked"] is None and hooked["hooked"] is True  # (the hook did run)
    assert hooked["schemata"] == plain["schemata"] and hooked["qnames"] == plain["qnames"]
    assert len(plain["schemata"]) > 60  # type: ignore[arg-type]
    assert hooked["restored"] is True and hooked["finders_left"] == []


def test_a_process_that_imported_ftm_first_is_left_alone() -> None:
    facts = _facts("import followthemoney; import ironriver")
    assert facts["hooked"] is False and facts["finders_left"] == []
