"""Strategic cartel dynamics: what policy levers do to cartel members and deaths.

The model of Prieto-Curiel, Campedelli & Hope (Science 381:1312, 2023) on the real
150-group CIDE network, weekly from January 2012; scenarios from January 2022.

Quickstart::

    from ironriver.strategy import simulate, monte_carlo, bands, calibrate

    sim = simulate("half-recruitment", years=5)
    sim.series()            # weekly members, deaths, recruits, incapacitations
    sim.by_group()          # members per group per week
    bands(monte_carlo("status-quo", runs=1000))   # 5/50/95% bands
    calibrate().table       # fitted parameters against the paper's

Levers on top of a named scenario: `get_scenario(name).with_levers(recruitment=...,
incapacitation=..., interdiction=..., splits=(Split.parse("CJNG:3@26"),))`.
"""

from ironriver.strategy.calibrate import Calibration, calibrate
from ironriver.strategy.decapitation import Split
from ironriver.strategy.evaluate import compare, interdiction_sweep, reproduction
from ironriver.strategy.montecarlo import bands, monte_carlo
from ironriver.strategy.network import CartelNetwork, load_network
from ironriver.strategy.parameters import PAPER_PARAMETERS, ModelParameters, all_parameters
from ironriver.strategy.scenarios import SCENARIOS, Scenario, get_scenario
from ironriver.strategy.simulate import Simulation, simulate

__all__ = [
    "PAPER_PARAMETERS",
    "SCENARIOS",
    "Calibration",
    "CartelNetwork",
    "ModelParameters",
    "Scenario",
    "Simulation",
    "Split",
    "all_parameters",
    "bands",
    "calibrate",
    "compare",
    "get_scenario",
    "interdiction_sweep",
    "load_network",
    "monte_carlo",
    "reproduction",
    "simulate",
]
