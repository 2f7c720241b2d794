"""Public calibration figures the world uses, as data, with sources and tolerances.

Every figure the world generates against or is tested against lives here, with its source
(taken from the team's calibration brief, a document outside this repository: cite a figure
by its key, e.g. `flow.guns_per_year`), so an installed ironriver needs nothing from
../shared. A `Figure` holds
the point value the world uses by default and a tolerance range `[low, high]` that the world
tests accept for the simulated statistic (the published range where there is one; otherwise a
stated band around the point value). "(sec.)" marks a press summary of a primary report.

Shares are fractions (0.70, not 70%). Counts are at scale 1.0 (the world multiplies by its
scale factor). Keys are dotted: `area.quantity`.
"""

from __future__ import annotations

from dataclasses import dataclass

from ironriver.errors import WorldError
from ironriver.i18n import msg

__all__ = ["FIGURES", "Figure", "figure", "figures_under"]


@dataclass(frozen=True)
class Figure:
    """One calibration figure: value, accepted range, unit, source and meaning."""

    key: str
    value: float
    low: float
    high: float
    unit: str
    source: str
    description: str

    def __post_init__(self) -> None:
        if not self.low <= self.value <= self.high:
            raise WorldError(
                msg(
                    "figure {key}: value {value} outside [{low}, {high}]",
                    key=self.key,
                    value=self.value,
                    low=self.low,
                    high=self.high,
                ),
                msg("fix the figure's range in {path}", path="ironriver/world/calibration.py"),
            )

    def accepts(self, observed: float) -> bool:
        """True when an observed (simulated) value lies within the tolerance range."""
        return self.low <= observed <= self.high


_MCDOUGAL_2026 = "McDougal & Campbell, Economics of Peace and Security Journal 21(1), 2026"
_MCDOUGAL_2014 = "McDougal et al., Journal of Economic Geography 2014"
_GAO_TRACE = "GAO-16-223, GAO-21-322, press (sec.)"
_NFCTA2 = "ATF NFCTA Vol. II (sec.)"
_NFCTA3 = "ATF NFCTA Vol. III (sec.)"
_NFCTA4 = "ATF NFCTA Vol. IV (sec.)"
_PRIETO = "Prieto-Curiel, Campedelli & Hope, Science 381:1312 (2023)"
_ASSUMED = "Assumption of this project (no public figure found); documented default"
_SURGE_2009 = "ICE/CBP releases (2009)"
_THE_TRACE = "The Trace, 2024"
_LINDO = "Lindo & Padilla-Romo, J. Health Economics 2018"
_DHS_OIG = "DHS OIG, Aug 2023"
_ATUESTA = "Atuesta & Pérez-Dávila 2018"
_COMMERCE = "ATF Commerce in Firearms (2000)"
_NETWORK = "shared/data/cartel_network (2020)"

# NFCTA Vol. IV source-state counts of Mexico recoveries, 2022-23.
_STATE_COUNTS = {"TX": 7825, "AZ": 3969, "CA": 1575, "NM": 492}
_FOUR = sum(_STATE_COUNTS.values())


def _f(
    key: str,
    value: float,
    low: float | None,
    high: float | None,
    unit: str,
    source: str,
    description: str,
) -> Figure:
    return Figure(
        key,
        value,
        value if low is None else low,
        value if high is None else high,
        unit,
        source,
        description,
    )


FIGURES: tuple[Figure, ...] = (
    # --- Flow -------------------------------------------------------------------------
    _f("flow.guns_per_year", 135_000, 85_000, 135_000, "guns/year", _MCDOUGAL_2026,
       "US guns trafficked south to Mexico per year (2022); the world's default flow."),
    _f("flow.guns_per_year_2010_12", 212_887, 89_816, 359_205, "guns/year", _MCDOUGAL_2014,
       "Older estimate of the southbound flow, 2010-12."),
    _f("flow.share_of_us_sales", 0.022, 0.01, 0.03, "share", _MCDOUGAL_2014,
       "Trafficked guns as a share of US gun sales (2010-12)."),
    _f("flow.mexican_government_estimate", 200_000, None, None, "guns/year",
       "Mexican government, cited in GAO-21-322 (2021)",
       "Mexican government estimate of the yearly flow."),
    _f("dealers.border_dependent_share", 0.467, 0.394, 0.527, "share", _MCDOUGAL_2014,
       "Share of border-region US dealers partly dependent on Mexican demand."),
    _f("dealers.top_dealer_share", 0.012, None, None, "share",
       _COMMERCE,
       "Share of dealers that account for `dealers.top_trace_share` of traces."),
    _f("dealers.top_trace_share", 0.574, 0.50, 0.65, "share",
       _COMMERCE,
       "Share of traces going back to the top 1.2% of dealers (concentration)."),
    # --- Outbound interdiction ----------------------------------------------------------
    _f("cbp.outbound_guns_2019", 173, None, None, "guns/year", _THE_TRACE,
       "Guns CBP intercepted heading south, 2019."),
    _f("cbp.outbound_guns_2023", 1_171, None, None, "guns/year", _THE_TRACE,
       "Guns CBP intercepted heading south, 2023."),
    _f("cbp.outbound_guns_fy2018_22", 2_306, None, None, "guns (5 years)", _DHS_OIG,
       "Firearms seized in CBP outbound operations FY2018-22 (~460/year)."),
    _f("cbp.outbound_currency_fy2018_22", 58e6, None, None, "USD (5 years)",
       _DHS_OIG, "Currency seized in CBP outbound operations FY2018-22."),
    _f("cbp.outbound_seizure_share", 1_171 / 135_000, 0.0, 0.01, "share",
       "The Trace 2024 / McDougal & Campbell 2026 (derived)",
       "Share of the southbound flow seized at the border: below 1%."),
    _f("border.outbound_lanes", 110, None, None, "lanes", "CBP (since 2009)",
       "Outbound lanes to Mexico, all with licence-plate readers."),
    _f("border.san_ysidro_southbound_per_day", 39_000, 38_000, 40_000, "vehicles/day",
       "Mexican customs, SANDAG (2009)",
       "Southbound vehicles per day at San Ysidro; supports southbound ~ northbound."),
    _f("border.surge_weapon_increase", 0.5, 0.4, 0.6, "relative increase",
       _SURGE_2009,
       "Outbound inspection surge: ~600 weapons in 6 months, +50% seizures."),
    _f("border.surge_weapons_6_months", 600, None, None, "guns", _SURGE_2009,
       "Weapons seized during the 2009 outbound surge, 6 months."),
    _f("border.surge_cash", 40e6, None, None, "USD", _SURGE_2009,
       "Cash seized during the 2009 outbound surge."),
    # --- Traces -------------------------------------------------------------------------
    _f("traces.mexico_requests_2017", 16_133, None, None, "traces/year", "press (sec.)",
       "Mexico trace requests, 2017."),
    _f("traces.mexico_requests_2022", 24_642, None, None, "traces/year", "press (sec.)",
       "Mexico trace requests, 2022."),
    _f("traces.mexico_requests_2024", 25_884, None, None, "traces/year", "press (sec.)",
       "Mexico trace requests, 2024."),
    _f("traces.us_sourced_share", 0.70, 0.67, 0.705, "share", _GAO_TRACE,
       "Share of traced Mexico recoveries sourced to the US (made or imported there)."),
    _f("traces.foreign_made_share", 0.165, 0.16, 0.17, "share", _GAO_TRACE,
       "Share of traced Mexico recoveries foreign-made, not through the US; rest undetermined."),
    _f("traces.no_purchaser_share", 0.36, 0.30, 0.50, "share", "press (sec.)",
       "Mexico traces with no purchaser identified: 36% (2024), 49.8% (2019)."),
    _f("traces.trafficking_ttc_years", 3, None, None, "years", "ATF practice",
       "Time-to-crime at or under which a trace flags possible trafficking."),
    _f("traces.ttc_mexico_mean_years", 15, 12, 18, "years", "ATF via press (sec.)",
       "Mean time-to-crime of Mexico recoveries (2006-10, includes submission delays)."),
    _f("traces.ttc_us_share_le_3y", 0.46, 0.41, 0.51, "share", _NFCTA2,
       "US traces with time-to-crime <= 3 years (2017-21)."),
    _f("traces.ttc_us_share_lt_1y", 0.25, 0.20, 0.30, "share", _NFCTA2,
       "US traces with time-to-crime < 1 year (2017-21)."),
    # --- Recovered-gun mix in Mexico ----------------------------------------------------
    _f("mix.pistol_share", 0.50, 0.45, 0.55, "share", _NFCTA4,
       "Pistols among guns recovered in Mexico (2022-23)."),
    _f("mix.rifle_share", 0.32, 0.27, 0.37, "share", _NFCTA4,
       "Rifles among guns recovered in Mexico (2022-23)."),
    _f("mix.handgun_share_2017_22", 0.63, 0.55, 0.68, "share", _NFCTA4,
       "Handguns among Mexico recoveries (2017-22)."),
    _f("mix.long_gun_share_2017_22", 0.35, 0.30, 0.42, "share", _NFCTA4,
       "Long guns among Mexico recoveries (2017-22)."),
    _f("mix.caliber_9mm_share", 0.44, 0.40, 0.48, "share", _NFCTA4,
       "9mm among guns recovered in Mexico (2022-23)."),
    _f("mix.caliber_22_share", 0.16, 0.13, 0.19, "share", _NFCTA4,
       ".22 among guns recovered in Mexico (2022-23)."),
    # --- Source states ------------------------------------------------------------------
    *(
        _f(f"source_state.count_{st.lower()}", n, None, None, "traces (2022-23)", _NFCTA4,
           f"Mexico recoveries traced to a first sale in {st}, 2022-23.")
        for st, n in _STATE_COUNTS.items()
    ),
    *(
        _f(f"source_state.border_share_{st.lower()}", n / _FOUR, max(0.0, n / _FOUR - 0.05),
           n / _FOUR + 0.05, "share of TX+AZ+CA+NM", _NFCTA4 + " (derived)",
           f"{st}'s share among Mexico recoveries first sold in the four border states.")
        for st, n in _STATE_COUNTS.items()
    ),
    _f("source_state.tx_share", 0.40, 0.35, 0.47, "share of US-sourced", "FOIA data (sec.)",
       "Texas share of US-sourced recoveries, Mexico + Central America, 7 years to 2022."),
    _f("source_state.az_share", 0.17, 0.13, 0.22, "share of US-sourced", "FOIA data (sec.)",
       "Arizona share, same basis."),
    _f("source_state.ca_nm_share", 0.17, 0.10, 0.20, "share of US-sourced",
       "FOIA data (sec.)", "California + New Mexico share, same basis."),
    _f("source_state.az_sonora_corridor_share", 0.091, 0.07, 0.11, "share", _NFCTA4,
       "Top corridor: guns first sold in Arizona recovered in Sonora."),
    # --- Serials ------------------------------------------------------------------------
    _f("serial.tampered_share", 0.12, 0.08, 0.15, "share", _ASSUMED + "; ATF lists "
       "obliterated serials among trafficking indicators but publishes no Mexico share",
       "Share of recovered trafficked guns whose serial was filed off (any degree)."),
    _f("serial.partial_share", 0.30, 0.20, 0.40, "share of tampered", _ASSUMED,
       "Share of tampered serials still partly legible (the rest fully obliterated)."),
    # --- US trafficking cases -----------------------------------------------------------
    _f("cases.guns_2017_21", 230_000, None, None, "guns", _NFCTA3,
       "Guns in US trafficking investigations, 2017-21."),
    _f("cases.count_2017_21", 7_779, None, None, "cases", _NFCTA3,
       "US trafficking investigations, 2017-21."),
    _f("cases.guns_per_case", 16, 10, 30, "guns/case", _NFCTA3,
       "Average guns per trafficking case as reported (230,000/7,779 gives ~30: the range "
       "admits both)."),
    _f("cases.straw_purchase_share", 0.40, 0.35, 0.45, "share", _NFCTA3,
       "Trafficking cases involving straw purchases."),
    _f("cases.unlicensed_dealing_share", 0.41, 0.36, 0.46, "share", _NFCTA3,
       "Trafficking cases involving unlicensed dealing."),
    # --- Reporting rules ----------------------------------------------------------------
    _f("rules.multiple_sale_min_handguns", 2, None, None, "handguns", "ATF F 3310.4",
       "Multiple-sale report: this many handguns to one buyer, any US dealer..."),
    _f("rules.multiple_sale_window_business_days", 5, None, None, "business days",
       "ATF F 3310.4", "...within this many consecutive business days."),
    _f("rules.swb_rifle_min", 2, None, None, "rifles", "ATF F 3310.12 (since 2011)",
       "Southwest-border report (dealers in AZ, CA, NM, TX): this many semi-automatic "
       "rifles > .22 caliber with detachable magazines to one buyer..."),
    _f("rules.swb_rifle_window_business_days", 5, None, None, "business days",
       "ATF F 3310.12", "...within this many business days."),
    _f("rules.swb_dealers_covered", 8_700, None, None, "dealers", "ATF F 3310.12",
       "Dealers covered by the southwest-border multiple rifle report."),
    # --- Cartels ------------------------------------------------------------------------
    _f("cartels.members_2012", 115_000, None, None, "people", _PRIETO,
       "Cartel members, January 2012."),
    _f("cartels.members_2022", 175_000, 160_000, 185_000, "people", _PRIETO,
       "Cartel members, January 2022."),
    _f("cartels.recruits_per_week", 360, 350, 370, "people/week", _PRIETO,
       "Recruits needed per week to keep cartels stable (~19,300/year)."),
    _f("cartels.deaths_per_year", 6_500, None, None, "people/year", _PRIETO + ", follow-up",
       "Cartel members killed per year."),
    _f("cartels.incapacitations_per_year", 5_700, None, None, "people/year",
       _PRIETO + ", follow-up", "Cartel members incarcerated per year."),
    _f("cartels.loss_rate_per_year", (6_500 + 5_700) / 175_000, 0.06, 0.08, "share/year",
       _PRIETO + " (derived)", "Yearly losses (deaths + incapacitations) / members 2022."),
    _f("cartels.death_rate_per_year", 6_500 / 175_000, 0.03, 0.045, "share/year",
       _PRIETO + " (derived)", "Yearly deaths / members 2022."),
    _f("cartels.incapacitation_rate_per_year", 5_700 / 175_000, 0.025, 0.04, "share/year",
       _PRIETO + " (derived)", "Yearly incapacitations / members 2022."),
    _f("cartels.cjng_share", 0.179, None, None, "share of members", _PRIETO,
       "CJNG share of cartel members, 2022."),
    _f("cartels.sinaloa_share", 0.089, None, None, "share of members", _PRIETO,
       "Sinaloa share of cartel members, 2022."),
    _f("cartels.groups", 150, None, None, "groups", _NETWORK,
       "Cartels in the network."),
    _f("cartels.rival_pairs", 92, None, None, "pairs", _NETWORK,
       "Rival pairs."),
    _f("cartels.allied_pairs", 91, None, None, "pairs", _NETWORK,
       "Allied pairs."),
    _f("cartels.kingpin_violence_6m", 0.365, None, None, "relative increase",
       "Calderón et al., J. Conflict Resolution 2015",
       "Drug-related violence in the same municipality, 6 months after a kingpin removal."),
    # the ranges are this project's allowance for the few killings one capture's
    # municipalities hold in a world (measured in evaluate.kingpin_effects)
    _f("cartels.kingpin_homicide_local", 0.80, 0.3, 1.5, "relative increase",
       _LINDO,
       "Homicide rate in the municipality for >= 12 months after a kingpin capture."),
    _f("cartels.kingpin_homicide_territory", 0.30, 0.0, 0.7, "relative increase",
       _LINDO,
       "Homicide rate elsewhere in the cartel's territory for 6 months."),
    _f("cartels.groups_2007", 5, None, None, "groups", _ATUESTA,
       "Visible groups in 2007 (fragmentation)."),
    _f("cartels.groups_2011", 80, None, None, "groups", _ATUESTA,
       "Visible groups in 2011 (fragmentation)."),
    _f("cartels.model_rho", 2.527474e-3, None, None, "1/week", _PRIETO,
       "Recruitment rate rho of the cartel-size model."),
    _f("cartels.model_eta", 110, None, None, "arrests/week", _PRIETO,
       "Incapacitation eta (total arrests per week, shared by size)."),
    _f("cartels.model_theta", 1.549231e-8, None, None, "1/(person week)", _PRIETO,
       "Conflict-death coefficient theta."),
    _f("cartels.model_omega", 4e-8, None, None, "1/(person week)", _PRIETO,
       "Saturation coefficient omega."),
)  # fmt: skip

_BY_KEY = {f.key: f for f in FIGURES}
if len(_BY_KEY) != len(FIGURES):
    raise WorldError(
        msg("duplicate calibration figure keys"),
        msg("make each {field} unique", field="Figure.key"),
    )


def figure(key: str) -> Figure:
    """The figure with this key; raises `WorldError` naming close keys when unknown."""
    try:
        return _BY_KEY[key]
    except KeyError:
        area = key.split(".")[0]
        close = [k for k in _BY_KEY if k.startswith(area + ".")] or sorted(_BY_KEY)[:10]
        raise WorldError(
            msg("unknown calibration figure {key!r}", key=key),
            msg("use one of: {keys}", keys=", ".join(close)),
        ) from None


def figures_under(prefix: str) -> tuple[Figure, ...]:
    """Figures whose key starts with `prefix` (e.g. "mix.", "cartels.")."""
    return tuple(f for f in FIGURES if f.key.startswith(prefix))
