"""The team learning objective: one per context and quarter, with key results computed from the data.

Learning as a team OKR: the manager writes the objective and picks key results with targets; the
values come from roadmaps, progress and flags, never from self-reporting, and are traced over the
quarter week by week.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from sqlalchemy import Float, ForeignKey, String, Text, UniqueConstraint, delete, select
from sqlalchemy.orm import Mapped, mapped_column

from alignment import sentences
from alignment.database import Base, UnitOfWork, utcnow
from alignment.errors import InvalidInput, NotFound
from alignment.flags import StallFlagRecord
from alignment.people import get_context
from alignment.rules.quadrants import Quadrant
from alignment.snapshots import ContextSnapshot, learner_alignments, learner_progress, load_snapshot

QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
RESOLVED_WITHIN_DAYS = 14


class KeyResultKind(StrEnum):
    """What a key result measures."""

    SWEET_SPOT_IN_PROGRESS = "sweet_spot_in_progress"
    UPHILL_STARTED = "uphill_started"
    MANDATORY_ON_TIME = "mandatory_on_time"
    FLAGS_RESOLVED_IN_14_DAYS = "flags_resolved_in_14_days"

    @property
    def description(self) -> str:
        """What the number means, in a manager's words."""
        return {
            KeyResultKind.SWEET_SPOT_IN_PROGRESS: "share of the team with a sweet-spot item in progress",
            KeyResultKind.UPHILL_STARTED: "share of uphill items on roadmaps that have been started",
            KeyResultKind.MANDATORY_ON_TIME: "share of mandatory items due so far that were finished on time",
            KeyResultKind.FLAGS_RESOLVED_IN_14_DAYS: "share of this quarter's flags resolved within 14 days",
        }[self]


class ObjectiveRecord(Base):
    """A team's learning objective for a quarter."""

    __tablename__ = "team_objectives"
    __table_args__ = (UniqueConstraint("context_id", "quarter"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    context_id: Mapped[int] = mapped_column(ForeignKey("contexts.id", ondelete="CASCADE"))
    quarter: Mapped[str] = mapped_column(String(7))
    statement: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime]


class KeyResultRecord(Base):
    """A key result of an objective: what is measured and the target share."""

    __tablename__ = "team_key_results"

    objective_id: Mapped[int] = mapped_column(ForeignKey("team_objectives.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    target: Mapped[float] = mapped_column(Float)


@dataclass(frozen=True)
class KeyResultValue:
    """A key result at one moment."""

    kind: KeyResultKind
    target: float
    value: float | None
    numerator: int
    denominator: int

    @property
    def met(self) -> bool:
        """True once the value reaches the target."""
        return self.value is not None and self.value >= self.target


@dataclass(frozen=True)
class TeamObjective:
    """The objective with its key results as of now and their weekly trend."""

    context_id: int
    quarter: str
    statement: str
    key_results: tuple[KeyResultValue, ...]
    trend: tuple[tuple[date, tuple[KeyResultValue, ...]], ...]


def quarter_bounds(quarter: str) -> tuple[date, date]:
    """First day of the quarter and first day of the next one."""
    match = QUARTER.fullmatch(quarter)
    if not match:
        raise InvalidInput(sentences.REFUSED_QUARTER(got=quarter))
    year, q = int(match[1]), int(match[2])
    start = date(year, 3 * q - 2, 1)
    end = date(year + (q == 4), 1 if q == 4 else 3 * q + 1, 1)
    return start, end


def set_objective(
    uow: UnitOfWork,
    tenant_id: int,
    context_id: int,
    quarter: str,
    statement: str,
    targets: Mapping[str, float],
    author_id: int | None = None,
) -> None:
    """Set the context's objective for the quarter, replacing any earlier one."""
    get_context(uow, tenant_id, context_id)
    quarter_bounds(quarter)
    statement = " ".join(statement.split())
    if not statement or len(statement) > 500:
        raise InvalidInput(sentences.REFUSED_OBJECTIVE(most=500))
    if not targets:
        raise InvalidInput(sentences.REFUSED_NO_KEY_RESULT())
    checked: dict[KeyResultKind, float] = {}
    for kind, target in targets.items():
        try:
            checked[KeyResultKind(kind)] = target
        except ValueError:
            known = ", ".join(k.value for k in KeyResultKind)
            raise InvalidInput(sentences.REFUSED_KEY_RESULT(kind=kind, known=known)) from None
        if not 0 < target <= 1:
            raise InvalidInput(sentences.REFUSED_TARGET(kind=kind, got=target))
    record = uow.session.scalar(
        select(ObjectiveRecord).where(ObjectiveRecord.context_id == context_id, ObjectiveRecord.quarter == quarter)
    )
    if record is None:
        record = ObjectiveRecord(tenant_id=tenant_id, context_id=context_id, quarter=quarter)
        uow.session.add(record)
    record.statement, record.author_id, record.updated_at = statement, author_id, utcnow()
    uow.session.flush()
    uow.session.execute(delete(KeyResultRecord).where(KeyResultRecord.objective_id == record.id))
    uow.session.add_all(KeyResultRecord(objective_id=record.id, kind=k.value, target=t) for k, t in checked.items())
    uow.session.flush()


def team_objective(uow: UnitOfWork, tenant_id: int, context_id: int, quarter: str, now: datetime) -> TeamObjective:
    """The objective with each key result as of `now` and at the end of every week of the quarter so far."""
    record = uow.session.scalar(
        select(ObjectiveRecord).where(
            ObjectiveRecord.tenant_id == tenant_id,
            ObjectiveRecord.context_id == context_id,
            ObjectiveRecord.quarter == quarter,
        )
    )
    if record is None:
        raise NotFound(sentences.NOT_FOUND_OBJECTIVE(quarter=quarter, context=str(context_id)))
    targets = {
        KeyResultKind(r.kind): r.target
        for r in uow.session.scalars(select(KeyResultRecord).where(KeyResultRecord.objective_id == record.id))
    }
    start, end = quarter_bounds(quarter)
    moments = []
    week_end = start + timedelta(days=7)
    while week_end < min(end, now.date() + timedelta(days=1)):
        moments.append(datetime.combine(week_end, time(), UTC))
        week_end += timedelta(days=7)
    trend = tuple((moment.date(), _values(uow, tenant_id, context_id, targets, moment, start)) for moment in moments)
    return TeamObjective(
        context_id=context_id,
        quarter=quarter,
        statement=record.statement,
        key_results=_values(uow, tenant_id, context_id, targets, now, start),
        trend=trend,
    )


def _values(
    uow: UnitOfWork,
    tenant_id: int,
    context_id: int,
    targets: Mapping[KeyResultKind, float],
    moment: datetime,
    quarter_start: date,
) -> tuple[KeyResultValue, ...]:
    snapshot = load_snapshot(uow, tenant_id, context_id, moment)
    values = []
    for kind, target in targets.items():
        if kind is KeyResultKind.FLAGS_RESOLVED_IN_14_DAYS:
            numerator, denominator = _flags_resolved(uow, context_id, quarter_start, moment)
        else:
            numerator, denominator = _from_roadmaps(snapshot, kind)
        value = numerator / denominator if denominator else None
        values.append(KeyResultValue(kind, target, value, numerator, denominator))
    return tuple(values)


def _from_roadmaps(snapshot: ContextSnapshot, kind: KeyResultKind) -> tuple[int, int]:
    numerator = denominator = 0
    today = snapshot.as_of.date()
    for member in snapshot.members:
        person = member.person.id
        progress = learner_progress(snapshot, person)
        state = snapshot.roadmaps.get(person)
        items = state.steps(progress) if state else ()
        if kind is KeyResultKind.SWEET_SPOT_IN_PROGRESS:
            alignments = learner_alignments(snapshot, person)
            denominator += 1
            numerator += any(
                alignments[o].quadrant is Quadrant.SWEET_SPOT and p.started and not p.finished
                for o, p in progress.items()
                if o in alignments
            )
        elif kind is KeyResultKind.UPHILL_STARTED:
            uphill = [i for i in items if i.quadrant is Quadrant.UPHILL]
            denominator += len(uphill)
            numerator += sum(1 for i in uphill if i.opportunity_id in progress)
        elif kind is KeyResultKind.MANDATORY_ON_TIME:
            due = [i for i in items if i.due is not None and i.due <= today]
            denominator += len(due)
            numerator += sum(
                1
                for i in due
                if (p := progress.get(i.opportunity_id)) is not None
                and p.finished_at is not None
                and i.due is not None
                and p.finished_at.date() <= i.due
            )
    return numerator, denominator


def _flags_resolved(uow: UnitOfWork, context_id: int, quarter_start: date, moment: datetime) -> tuple[int, int]:
    since = datetime.combine(quarter_start, time(), UTC)
    flags = list(
        uow.session.scalars(
            select(StallFlagRecord).where(
                StallFlagRecord.context_id == context_id,
                StallFlagRecord.opened_at >= since,
                StallFlagRecord.opened_at < moment,
            )
        )
    )
    # Only flags old enough to have had their 14 days count against the team.
    judged = [f for f in flags if f.opened_at + timedelta(days=RESOLVED_WITHIN_DAYS) <= moment or f.resolved_at]
    resolved = [
        f
        for f in judged
        if f.resolved_at is not None
        and f.resolved_at <= moment
        and f.resolved_at - f.opened_at <= timedelta(days=RESOLVED_WITHIN_DAYS)
    ]
    return len(resolved), len(judged)
