"""English and Spanish: the catalogs are complete, and the command line speaks the reader's
language (chosen by --lang, $IRONRIVER_LANG or the principal) in tables, messages, errors
and help."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from ironriver.cli import cli
from ironriver.cli_i18n import help_template
from ironriver.errors import ConfigError
from ironriver.i18n import (
    LANG_ENV,
    Msg,
    catalog,
    current_lang,
    locale_lang,
    msg,
    parse_lang,
    t,
    use_lang,
)
from ironriver.i18n_tools import code_texts, problems, problems_line
from ironriver.policy import parse_principals
from ironriver.store import open_store
from samples import load


def test_every_text_has_spanish_with_the_same_fields() -> None:
    found = problems("es")
    assert found == [], "\n".join(found[:40]) + (
        "\n(python -m ironriver.i18n_tools missing prints stub entries)" if found else ""
    )


def test_the_extractor_sees_marked_texts_and_flags_non_literals(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "a.py").write_text(
        "from ironriver.i18n import msg, nt, t\n"
        "def f(x, template):\n"
        "    print(t('Hello {name}', name=x))\n"
        "    raise ValueError(msg('Two ' 'parts {n}', n=1))\n"
        "    t(template)\n"
        "    nt('{n} cat', '{n} cats', x)\n",
        encoding="utf-8",
    )
    # a module with a local `t` (a table) that never imports the marker: not a template
    (pkg / "b.py").write_text("def g(t):\n    return t('column')\n", encoding="utf-8")
    texts = code_texts(pkg)
    assert set(texts.places) == {"Hello {name}", "Two parts {n}", "{n} cat", "{n} cats"}
    assert texts.not_literal == ["pkg/a.py:5"]


def test_a_count_chooses_its_form_in_both_languages() -> None:
    from ironriver.i18n import nmsg, nt

    one, two = "AUDIT LOG TAMPERED ({n} problem):", "AUDIT LOG TAMPERED ({n} problems):"
    assert nt(one, two, 1, "en") == "AUDIT LOG TAMPERED (1 problem):"
    assert nt(one, two, 0, "en") == "AUDIT LOG TAMPERED (0 problems):"
    assert nt(one, two, 1, "es") == "BITÁCORA DE AUDITORÍA ALTERADA (1 problema):"
    assert nt(one, two, 3, "es") == "BITÁCORA DE AUDITORÍA ALTERADA (3 problemas):"
    late = nmsg(
        "Skipped {rejected} invalid record; see {report}",
        "Skipped {rejected} invalid records; see {report}",
        1,
        rejected=1,
        report="r.csv",
    )
    assert late.render("es") == "Se omitió 1 registro inválido; vea r.csv"


def test_msg_renders_late_in_the_readers_language() -> None:
    inner = msg("Store ready: {url}", url="sqlite:///x.db")
    outer = msg("{message}\n  What to do: {hint}", message=inner, hint="data value")
    assert str(outer) == "Store ready: sqlite:///x.db\n  What to do: data value"
    assert outer.render("es") == "Almacén listo: sqlite:///x.db\n  Qué hacer: data value"
    with use_lang("es"):
        assert current_lang() == "es"
        assert t("dataset") == "conjunto de datos"
    assert t("dataset") == "dataset"
    # a text no catalog has (a data value passed as a template) stays as it is
    assert Msg("no such template").render("es") == "no such template"
    assert catalog("es")["Store ready: {url}"] == "Almacén listo: {url}"


def test_errors_keep_english_and_render_spanish() -> None:
    err = ConfigError(
        msg("Cannot write {path}: {problem}.", path="/x/y", problem="No such file"),
        hint=msg("Give -o a path in a folder that exists and that you may write to."),
    )
    assert err.message == "Cannot write /x/y: No such file." and str(err).startswith("Cannot")
    assert err.render("es") == (
        "No se puede escribir /x/y: No such file.\n  Qué hacer: Dé a -o una ruta en una "
        "carpeta que exista y en la que usted pueda escribir."
    )
    plain = ConfigError("a plain text", hint="a plain hint")  # untranslated data: as is
    assert plain.render("es") == "a plain text\n  Qué hacer: a plain hint"


@pytest.mark.parametrize(
    ("value", "lang"),
    [("es", "es"), ("ES", "es"), ("es_MX.UTF-8", "es"), ("es-MX", "es"), ("en", "en")],
)
def test_parse_lang(value: str, lang: str) -> None:
    assert parse_lang(value) == lang


def test_parse_lang_rejects_others() -> None:
    assert parse_lang("fr") is None and parse_lang("") is None and parse_lang(None) is None


def test_principal_language_from_yaml() -> None:
    data = {
        "principals": [
            {"name": "a", "agency": "CBP", "country": "US", "lang": "es"},
            {"name": "b", "agency": "FGR", "country": "MX"},
        ]
    }
    got = parse_principals(data)
    assert got["a"].lang == "es" and got["b"].lang == ""
    data["principals"][0]["lang"] = "fr"
    with pytest.raises(ConfigError, match="unknown language 'fr'") as info:
        parse_principals(data)
    assert "idioma" in info.value.render("es")


def _db(tmp_path: Path) -> str:
    store = open_store(f"sqlite:///{tmp_path / 'cli.db'}")
    load(store)
    store.close()
    return str(tmp_path / "cli.db")


def _run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)
    return result.exit_code, result.output


def test_the_principal_chooses_the_language_unless_told(tmp_path: Path) -> None:
    db = _db(tmp_path)
    _, mx = _run("datasets", "--db", db, "--as", "mx-fgr-analista")
    assert mx.splitlines()[0].split()[:3] == ["conjunto", "de", "datos"]
    _, us = _run("datasets", "--db", db, "--as", "us-atf-analyst")
    assert us.splitlines()[0].split()[:2] == ["dataset", "owner"]
    _, forced = _run("--lang", "en", "datasets", "--db", db, "--as", "mx-fgr-analista")
    assert forced.splitlines()[0].split()[:2] == ["dataset", "owner"]
    _, env = _run("datasets", "--db", db, "--as", "us-atf-analyst", env={LANG_ENV: "es"})
    assert env.splitlines()[0].startswith("conjunto de datos")
    # JSON stays the same for programs, whatever the language
    _, j_mx = _run("datasets", "--db", db, "--as", "mx-fgr-analista", "--json")
    _, j_en = _run("--lang", "en", "datasets", "--db", db, "--as", "mx-fgr-analista", "--json")
    assert j_mx == j_en


def test_errors_in_spanish_with_their_exit_code(tmp_path: Path) -> None:
    db = _db(tmp_path)
    target = tmp_path / "missing-folder" / "out.jsonl"
    args = ("export", "--db", db, "--as", "mx-fgr-analista", "--reason", "r", "-o", str(target))
    code, out = _run(*args)
    assert code == 2 and out.startswith("Error: No se puede")
    assert "Qué hacer:" in out and "What to do" not in out
    code, out = _run("--lang", "en", *args)
    assert code == 2 and "What to do:" in out


def test_help_in_spanish_and_back(tmp_path: Path) -> None:
    _, es = _run("--lang", "es", "search", "--help")
    assert "Busca las entidades que usted puede ver (personas," in es
    assert "Por qué busca (queda en la auditoría)." in es and "Ejemplo:" in es
    # click's own words too: usage prefix, headings, the help option, defaults
    assert es.startswith("Uso: ") and "Opciones:" in es
    assert "Muestra este mensaje y sale." in es and "[predeterminado: 20; x>=1]" in es
    _, en = _run("search", "--help")  # the same process, English again
    assert "Search the entities you may see (people," in en and "Busca" not in en
    # click keeps each command's help option in the language of its first use
    assert "Show this message and exit." in en and en.startswith("Usage: ")
    # lazily loaded groups too
    _, world = _run("--lang", "es", "--help")
    assert "ironriver: vincular, rastrear, focalizar, degradar, sopesar." in world


def test_help_before_lang_is_in_that_language() -> None:
    """Click runs eager options in the order given: `--help --lang es` must not answer in
    English because `--help` came first."""
    _, es = _run("--help", "--lang", "es")
    assert es.startswith("Uso: ") and "vincular, rastrear" in es
    _, es_eq = _run("--log-level", "info", "-h", "--lang=ES")
    assert es_eq.startswith("Uso: ")
    _, en = _run("--help", "--lang", "en", env={LANG_ENV: "es"})
    assert en.startswith("Usage: ") and "link, trace" in en
    # a value that names no language is click's to refuse, not ours to guess
    code, bad = _run("--lang", "xx", "--help")
    assert code == 2 and "'--lang'" in bad


@pytest.mark.parametrize(
    ("env", "lang"),
    [
        ({"LANG": "es_MX.UTF-8"}, "es"),
        ({"LANG": "en_US.UTF-8", "LC_ALL": "es_ES.UTF-8"}, "es"),
        ({"LANG": "es_MX.UTF-8", "LC_MESSAGES": "en_US.UTF-8"}, "en"),
        ({"LANG": "es_MX.UTF-8", "LANGUAGE": "en_GB:es"}, "en"),
        ({"LANG": "C.UTF-8", "LANGUAGE": "es"}, None),  # gettext ignores $LANGUAGE under C
        ({"LANG": "POSIX"}, None),
        ({"LANG": "de_DE.UTF-8"}, None),
        ({}, None),
    ],
)
def test_locale_lang_reads_the_locale_as_gettext_does(env: dict[str, str], lang: str) -> None:
    assert locale_lang(env) == lang


def test_the_locale_speaks_when_nothing_else_chooses(tmp_path: Path) -> None:
    """A Mexican analyst's shell (LANG=es_MX.UTF-8) gets Spanish before any principal is
    named: the help, "No principal given"; --lang, $IRONRIVER_LANG and the principal's own
    language still come first."""
    mx = {"LANG": "es_MX.UTF-8"}
    _, help_es = _run("--help", env=mx)
    assert help_es.startswith("Uso: ") and "vincular, rastrear" in help_es
    code, nobody = _run("datasets", "--db", _db(tmp_path), env=mx)
    assert code != 0 and "Qué hacer:" in nobody and "What to do" not in nobody
    _, told = _run("--lang", "en", "--help", env=mx)
    assert told.startswith("Usage: ")
    _, env_told = _run("--help", env={**mx, LANG_ENV: "en"})
    assert env_told.startswith("Usage: ")
    db = _db(tmp_path)
    _, us = _run("datasets", "--db", db, "--as", "us-atf-analyst", env=mx)
    assert us.splitlines()[0].split()[:2] == ["dataset", "owner"]  # the principal's English
    _, plain = _run("--help", env={"LANG": "C.UTF-8"})
    assert plain.startswith("Usage: ")
    # the real entry point (`python -m ironriver`), whose help is localised before parsing
    run = subprocess.run(
        [sys.executable, "-m", "ironriver", "--help"],
        env={**os.environ, "LANG": "es_MX.UTF-8"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert run.stdout.startswith("Uso: ")


def test_click_errors_in_the_readers_language() -> None:
    code, es = _run("--lang", "es", "stats", "--bogus")
    assert code == 2
    assert "Error: No existe la opción '--bogus'." in es
    assert "Pruebe 'cli stats --help' para ver la ayuda." in es and "Try" not in es
    _, typo = _run("--lang", "es", "serch")
    assert "No existe el comando 'serch'. ¿Quiso decir 'search'?" in typo
    _, missing = _run("search", env={LANG_ENV: "es"})
    assert "Error: Falta el argumento 'TEXTO'." in missing
    _, choice = _run("--lang", "es", "--log-level", "loud", "datasets")
    assert "Valor no válido para '--log-level'" in choice
    assert "no es una de estas opciones" in choice
    # click's number types name themselves in English: translated (R10: "integer range")
    _, number = _run("--lang", "es", "search", "x", "--limit", "cero")
    assert "'cero' no es un número entero válido." in number and "integer" not in number
    _, number_en = _run("search", "x", "--limit", "zero")
    assert "'zero' is not a valid integer range." in number_en
    # one plural form each way, chosen as in English
    _, extra = _run("--lang", "es", "stats", "a", "b")
    assert "Se recibieron argumentos adicionales inesperados (a b)" in extra
    code, en = _run("stats", "--bogus")  # the same process, English again
    assert code == 2 and "Error: No such option '--bogus'." in en


def test_every_option_says_what_it_does() -> None:
    """`--help` explains every option (and so, through the catalogs, in Spanish too)."""
    import click

    from ironriver.cli_lazy import LAZY_COMMANDS

    ctx = click.Context(cli)
    for name in LAZY_COMMANDS:
        cli.get_command(ctx, name)
    silent: list[str] = []

    def walk(cmd: click.Command, path: str) -> None:
        silent.extend(
            f"{path} {p.opts[-1]}"
            for p in cmd.params
            if isinstance(p, click.Option) and not p.hidden and not p.help
        )
        if isinstance(cmd, click.Group):
            for sub_name, sub in cmd.commands.items():
                walk(sub, f"{path} {sub_name}")

    walk(cli, "ironriver")
    assert silent == []


def test_the_principal_chooses_the_language_of_help_and_clicks_errors(tmp_path: Path) -> None:
    """`--as`/$IRONRIVER_AS choose the language before click parses the command line, as
    --lang does: help and click's own errors too, which are rendered before any command
    reads its principal (docs/i18n.md). --lang and $IRONRIVER_LANG still win."""
    as_mx = ("--as", "mx-fgr-analista")
    _, es = _run("search", *as_mx, "--help")
    assert es.startswith("Uso: ") and "Busca las entidades que usted" in es
    _, es = _run("--help", env={"IRONRIVER_AS": "mx-fgr-analista"})
    assert es.startswith("Uso: ") and "vincular, rastrear" in es
    code, es = _run("search", "--as=mx-fgr-analista", "--bogus")
    assert code == 2 and "Error: No existe la opción '--bogus'." in es
    code, es = _run("search", *as_mx)
    assert code == 2 and "Error: Falta el argumento" in es
    _, en = _run("--lang", "en", "search", *as_mx, "--help")
    assert en.startswith("Usage: ") and "Busca" not in en
    _, en = _run("search", *as_mx, "--help", env={LANG_ENV: "en"})
    assert en.startswith("Usage: ")
    _, en = _run("search", "--as", "us-atf-analyst", "--help")
    assert en.startswith("Usage: ")
    # the principal's own `lang:`, from the principals file --principals names
    own = tmp_path / "p.yaml"
    own.write_text(
        "principals: [{name: cbp-es, agency: CBP, country: US, lang: es}]\n", encoding="utf-8"
    )
    _, es = _run("search", "--principals", str(own), "--as", "cbp-es", "--help")
    assert es.startswith("Uso: ")
    # a value of another option is no --as (a reason "--as"; click's reading, as ours)
    _, en = _run("search", "--as", "us-atf-analyst", "--reason", "--as", "mx-fgr-analista", "-h")
    assert en.startswith("Usage: ")
    _, en = _run("search", "--help")  # the same process: English again
    assert en.startswith("Usage: ")
    # a principals file that cannot be read: the command says so, as before (no traceback)
    db = _db(tmp_path)
    args = ["search", "x", "--db", db, "--as", "mx-fgr-analista", "--reason", "r"]
    result = CliRunner().invoke(cli, [*args, "--principals", str(tmp_path)])
    assert result.exit_code == 2 and "Is a directory" in result.output, result.output


def test_init_and_demo_speak_the_principals_language(tmp_path: Path) -> None:
    db = str(tmp_path / "new.db")
    _, es = _run("init", "--db", db, "--as", "mx-fgr-analista", "--principals-out", db + ".yaml")
    assert "Almacén listo" in es
    full = _db(tmp_path)  # the demo refuses a store that holds statements: in Spanish
    args = ["demo", "--workdir", str(tmp_path / "w"), "--db", full]
    code, es = _run(*args, env={"IRONRIVER_AS": "mx-fgr-analista"})
    assert code == 2 and "la demostración escribe su mundo sintético" in es


def test_a_mistyped_principal_says_the_nearest_in_its_language(tmp_path: Path) -> None:
    db = _db(tmp_path)
    args = ("search", "x", "--db", db, "--reason", "r")
    code, es = _run(*args, "--as", "mx-fgr-analist")
    assert code == 2 and "Error: Usuario desconocido: 'mx-fgr-analist'." in es
    assert "¿Quiso decir 'mx-fgr-analista'? Usuarios conocidos: auditor," in es
    code, en = _run(*args, "--as", "us-atf-analys")
    assert code == 2 and "Did you mean 'us-atf-analyst'? Known principals: auditor," in en
    code, en = _run(*args, "--as", "nobody")  # no principal near: no language to take
    assert code == 2 and "Unknown principal 'nobody'." in en and "Did you mean" not in en


def test_help_template_keeps_examples_as_written() -> None:
    prose, tail = help_template(
        "Search visible entities\n    by name.\n\n    \b\n    Example: ironriver search x\n"
    )
    assert prose == "Search visible entities by name."
    assert tail == "\b\nExample: ironriver search x"


def test_the_prose_of_help_examples_is_in_the_readers_language() -> None:
    """An example's comment and --reason are prose: Spanish in Spanish help; its commands,
    options and data values (a search text, file names) stay as written."""
    _, es = _run("--lang", "es", "ingest", "--help")
    ofac = "ironriver ingest examples/ofac_sdn/mapping.yaml --as loader"
    assert f"{ofac} --dry-run  # solo revisa: conteos e" in es
    assert f'{ofac} --reason "cotejo con la lista de sancionados"' in es
    assert "--as loader  # cada uno en su propia transacción" in es and "# each" not in es
    _, es = _run("--lang", "es", "audit", "checkpoint", "--help")
    assert "--as auditor --reason nocturno" in es
    _, es = _run("--lang", "es", "search", "--help")
    assert 'ironriver search "jose hernandez" --as us-atf-analyst --reason "caso 42"' in es
    _, en = _run("ingest", "--help")  # the same process, English again
    assert "--dry-run  # check only: counts and error report" in en
    # every example's prose, of every command
    import click

    from ironriver.cli_i18n import example_texts
    from ironriver.cli_lazy import LAZY_COMMANDS

    ctx = click.Context(cli)
    for name in LAZY_COMMANDS:
        cli.get_command(ctx, name)

    checked: list[str] = []

    def walk(cmd: click.Command, path: list[str]) -> None:
        original = cmd.__dict__.get("_ironriver_help", {"help": cmd.help})["help"]
        prose = example_texts(help_template(original or "")[1])
        if prose:
            _, es = _run("--lang", "es", *path, "--help")
            assert not [p for p in prose if p in es], path
            checked.extend(prose)
        if isinstance(cmd, click.Group):
            for sub_name, sub in sorted(cmd.commands.items()):
                walk(sub, [*path, sub_name])

    walk(cli, [])
    assert len(set(checked)) >= 10


def test_as_sets_the_language_even_where_no_principal_is_needed(tmp_path: Path) -> None:
    db = _db(tmp_path)
    _, out = _run("audit", "verify", "--db", db, "--as", "mx-fgr-analista")
    assert out.startswith("Bitácora de auditoría íntegra")
    _, out = _run("audit", "verify", "--db", db, "--as", "no-such-principal")
    assert out.startswith("Audit log intact")


def test_tables_show_labels_in_the_readers_language(tmp_path: Path) -> None:
    db = _db(tmp_path)
    _, mx = _run("entity", "g1", "--db", db, "--as", "mx-fgr-analista")
    assert mx.startswith("Arma de fuego: ") and "Matrícula" in mx
    _, us = _run("entity", "g1", "--db", db, "--as", "us-atf-analyst")
    assert us.startswith("Firearm: ") and "Serial number" in us
    _, js = _run("entity", "g1", "--db", db, "--as", "mx-fgr-analista", "--json")
    assert '"serialNumber"' in js and "Matrícula" not in js  # programs get names


def test_joined_messages_render_part_by_part() -> None:
    from ironriver.i18n import joined

    both = joined([msg("Store ready: {url}", url="x"), msg("(nothing visible)")])
    assert str(both) == "Store ready: x; (nothing visible)"
    assert both.render("es") == "Almacén listo: x; (nada visible)"


def test_a_context_tells_apart_one_english_text_meaning_two_things(tmp_path: Path) -> None:
    from ironriver.i18n import catalog_key, pt

    assert t("target", "es") == "objeto"  # an audit event's target
    assert pt("calibration table", "target", "es") == "objetivo"  # a figure's target value
    assert pt("calibration table", "target", "en") == "target"
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "a.py").write_text(
        "from ironriver.i18n import pt\nx = pt('place', 'word')\ny = pt(x, 'word')\n",
        encoding="utf-8",
    )
    texts = code_texts(pkg)
    assert set(texts.places) == {catalog_key("word", "place")}
    assert texts.not_literal == ["pkg/a.py:3"]


def test_value_types_read_as_words_in_both_languages() -> None:
    from ironriver.model.labels import type_label

    assert type_label("phone", "en") == "phone number"
    assert type_label("phone", "es") == "número de teléfono"  # FtM's own catalog
    assert type_label("url", "es") == "URL"  # an acronym keeps its case
    assert type_label("integer", "es") == "número entero"  # a ledger column type: ours
    assert type_label("timestamp", "en") == "date and time"
    assert type_label("no-such-type", "es") == "no-such-type"


def test_clicks_words_built_with_the_command_tree_follow_lang() -> None:
    """Click asks for some of its words once, as the command tree is built (at import): the
    version message, `Path`'s metavar (PATH / RUTA). They follow `--lang` all the same, in
    one process, lazily loaded groups included."""
    _, es = _run("--lang", "es", "--version")
    assert ", versión " in es
    _, es = _run("--lang", "es", "export", "--help")
    assert "--out RUTA" in es and "PATH" not in es
    _, es = _run("--lang", "es", "world", "generate", "--help")
    assert "--out RUTA" in es and "PATH" not in es
    for command in (["export"], ["world", "generate"]):  # the same process, English again
        _, en = _run("--lang", "en", *command, "--help")
        assert "--out PATH" in en and "RUTA" not in en
    _, en = _run("--lang", "en", "--version")
    assert ", version " in en


def test_placeholders_are_in_the_readers_language() -> None:
    """Usage lines, options and the prose naming them say TEXTO, [OPCIONES], COLUMNA=VALOR in
    Spanish; lists of choices and date formats are values and stay."""
    import re

    import click

    from ironriver.cli_i18n import METAVAR_CONTEXT, metavars
    from ironriver.cli_lazy import LAZY_COMMANDS
    from ironriver.i18n import translate

    _, es = _run("--lang", "es", "search", "--help")
    assert "Uso: cli search [OPCIONES] TEXTO\n" in es and "igual a TEXTO" in " ".join(es.split())
    assert "--db TEXTO" in es and "--limit ENTERO" in es
    _, es = _run("--lang", "es", "--help")
    assert "[OPCIONES] COMANDO [ARGUMENTOS]..." in es
    _, es = _run("--lang", "es", "ingest", "--help")
    assert "[OPCIONES] [MAPEO]..." in es and "<entrada>.errors.csv" in es
    _, es = _run("--lang", "es", "ledger", "--help")
    assert "CONJUNTO_DE_DATOS" in es and "Solo las filas cuya COLUMNA es igual a VALOR" in es
    _, es = _run("--lang", "es", "export", "--help")
    assert "--format [ftm|statements|parquet]" in es  # values: as typed
    _, es = _run("--lang", "es", "world", "generate", "--help")
    assert "Genera un mundo sintético en la carpeta --out." in es  # not "en OUT"
    _, en = _run("search", "--help")  # the same process, English again
    assert "Usage: cli search [OPTIONS] TEXT\n" in en and "--db TEXT " in en
    ctx = click.Context(cli)
    for name in LAZY_COMMANDS:
        cli.get_command(ctx, name)
    english: set[str] = set()

    def walk(cmd: click.Command, path: list[str]) -> None:
        shown = [m for m in metavars(cmd) if translate(m, "es", METAVAR_CONTEXT) != m]
        _, es = _run("--lang", "es", *path, "--help")
        for placeholder in shown:
            english.add(placeholder)
            assert not re.search(rf"(?<![\w\[]){re.escape(placeholder)}(?!\w)", es), path
        if isinstance(cmd, click.Group):
            for sub_name, sub in sorted(cmd.commands.items()):
                walk(sub, [*path, sub_name])

    walk(cli, [])
    assert {"TEXT", "INTEGER", "FLOAT", "[OPTIONS]"} <= english


def test_lang_wins_over_the_language_the_command_line_was_imported_in(tmp_path: Path) -> None:
    def run(*args: str) -> str:
        env = {k: v for k, v in os.environ.items() if not k.startswith("IRONRIVER_")}
        env[LANG_ENV] = "es"
        command = [sys.executable, "-m", "ironriver", "--lang", "en", *args]
        done = subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert run("--version").startswith("ironriver, version ")
    assert "Show the version and exit." in run("--help")
    out = run("export", "--help")
    assert "--out PATH" in out and "RUTA" not in out and "Output file" in out


def test_an_entity_with_no_name_is_captioned_in_the_readers_language(tmp_path: Path) -> None:
    """FtM captions an entity with no name by its schema's English label ("Membership")."""
    from samples import MX, table

    db = _db(tmp_path)
    store = open_store(f"sqlite:///{db}")
    rows = [("m1", "Membership", "member", "p2"), ("m1", "Membership", "organization", "o1")]
    with store.writer() as w:
        w.add_statements(table(MX.name, rows), MX.name, MX.label)
    store.close()
    args = ("--db", db, "--as", "mx-fgr-analista", "--reason", "r")
    _, membership = _run("--lang", "es", "entity", "m1", *args)
    assert membership.startswith("Pertenencia: Pertenencia  (m1)"), membership
    _, person = _run("--lang", "es", "entity", "p2", *args)
    [row] = [line for line in person.splitlines() if line.startswith("entrante")]
    assert row.split()[-2:] == ["Pertenencia", "m1"] and "Membership" not in person, person
    _, english = _run("--lang", "en", "entity", "m1", *args)
    assert english.startswith("Membership: Membership  (m1)")


def test_the_glossary_holds_in_every_catalog() -> None:
    """docs/i18n.md's glossary: ingest -> carga/cargar (never "ingesta", "ingerir"), marking ->
    marca TLP (never "marcado"); as a Mexican analyst says it: a government agency is a
    "dependencia" ("agencia" is the Ministerio Público's office), a seizure an "aseguramiento"
    ("decomiso" is a judge's forfeiture), membership "pertenencia"; arrests, not
    "incapacitados"; no "lápida" for a retraction; and none of the calques and slips an
    analyst stumbled on: "tipada como texto", "visible para usted", "(auditado)" after a
    question, an indicative after "ninguna ... que"."""
    import re

    from babel.messages.pofile import read_po

    from ironriver.i18n import LOCALE_DIR

    banned = re.compile(r"\b(ingesta|inger\w*|ingier\w*|ingir\w*)\b", re.IGNORECASE)
    mexican = re.compile(
        r"\b(agencias?|membres[ií]as?|decomis\w*|incapacitad[oa]s?|l[aá]pidas?)\b"
        r"|\btipad[oa]s?\b|visible para usted|\(auditad[oa]\)|que usted puede ver coincide",
        re.IGNORECASE,
    )
    marking = re.compile(r"\bmarcado\b", re.IGNORECASE)
    found = []
    for path in sorted((LOCALE_DIR / "es" / "LC_MESSAGES").glob("*.po")):
        with path.open("rb") as fh:
            for entry in read_po(fh, locale="es"):
                ids = entry.id if isinstance(entry.id, tuple) else (entry.id,)
                texts = entry.string if isinstance(entry.string, tuple) else (entry.string,)
                text = " ".join(s for s in texts if s)
                noun = any("marking" in i for i in ids if i)
                if banned.search(text) or mexican.search(text) or (noun and marking.search(text)):
                    found.append(f"{path.name}:{entry.lineno}: {text[:80]}")
                if any(" -> " in i for i in (*ids, *texts) if i):  # one arrow: the ingest's
                    found.append(f"{path.name}:{entry.lineno}: '->' where texts write '→'")
    assert found == []
    hint = catalog("es")[
        "An ingest never re-marks stored data (no ironriver command does). To add to this "
        "dataset, declare it with the stored values; to keep the new ones, ingest under a new "
        "dataset name; to re-mark the stored data, ask the store's administrator."
    ]
    assert hint.startswith("Una carga nunca cambia la marca TLP de datos ya almacenados")
    assert "cargue con un nombre de conjunto de datos nuevo" in hint


def test_world_generate_counts_its_years_without_a_parenthesised_plural() -> None:
    from ironriver.i18n import nt

    one = "simulating the truth: scale {scale}, {years} year"
    many = "simulating the truth: scale {scale}, {years} years"
    assert nt(one, many, 1, "en", scale=0.01, years=1).endswith("0.01, 1 year")
    assert nt(one, many, 1, "es", scale=0.01, years=1).endswith("escala 0.01, 1 año")
    assert nt(one, many, 3, "es", scale=0.01, years=3).endswith("escala 0.01, 3 años")
    source = Path(__file__).parents[1] / "src" / "ironriver" / "world" / "generate.py"
    assert "year(s)" not in source.read_text(encoding="utf-8")


def test_clicks_path_errors_say_their_subject_with_its_article() -> None:
    """Click's "File 'x' does not exist." reads "El archivo 'x' no existe." (not "Archivo 'x'
    no existe."), "La ruta ...", "La carpeta ..." (the project's word: click's own catalog
    says "directorio"); English stays click's."""
    _, es = _run("--lang", "es", "ingest", "/no/such/mapping.yaml")
    assert "El archivo '/no/such/mapping.yaml' no existe." in es
    _, world = _run("--lang", "es", "eval", "world", "--world", "/no/such/world")
    assert "La ruta '/no/such/world' no existe." in world
    _, folder = _run("--lang", "es", "world", "report", "/no/such/world")
    assert "La carpeta '/no/such/world' no existe." in folder
    _, file = _run("--lang", "es", "world", "report", __file__)
    assert f"La carpeta {__file__!r} es un archivo." in file
    _, en = _run("ingest", "/no/such/mapping.yaml")
    assert "File '/no/such/mapping.yaml' does not exist." in en


def test_first_name_reads_nombres_not_ftms_primer_nombre() -> None:
    from ironriver.model.labels import ftm_translates, prop_label

    assert ftm_translates("First name", "es")  # FtM's own catalog says "Primer nombre"...
    assert prop_label("Person", "firstName", "es") == "Nombre(s)"  # ...we say this
    assert prop_label("Individual", "firstName", "es") == "Nombre(s)"
    assert prop_label("Person", "firstName", "en") == "First name"
    assert prop_label("Person", "lastName", "es") == "Apellido"  # the others stay FtM's


def test_path_words_of_a_command_module_imported_before_the_cli_follow_lang() -> None:
    """A command module imported before `ironriver.cli` (a library user, a test file) builds
    its `Path` options while click's `_` is still click's own: their metavar was a plain
    "path" that stayed PATH in Spanish help."""
    script = (
        "import ironriver.cli_world\n"
        "from click.testing import CliRunner\n"
        "from ironriver.cli import cli\n"
        "print(CliRunner().invoke(cli, ['--lang', 'es', 'world', 'generate', '--help']).output)\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("IRONRIVER_")}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )
    assert "--out RUTA" in done.stdout and "PATH" not in done.stdout


def test_a_country_shows_as_its_name_in_the_readers_language(tmp_path: Path) -> None:
    """A country value is a code ("us"); a table for people says the country's name in the
    reader's language (Babel's territory names), `--json` keeps the code."""
    from samples import MX, table

    db = _db(tmp_path)
    store = open_store(f"sqlite:///{db}")
    with store.writer() as w:
        rows = [("g1", "Firearm", "countryOfManufacture", "us")]
        w.add_statements(table(MX.name, rows), MX.name, MX.label)
    store.close()
    args = ("entity", "g1", "--db", db, "--as", "mx-fgr-analista", "--reason", "r")
    _, es = _run(*args)
    [row] = [line for line in es.splitlines() if line.startswith("País de fabricación")]
    assert row.split()[3:5] == ["Estados", "Unidos"], row
    _, en = _run("--lang", "en", *args)
    [row] = [line for line in en.splitlines() if line.startswith("Country of manufacture")]
    assert row.split()[3:5] == ["United", "States"], row
    _, js = _run(*args, "--json")
    values = {s["prop"]: s["value"] for s in json.loads(js)["statements"]}
    assert values["countryOfManufacture"] == "us"


def test_country_names_and_codes_babel_does_not_name() -> None:
    from ironriver.model.labels import country_name, shown_value

    assert country_name("mx", "es") == "México" and country_name("MX", "en") == "Mexico"
    assert country_name("zz", "es") == "Global"  # FtM's, not CLDR's "Región desconocida"
    assert country_name("suhh", "es") == "Soviet Union"  # FtM's (English) name: CLDR has none
    assert country_name("qq", "es") == "qq"  # no one's
    assert shown_value("Firearm", "countryOfManufacture", "at", "es") == "Austria"
    assert shown_value("Firearm", "model", "at", "es") == "at"  # a model, not a country


def test_the_check_counts_its_problems_in_proper_plurals() -> None:
    # (docs/i18n.md: never "problem(s)")
    assert [problems_line(n) for n in (0, 1, 2)] == ["0 problems", "1 problem", "2 problems"]
