"""Momentum and open flags written back to the platform's gradebook (LTI Assignment and Grade Services 2.0).

Each context gets one "Learning momentum" line item, found by its tag and resource id or created
(AGS §3.2). Each learner's score is their momentum (0–100) with a one-sentence comment naming their
open flags. What should be in the gradebook is kept in an outbox per context and learner next to
what was last sent, so a change is never lost: `mark_scores_due` compares and marks what differs,
`push_scores` sends everything due for a context in one batch and records success or the failure
(status, error text, attempts, next retry) where the admin sees it. A failed score stays due and is
tried again with exponential backoff until the platform takes it.

activityProgress (AGS §3.4.6) says how far the learner is through their roadmap: Initialized before
any learning activity, Started after some, InProgress once a roadmap item is finished, Completed when
every item is. gradingProgress (§3.4.7) is FullyGraded when a sweep has scored the learner's
momentum, and Pending, without a scoreGiven, for a learner on the roster the sweep has not scored yet.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column

from alignment.database import Base, UnitOfWork, UnitOfWorkFactory
from alignment.errors import NotFound
from alignment.events import LearningEventRecord
from alignment.flags import flags_of
from alignment.people import ContextRecord, PersonRecord, Role, get_context, roster
from alignment.rules.stalls import StallRule
from alignment.sweeps import MomentumRecord
from lti_tool.registrations import Registration, ServiceLinkRecord, registration_by_id
from lti_tool.services import PlatformClient, ServiceError, with_path_suffix, with_query

log = structlog.get_logger(__name__)

SCOPE_LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
SCOPE_LINEITEM_READONLY = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly"
SCOPE_SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
LINEITEM_CONTAINER = "application/vnd.ims.lis.v2.lineitemcontainer+json"
LINEITEM = "application/vnd.ims.lis.v2.lineitem+json"
SCORE = "application/vnd.ims.lis.v1.score+json"

MOMENTUM_TAG = "sweetspot-momentum"
MOMENTUM_RESOURCE_ID = "sweetspot-momentum"
MOMENTUM_LABEL = "Learning momentum"
SCORE_MAXIMUM = 100
MAX_PAGES = 1000

RETRY_FIRST = timedelta(minutes=1)
RETRY_LONGEST = timedelta(hours=6)
"""A failed score is due again after 1, 2, 4, … minutes, at most six hours apart, until it is taken."""


class MomentumLineItemRecord(Base):
    """The URL of a context's "Learning momentum" line item at one platform."""

    __tablename__ = "lti_momentum_line_items"
    __table_args__ = (UniqueConstraint("registration_id", "context_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("lti_registrations.id", ondelete="CASCADE"))
    context_id: Mapped[int] = mapped_column(ForeignKey("contexts.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    created: Mapped[bool]
    """Whether Sweetspot created it (else it was found)."""
    recorded_at: Mapped[datetime]


class ScoreOutboxRecord(Base):
    """What the gradebook should say for one learner in one context, what it was last told, and how sending went."""

    __tablename__ = "lti_score_outbox"
    __table_args__ = (UniqueConstraint("context_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    context_id: Mapped[int] = mapped_column(ForeignKey("contexts.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    due: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    """The score still to send (None when the gradebook is up to date)."""
    due_since: Mapped[datetime | None]
    sent: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    sent_at: Mapped[datetime | None]
    state: Mapped[str] = mapped_column(String(10))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_attempt_at: Mapped[datetime | None]
    next_attempt_at: Mapped[datetime | None] = mapped_column(index=True)


@dataclass(frozen=True)
class WantedScore:
    """What the gradebook should show for a learner."""

    score: int | None
    comment: str
    activity_progress: str
    grading_progress: str

    def as_json(self) -> dict[str, Any]:
        """The values as the outbox stores them."""
        return {
            "score": self.score,
            "comment": self.comment,
            "activity_progress": self.activity_progress,
            "grading_progress": self.grading_progress,
        }


@dataclass(frozen=True)
class ScoreStatus:
    """One learner's write-back as the admin sees it."""

    context: str
    context_title: str
    learner: str
    lms_user_id: str | None
    state: str
    due: dict[str, Any] | None
    sent: dict[str, Any] | None
    sent_at: datetime | None
    attempts: int
    last_status: int | None
    last_error: str | None
    next_attempt_at: datetime | None


@dataclass
class PushReport:
    """What one batch sent and what failed."""

    context_id: int
    line_item: str | None = None
    line_item_created: bool = False
    sent: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)
    transient: bool = False


def comment_for(rules: list[StallRule]) -> str:
    """One sentence naming the open flags, in the rules' fixed order."""
    if not rules:
        return "No open flags."
    ordered = [rule for rule in StallRule if rule in rules]
    return "Open flags: " + ", ".join(rule.label.lower() for rule in ordered) + "."


def activity_progress_for(parts: list[dict[str, Any]] | None, has_activity: bool) -> str:
    """AGS activityProgress from the roadmap's share finished (the momentum part `progress`) and any activity."""
    progress = next((float(p.get("value", 0)) for p in parts or [] if p.get("name") == "progress"), 0.0)
    if progress >= 1.0:
        return "Completed"
    if progress > 0:
        return "InProgress"
    return "Started" if has_activity else "Initialized"


def wanted_scores(uow: UnitOfWork, tenant_id: int, context_id: int) -> dict[int, WantedScore]:
    """What the gradebook should show for every active learner of the context the LMS knows."""
    context = get_context(uow, tenant_id, context_id)
    learners = [m.person for m in roster(uow, context, Role.LEARNER) if m.person.lms_user_id]
    ids = [p.id for p in learners]
    latest: dict[int, MomentumRecord] = {}
    for record in uow.session.scalars(
        select(MomentumRecord)
        .where(MomentumRecord.context_id == context_id, MomentumRecord.person_id.in_(ids))
        .order_by(MomentumRecord.day.desc(), MomentumRecord.id.desc())
    ):
        latest.setdefault(record.person_id, record)
    active = set(
        uow.session.scalars(
            select(LearningEventRecord.person_id)
            .where(LearningEventRecord.tenant_id == tenant_id, LearningEventRecord.person_id.in_(ids))
            .distinct()
        )
    )
    open_rules: dict[int, list[StallRule]] = {}
    for flag in flags_of(uow, tenant_id, context_id=context_id):
        open_rules.setdefault(flag.person_id, []).append(flag.rule)
    wanted = {}
    for person in learners:
        momentum = latest.get(person.id)
        wanted[person.id] = WantedScore(
            score=momentum.score if momentum else None,
            comment=comment_for(open_rules.get(person.id, [])),
            activity_progress=activity_progress_for(momentum.parts if momentum else None, person.id in active),
            grading_progress="FullyGraded" if momentum else "Pending",
        )
    return wanted


def graded_contexts(uow: UnitOfWork, tenant_id: int) -> list[int]:
    """The tenant's contexts whose launches named an AGS line items URL."""
    return list(
        uow.session.scalars(
            select(ServiceLinkRecord.context_id)
            .join(ContextRecord, ContextRecord.id == ServiceLinkRecord.context_id)
            .where(ContextRecord.tenant_id == tenant_id, ServiceLinkRecord.lineitems_url.is_not(None))
            .distinct()
            .order_by(ServiceLinkRecord.context_id)
        )
    )


def mark_scores_due(uow: UnitOfWork, tenant_id: int, now: datetime) -> list[int]:
    """Mark due every learner's score that differs from what was last sent or is due; return those contexts."""
    changed = []
    for context_id in graded_contexts(uow, tenant_id):
        rows = {
            r.person_id: r
            for r in uow.session.scalars(select(ScoreOutboxRecord).where(ScoreOutboxRecord.context_id == context_id))
        }
        marked = False
        for person_id, wanted in wanted_scores(uow, tenant_id, context_id).items():
            values = wanted.as_json()
            row = rows.get(person_id)
            if row is None:
                row = ScoreOutboxRecord(
                    tenant_id=tenant_id, context_id=context_id, person_id=person_id, state="due", attempts=0
                )
                uow.session.add(row)
            elif (row.due if row.due is not None else row.sent) == values:
                continue
            row.due = values
            row.due_since = now
            if row.state != "failed":
                row.state = "due"
                row.next_attempt_at = now
            marked = True
        if marked:
            changed.append(context_id)
    uow.session.flush()
    return changed


def contexts_ready(uow: UnitOfWork, tenant_id: int | None, now: datetime) -> list[int]:
    """Contexts with a score due whose next attempt time has come (new ones, and failed ones after backoff)."""
    query = select(ScoreOutboxRecord.context_id).where(
        ScoreOutboxRecord.due.is_not(None), ScoreOutboxRecord.next_attempt_at <= now
    )
    if tenant_id is not None:
        query = query.where(ScoreOutboxRecord.tenant_id == tenant_id)
    return sorted(set(uow.session.scalars(query)))


def retry_now(uow: UnitOfWork, tenant_id: int, now: datetime) -> list[int]:
    """Make every failed score of the tenant due at once; return the contexts to push."""
    rows = list(
        uow.session.scalars(
            select(ScoreOutboxRecord).where(
                ScoreOutboxRecord.tenant_id == tenant_id, ScoreOutboxRecord.due.is_not(None)
            )
        )
    )
    for row in rows:
        row.next_attempt_at = now
    uow.session.flush()
    return sorted({row.context_id for row in rows})


def push_scores(unit_of_work: UnitOfWorkFactory, client: PlatformClient, context_id: int, now: datetime) -> PushReport:
    """Send every score due for the context in one batch; record each success or failure in the outbox."""
    report = PushReport(context_id)
    with unit_of_work(read_only=True) as uow:
        rows = list(
            uow.session.scalars(
                select(ScoreOutboxRecord)
                .where(ScoreOutboxRecord.context_id == context_id, ScoreOutboxRecord.due.is_not(None))
                .order_by(ScoreOutboxRecord.id)
            )
        )
        if not rows:
            return report
        users: dict[int, str | None] = {
            person_id: lms_user_id
            for person_id, lms_user_id in uow.session.execute(
                select(PersonRecord.id, PersonRecord.lms_user_id).where(
                    PersonRecord.id.in_([r.person_id for r in rows])
                )
            )
        }
        batch = [(row.id, dict(row.due or {}), row.due_since or now, users.get(row.person_id)) for row in rows]
        link = uow.session.scalar(
            select(ServiceLinkRecord)
            .where(ServiceLinkRecord.context_id == context_id, ServiceLinkRecord.lineitems_url.is_not(None))
            .order_by(ServiceLinkRecord.updated_at.desc())
            .limit(1)
        )
        if link is None:
            raise NotFound(f"no AGS line items URL is known for context {context_id}")
        registration = registration_by_id(uow, link.registration_id)
        lineitems_url, granted = str(link.lineitems_url), set(link.ags_scopes.split())
        known = uow.session.scalar(
            select(MomentumLineItemRecord.url).where(
                MomentumLineItemRecord.registration_id == registration.id,
                MomentumLineItemRecord.context_id == context_id,
            )
        )
    outcomes: dict[int, ServiceError | None] = {}
    try:
        scopes = _scopes(granted)
        if known:
            report.line_item = known
        else:
            report.line_item, report.line_item_created = _find_or_create_line_item(
                client, registration, scopes, lineitems_url
            )
        scores_url = with_path_suffix(report.line_item, "/scores")
        for row_id, due, timestamp, user_id in batch:
            try:
                if not user_id:
                    raise ServiceError("the learner has no LMS user id")
                client.call(
                    registration,
                    scopes,
                    "POST",
                    scores_url,
                    accept="application/json",
                    content_type=SCORE,
                    body=_score(user_id, due, timestamp),
                )
                outcomes[row_id] = None
            except ServiceError as error:
                outcomes[row_id] = error
                if error.transient:
                    break  # the platform is down or overloaded: the rest waits for the retry
    except ServiceError as error:
        for row_id, *_ in batch:
            outcomes.setdefault(row_id, error)
    for row_id, *_ in batch:
        if row_id not in outcomes:
            outcomes[row_id] = ServiceError("not attempted: an earlier score in the batch found the platform failing")
    _record(unit_of_work, registration, context_id, report, batch, outcomes, now)
    log.info(
        "ags scores pushed", context_id=context_id, sent=report.sent, failed=report.failed, line_item=report.line_item
    )
    return report


def score_status(uow: UnitOfWork, tenant_id: int) -> list[ScoreStatus]:
    """Every learner's write-back in the tenant, failures first: what the admin pages and the CLI show."""
    rows = uow.session.execute(
        select(ScoreOutboxRecord, PersonRecord, ContextRecord)
        .join(PersonRecord, PersonRecord.id == ScoreOutboxRecord.person_id)
        .join(ContextRecord, ContextRecord.id == ScoreOutboxRecord.context_id)
        .where(ScoreOutboxRecord.tenant_id == tenant_id)
        .order_by(ContextRecord.lms_context_id, PersonRecord.name, PersonRecord.id)
    )
    order = {"failed": 0, "due": 1, "sent": 2}
    statuses = [
        ScoreStatus(
            context=context.lms_context_id,
            context_title=context.title,
            learner=person.name,
            lms_user_id=person.lms_user_id,
            state=row.state,
            due=row.due,
            sent=row.sent,
            sent_at=row.sent_at,
            attempts=row.attempts,
            last_status=row.last_status,
            last_error=row.last_error,
            next_attempt_at=row.next_attempt_at,
        )
        for row, person, context in rows
    ]
    return sorted(statuses, key=lambda s: order.get(s.state, 3))


def _scopes(granted: set[str]) -> list[str]:
    if SCOPE_SCORE not in granted:
        raise ServiceError("the platform did not grant the AGS score scope in its launches")
    if SCOPE_LINEITEM in granted:
        return [SCOPE_LINEITEM, SCOPE_SCORE]
    if SCOPE_LINEITEM_READONLY in granted:
        return [SCOPE_LINEITEM_READONLY, SCOPE_SCORE]
    raise ServiceError("the platform did not grant an AGS line item scope in its launches")


def _find_or_create_line_item(
    client: PlatformClient, registration: Registration, scopes: list[str], lineitems_url: str
) -> tuple[str, bool]:
    # AGS §3.2.4: a GET on the container filtered by tag and resource_id; some platforms ignore the
    # filters, so the items are checked here too.
    url: str | None = with_query(lineitems_url, tag=MOMENTUM_TAG, resource_id=MOMENTUM_RESOURCE_ID)
    pages = 0
    while url and pages < MAX_PAGES:
        pages += 1
        answer = client.call(registration, scopes, "GET", url, accept=LINEITEM_CONTAINER)
        if not isinstance(answer.body, list):
            raise ServiceError(f"GET {url}: the answer is not a line item container (a JSON array)")
        for item in answer.body:
            if (
                isinstance(item, dict)
                and item.get("tag") == MOMENTUM_TAG
                and item.get("resourceId") == MOMENTUM_RESOURCE_ID
                and isinstance(item.get("id"), str)
            ):
                return item["id"], False
        url = answer.links.get("next")
    if SCOPE_LINEITEM not in scopes:
        raise ServiceError("no Learning momentum line item exists and the platform granted only read-only line items")
    created = client.call(
        registration,
        scopes,
        "POST",
        lineitems_url,
        accept=LINEITEM,
        content_type=LINEITEM,
        body={
            "scoreMaximum": SCORE_MAXIMUM,
            "label": MOMENTUM_LABEL,
            "tag": MOMENTUM_TAG,
            "resourceId": MOMENTUM_RESOURCE_ID,
        },
    )
    if not isinstance(created.body, dict) or not isinstance(created.body.get("id"), str):
        raise ServiceError(f"POST {lineitems_url}: the created line item has no id")
    return created.body["id"], True


def _score(user_id: str, due: dict[str, Any], timestamp: datetime) -> dict[str, Any]:
    """The Score (AGS §3.4) for a learner; without a momentum yet there is no scoreGiven and grading is Pending."""
    body: dict[str, Any] = {
        "userId": user_id,
        "comment": due["comment"],
        "activityProgress": due["activity_progress"],
        "gradingProgress": due["grading_progress"],
        # When the change was seen, with milliseconds: platforms ignore a score older than the last one.
        "timestamp": timestamp.isoformat(timespec="milliseconds"),
    }
    if due.get("score") is not None:
        body["scoreGiven"] = due["score"]
        body["scoreMaximum"] = SCORE_MAXIMUM
    return body


def _record(
    unit_of_work: UnitOfWorkFactory,
    registration: Registration,
    context_id: int,
    report: PushReport,
    batch: list[tuple[int, dict[str, Any], datetime, str | None]],
    outcomes: dict[int, ServiceError | None],
    now: datetime,
) -> None:
    with unit_of_work() as uow:
        if report.line_item:
            _remember_line_item(uow, registration.id, context_id, report.line_item, report.line_item_created, now)
        for row_id, due, _, _ in batch:
            row = uow.session.get(ScoreOutboxRecord, row_id)
            if row is None:
                continue
            error = outcomes[row_id]
            row.last_attempt_at = now
            if error is None:
                report.sent += 1
                row.sent, row.sent_at = due, now
                row.attempts, row.last_status, row.last_error = 0, None, None
                if row.due == due:  # unless a newer value became due while this one was on its way
                    row.due, row.due_since, row.state, row.next_attempt_at = None, None, "sent", None
                else:
                    row.state, row.next_attempt_at = "due", now
                continue
            report.failed += 1
            report.transient = report.transient or error.transient
            if str(error) not in report.errors:
                report.errors.append(str(error))
            row.attempts += 1
            row.state = "failed"
            row.last_status, row.last_error = error.status, str(error)
            row.next_attempt_at = now + min(RETRY_LONGEST, RETRY_FIRST * 2 ** (row.attempts - 1))
            if error.status == 404 and report.line_item and not report.line_item_created:
                _forget_line_item(uow, registration.id, context_id)  # deleted in the LMS: find or create it anew
        uow.commit()


def _remember_line_item(
    uow: UnitOfWork, registration_id: int, context_id: int, url: str, created: bool, now: datetime
) -> None:
    record = uow.session.scalar(
        select(MomentumLineItemRecord).where(
            MomentumLineItemRecord.registration_id == registration_id, MomentumLineItemRecord.context_id == context_id
        )
    )
    if record is None:
        uow.session.add(
            MomentumLineItemRecord(
                registration_id=registration_id, context_id=context_id, url=url, created=created, recorded_at=now
            )
        )
    uow.session.flush()


def _forget_line_item(uow: UnitOfWork, registration_id: int, context_id: int) -> None:
    record = uow.session.scalar(
        select(MomentumLineItemRecord).where(
            MomentumLineItemRecord.registration_id == registration_id, MomentumLineItemRecord.context_id == context_id
        )
    )
    if record is not None:
        uow.session.delete(record)
        uow.session.flush()
