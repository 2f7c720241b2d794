"""Spanish: strategy errors, help, table headings and texts (see `ironriver.i18n`)."""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner

from ironriver.cli import cli
from ironriver.errors import StrategyError
from ironriver.i18n import use_lang
from ironriver.strategy.decapitation import Split
from ironriver.strategy.scenarios import get_scenario
from ironriver.strategy.tables import heading, shown


def test_strategy_error_renders_spanish_and_stays_english() -> None:
    with pytest.raises(StrategyError) as caught:
        Split.parse("CJNG-3")
    err = caught.value
    assert err.message == "Cannot read the split 'CJNG-3'."
    assert "GROUP:K@WEEK" in str(err)
    spanish = err.render("es")
    assert spanish.startswith("No se puede leer la división 'CJNG-3'.")
    assert "Escriba GRUPO:K@SEMANA" in spanish  # its placeholders in Spanish too


def test_unknown_scenario_hint_keeps_the_names() -> None:
    with pytest.raises(StrategyError) as caught:
        get_scenario("peace")
    assert "Elija uno de: status-quo, half-recruitment" in caught.value.render("es")


def test_strategy_help_in_spanish(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["--lang", "es", "strategy", "--help"])
    assert result.exit_code == 0, result.output
    assert "Dinámica de los cárteles" in result.output
    assert "Ajusta los cinco parámetros" in result.output  # a subcommand's short help
    result = runner.invoke(cli, ["--lang", "es", "strategy", "run", "--help"])
    assert "Multiplica el reclutamiento (rho)." in result.output
    english = runner.invoke(cli, ["strategy", "--help"])
    assert "Cartel dynamics" in english.output


def test_tables_show_headings_and_texts_in_words_in_both_languages() -> None:
    frame = pd.DataFrame(
        {
            "scenario": ["status-quo"],
            "quantity": ["members, January 2022"],
            "members_2027": [1.0],
            "ok": [True],
        }
    )
    english = shown(frame)
    assert list(english.columns) == ["scenario", "quantity", "members 2027", "in range"]
    assert english.iloc[0].tolist() == ["status-quo", "members, January 2022", 1.0, "yes"]
    assert list(frame.columns)[-1] == "ok"  # the frame itself (what --json writes) is kept
    with use_lang("es"):
        table = shown(frame)
        assert list(table.columns) == ["escenario", "cantidad", "integrantes 2027", "en rango"]
        assert table.iloc[0].tolist() == ["status-quo", "integrantes, enero de 2022", 1.0, "sí"]
        assert heading("deaths_change_2032_pct") == "cambio en muertes 2032 (%)"
        assert get_scenario("status-quo").description_in() == "continúan las tasas de 2012-2021"
    for key, word in (
        ("members_change_2027_pct", "members change 2027 (%)"),
        ("january_2027_pct", "January 2027 (%)"),
        ("share_interdicted", "share interdicted"),
        ("rmse_deaths_per_week", "RMSE deaths/week"),
    ):
        assert heading(key) == word


def test_yes_no_is_one_style_per_language() -> None:
    from ironriver.model.labels import yes_no

    assert [yes_no(True, "en"), yes_no(False, "en")] == ["yes", "no"]
    assert [yes_no(True, "es"), yes_no(False, "es")] == ["sí", "no"]


@pytest.mark.parametrize("lang", ["en", "es"])
def test_strategy_tables_say_yes_no_and_words_not_machine_keys(
    runner: CliRunner, lang: str
) -> None:
    out = runner.invoke(cli, ["--lang", lang, "strategy", "reproduce"]).output
    yes, ours = ("yes", "this model") if lang == "en" else ("sí", "este modelo")
    assert f" {yes}\n" in out and ours in out
    for machine in ("True", "Sí", "nuestro", "january_2027_pct", "deaths_per_week"):
        assert machine not in out
    calibration = runner.invoke(
        cli, ["--lang", lang, "strategy", "calibrate", "--max-evals", "1"]
    ).output
    assert (" no\n" in calibration) and "False" not in calibration and " No\n" not in calibration
    sweep = runner.invoke(cli, ["--lang", lang, "strategy", "sweep", "--years", "1"]).output
    assert "share_interdicted" not in sweep and "members_change_2023_pct" not in sweep
    compare = runner.invoke(cli, ["--lang", lang, "strategy", "compare", "--years", "5"]).output
    assert "members_change_2027_pct" not in compare


def test_counts_of_people_print_as_whole_numbers(runner: CliRunner) -> None:
    import re

    run = runner.invoke(cli, ["strategy", "run", "--years", "1"]).output
    groups = run.split("Largest groups at the end:")[1]
    count = r"\d{1,3}(,\d{3})*"  # whole, thousands separated (173,837)
    assert re.search(rf"^CJNG +{count}$", groups, re.MULTILINE), groups
    assert re.search(rf"^2022-01-01 +{count} +\d+\.\d", run, re.MULTILINE), run
    compare = runner.invoke(cli, ["strategy", "compare", "--years", "5"]).output
    row = next(line for line in compare.splitlines() if line.startswith("members 2027"))
    assert all(re.fullmatch(count, cell) for cell in row.split()[2:]), row
    assert "," in row  # (hundreds of thousands of members)
    rates = next(line for line in compare.splitlines() if line.startswith("deaths/week 2027"))
    assert "." in rates  # a rate keeps its decimal
    out = runner.invoke(cli, ["strategy", "reproduce"]).output
    members = next(line for line in out.splitlines() if "members, January 2022" in line)
    assert re.search(rf"January 2022 +{count} ", members), members
    assert "168,780 to 179,220" in members  # (the accepted range too)


def test_the_optimisers_outcome_is_ours_in_both_languages(runner: CliRunner) -> None:
    """SciPy's termination text is English only: tables say how the fit ended in our words;
    --json keeps SciPy's text and status."""
    import json

    es = runner.invoke(cli, ["--lang", "es", "strategy", "calibrate", "--max-evals", "1"])
    assert es.exit_code == 0, es.output
    assert "Optimizador: se detuvo al llegar al límite de corridas del modelo" in es.output
    assert "function evaluations" not in es.output
    en = runner.invoke(cli, ["strategy", "calibrate", "--max-evals", "1"])
    assert "Optimiser: stopped at the limit of model runs before converging" in en.output
    data = json.loads(
        runner.invoke(cli, ["strategy", "calibrate", "--max-evals", "1", "--json"]).output
    )
    assert data["status"] == 0
    assert data["optimiser_message"] == "The maximum number of function evaluations is exceeded."


def test_every_optimiser_status_has_our_words() -> None:
    from ironriver.strategy.calibrate import OUTCOMES

    assert sorted(OUTCOMES) == [0, 1, 2, 3, 4]
    assert OUTCOMES[2].render("es") == "convergió: el ajuste dejó de mejorar (ftol)"


def test_a_scenario_changed_by_levers_reads_as_words(runner: CliRunner) -> None:
    import json

    changed = get_scenario("status-quo").with_levers(recruitment=0.5)
    assert changed.name == "status-quo+levers"
    assert changed.label_in("en") == "status-quo with levers"
    assert changed.label_in("es") == "status-quo con palancas"
    assert get_scenario("status-quo").label_in("es") == "status-quo"
    args = ["strategy", "run", "--years", "1", "--recruitment", "0.5"]
    es = runner.invoke(cli, ["--lang", "es", *args])
    assert es.output.startswith("Escenario status-quo con palancas: modificado")
    assert "+levers" not in es.output
    data = json.loads(runner.invoke(cli, [*args, "--json"]).output)
    assert data["scenario"] == "status-quo+levers"


def test_eval_strategy_prints_one_decimal_and_whole_counts(runner: CliRunner) -> None:
    out = runner.invoke(cli, ["eval", "strategy"]).output
    assert "358.8 " in out and "173,837 " in out and "358.75" not in out
