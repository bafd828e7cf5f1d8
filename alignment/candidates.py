"""What roadmaps are planned from: the tenant's active opportunities and the organisation's needs, worked
out once, and for each learner only the candidates a plan can include.

In a large catalogue most opportunities are Waste for any one learner, and waste that is neither mandatory
nor needed first is never planned (`rules.planning.plannable`), so it is never made into a candidate. What
the organisation values is the same for everyone under one org agenda, so it is worked out once for the
agenda; for each learner, only the opportunities that build a skill they want are placed again.

Everything here is pure: values in, values out, and the same plan as planning every opportunity.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from functools import cached_property, partial

from alignment.messages import Message
from alignment.opportunities import Opportunity
from alignment.rules.planning import Candidate, check_no_prerequisite_cycle, with_prerequisites
from alignment.rules.progress import ItemProgress, MatcherIndex
from alignment.rules.quadrants import Alignment, Interest, OrgNeed, Quadrant, Thresholds, align, quadrant_of, side_value

OwnCandidates = dict[tuple[int, tuple[tuple[int, int], ...]], Candidate]
"""Candidates made for learners' own interests, by opportunity and the interest levels in its skills."""

EPSILON = 1e-9
"""The quick sums below add the same terms as `align` in another order, so they may differ from it in the
last bits; an opportunity this close to a threshold is placed exactly, by `align`'s own arithmetic."""


@dataclass(frozen=True)
class Catalogue:
    """The tenant's active opportunities and its skills' names, with what planning derives from them once."""

    opportunities: tuple[Opportunity, ...]
    skill_names: Mapping[int, str]
    version: int | None = None
    """The tenant's catalogue version it was read at (`tenancy.catalogue_version`), if known."""

    @cached_property
    def by_id(self) -> dict[int, Opportunity]:
        """Each opportunity by id."""
        return {o.id: o for o in self.opportunities}

    @cached_property
    def shares(self) -> dict[int, tuple[tuple[int, float], ...]]:
        """For each skill, the opportunities building it and what one level of interest or need in it adds to
        their value (its weight's share of their skills, over the three levels)."""
        found: dict[int, list[tuple[int, float]]] = defaultdict(list)
        for o in self.opportunities:
            total = sum(weight for weight in o.skills.values() if weight > 0)
            for skill, weight in o.skills.items():
                if weight > 0:
                    found[skill].append((o.id, weight / total / 3))
        return {skill: tuple(pairs) for skill, pairs in found.items()}

    @cached_property
    def prerequisites(self) -> dict[int, frozenset[int]]:
        """What each opportunity needs first."""
        return {o.id: o.prerequisites for o in self.opportunities}

    @cached_property
    def index(self) -> MatcherIndex:
        """Finds the opportunities a learning event belongs to."""
        return MatcherIndex([o.matcher for o in self.opportunities])

    @cached_property
    def prerequisites_checked(self) -> bool:
        """True once the prerequisites are known to form no cycle (raises PrerequisiteCycle if they do)."""
        check_no_prerequisite_cycle(self.prerequisites)
        return True

    def values(self, levels: Mapping[int, int]) -> dict[int, float]:
        """Roughly (see EPSILON) the value of every opportunity building a skill of `levels` to that side."""
        found: dict[int, float] = defaultdict(float)
        for skill, level in levels.items():
            for opportunity, share in self.shares.get(skill, ()):
                found[opportunity] += share * level
        return found


@dataclass(frozen=True)
class OrgView:
    """The catalogue as the organisation's agenda for a context (or a role in it) places it."""

    catalogue: Catalogue
    needs: Mapping[int, OrgNeed]
    mandatory: Mapping[int, date]
    thresholds: Thresholds

    @cached_property
    def _levels(self) -> dict[int, int]:
        return {skill: int(need.need) for skill, need in self.needs.items() if need.need > 0}

    @cached_property
    def _shared(self) -> dict[int, Alignment]:
        return {}

    @cached_property
    def _candidates(self) -> dict[int, Candidate]:
        return {}

    @cached_property
    def _org_values(self) -> dict[int, float]:
        return {}

    def alignment(self, opportunity: Opportunity) -> Alignment:
        """Where the opportunity falls for a learner who wants none of its skills (worked out once)."""
        found = self._shared.get(opportunity.id)
        if found is None:
            found = align(opportunity.skills, self.catalogue.skill_names, {}, self.needs, self.thresholds)
            self._shared[opportunity.id] = found
        return found

    def candidate(self, opportunity: Opportunity) -> Candidate:
        """The opportunity as the planner sees it for a learner who wants none of its skills and has not
        touched it: the same for everyone under this agenda, so made once (with its rank)."""
        found = self._candidates.get(opportunity.id)
        if found is None:
            alignment = self.alignment(opportunity)
            found = Candidate(
                opportunity_id=opportunity.id,
                title=opportunity.title,
                effort_hours=opportunity.effort_hours,
                quadrant=alignment.quadrant,
                personal_value=alignment.personal_value,
                org_value=alignment.org_value,
                explanation=alignment.explain(),
                org_why=alignment.org_whys[0] if alignment.org_whys else "",
                mandatory_due=self.mandatory.get(opportunity.id),
                prerequisites=opportunity.prerequisites,
            )
            self._candidates[opportunity.id] = found
        return found

    @cached_property
    def base(self) -> dict[int, Candidate]:
        """What anyone's plan can include whatever they want: what the organisation values (Uphill for a
        learner who does not want it), the mandatory items, and everything these need first."""
        by_id = self.catalogue.by_id
        threshold = self.thresholds.org - EPSILON
        chosen = {o for o, value in self.catalogue.values(self._levels).items() if value >= threshold}
        chosen |= {o for o in self.mandatory if o in by_id}
        # Waste picked up by the rough sums or needed first is harmless: it is planned only if something
        # plannable needs it first, as when planning every opportunity.
        needed = with_prerequisites(chosen, self.catalogue.prerequisites)
        found = [self.candidate(by_id[o]) for o in needed if o in by_id]
        # In planning order, so that sorting a learner's candidates (these and a few of their own) is quick.
        return {c.opportunity_id: c for c in sorted(found, key=lambda c: c.rank)}

    def learner_candidates(
        self,
        interests: Mapping[int, Interest],
        progress: Mapping[int, ItemProgress],
        shared: OwnCandidates | None = None,
    ) -> list[Candidate]:
        """Every candidate the learner's plan can include (`rules.planning.plannable` of them all), with
        the learner's progress on each. Learners planned with the same `shared` (under this view) share the
        candidates of their own interests that they have in common."""
        own_made = shared if shared is not None else {}
        catalogue = self.catalogue
        by_id = catalogue.by_id
        levels = interest_levels(interests)
        chosen = dict(self.base)
        threshold = self.thresholds.personal - EPSILON
        own = [o for o, value in catalogue.values(levels).items() if value >= threshold]
        for o in own:
            chosen[o] = self._own_candidate(by_id[o], levels, own_made)
        for o in with_prerequisites(own, catalogue.prerequisites) - chosen.keys():
            if o in by_id:
                chosen[o] = self.candidate(by_id[o])
        for o, item in progress.items():
            candidate = chosen.get(o)
            if candidate is not None:
                chosen[o] = replace(candidate, done_fraction=item.done_fraction, finished=item.finished)
        return list(chosen.values())

    def learner_alignment(self, opportunity: Opportunity, interests: Mapping[int, Interest]) -> Alignment:
        """Where the opportunity falls for a learner with these interests."""
        if any(interests.get(skill, 0) > 0 for skill, weight in opportunity.skills.items() if weight > 0):
            return align(opportunity.skills, self.catalogue.skill_names, interests, self.needs, self.thresholds)
        return self.alignment(opportunity)

    def quadrant(self, opportunity: Opportunity, levels: Mapping[int, int]) -> Quadrant:
        """Where the opportunity falls for a learner with these interest levels (`interest_levels`), without
        explaining why."""
        return self._place(opportunity, levels)[1]

    def _place(self, opportunity: Opportunity, levels: Mapping[int, int]) -> tuple[float, Quadrant]:
        """The personal value and the quadrant, by `align`'s arithmetic."""
        personal = side_value(opportunity.skills, levels) if levels else 0
        org = self._org_values.get(opportunity.id)
        if org is None:
            org = self._org_values[opportunity.id] = side_value(opportunity.skills, self._levels)
        return personal, quadrant_of(personal, org, self.thresholds)

    def _own_candidate(self, opportunity: Opportunity, levels: Mapping[int, int], made: OwnCandidates) -> Candidate:
        """The opportunity placed for a learner who wants one of its skills, by `align`'s arithmetic; the
        sentence naming the skills is only written if the plan needs it.

        It depends only on the learner's interest in the opportunity's own skills, so learners who share those
        share the candidate (made once, with its rank)."""
        mine = tuple((skill, levels[skill]) for skill in opportunity.skills if skill in levels)
        key = (opportunity.id, mine)
        found = made.get(key)
        if found is None:
            found = made[key] = self._new_own_candidate(opportunity, dict(mine))
        return found

    def _new_own_candidate(self, opportunity: Opportunity, levels: Mapping[int, int]) -> Candidate:
        personal, quadrant = self._place(opportunity, levels)
        shared = self.alignment(opportunity)
        interests = {skill: Interest(level) for skill, level in levels.items()}
        return Candidate(
            opportunity_id=opportunity.id,
            title=opportunity.title,
            effort_hours=opportunity.effort_hours,
            quadrant=quadrant,
            personal_value=round(personal, 6),
            org_value=shared.org_value,
            explanation=None,
            explain=partial(self._explain, opportunity, interests),
            org_why=shared.org_whys[0] if shared.org_whys else "",
            mandatory_due=self.mandatory.get(opportunity.id),
            prerequisites=opportunity.prerequisites,
        )

    def _explain(self, opportunity: Opportunity, interests: Mapping[int, Interest]) -> Message:
        return self.learner_alignment(opportunity, interests).explain()


def interest_levels(interests: Mapping[int, Interest]) -> dict[int, int]:
    """A learner's interests as the levels the arithmetic reads: the skills they want at all."""
    return {skill: int(level) for skill, level in interests.items() if level > 0}
