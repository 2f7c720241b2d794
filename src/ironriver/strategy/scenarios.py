"""Policy scenarios: what changes from January 2022 on.

A scenario is four levers applied from January 2022 (week 520 of the model), after the
common 2012-2021 history:

- recruitment: multiplies rho (0.5 = recruitment halved, 0 = no recruitment);
- incapacitation: multiplies eta (2 = twice as many arrests a week);
- interdiction: share s of the southbound gun flow stopped, in [0, 1]. Assumption (not in
  the paper): conflict lethality falls to theta * (1 - e * s), with e the interdiction
  elasticity (default 0.35, see `parameters.INTERDICTION_ELASTICITY` and docs/strategy.md);
- splits: decapitations, each a `Split` (group, k factions, week after January 2022).

`Scenario.with_levers` applies command-line flags on top of a named scenario: the
multipliers multiply, interdicted shares combine as successive filters
(1 - (1 - a)(1 - b)), splits are added. A scenario so changed is named `<name>+levers` (the
name `--json` writes; people read `label_in`: "status-quo with levers", "status-quo con
palancas") and keeps its changes in words (`changes`): its description is those changes and
the levers in effect, not the named scenario's.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ironriver.errors import StrategyOptionError
from ironriver.i18n import Lang, Msg, current_lang, joined, marked, msg, translate
from ironriver.strategy.decapitation import Split
from ironriver.strategy.parameters import (
    FACTION_RIVALRY_WEIGHT,
    INTERDICTION_ELASTICITY,
    MAX_FACTION_RIVALRY,
    MAX_INCAPACITATION,
    MAX_RECRUITMENT,
)

#: The suffix of a scenario changed by lever flags (`Scenario.with_levers`).
LEVERS_SUFFIX = "+levers"


def _check_share(share: float) -> None:
    """An interdicted share is 0 to 1 (NaN refused: it compares false)."""
    if not 0.0 <= share <= 1.0:
        raise StrategyOptionError(
            msg("Interdicted share must be between 0 and 1, got {share}.", share=share),
            hint=msg("--interdiction 0.3 means 30% of southbound guns are stopped."),
        )


@dataclass(frozen=True)
class Scenario:
    """Levers applied from January 2022."""

    name: str
    description: str
    recruitment: float = 1.0
    incapacitation: float = 1.0
    interdiction: float = 0.0
    elasticity: float = INTERDICTION_ELASTICITY.value
    splits: tuple[Split, ...] = ()
    faction_rivalry: float = FACTION_RIVALRY_WEIGHT.value
    #: what `with_levers` changed from the named scenario, in words (empty: run as named)
    changes: tuple[Msg, ...] = ()

    def __post_init__(self) -> None:
        # `not 0 <= x <= max` rather than `x < 0 or x > max`: NaN compares false either way
        # and must be refused. The bounds are where the weekly step is accurate (parameters).
        if not (
            0 <= self.recruitment <= MAX_RECRUITMENT.value
            and 0 <= self.incapacitation <= MAX_INCAPACITATION.value
        ):
            raise StrategyOptionError(
                msg(
                    "Scenario {name}: recruitment must be x0 to x{max_recruitment:g} and "
                    "arrests x0 to x{max_incapacitation:g}, got x{recruitment:g} and "
                    "x{incapacitation:g}.",
                    name=self.name,
                    max_recruitment=MAX_RECRUITMENT.value,
                    max_incapacitation=MAX_INCAPACITATION.value,
                    recruitment=self.recruitment,
                    incapacitation=self.incapacitation,
                ),
                hint=msg(
                    "--recruitment 0.5 halves recruitment; --incapacitation 2 doubles arrests."
                ),
            )
        if not 0 <= self.faction_rivalry <= MAX_FACTION_RIVALRY.value:
            raise StrategyOptionError(
                msg(
                    "Faction rivalry must be between 0 and {max:g}, got {rivalry}.",
                    max=MAX_FACTION_RIVALRY.value,
                    rivalry=self.faction_rivalry,
                ),
                hint=msg("The rivalry weights of the network run from 1 to 13 (the default)."),
            )
        _check_share(self.interdiction)
        if not 0.0 <= self.elasticity <= 1.0:
            raise StrategyOptionError(
                msg(
                    "Interdiction elasticity must be between 0 and 1, got {elasticity}.",
                    elasticity=self.elasticity,
                ),
                hint=msg("It is the share of lethality removed if every gun were stopped."),
            )

    def label_in(self, lang: Lang | None = None) -> str:
        """The name as a reader sees it: a named scenario's own name (what `--scenario`
        takes), one changed by lever flags in words ("status-quo with levers")."""
        if self.changes and self.name.endswith(LEVERS_SUFFIX):
            base = self.name.removesuffix(LEVERS_SUFFIX)
            return msg("{name} with levers", name=base).render(lang or current_lang())
        return self.name

    def description_in(self, lang: Lang | None = None) -> str:
        """The description in `lang` (default: the current language): the built-in
        scenarios' are translated, a description written elsewhere is shown as it is.

        A scenario changed by `with_levers` is described by its changes and the levers in
        effect: the named scenario's own description may state a lever the flags changed
        (interdiction-50's elasticity 0.35)."""
        lang = lang or current_lang()
        if not self.changes:
            return translate(self.description, lang)
        return msg(
            "modified ({changes}); in effect: {levers}",
            changes=joined(self.changes, ", "),
            levers=self.levers_in_effect(),
        ).render(lang)

    def levers_in_effect(self) -> Msg:
        """Every lever this scenario applies from January 2022, in words."""
        levers = [
            msg(
                "recruitment x{recruitment:g}, arrests x{incapacitation:g}, {share:.0%} of "
                "southbound guns stopped (lethality x{lethality:.3g})",
                recruitment=self.recruitment,
                incapacitation=self.incapacitation,
                share=self.interdiction,
                lethality=self.lethality,
            )
        ]
        if self.splits:
            levers.append(
                msg(
                    "splits {splits} (faction rivalry {rivalry:g})",
                    splits=" ".join(s.label() for s in self.splits),
                    rivalry=self.faction_rivalry,
                )
            )
        return joined(levers, ", ")

    @property
    def lethality(self) -> float:
        """Factor on theta from arms interdiction: 1 - e * s."""
        return 1.0 - self.elasticity * self.interdiction

    def with_levers(
        self,
        recruitment: float = 1.0,
        incapacitation: float = 1.0,
        interdiction: float = 0.0,
        elasticity: float | None = None,
        splits: tuple[Split, ...] = (),
        faction_rivalry: float | None = None,
    ) -> Scenario:
        """This scenario with extra levers on top (see the module docstring)."""
        _check_share(interdiction)  # before it is combined, which could hide a bad value
        changes = []
        if recruitment != 1.0:
            changes.append(msg("recruitment x{factor:g}", factor=recruitment))
        if incapacitation != 1.0:
            changes.append(msg("arrests x{factor:g}", factor=incapacitation))
        if interdiction != 0.0:
            changes.append(
                msg("another {share:.0%} of southbound guns stopped", share=interdiction)
            )
        if elasticity is not None and elasticity != self.elasticity:
            changes.append(msg("elasticity {elasticity:g}", elasticity=elasticity))
        changes.extend(msg("split {split}", split=s.label()) for s in splits)
        if faction_rivalry is not None and faction_rivalry != self.faction_rivalry:
            changes.append(msg("faction rivalry {rivalry:g}", rivalry=faction_rivalry))
        return replace(
            self,
            name=self.name + (LEVERS_SUFFIX if changes and not self.changes else ""),
            changes=self.changes + tuple(changes),
            recruitment=self.recruitment * recruitment,
            incapacitation=self.incapacitation * incapacitation,
            interdiction=1.0 - (1.0 - self.interdiction) * (1.0 - interdiction),
            elasticity=self.elasticity if elasticity is None else elasticity,
            splits=self.splits + splits,
            faction_rivalry=self.faction_rivalry if faction_rivalry is None else faction_rivalry,
        )


# Descriptions are kept in English, marked for translation: `Scenario.description_in`.
SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario("status-quo", marked("the 2012-2021 rates continue")),
        Scenario(
            "half-recruitment", marked("recruitment halved from January 2022"), recruitment=0.5
        ),
        Scenario(
            "double-incapacitation",
            marked("arrests doubled from January 2022"),
            incapacitation=2.0,
        ),
        Scenario(
            "no-recruitment", marked("recruitment stopped from January 2022"), recruitment=0.0
        ),
        Scenario(
            "half-recruitment-double-incapacitation",
            marked("recruitment halved and arrests doubled"),
            recruitment=0.5,
            incapacitation=2.0,
        ),
        Scenario(
            "interdiction-50",
            marked("half of the southbound gun flow stopped (lethality x (1 - 0.35 x 0.5))"),
            interdiction=0.5,
        ),
        Scenario(
            "decapitate-cjng",
            marked("CJNG splits into 3 equal rival factions in January 2023"),
            splits=(Split("CJNG", 3, 52),),
        ),
    )
}

HEADLINE_SCENARIOS = ("status-quo", "half-recruitment", "double-incapacitation", "no-recruitment")


def get_scenario(name: str) -> Scenario:
    """The named scenario, or a StrategyError listing the names."""
    try:
        return SCENARIOS[name]
    except KeyError:
        raise StrategyOptionError(
            msg("Unknown scenario {name!r}.", name=name),
            hint=msg("Choose one of: {names}", names=", ".join(SCENARIOS)),
        ) from None
