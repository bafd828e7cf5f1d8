"""Roadmap versions: every plan a learner was given in a context, with what changed and why.

A new version is kept whenever a re-plan changes the plan. Versions made because the scope changed
(an agenda or the opportunities) are the baseline that behind-pace detection measures slips from;
versions made because of progress are not.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from functools import cache, cached_property
from typing import Any

import orjson
from sqlalchemy import (
    JSON,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    bindparam,
    case,
    cast,
    func,
    insert,
    select,
)
from sqlalchemy.orm import Mapped, aliased, mapped_column

from alignment import sentences
from alignment.database import Base, UnitOfWork, among, among_param, dialect_of
from alignment.messages import Message
from alignment.rules.planning import LeftOut, Plan, PlannedItem
from alignment.rules.progress import ItemProgress
from alignment.rules.quadrants import Quadrant
from alignment.rules.stalls import Step


class Trigger(StrEnum):
    """What made Sweetspot re-plan."""

    FIRST = "first"
    AGENDA = "agenda"
    ORG_AGENDA = "org_agenda"
    OPPORTUNITIES = "opportunities"
    POLICY = "policy"
    PROGRESS = "progress"

    @property
    def rescopes(self) -> bool:
        """True when the plan's scope changed, not just its progress."""
        return self is not Trigger.PROGRESS


class RoadmapRecord(Base):
    """One version of a learner's roadmap in a context."""

    __tablename__ = "roadmaps"
    __table_args__ = (UniqueConstraint("person_id", "context_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    context_id: Mapped[int] = mapped_column(ForeignKey("contexts.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime]
    trigger: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | dict[str, Any]] = mapped_column(JSON)
    """Why it was re-planned, as a message (`Message.to_json`)."""
    changes: Mapped[list[str | dict[str, Any]]] = mapped_column(JSON)
    """What changed from the version before, as messages."""
    starts_on: Mapped[date]
    weekly_hours: Mapped[float] = mapped_column(Float)
    projected_finish: Mapped[date | None]
    plan: Mapped[dict[str, Any]] = mapped_column(JSON)
    steps: Mapped[str | None] = mapped_column(Text)
    """The plan's items as stall rules read them, as compact JSON (`steps_text`): what a sweep reads instead of
    the whole plan. Versions stored before it was kept have none; their plan is read instead."""


@dataclass(frozen=True)
class RoadmapVersion:
    """A stored roadmap with the story of why it was made."""

    person_id: int
    context_id: int
    version: int
    created_at: datetime
    trigger: Trigger
    reason: Message
    changes: tuple[Message, ...]
    stored: Plan | str = field(repr=False, compare=False)
    """The plan, or the JSON text it is stored as: read into a plan only when it is needed (a re-plan
    compares texts, and most plans come out unchanged)."""

    @cached_property
    def plan(self) -> Plan:
        """The plan."""
        return self.stored if isinstance(self.stored, Plan) else plan_from_text(self.stored)

    @cached_property
    def plan_text(self) -> str:
        """The plan as stored: JSON text."""
        return self.stored if isinstance(self.stored, str) else plan_text(self.stored)

    @property
    def rescoped(self) -> bool:
        """True when this version started from a change of scope."""
        return self.trigger.rescopes


def next_version(
    tenant_id: int,
    person_id: int,
    context_id: int,
    plan: Plan,
    trigger: Trigger,
    reason: Message,
    previous: RoadmapVersion | None,
    now: datetime,
) -> tuple[RoadmapVersion, dict[str, Any] | None]:
    """`plan` as the next version made at `now`, with the row to store (`store_versions`) — or `previous` and
    no row when it is the same plan."""
    text = plan_text(plan)
    # The same text is the same plan. Plans are plain values that survive JSON unchanged, so a stored plan
    # written another way (an older release) is compared as a plan.
    if previous is not None and (previous.plan_text == text or previous.plan == plan):
        return previous, None
    version = RoadmapVersion(
        person_id=person_id,
        context_id=context_id,
        version=previous.version + 1 if previous else 1,
        created_at=now,
        trigger=trigger if previous else Trigger.FIRST,
        reason=reason,
        changes=describe_changes(previous.plan if previous else None, plan),
        stored=plan,
    )
    row = {
        "tenant_id": tenant_id,
        "person_id": person_id,
        "context_id": context_id,
        "version": version.version,
        "created_at": now,
        "trigger": version.trigger.value,
        "reason": reason.to_json(),
        "changes": [change.to_json() for change in version.changes],
        "starts_on": plan.starts_on,
        "weekly_hours": plan.weekly_hours,
        "projected_finish": plan.projected_finish,
        "plan_text": text,
        "steps": steps_text(plan),
    }
    return version, row


def store_versions(uow: UnitOfWork, rows: Sequence[dict[str, Any]]) -> None:
    """Insert the rows of new versions (`next_version`) in one statement."""
    if not rows:
        return
    uow.session.execute(_version_insert(dialect_of(uow)), list(rows))


@cache
def _version_insert(dialect: str) -> Any:
    """Insert versions (Core: lighter than the ORM's bulk insert), the plan given as JSON text `plan_text`."""
    text = bindparam("plan_text", type_=Text)
    # PostgreSQL converts the text to its json type when asked; SQLite keeps JSON as text (and its CAST would not).
    table: Any = RoadmapRecord.__table__
    return insert(table).values(plan=cast(text, JSON) if dialect == "postgresql" else text)


@dataclass(frozen=True)
class RoadmapState:
    """A learner's roadmap in a context at a moment: its current version's items (as stall rules read them),
    when the first version was made, and the start and projected finish of the newest version that changed
    the roadmap's scope (the baseline that behind-pace detection measures slips from)."""

    version: int
    first_made_at: datetime
    baseline_start: date | None
    baseline_finish: date | None
    stored_steps: str = field(repr=False)
    """`steps_text` of the current version, or its whole plan's text for a version stored without it."""

    def steps(self, progress: Mapping[int, ItemProgress], days: dict[str, date] | None = None) -> tuple[Step, ...]:
        """The current version's items, each finished or not by `progress`; `days` keeps dates already read
        (plans of one context share most of theirs)."""
        data = orjson.loads(self.stored_steps)
        rows = data if isinstance(data, list) else [_step_row(item) for item in data["items"]]
        known = days if days is not None else {}
        for row in rows:
            for text in (row[3], row[4]):
                if text and text not in known:
                    known[text] = date.fromisoformat(text)
        return tuple(
            Step(
                opportunity_id,
                title,
                _QUADRANTS[quadrant],
                known[finish],
                opportunity_id in progress and progress[opportunity_id].finished,
                known[due] if due else None,
                org_why,
            )
            for opportunity_id, title, quadrant, finish, due, org_why in rows
        )


def roadmap_states(
    uow: UnitOfWork, tenant_id: int, context_id: int, person_ids: Sequence[int], until: datetime | None = None
) -> dict[int, RoadmapState]:
    """Each person's roadmap state in the context (from versions made before `until`, if given), in one
    query whatever their number; only the current version's plan is read."""
    if not person_ids:
        return {}
    r = RoadmapRecord
    where = [r.tenant_id == tenant_id, r.context_id == context_id, among(uow, r.person_id, person_ids)]
    if until is not None:
        where.append(r.created_at < until)
    summary = (
        select(
            r.person_id.label("person_id"),
            func.max(r.version).label("version"),
            func.min(r.created_at).label("first_made_at"),
            func.max(case((r.trigger != Trigger.PROGRESS.value, r.version))).label("rescoped"),
        )
        .where(*where)
        .group_by(r.person_id)
        .subquery()
    )
    current, baseline = aliased(RoadmapRecord), aliased(RoadmapRecord)
    rows = uow.session.execute(
        select(
            summary.c.person_id,
            summary.c.version,
            summary.c.first_made_at,
            baseline.starts_on,
            baseline.projected_finish,
            current.steps,
            case((current.steps.is_(None), cast(current.plan, Text))),
        )
        .join(
            current,
            (current.context_id == context_id)
            & (current.person_id == summary.c.person_id)
            & (current.version == summary.c.version),
        )
        .outerjoin(
            baseline,
            (baseline.context_id == context_id)
            & (baseline.person_id == summary.c.person_id)
            & (baseline.version == summary.c.rescoped),
        )
    )
    return {
        person: RoadmapState(
            version=version,
            first_made_at=first,
            baseline_start=starts,
            baseline_finish=finish,
            stored_steps=steps or plan,
        )
        for person, version, first, starts, finish, steps, plan in rows
    }


def latest_version(uow: UnitOfWork, tenant_id: int, person_id: int, context_id: int) -> RoadmapVersion | None:
    """The learner's newest roadmap in the context, or None before their first."""
    record = uow.session.scalar(
        select(RoadmapRecord)
        .where(
            RoadmapRecord.tenant_id == tenant_id,
            RoadmapRecord.person_id == person_id,
            RoadmapRecord.context_id == context_id,
        )
        .order_by(RoadmapRecord.version.desc())
        .limit(1)
    )
    return _version(record) if record else None


def latest_versions(
    uow: UnitOfWork, tenant_id: int, context_id: int, person_ids: Sequence[int]
) -> dict[int, RoadmapVersion]:
    """Each person's newest roadmap in the context, in one query whatever their number (plans read as text)."""
    if not person_ids:
        return {}
    rows = uow.session.execute(
        _latest_query(dialect_of(uow)), {"tenant_id": tenant_id, "context_id": context_id, "people": list(person_ids)}
    )
    return {
        person: RoadmapVersion(person, context_id, version, made, Trigger(trigger), reason, changes, plan)
        for person, version, made, trigger, reason, changes, plan in rows
    }


@cache
def _latest_query(dialect: str) -> Any:
    """The newest version of each of the learners `people` in the context, its plan read as text."""
    r = RoadmapRecord
    context = r.context_id == bindparam("context_id")
    newest = (
        select(r.person_id, func.max(r.version).label("version"))
        .where(r.tenant_id == bindparam("tenant_id"), context, among_param(dialect, r.person_id, "people"))
        .group_by(r.person_id)
        .subquery()
    )
    return (
        select(r.person_id, r.version, r.created_at, r.trigger, r.reason, r.changes, cast(r.plan, Text))
        .join(newest, (newest.c.person_id == r.person_id) & (newest.c.version == r.version))
        .where(context)
    )


def roadmap_versions_by_person(
    uow: UnitOfWork, tenant_id: int, context_id: int, person_ids: Sequence[int], until: datetime | None = None
) -> dict[int, list[RoadmapVersion]]:
    """Each person's roadmap versions in the context, oldest first (made before `until`, if given)."""
    result: dict[int, list[RoadmapVersion]] = defaultdict(list)
    if not person_ids:
        return result
    query = select(RoadmapRecord).where(
        RoadmapRecord.tenant_id == tenant_id,
        RoadmapRecord.context_id == context_id,
        among(uow, RoadmapRecord.person_id, person_ids),
    )
    if until is not None:
        query = query.where(RoadmapRecord.created_at < until)
    for record in uow.session.scalars(query.order_by(RoadmapRecord.person_id, RoadmapRecord.version)):
        result[record.person_id].append(_version(record))
    return result


def describe_changes(previous: Plan | None, plan: Plan) -> tuple[Message, ...]:
    """What a new plan changes, in sentences people read on their roadmap's history."""
    if previous is None:
        return (sentences.CHANGES_FIRST(num=len(plan.items)),)
    before = {item.opportunity_id: item for item in previous.items}
    after = {item.opportunity_id: item for item in plan.items}
    parts = []
    added = [item.title for item in plan.items if item.opportunity_id not in before]
    dropped = [item.title for item in previous.items if item.opportunity_id not in after]
    if added:
        parts.append(sentences.CHANGES_ADDED(titles=added))
    if dropped:
        parts.append(sentences.CHANGES_DROPPED(titles=dropped))
    if previous.projected_finish and plan.projected_finish and previous.projected_finish != plan.projected_finish:
        shift = (plan.projected_finish - previous.projected_finish).days
        moved = sentences.CHANGES_LATER if shift > 0 else sentences.CHANGES_EARLIER
        parts.append(moved(num=abs(shift)))
    if not parts:
        parts.append(sentences.CHANGES_ADJUSTED())
    return tuple(parts)


def plan_to_json(plan: Plan) -> dict[str, Any]:
    """The plan as JSON-safe values (quadrants are `str` enums: JSON writes their value)."""
    days: dict[date, str] = {}
    for item in plan.items:
        for day in (item.start, item.finish, item.due):
            if day is not None and day not in days:
                days[day] = day.isoformat()
    return {
        "starts_on": plan.starts_on.isoformat(),
        "weekly_hours": plan.weekly_hours,
        "items": [
            {
                "opportunity_id": i.opportunity_id,
                "title": i.title,
                "quadrant": i.quadrant,
                "reason": i.reason.to_json(),
                "hours": i.hours,
                "start": days[i.start],
                "finish": days[i.finish],
                "org_why": i.org_why,
                "due": days[i.due] if i.due else None,
                "prerequisite_of": list(i.prerequisite_of),
            }
            for i in plan.items
        ],
        "left_out": [
            {
                "opportunity_id": o.opportunity_id,
                "title": o.title,
                "quadrant": o.quadrant,
                "reason": o.reason.to_json(),
            }
            for o in plan.left_out
        ],
    }


def steps_text(plan: Plan) -> str:
    """The plan's items as stall rules read them: a compact JSON list, a tenth of the whole plan."""
    return orjson.dumps(
        [
            [
                i.opportunity_id,
                i.title,
                i.quadrant.value,
                i.finish.isoformat(),
                i.due.isoformat() if i.due else None,
                i.org_why,
            ]
            for i in plan.items
        ]
    ).decode()


def _step_row(item: dict[str, Any]) -> list[Any]:
    return [item["opportunity_id"], item["title"], item["quadrant"], item["finish"], item["due"], item["org_why"]]


def plan_text(plan: Plan) -> str:
    """The plan as the JSON text it is stored as (with orjson: several times faster than the json module)."""
    return orjson.dumps(plan_to_json(plan)).decode()


def plan_from_text(stored: str | dict[str, Any]) -> Plan:
    """The plan stored by `plan_to_json`, from its JSON text (read as text: parsed here, faster)."""
    return plan_from_json(orjson.loads(stored) if isinstance(stored, str | bytes) else stored)


def plan_from_json(data: dict[str, Any]) -> Plan:
    """The plan stored by `plan_to_json` (reasons stored as English text before they were messages are kept
    verbatim)."""
    return Plan(
        starts_on=date.fromisoformat(data["starts_on"]),
        weekly_hours=data["weekly_hours"],
        items=tuple(
            PlannedItem(
                opportunity_id=i["opportunity_id"],
                title=i["title"],
                quadrant=_QUADRANTS[i["quadrant"]],
                reason=Message.from_json(i["reason"]),
                hours=i["hours"],
                start=date.fromisoformat(i["start"]),
                finish=date.fromisoformat(i["finish"]),
                org_why=i["org_why"],
                due=date.fromisoformat(i["due"]) if i["due"] else None,
                prerequisite_of=tuple(i["prerequisite_of"]),
            )
            for i in data["items"]
        ),
        left_out=tuple(
            LeftOut(o["opportunity_id"], o["title"], _QUADRANTS[o["quadrant"]], Message.from_json(o["reason"]))
            for o in data["left_out"]
        ),
    )


_QUADRANTS = {quadrant.value: quadrant for quadrant in Quadrant}
"""Quadrants by stored value: a dictionary look-up is much cheaper than calling the enum, per item read."""


def _version(record: RoadmapRecord) -> RoadmapVersion:
    return RoadmapVersion(
        person_id=record.person_id,
        context_id=record.context_id,
        version=record.version,
        created_at=record.created_at,
        trigger=Trigger(record.trigger),
        reason=Message.from_json(record.reason),
        changes=tuple(Message.from_json(change) for change in record.changes),
        stored=plan_from_json(record.plan),
    )
