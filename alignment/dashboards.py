"""What the pages show, read in one place: a learner's view of their roadmap and a manager's team table."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from alignment.agendas import PersonalAgenda, current_personal_agenda
from alignment.database import UnitOfWork
from alignment.flags import StallFlag, flags_of
from alignment.roadmaps import RoadmapVersion, roadmap_versions_by_person
from alignment.rules.planning import Plan
from alignment.rules.progress import ItemProgress
from alignment.rules.quadrants import Alignment, Quadrant
from alignment.snapshots import ContextSnapshot, learner_alignments, learner_progress, load_snapshot
from alignment.sweeps import MomentumRecord


@dataclass(frozen=True)
class LearnerView:
    """A learner's page: their agenda, current roadmap with progress, its history, and where things fall."""

    person_id: int
    name: str
    agenda: PersonalAgenda | None
    roadmap: RoadmapVersion | None
    history: tuple[RoadmapVersion, ...]
    progress: dict[int, ItemProgress]
    alignments: dict[int, Alignment]
    titles: dict[int, str]
    flags: tuple[StallFlag, ...]
    momentum: int | None

    @property
    def plan(self) -> Plan | None:
        """The current roadmap's plan."""
        return self.roadmap.plan if self.roadmap else None

    def quadrant_counts(self) -> dict[Quadrant, int]:
        """How many opportunities fall in each quadrant for this learner."""
        counts = Counter(a.quadrant for a in self.alignments.values())
        return {quadrant: counts.get(quadrant, 0) for quadrant in Quadrant}


@dataclass(frozen=True)
class TeamRow:
    """One learner in a manager's team table."""

    person_id: int
    name: str
    momentum: int | None
    quadrant_mix: dict[Quadrant, int]
    items_done: int
    items_planned: int
    last_activity: datetime | None
    open_flags: tuple[StallFlag, ...]


def learner_view(uow: UnitOfWork, tenant_id: int, context_id: int, person_id: int, now: datetime) -> LearnerView:
    """Everything a learner's page shows, as of `now`."""
    snapshot = load_snapshot(uow, tenant_id, context_id, now, [person_id], with_roadmaps=False)
    versions = tuple(roadmap_versions_by_person(uow, tenant_id, context_id, [person_id], until=now).get(person_id, ()))
    member = next((m for m in snapshot.members if m.person.id == person_id), None)
    return LearnerView(
        person_id=person_id,
        name=member.person.name if member else "",
        agenda=current_personal_agenda(uow, tenant_id, person_id),
        roadmap=versions[-1] if versions else None,
        history=tuple(reversed(versions)),
        progress=dict(learner_progress(snapshot, person_id)),
        alignments=learner_alignments(snapshot, person_id) if member else {},
        titles={o.id: o.title for o in snapshot.opportunities},
        flags=tuple(flags_of(uow, tenant_id, context_id, person_id)),
        momentum=_momentum(uow, context_id, [person_id]).get(person_id),
    )


def team_view(
    uow: UnitOfWork, tenant_id: int, context_id: int, now: datetime, person_ids: list[int] | None = None
) -> list[TeamRow]:
    """The context's learners (all, or `person_ids`) with momentum, quadrant mix, progress and open flags."""
    snapshot = load_snapshot(uow, tenant_id, context_id, now, person_ids)
    ids = [m.person.id for m in snapshot.members]
    momentum = _momentum(uow, context_id, ids)
    flags: dict[int, list[StallFlag]] = {}
    for flag in flags_of(uow, tenant_id, context_id):
        flags.setdefault(flag.person_id, []).append(flag)
    return [_row(snapshot, m.person.id, m.person.name, momentum, flags) for m in snapshot.members]


def _row(
    snapshot: ContextSnapshot,
    person_id: int,
    name: str,
    momentum: dict[int, int],
    flags: dict[int, list[StallFlag]],
) -> TeamRow:
    state = snapshot.roadmaps.get(person_id)
    progress = learner_progress(snapshot, person_id)
    items = state.steps(progress) if state else ()
    mix = Counter(item.quadrant for item in items)
    learning = snapshot.learning.get(person_id)
    return TeamRow(
        person_id=person_id,
        name=name,
        momentum=momentum.get(person_id),
        quadrant_mix={quadrant: mix.get(quadrant, 0) for quadrant in Quadrant},
        items_done=sum(1 for i in items if i.finished),
        items_planned=len(items),
        last_activity=learning.last_activity_at if learning else None,
        open_flags=tuple(flags.get(person_id, ())),
    )


def _momentum(uow: UnitOfWork, context_id: int, person_ids: list[int]) -> dict[int, int]:
    if not person_ids:
        return {}
    latest = (
        select(MomentumRecord.person_id, func.max(MomentumRecord.day).label("day"))
        .where(MomentumRecord.context_id == context_id, MomentumRecord.person_id.in_(person_ids))
        .group_by(MomentumRecord.person_id)
        .subquery()
    )
    rows = uow.session.execute(
        select(MomentumRecord.person_id, MomentumRecord.score)
        .join(latest, (latest.c.person_id == MomentumRecord.person_id) & (latest.c.day == MomentumRecord.day))
        .where(MomentumRecord.context_id == context_id)
    )
    return {person: score for person, score in rows}


@dataclass(frozen=True)
class TeamQuadrants:
    """For one opportunity, how many of the team find it in each quadrant."""

    opportunity_id: int
    title: str
    effort_hours: float
    counts: dict[Quadrant, int]


def team_quadrants(
    uow: UnitOfWork, tenant_id: int, context_id: int, now: datetime, person_ids: list[int] | None = None
) -> list[TeamQuadrants]:
    """Where each opportunity falls across the team: the team's sweet spot, and where money goes to waste."""
    snapshot = load_snapshot(uow, tenant_id, context_id, now, person_ids)
    result = []
    for opportunity in snapshot.opportunities:
        counts = Counter(learner_alignments(snapshot, m.person.id)[opportunity.id].quadrant for m in snapshot.members)
        result.append(
            TeamQuadrants(
                opportunity.id,
                opportunity.title,
                opportunity.effort_hours,
                {quadrant: counts.get(quadrant, 0) for quadrant in Quadrant},
            )
        )
    return sorted(result, key=lambda t: (-t.counts[Quadrant.SWEET_SPOT], t.counts[Quadrant.WASTE], t.title))
