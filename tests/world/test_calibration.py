"""Calibration figures: complete, consistent, traceable to CALIBRATION.md."""

from __future__ import annotations

from pathlib import Path

import pytest

from ironriver.errors import WorldError
from ironriver.world.calibration import FIGURES, Figure, figure, figures_under

CALIBRATION_MD = Path("/work/shared/CALIBRATION.md")

REQUIRED = [
    "flow.guns_per_year",
    "traces.us_sourced_share",
    "traces.foreign_made_share",
    "mix.pistol_share",
    "mix.rifle_share",
    "mix.caliber_9mm_share",
    "mix.caliber_22_share",
    "source_state.count_tx",
    "source_state.count_az",
    "source_state.count_ca",
    "source_state.count_nm",
    "serial.tampered_share",
    "traces.ttc_mexico_mean_years",
    "traces.ttc_us_share_le_3y",
    "cbp.outbound_seizure_share",
    "rules.multiple_sale_min_handguns",
    "rules.multiple_sale_window_business_days",
    "rules.swb_rifle_min",
    "dealers.top_dealer_share",
    "dealers.top_trace_share",
    "cartels.loss_rate_per_year",
    "border.outbound_lanes",
]


def test_required_figures_present() -> None:
    for key in REQUIRED:
        assert figure(key).key == key


def test_figures_well_formed() -> None:
    assert len({f.key for f in FIGURES}) == len(FIGURES)
    for f in FIGURES:
        assert f.low <= f.value <= f.high, f.key
        assert f.source and f.description and f.unit, f.key
        assert f.accepts(f.value)
        if "share" in f.unit and "relative" not in f.unit:
            assert 0.0 <= f.low <= f.high <= 1.0, f.key


def test_key_values() -> None:
    assert figure("flow.guns_per_year").value == 135_000
    us = figure("traces.us_sourced_share")
    assert (us.value, us.low, us.high) == (0.70, 0.67, 0.705)
    assert figure("mix.caliber_9mm_share").value == 0.44
    assert figure("cbp.outbound_seizure_share").high == 0.01
    assert figure("dealers.top_trace_share").value == 0.574
    assert figure("source_state.count_tx").value == 7_825
    shares = figures_under("source_state.border_share_")
    assert sum(f.value for f in shares) == pytest.approx(1.0)
    assert not figure("mix.pistol_share").accepts(0.6)


def test_unknown_key_says_what_to_do() -> None:
    with pytest.raises(WorldError, match="unknown calibration figure") as err:
        figure("mix.bazookas")
    assert err.value.hint is not None and "mix.pistol_share" in err.value.hint


def test_bad_range_rejected() -> None:
    with pytest.raises(WorldError):
        Figure("x", 2.0, 0.0, 1.0, "share", "s", "d")


@pytest.mark.skipif(not CALIBRATION_MD.exists(), reason="shared CALIBRATION.md not available")
def test_counts_appear_in_calibration_md() -> None:
    text = CALIBRATION_MD.read_text(encoding="utf-8")

    def written(value: float) -> str:
        if value >= 1e6:
            return f"${value / 1e6:.0f}M"
        return f"{value:,.0f}" if value >= 1_000 else f"{value:.0f}"

    for f in FIGURES:
        if "(derived)" in f.source or "Assumption" in f.source or f.value < 100:
            continue
        forms = {written(v) for v in (f.value, f.low, f.high)}
        assert any(form in text for form in forms), (f.key, forms)
