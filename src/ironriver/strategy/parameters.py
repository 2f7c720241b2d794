"""Model parameters declared as data: value, unit, description and source.

The four rates and the initial membership are those of Prieto-Curiel, Campedelli & Hope,
"Reducing cartel recruitment is the only way to lower violence in Mexico", Science 381:1312
(2023), as published in the authors' code (rafaelprietocuriel/Recruitment). The levers that
are *not* in the paper (arms interdiction, faction rivalry after a decapitation, Monte Carlo
ranges) are declared here too, so that every assumption is visible in one place and printed
by `ironriver strategy calibrate --json` and docs/strategy.md.

Invariant: `ModelParameters` holds plain floats for one run; batched runs (Monte Carlo,
calibration Jacobians) pass arrays of the same fields to `ironriver.strategy.model`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

PAPER = "Prieto-Curiel, Campedelli & Hope, Science 381:1312 (2023)"


@dataclass(frozen=True)
class Parameter:
    """One declared quantity: what it is, its unit, its default and where it comes from."""

    name: str
    value: float
    unit: str
    description: str
    source: str


@dataclass(frozen=True)
class ModelParameters:
    """The rates of one run of the Prieto-Curiel model (time unit: one week, 52 per year).

    rho: recruitment per member per week.
    eta: incapacitations (arrests, killings by the state) per week in total, shared among
        groups in proportion to their size.
    theta: lethality of one unit of conflict exposure, per member pair per week.
    omega: saturation (fragmentation) per member pair within a group, per week.
    initial_members: total members in January 2012, spread by a 1/rank power law.
    """

    rho: float = 2.527474e-3
    eta: float = 110.0
    theta: float = 1.549231e-8
    omega: float = 4e-8
    initial_members: float = 115_000.0

    def scaled(self, recruitment: float = 1.0, incapacitation: float = 1.0) -> ModelParameters:
        """A copy with recruitment and incapacitation multiplied by the given factors."""
        return replace(self, rho=self.rho * recruitment, eta=self.eta * incapacitation)

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


PAPER_PARAMETERS = ModelParameters()

MODEL_PARAMETERS: tuple[Parameter, ...] = (
    Parameter(
        "rho",
        PAPER_PARAMETERS.rho,
        "1/week",
        "recruits per member per week (gross recruitment rate)",
        PAPER,
    ),
    Parameter(
        "eta",
        PAPER_PARAMETERS.eta,
        "members/week",
        "members incapacitated per week in total, shared by group size (eta C_i / S)",
        PAPER,
    ),
    Parameter(
        "theta",
        PAPER_PARAMETERS.theta,
        "1/(member·week)",
        "deaths per week per unit of conflict exposure C_i (M C)_i",
        PAPER,
    ),
    Parameter(
        "omega",
        PAPER_PARAMETERS.omega,
        "1/(member·week)",
        "saturation: members lost per week per pair of members of the same group",
        PAPER,
    ),
    Parameter(
        "initial_members",
        PAPER_PARAMETERS.initial_members,
        "members",
        "all cartel members in January 2012, split over 150 groups as 1/rank",
        PAPER,
    ),
)

#: Arms interdiction: theta_eff = theta * (1 - elasticity * share_interdicted).
INTERDICTION_ELASTICITY = Parameter(
    "interdiction_elasticity",
    0.35,
    "dimensionless",
    "fraction of conflict lethality removed when 100% of the southbound gun flow is stopped: "
    "~70% of traced Mexican crime guns are US-sourced, times ~0.5 because interdicted supply "
    "is partly replaced (stockpiles, other sources, substitution of weapons)",
    "assumption; US share from GAO-16-223 / GAO-21-322; see docs/strategy.md",
)

#: Values of the elasticity swept by the interdiction sensitivity analysis.
INTERDICTION_ELASTICITY_SWEEP: tuple[float, ...] = (0.1, 0.2, 0.35, 0.5, 0.7)

#: Decapitation: rivalry weight between the factions of a split group.
FACTION_RIVALRY_WEIGHT = Parameter(
    "faction_rivalry_weight",
    13.0,
    "rivalry weight (same scale as BACRIM2020_Rivals.csv, 1-13)",
    "rivalry between factions of a decapitated group; default is the strongest rivalry in "
    "the 2020 network (CJNG vs La Nueva Familia Michoacana): a contested succession is an "
    "internal war",
    "assumption; Jones 2013; Lindo & Padilla-Romo 2018 (+80% homicides after a capture)",
)

#: Largest lever values accepted. The weekly Runge-Kutta step was checked against SciPy's
#: LSODA (rtol 1e-9) on the same equations over 50 years from January 2022: at these bounds
#: members differ by less than 1e-7 of January 2022's every week (tests/strategy/test_model.py).
#: Beyond recruitment x10 the weekly step is too coarse (x100: 0.7%; x300 wrong).
MAX_RECRUITMENT = Parameter(
    "max_recruitment",
    10.0,
    "multiplier of rho",
    "largest --recruitment accepted: where the weekly step stays accurate",
    "numerical check against scipy.integrate.solve_ivp (LSODA); see docs/strategy.md",
)
MAX_INCAPACITATION = Parameter(
    "max_incapacitation",
    1000.0,
    "multiplier of eta",
    "largest --incapacitation accepted (at x1000 all groups are gone within 2 weeks)",
    "numerical check against scipy.integrate.solve_ivp (LSODA); see docs/strategy.md",
)
MAX_FACTION_RIVALRY = Parameter(
    "max_faction_rivalry",
    1000.0,
    "rivalry weight",
    "largest --faction-rivalry accepted (the 2020 network's strongest rivalry is 13)",
    "numerical check against scipy.integrate.solve_ivp (LSODA); see docs/strategy.md",
)

#: Monte Carlo: each rate is drawn uniformly within +- this relative half-width.
MONTE_CARLO_SPREAD: dict[str, Parameter] = {
    "rho": Parameter(
        "rho_spread",
        0.03,
        "relative half-width",
        "uniform range of the recruitment rate; growth is very sensitive to rho, so the "
        "range is narrow (the calibration constrains rho to a few percent)",
        "assumption",
    ),
    "eta": Parameter(
        "eta_spread",
        0.10,
        "relative half-width",
        "uniform range of total incapacitations per week",
        "assumption",
    ),
    "theta": Parameter(
        "theta_spread",
        0.10,
        "relative half-width",
        "uniform range of conflict lethality",
        "assumption",
    ),
    "omega": Parameter(
        "omega_spread",
        0.10,
        "relative half-width",
        "uniform range of saturation",
        "assumption",
    ),
}

#: Yearly deaths attributed to cartel conflict: this share of homicides plus missing persons.
DEATH_SHARE = Parameter(
    "death_share",
    0.1,
    "dimensionless",
    "share of (homicides + missing persons) taken as cartel-member deaths, the calibration target",
    PAPER,
)


def all_parameters() -> tuple[Parameter, ...]:
    """Every declared parameter, for documentation and `--json` output."""
    return (
        *MODEL_PARAMETERS,
        INTERDICTION_ELASTICITY,
        FACTION_RIVALRY_WEIGHT,
        MAX_RECRUITMENT,
        MAX_INCAPACITATION,
        MAX_FACTION_RIVALRY,
        DEATH_SHARE,
        *MONTE_CARLO_SPREAD.values(),
    )
