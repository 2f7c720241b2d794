"""Our bulk path and the real `ftm map` produce the same entities for the same mapping."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sales_fixtures import snapshot  # type: ignore[import-not-found]

from ironriver.errors import IngestError
from ironriver.i18n import use_lang
from ironriver.ingest import ingest_mapping
from ironriver.model import write_model_dir
from ironriver.policy import Principal, View
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


# Small files where the two once disagreed, each with the FtM rule it holds to.
PARITY_CASES = {
    # the model's own format for an identifier property (FtM: `format or prop.format`)
    "model-format": (
        "id,iban,bic\n1,DE89 3704 0044 0532 0130 00,deutdeff500\n",
        "{schema: BankAccount, keys: [id], properties: {iban: {column: iban}, bic: {column: bic}}}",
    ),
    # an unknown day or month written as 00 is a date at a coarser precision
    "zero-day-month": (
        "id,n,dob\n1,Juan,1980-00-00\n2,Ana,1975-03-00\n3,Luz,2024-00\n",
        "{schema: Person, keys: [id], properties: {name: {column: n}, birthDate: {column: dob}}}",
    ),
    # what DuckDB's strptime does not read, Python's does
    "strptime-padding": (
        "id,n,dob\n1,Juan,1/ 5/2023\n2,Ana,1/5/2023\n",
        "{schema: Person, keys: [id], properties: {name: {column: n}, "
        "birthDate: {column: dob, format: '%m/%d/%Y'}}}",
    ),
    "strptime-no-zero": (
        "id,n,dob\n1,Juan,5012023\n",
        "{schema: Person, keys: [id], properties: {name: {column: n}, "
        "birthDate: {column: dob, format: '%d%m%Y'}}}",
    ),
    # a template is stripped of all Python white space, not only spaces
    "template-strip": (
        "id,a,b\n1,x,\n2,p,q\n",
        "{schema: Person, keys: [id], properties: {name: {column: a}, "
        'notes: {template: "{{a}}\\n{{b}}\\t"}}}',
    ),
    # a quoted value after the delimiter and spaces: FtM's csv reader skips the spaces and
    # reads the quotes (`skipinitialspace`); one holding the delimiter too
    "space-before-quote": (
        'id,n,note\n1,Juan, "El Jefe"\n2,Ana,  "Dos ""x"""\n3,Luz,x "y"\n4,Sol, "a, b"\n',
        "{schema: Person, keys: [note], properties: {name: {column: n}, notes: {column: note}}}",
    ),
    # a quoted value's CR LF or lone CR is LF, as FtM's reader (universal newlines) reads it,
    # in a key too (review R29 F2)
    "quoted-line-breaks": (
        'id,n,note\n"a\r\nb",Ana,"x\r\ny"\n"c\rd",Luz,"p\rq\r\n"\n',
        "{schema: Person, keys: [id], properties: {name: {column: n}, notes: {column: note}}}",
    ),
    # a key_literal that YAML reads as a number or a time is hashed as FtM writes it
    "key-literal-float": (
        "id,n\n1,Juan\n",
        "{schema: Person, keys: [id], key_literal: 1.0, properties: {name: {column: n}}}",
    ),
    "key-literal-time": (
        "id,n\n1,Juan\n",
        "{schema: Person, keys: [id], key_literal: 2024-01-31 10:00:00, "
        "properties: {name: {column: n}}}",
    ),
}


def _mapping(tmp_path: Path, dataset: str, csv_text: str, *entities: str) -> Path:
    """A folder holding `data.csv` and the mapping `m.yaml` of one ATF query whose entities
    are `entities` (YAML lines `name: {...}`); returns the mapping's path."""
    folder = tmp_path / "case"
    folder.mkdir()
    (folder / "data.csv").write_text(csv_text, encoding="utf-8")
    mapping = folder / "m.yaml"
    lines = "".join(f"        {e}\n" for e in entities)
    mapping.write_text(
        f"{dataset}:\n  agency: ATF\n  country: US\n  marking: CLEAR\n  queries:\n"
        f"    - csv_url: data.csv\n      entities:\n{lines}",
        encoding="utf-8",
    )
    return mapping


@pytest.mark.parametrize("case", sorted(PARITY_CASES))
def test_same_values_as_ftm_map(case: str, sqlite_store: Store, tmp_path: Path) -> None:
    csv_text, entity = PARITY_CASES[case]
    mapping = _mapping(tmp_path, "parity", csv_text, f"p: {entity}")
    ingest_mapping(sqlite_store, mapping, actor="t")
    theirs = _ftm_map(mapping, tmp_path)
    assert theirs  # (ftm map read the file)
    assert _ours(sqlite_store) == theirs


@pytest.mark.parametrize(("first", "second"), [("Person", "LegalEntity"), ("Individual", "Person")])
def test_mappings_on_the_same_keys_of_mergeable_schemata_are_one_entity(
    first: str, second: str, sqlite_store: Store, tmp_path: Path
) -> None:
    """Two entity mappings on the same keys whose schemata merge are FtM's way of giving one
    entity properties from two mappings: one entity of the more specific schema, as `ftm
    map` makes it (review R29 F3: the mapping was refused as if they could not merge)."""
    mapping = _mapping(
        tmp_path,
        "twomaps",
        "id,name,email\n1,Ana,ana@example.org\n2,Luz,\n",
        f"a: {{schema: {first}, keys: [id], properties: {{name: {{column: name}}}}}}",
        f"b: {{schema: {second}, keys: [id], properties: {{email: {{column: email}}}}}}",
    )
    result = ingest_mapping(sqlite_store, mapping, actor="t")
    assert result.rejected == 0 and result.statements == 3
    theirs = _ftm_map(mapping, tmp_path)
    ours = _ours(sqlite_store)
    assert len(ours) == 2  # (one entity per record, not two)
    assert {i: props for i, (_, props) in ours.items()} == {
        i: props for i, (_, props) in theirs.items()
    }
    # (its statements keep the schema each mapping gave; an entity is of the merged one)
    view = View(sqlite_store, Principal("t", "ATF", "US"))
    for entity_id, (schema, _) in theirs.items():
        entity = view.entity(entity_id)
        assert entity is not None and entity.schema.name == schema


@pytest.mark.parametrize("first", ["LegalEntity", "Person"])
def test_one_value_stated_by_two_mergeable_mappings_keeps_the_specific_schema(
    first: str, sqlite_store: Store, tmp_path: Path
) -> None:
    """A statement's id does not hash its schema, so one value stated by a LegalEntity and a
    Person mapping of one record is one statement: it is the Person's, whatever the order,
    or the entity would be read as a LegalEntity (review R30 F3). Of a name and an alias
    mentioning one name, the mention kept is the one written as it is stored, on every run
    (R30 F14: it was either)."""
    second = "Person" if first == "LegalEntity" else "LegalEntity"
    mapping = _mapping(
        tmp_path,
        "twice",
        "id,n,a\n1,Ana,\"'Ana'\"\n",
        f"a: {{schema: {first}, keys: [id], properties: {{name: {{column: n}}}}}}",
        f"b: {{schema: {second}, keys: [id], properties: {{name: {{column: n}}, "
        "alias: {column: a}}}",
        "s: {schema: Sale, keys: [id], key_literal: s, properties: {buyer: {entity: b}}}",
    )
    ingest_mapping(sqlite_store, mapping, actor="t")
    view = View(sqlite_store, Principal("t", "ATF", "US"), audit=False)
    [buyer] = [e for e in view.export() if e.schema.name != "Sale"]
    assert buyer.schema.name == "Person" and buyer.get("name") == ["Ana"]
    from sqlalchemy import text

    with sqlite_store.engine.connect() as conn:
        mentions = conn.execute(
            text(
                "SELECT s.value, s.original_value FROM statements s JOIN props p "
                "ON p.id = s.prop_id WHERE p.prop = 'namesMentioned'"
            )
        ).fetchall()
    assert [tuple(m) for m in mentions] == [("Ana", None)]


def test_the_specific_schema_is_kept_when_two_records_state_the_value(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """A LegalEntity mapping states a name in one record, a Person mapping the same name of
    the same id in the next: the Person's statement is kept (review R30c F1: the first
    record's was)."""
    mapping = _mapping(
        tmp_path,
        "tworows",
        "id,n,n2\n1,A,\n1,,A\n",
        "le: {schema: LegalEntity, keys: [id], properties: {name: {column: n}}}",
        "pe: {schema: Person, keys: [id], properties: {name: {column: n2}}}",
    )
    ingest_mapping(sqlite_store, mapping, actor="t")
    assert [schema for schema, _ in _ours(sqlite_store).values()] == ["Person"]


@pytest.mark.parametrize(
    "order", [("LegalEntity", "Person", "Company"), ("Person", "LegalEntity", "Company")]
)
def test_three_mappings_on_the_same_keys_merge_each_with_every_other(
    order: tuple[str, ...], sqlite_store: Store, tmp_path: Path
) -> None:
    """Person and Company each merge with LegalEntity, not with each other: three mappings on
    the same keys are refused at load whatever their order (review R30 F2: LegalEntity first
    let the mapping load, then rejected every record as if its keys were empty)."""
    mapping = _mapping(
        tmp_path,
        "three",
        "id,n\n1,Ana\n",
        *(
            f"e{i}: {{schema: {schema}, keys: [id], properties: {{name: {{column: n}}}}}}"
            for i, schema in enumerate(order)
        ),
    )
    with pytest.raises(IngestError) as caught:
        ingest_mapping(sqlite_store, mapping, actor="t")
    assert "are keyed on the same columns" in caught.value.message
    assert "(Person)" in caught.value.message and "(Company)" in caught.value.message
    assert _ours(sqlite_store) == {}


def test_entities_without_values_ingest_nothing(sqlite_store: Store, tmp_path: Path) -> None:
    """An entity mapping with keys only states nothing: the ingest succeeds and stores no
    statement (FtM's `ftm map` writes an entity with an id and no properties)."""
    mapping = _mapping(tmp_path, "keysonly", "pid\n1\n", "p: {schema: Person, keys: [pid]}")
    result = ingest_mapping(sqlite_store, mapping, actor="t")
    assert result.records == 1 and result.statements == 0
    assert _ours(sqlite_store) == {}


def test_entities_of_unmergeable_schemata_never_share_an_id(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """Empty key columns can give a Person and an Ownership one id: `ftm map` writes both
    under it; ironriver rejects the record with what to change, in the reader's language."""
    mapping = _mapping(
        tmp_path,
        "sameid",
        "pid,cid,n\n1,10,Juan\n2,,Ana\n",
        "person: {schema: Person, keys: [pid], properties: {name: {column: n}}}",
        "own: {schema: Ownership, keys: [pid, cid], properties: "
        "{owner: {entity: person}, role: {literal: socio}}}",
    )
    with pytest.raises(IngestError):
        ingest_mapping(sqlite_store, mapping, actor="t")
    assert _ours(sqlite_store) == {}
    with use_lang("es"):
        result = ingest_mapping(sqlite_store, mapping, actor="t", skip_invalid=True)
    assert result.records == 2 and result.rejected == 1
    assert result.report_path is not None
    report = result.report_path.read_text(encoding="utf-8")
    assert "las entidades person y own obtienen el mismo id" in report
    assert '"pid, cid"' in report
    schemata = {schema for schema, _ in _ours(sqlite_store).values()}
    assert schemata == {"Person", "Ownership"}
    # a LegalEntity and a Person on one id are one Person, as FtM merges them
    merged = mapping.with_name("merged.yaml")
    merged.write_text(
        mapping.read_text(encoding="utf-8")
        .replace("sameid:", "merged:")
        .replace("schema: Ownership", "schema: LegalEntity")
        .replace("{owner: {entity: person}, role: {literal: socio}}", "{name: {column: n}}"),
        encoding="utf-8",
    )
    result = ingest_mapping(sqlite_store, merged, actor="t")
    assert result.rejected == 0 and result.records == 2


SPLIT = "birthDate: {column: dob, split: ';'%s}"


def test_split_parts_clean_as_ftm_map_cleans_them(sqlite_store: Store, tmp_path: Path) -> None:
    """Each part of a split value is cleaned as a value of its property; a blank part is no
    value (FtM drops it)."""
    mapping = _mapping(
        tmp_path,
        "splits",
        "id,name,dob\n1,Ana,2024-01-31; 1980 ;\n2,Luz,;;\n3,Sol,1975-03-00\n",
        "p: {schema: Person, keys: [id], properties: {name: {column: name}, " + SPLIT % "" + "}}",
    )
    result = ingest_mapping(sqlite_store, mapping, actor="t")
    assert result.rejected == 0
    ours = _ours(sqlite_store)
    assert ours == _ftm_map(mapping, tmp_path)
    dates = sorted(d for _, props in ours.values() for d in props.get("birthDate", ()))
    assert dates == ["1975-03", "1980", "2024-01-31"]


@pytest.mark.parametrize("required", ["", ", required: true"])
def test_a_split_part_that_does_not_clean_rejects_its_record(
    required: str, sqlite_store: Store, tmp_path: Path
) -> None:
    """As a plain value that does not clean does (review R29 F1: the part was left out
    silently, and `required: true` was met by the text even when no part cleaned)."""
    mapping = _mapping(
        tmp_path,
        "splits",
        "id,name,dob\n1,Ana,20240131\n2,Luz,2024-01-31;31/01/2024\n3,Sol,2024-01-31\n",
        "p: {schema: Person, keys: [id], properties: {name: {column: name}, "
        + SPLIT % required
        + "}}",
    )
    with pytest.raises(IngestError, match="not a valid date"):
        ingest_mapping(sqlite_store, mapping, actor="t")
    assert _ours(sqlite_store) == {}
    result = ingest_mapping(sqlite_store, mapping, actor="t", skip_invalid=True)
    assert (result.records, result.rejected) == (3, 2)
    names = {v for _, props in _ours(sqlite_store).values() for v in props["name"]}
    assert names == {"Sol"}


def test_a_required_split_value_of_blank_parts_is_missing(
    sqlite_store: Store, tmp_path: Path
) -> None:
    mapping = _mapping(
        tmp_path,
        "splits",
        "id,name,dob\n1,Ana,; ;\n2,Luz,2024-01-31\n3,Sol,\n",
        "p: {schema: Person, keys: [id], properties: {name: {column: name}, "
        + SPLIT % ", required: true"
        + "}}",
    )
    result = ingest_mapping(sqlite_store, mapping, actor="t", skip_invalid=True)
    assert (result.records, result.rejected) == (3, 2)
    assert result.report_path is not None
    assert "required value missing" in result.report_path.read_text(encoding="utf-8")


@pytest.mark.parametrize("prop", ["notes", "idNumber", "alias"])
def test_blank_split_parts_of_text_are_no_value(
    prop: str, sqlite_store: Store, tmp_path: Path
) -> None:
    """A blank part of a text, identifier or name split is no value, and meets no
    `required`, as for dates (review R30 F6: "" and " " were stored, as `ftm map` stores
    them, and `;` met `required`); a part with text keeps its original beside it."""
    mapping = _mapping(
        tmp_path,
        "splits",
        "id,name,x\n1,Ana,;\n2,Luz,a; ;b\n3,Sol, ; \n",
        "p: {schema: Person, keys: [id], properties: {name: {column: name}, "
        f"{prop}: {{column: x, split: ';', required: true}}}}}}",
    )
    result = ingest_mapping(sqlite_store, mapping, actor="t", skip_invalid=True)
    assert (result.records, result.rejected) == (3, 2)
    ours = {props["name"].pop(): props for _, props in _ours(sqlite_store).values()}
    assert ours == {"Luz": {"name": set(), prop: {"a", "b"}}}


def test_names_mentioned_as_ftm_map_adds_them(sqlite_store: Store, tmp_path: Path) -> None:
    """A Sale mentions its buyer's names as FtM's `inline_names` adds them: cleaned a second
    time, so a name still quoted after one cleaning loses those quotes too, and a literal
    name written decomposed (NFD) is mentioned composed (review R29 F4)."""
    mapping = _mapping(
        tmp_path,
        "mentions",
        'id,name\n1,"""\'Bob\'"""\n2,Ana\n3,"\'"\n',
        "buyer: {schema: Person, keys: [id], properties: {name: {column: name}, "
        'alias: {literal: "Jose\u0301"}}}',
        "sale: {schema: Sale, keys: [id], key_literal: sale, properties: {buyer: {entity: buyer}}}",
    )
    ingest_mapping(sqlite_store, mapping, actor="t")
    ours = _ours(sqlite_store)
    assert ours == _ftm_map(mapping, tmp_path)
    mentioned = {v for s, props in ours.values() if s == "Sale" for v in props["namesMentioned"]}
    assert {"Bob", "Ana", "Jos\u00e9"} <= mentioned


def test_include_reads_another_mapping_file_as_ftm_map_does(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """FtM's `include:` (review R29 F7: refused as an unknown key "it would be ignored"): a
    block gets the keys of the file it names, relative to the including file, which may
    include another in turn."""
    folder = tmp_path / "inc"
    (folder / "parts").mkdir(parents=True)
    (folder / "data.csv").write_text("id,name,email\n1,Ana,ana@example.org\n", encoding="utf-8")
    (folder / "m.yaml").write_text(
        "inc:\n  agency: ATF\n  country: US\n  marking: CLEAR\n  queries:\n"
        "    - csv_url: data.csv\n      include: parts/entities.yaml\n",
        encoding="utf-8",
    )
    (folder / "parts" / "entities.yaml").write_text(
        "entities:\n  p:\n    schema: Person\n    keys: [id]\n    include: props.yaml\n",
        encoding="utf-8",
    )
    (folder / "parts" / "props.yaml").write_text(
        "properties:\n  name: {column: name}\n  email: {column: email}\n", encoding="utf-8"
    )
    result = ingest_mapping(sqlite_store, folder / "m.yaml", actor="t")
    assert result.statements == 2
    ours = _ours(sqlite_store)
    assert ours == _ftm_map(folder / "m.yaml", tmp_path)
    assert [props for _, props in ours.values()] == [
        {"name": {"Ana"}, "email": {"ana@example.org"}}
    ]
    # a file that includes itself, through another, is an error naming both
    (folder / "parts" / "props.yaml").write_text("include: entities.yaml\n", encoding="utf-8")
    with pytest.raises(IngestError, match="which includes it in turn"):
        ingest_mapping(sqlite_store, folder / "m.yaml", actor="t")
    (folder / "parts" / "props.yaml").unlink()
    with pytest.raises(IngestError, match=r"Cannot read mapping .*props\.yaml"):
        ingest_mapping(sqlite_store, folder / "m.yaml", actor="t")


def test_an_include_may_not_change_a_key_the_block_sets(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """`ftm map` lets the included file's value win a key both hold, so an included
    `marking: CLEAR` stored a dataset the mapping marked RED as CLEAR (review R30 F4): a key
    both hold with two values is refused, naming both, with nothing stored; the same value
    twice is no conflict, and an empty included file adds nothing (as `ftm map` reads it)."""
    folder = tmp_path / "inc"
    (folder / "sub").mkdir(parents=True)
    (folder / "data.csv").write_text("id,name\n1,Ana\n", encoding="utf-8")
    (folder / "m.yaml").write_text(
        "inc:\n  include: [sub/meta.yaml, sub/empty.yaml]\n  marking: RED\n  queries:\n"
        "    - csv_url: data.csv\n      entities:\n"
        "        p: {schema: Person, keys: [id], properties: {name: {column: name}}}\n",
        encoding="utf-8",
    )
    (folder / "sub" / "empty.yaml").write_text("", encoding="utf-8")
    meta = folder / "sub" / "meta.yaml"
    meta.write_text("agency: ATF\ncountry: US\nmarking: CLEAR\n", encoding="utf-8")
    with pytest.raises(IngestError) as caught:
        ingest_mapping(sqlite_store, folder / "m.yaml", actor="t")
    assert "sets marking to 'RED'" in caught.value.message
    assert "meta.yaml" in caught.value.message and "'CLEAR'" in caught.value.message
    assert _ours(sqlite_store) == {}
    with use_lang("es"):
        assert "marking" in caught.value.render("es") and "RED" in caught.value.render("es")
    # two included files at odds: the one that set the key first is named, not the mapping
    (folder / "m.yaml").write_text(
        (folder / "m.yaml").read_text(encoding="utf-8").replace("  marking: RED\n", ""),
        encoding="utf-8",
    )
    (folder / "sub" / "empty.yaml").write_text("marking: RED\n", encoding="utf-8")
    with pytest.raises(IngestError) as caught:
        ingest_mapping(sqlite_store, folder / "m.yaml", actor="t")
    assert caught.value.message.startswith(f"{folder / 'sub' / 'meta.yaml'} sets marking to")
    (folder / "sub" / "empty.yaml").write_text("", encoding="utf-8")
    meta.write_text("agency: ATF\ncountry: US\nmarking: RED\n", encoding="utf-8")
    result = ingest_mapping(sqlite_store, folder / "m.yaml", actor="t")
    assert result.statements == 1
    from sqlalchemy import text

    with sqlite_store.engine.connect() as conn:
        assert conn.execute(text("SELECT marking FROM datasets")).scalars().all() == ["RED"]


def test_an_error_in_an_included_file_names_it(sqlite_store: Store, tmp_path: Path) -> None:
    """An error in a block an included file gave is named by its dataset, query and entity,
    and the files included are named beside the mapping's (review R30 F8: only the including
    file was named, where the typo was not)."""
    folder = tmp_path / "inc"
    (folder / "q").mkdir(parents=True)
    (folder / "data.csv").write_text("id,n\n1,Ana\n", encoding="utf-8")
    (folder / "m.yaml").write_text(
        "t:\n  agency: ATF\n  country: US\n  marking: CLEAR\n  queries:\n"
        "    - include: q/query.yaml\n",
        encoding="utf-8",
    )
    (folder / "q" / "query.yaml").write_text(
        "csv_url: data.csv\nentities:\n"
        "  p: {schema: Person, keys: [id], properties: {nmae: {column: n}}}\n",
        encoding="utf-8",
    )
    with pytest.raises(IngestError) as caught:
        ingest_mapping(sqlite_store, folder / "m.yaml", actor="t")
    assert "m.yaml (which includes q/query.yaml), dataset 't', query 1, entity 'p'" in (
        caught.value.message
    )
    assert "(que incluye q/query.yaml)" in caught.value.render("es")
