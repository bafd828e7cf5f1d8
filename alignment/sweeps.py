"""The stall sweep: evaluate every learner of a tenant's contexts, raise and clear flags, keep momentum.

Run periodically and on demand. With `record=False` it only reports, which is how `--as-of`
back-tests the rules on history without touching today's flags, and how `preview_policy` shows what
another policy would flag.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, UniqueConstraint, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column

from alignment.database import Base, UnitOfWork
from alignment.errors import InvalidInput
from alignment.flags import reconcile_context
from alignment.people import ContextRecord
from alignment.policies import Policy, get_policy
from alignment.roadmaps import latest_versions
from alignment.rules.momentum import Momentum, momentum
from alignment.rules.stalls import Finding, StallRule, evaluate
from alignment.snapshots import learner_situation, load_catalogue, load_snapshot, replanned


class MomentumRecord(Base):
    """A learner's momentum in a context on one day (the last sweep of the day wins)."""

    __tablename__ = "momentum_scores"
    __table_args__ = (UniqueConstraint("person_id", "context_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    context_id: Mapped[int] = mapped_column(ForeignKey("contexts.id", ondelete="CASCADE"))
    day: Mapped[date]
    score: Mapped[int] = mapped_column(Integer)
    parts: Mapped[list[dict[str, Any]]] = mapped_column(JSON)


@dataclass(frozen=True)
class LearnerResult:
    """What the sweep found for one learner in one context."""

    person_id: int
    learner_name: str
    lms_user_id: str | None
    context_id: int
    lms_context_id: str
    findings: tuple[Finding, ...]
    momentum: Momentum


@dataclass
class SweepReport:
    """What a sweep evaluated and changed."""

    as_of: datetime
    recorded: bool
    learners: list[LearnerResult] = field(default_factory=list)
    opened: int = 0
    updated: int = 0
    cleared: int = 0
    evaluated: int = 0
    """Learners evaluated (also when `learners` was not kept)."""
    flagged: int = 0
    """Learners with at least one finding."""


def sweep(
    uow: UnitOfWork,
    tenant_id: int,
    as_of: datetime,
    context_ids: Sequence[int] | None = None,
    record: bool = True,
    policy: Policy | None = None,
    learners: bool = True,
) -> SweepReport:
    """Evaluate the stall rules and momentum for every learner as of `as_of`; record flags if asked.

    With `policy`, the rules run under that policy instead of the tenant's, as if it had been saved at
    `as_of`: when its thresholds or gift budget plan differently, every roadmap is first re-planned in
    memory, as saving it would. Such a sweep only reports.

    With `learners=False` the report keeps only the counts (and `flagged`), not each learner's findings: a
    sweep of a large tenant that records its flags need not hold them all in memory.
    """
    if policy is not None and record:
        raise InvalidInput("a sweep under a policy that is not the tenant's cannot record flags")
    replans = policy is not None and not policy.plans_like(get_policy(uow, tenant_id))
    query = select(ContextRecord.id).where(ContextRecord.tenant_id == tenant_id).order_by(ContextRecord.id)
    if context_ids is not None:
        query = query.where(ContextRecord.id.in_(list(context_ids)))
    report = SweepReport(as_of=as_of, recorded=record)
    catalogue = load_catalogue(uow, tenant_id)
    for context_id in list(uow.session.scalars(query)):
        snapshot = load_snapshot(uow, tenant_id, context_id, as_of, catalogue=catalogue, policy=policy)
        if replans:
            people = [member.person.id for member in snapshot.members]
            snapshot = replanned(snapshot, latest_versions(uow, tenant_id, context_id, people))
        scores: dict[int, Momentum] = {}
        found: dict[int, list[Finding]] = {}
        for member in snapshot.members:
            situation = learner_situation(snapshot, member.person.id)
            findings = evaluate(situation, snapshot.policy.stall, as_of)
            score = momentum(situation, snapshot.policy.stall, as_of)
            report.evaluated += 1
            report.flagged += bool(findings)
            if learners:
                report.learners.append(
                    LearnerResult(
                        person_id=member.person.id,
                        learner_name=member.person.name,
                        lms_user_id=member.person.lms_user_id,
                        context_id=context_id,
                        lms_context_id=snapshot.context.lms_context_id,
                        findings=tuple(findings),
                        momentum=score,
                    )
                )
            if record:
                found[member.person.id] = findings
                scores[member.person.id] = score
        if record:
            for changes in reconcile_context(uow, tenant_id, context_id, found, as_of).values():
                report.opened += len(changes.opened)
                report.updated += len(changes.updated)
                report.cleared += len(changes.cleared)
            _keep_momentum(uow, tenant_id, context_id, as_of.date(), scores)
    return report


@dataclass(frozen=True)
class RuleCounts:
    """How many learners a sweep flagged, by rule and in all (a learner counts once however many courses)."""

    learners: int
    flagged: int
    by_rule: dict[StallRule, int]


@dataclass(frozen=True)
class PolicyPreview:
    """What the stall rules flag today under the tenant's policy and under a proposed one."""

    as_of: datetime
    current: RuleCounts
    proposed: RuleCounts
    replans: bool
    """True when the proposed policy plans differently, so saving it re-plans every roadmap."""


def preview_policy(uow: UnitOfWork, tenant_id: int, proposed: Policy, as_of: datetime) -> PolicyPreview:
    """Sweep as of `as_of` under the tenant's policy and under `proposed`, recording nothing, and count."""
    current = sweep(uow, tenant_id, as_of, record=False)
    then = sweep(uow, tenant_id, as_of, record=False, policy=proposed)
    return PolicyPreview(as_of, _counts(current), _counts(then), not proposed.plans_like(get_policy(uow, tenant_id)))


def _counts(report: SweepReport) -> RuleCounts:
    people: dict[StallRule, set[int]] = {rule: set() for rule in StallRule}
    for result in report.learners:
        for finding in result.findings:
            people[finding.rule].add(result.person_id)
    return RuleCounts(
        learners=len({result.person_id for result in report.learners}),
        flagged=len(set().union(*people.values())),
        by_rule={rule: len(found) for rule, found in people.items()},
    )


def _keep_momentum(uow: UnitOfWork, tenant_id: int, context_id: int, day: date, scores: dict[int, Momentum]) -> None:
    """Upsert the day's score of each learner of the context, in one statement (the last sweep of a day wins)."""
    if not scores:
        return
    rows = [
        {
            "tenant_id": tenant_id,
            "person_id": person_id,
            "context_id": context_id,
            "day": day,
            "score": score.score,
            "parts": [
                {"name": p.name, "value": round(p.value, 4), "weight": p.weight, "detail": p.detail}
                for p in score.parts
            ],
        }
        for person_id, score in scores.items()
    ]
    make = postgresql.insert if uow.session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = make(MomentumRecord)
    upsert = statement.on_conflict_do_update(
        index_elements=["person_id", "context_id", "day"],
        set_={"score": statement.excluded.score, "parts": statement.excluded.parts},
    )
    for start in range(0, len(rows), 1000):
        uow.session.execute(upsert, rows[start : start + 1000])
