"""Spanish: strategy errors, help, table headings and texts (see `ironriver.i18n`)."""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner

from ironriver.cli import cli
from ironriver.errors import StrategyError
from ironriver.i18n import use_lang
from ironriver.strategy.cli import heading, shown
from ironriver.strategy.decapitation import Split
from ironriver.strategy.scenarios import get_scenario


def test_strategy_error_renders_spanish_and_stays_english() -> None:
    with pytest.raises(StrategyError) as caught:
        Split.parse("CJNG-3")
    err = caught.value
    assert err.message == "Cannot read the split 'CJNG-3'."
    assert "GROUP:K@WEEK" in str(err)
    spanish = err.render("es")
    assert spanish.startswith("No se puede leer la división 'CJNG-3'.")
    assert "Escriba GROUP:K@WEEK" in spanish


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
    assert "Multiplicar el reclutamiento (rho)." in result.output
    english = runner.invoke(cli, ["strategy", "--help"])
    assert "Cartel dynamics" in english.output


def test_tables_show_spanish_headings_and_texts() -> None:
    frame = pd.DataFrame(
        {
            "scenario": ["status-quo"],
            "quantity": ["members, January 2022"],
            "members_2027": [1.0],
            "ok": [True],
        }
    )
    assert shown(frame) is frame  # English: the column names are the headings
    with use_lang("es"):
        table = shown(frame)
        assert list(table.columns) == ["escenario", "cantidad", "integrantes 2027", "en rango"]
        assert table.iloc[0].tolist() == ["status-quo", "integrantes, enero de 2022", 1.0, "Sí"]
        assert heading("deaths_change_2032_pct") == "cambio muertes 2032 (%)"
        assert get_scenario("status-quo").description_in() == "continúan las tasas de 2012-2021"


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
    assert data["message"] == "The maximum number of function evaluations is exceeded."


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
    assert data["scenario"]["name"] == "status-quo+levers"
