"""Where an opportunity falls for one learner: Sweet Spot, Uphill, Gift or Waste, and why.

The personal value is the weighted mean of the learner's interest in the skills the opportunity
builds; the org value is the weighted mean of the organisation's need for them. Both lie in [0, 1].
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum, StrEnum

from alignment import sentences
from alignment.messages import Message


class Interest(IntEnum):
    """How much a learner wants to grow a skill."""

    NOT_FOR_ME = 0
    CURIOUS = 1
    WANT = 2
    TOP_PRIORITY = 3

    @property
    def label(self) -> str:
        """The level in the learner's words."""
        return self.name.replace("_", " ").lower()


class Need(IntEnum):
    """How much the organisation needs a skill in a context."""

    NOT_NEEDED = 0
    USEFUL = 1
    IMPORTANT = 2
    CRITICAL = 3

    @property
    def label(self) -> str:
        """The level in the manager's words."""
        return self.name.replace("_", " ").lower()


class Quadrant(StrEnum):
    """The four alignment categories."""

    SWEET_SPOT = "sweet_spot"
    UPHILL = "uphill"
    GIFT = "gift"
    WASTE = "waste"

    @property
    def label(self) -> str:
        """The category's name as people say it."""
        return self.value.replace("_", " ").title()


@dataclass(frozen=True)
class Thresholds:
    """The value at or above which each side counts as valuing an opportunity (per tenant)."""

    personal: float = 0.5
    org: float = 0.5

    def __post_init__(self) -> None:
        for side in ("personal", "org"):
            value = getattr(self, side)
            if not 0 < value <= 1:
                raise ValueError(f"{side} threshold must be in (0, 1], got {value}")


@dataclass(frozen=True)
class SkillSide:
    """A skill's part in one side's value: its weight in the opportunity and the level given to it."""

    skill_id: int
    skill_name: str
    weight: float
    level: int
    contribution: float


@dataclass(frozen=True)
class OrgNeed:
    """The organisation's need for a skill, with the strategic why a manager gives for it."""

    need: Need
    why: str = ""


@dataclass(frozen=True)
class Alignment:
    """Where an opportunity falls for a learner, with the skills that drove each side."""

    personal_value: float
    org_value: float
    quadrant: Quadrant
    personal_drivers: tuple[SkillSide, ...]
    org_drivers: tuple[SkillSide, ...]
    org_whys: tuple[str, ...]

    @property
    def combined_value(self) -> float:
        """Both sides together, used to rank sweet-spot items."""
        return (self.personal_value + self.org_value) / 2

    def explain(self) -> Message:
        """One line naming the skills that put the opportunity in its quadrant."""
        wants = tuple((d.skill_name, d.level) for d in self.personal_drivers)
        needs = tuple((d.skill_name, d.level) for d in self.org_drivers)
        match self.quadrant:
            case Quadrant.SWEET_SPOT:
                return sentences.EXPLAIN_SWEET_SPOT(wants=wants, needs=needs)
            case Quadrant.UPHILL:
                if self.org_whys:
                    return sentences.EXPLAIN_UPHILL_WHY(needs=needs, why=self.org_whys[0])
                return sentences.EXPLAIN_UPHILL(needs=needs)
            case Quadrant.GIFT:
                return sentences.EXPLAIN_GIFT(wants=wants)
            case Quadrant.WASTE:
                return sentences.EXPLAIN_WASTE()


def quadrant_of(personal_value: float, org_value: float, thresholds: Thresholds) -> Quadrant:
    """The quadrant of an opportunity with these values on each side."""
    wanted = personal_value >= thresholds.personal
    needed = org_value >= thresholds.org
    if wanted and needed:
        return Quadrant.SWEET_SPOT
    if needed:
        return Quadrant.UPHILL
    return Quadrant.GIFT if wanted else Quadrant.WASTE


def align(
    skill_weights: Mapping[int, float],
    skill_names: Mapping[int, str],
    interests: Mapping[int, Interest],
    needs: Mapping[int, OrgNeed],
    thresholds: Thresholds,
) -> Alignment:
    """Place an opportunity building `skill_weights` for a learner with `interests` in a context with `needs`.

    A skill the learner or the organisation has not rated counts as level 0 on that side.
    An opportunity tagged with no skill has value 0 on both sides: it is Waste until tagged.
    """
    total = sum(weight for weight in skill_weights.values() if weight > 0)
    # Levels of the opportunity's own skills only: the others count for nothing (an agenda names dozens).
    wanted = {s: int(interests[s]) for s in skill_weights if s in interests}
    personal = _side(skill_weights, skill_names, wanted, total)
    org = _side(skill_weights, skill_names, {s: int(needs[s].need) for s in skill_weights if s in needs}, total)
    personal_value = sum(d.contribution for d in personal)
    org_value = sum(d.contribution for d in org)
    quadrant = quadrant_of(personal_value, org_value, thresholds)
    whys = tuple(dict.fromkeys(needs[d.skill_id].why for d in org if needs[d.skill_id].why.strip()))
    return Alignment(
        personal_value=round(personal_value, 6),
        org_value=round(org_value, 6),
        quadrant=quadrant,
        personal_drivers=personal,
        org_drivers=org,
        org_whys=whys,
    )


def side_value(skill_weights: Mapping[int, float], levels: Mapping[int, int]) -> float:
    """One side's value of an opportunity, unrounded, exactly as `align` computes it (the same terms added
    in the same order), without naming the drivers: what deciding a quadrant for many opportunities needs."""
    total = sum(weight for weight in skill_weights.values() if weight > 0)
    if total <= 0:
        return 0
    terms = [
        weight / total * level / 3
        for skill, weight in skill_weights.items()
        if weight > 0 and (level := levels.get(skill, 0)) > 0
    ]
    # `align` adds its drivers largest first; equal terms in another order give the same sum.
    terms.sort(reverse=True)
    return sum(terms)


def _side(
    skill_weights: Mapping[int, float],
    skill_names: Mapping[int, str],
    levels: Mapping[int, int],
    total_weight: float,
) -> tuple[SkillSide, ...]:
    if total_weight <= 0:
        return ()
    drivers = [
        SkillSide(
            skill_id=skill,
            skill_name=skill_names.get(skill, f"skill {skill}"),
            weight=weight,
            level=levels[skill],
            contribution=weight / total_weight * levels[skill] / 3,
        )
        for skill, weight in skill_weights.items()
        if weight > 0 and levels.get(skill, 0) > 0
    ]
    return tuple(sorted(drivers, key=lambda d: (-d.contribution, d.skill_name)))
