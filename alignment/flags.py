"""Stall flags: one open flag per learner, context and rule, with a lifecycle and its history.

A flag opens when its rule starts to hold, is updated while it holds, and resolves itself when the
condition clears. A manager can acknowledge it (seen, acting on it) or resolve it with a note; a flag
a manager resolved is not raised again until its condition has cleared once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, Text, func, insert, select, text, update
from sqlalchemy.orm import Mapped, mapped_column

from alignment import sentences
from alignment.database import Base, UnitOfWork, among
from alignment.errors import Conflict, InvalidInput, NotFound
from alignment.messages import Message
from alignment.rules.stalls import Finding, Severity, StallRule

MAX_NOTE = 2000


class FlagStatus(StrEnum):
    """Where a flag is in its lifecycle."""

    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class StallFlagRecord(Base):
    """A stall flag as stored."""

    __tablename__ = "stall_flags"
    __table_args__ = (
        # One flag per learner, context and rule that is not yet resolved.
        Index(
            "uq_stall_flags_unresolved",
            "person_id",
            "context_id",
            "rule",
            unique=True,
            sqlite_where=text("status != 'resolved'"),
            postgresql_where=text("status != 'resolved'"),
        ),
        Index("ix_stall_flags_context_status", "tenant_id", "context_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    context_id: Mapped[int] = mapped_column(ForeignKey("contexts.id", ondelete="CASCADE"))
    rule: Mapped[str] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(15))
    severity: Mapped[str] = mapped_column(String(10))
    summary: Mapped[str | dict[str, Any]] = mapped_column(JSON)
    """What holds, as a message (`Message.to_json`)."""
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON)
    action: Mapped[str | dict[str, Any]] = mapped_column(JSON)
    """The suggested conversation, as a message."""
    opened_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]
    resolved_by_manager: Mapped[bool] = mapped_column(Boolean, default=False)
    holds_off: Mapped[bool] = mapped_column(Boolean, default=False)
    """Set when a manager resolved it: no new flag on this rule until the condition clears once."""


class FlagEventRecord(Base):
    """One step in a flag's history."""

    __tablename__ = "stall_flag_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    flag_id: Mapped[int] = mapped_column(ForeignKey("stall_flags.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    severity: Mapped[str] = mapped_column(String(10))
    note: Mapped[str] = mapped_column(Text)


@dataclass(frozen=True)
class StallFlag:
    """A flag as managers see it."""

    id: int
    person_id: int
    context_id: int
    rule: StallRule
    status: FlagStatus
    severity: Severity
    summary: Message
    evidence: dict[str, Any]
    action: Message
    opened_at: datetime
    updated_at: datetime
    resolved_at: datetime | None


@dataclass(frozen=True)
class FlagEvent:
    """A step in a flag's history."""

    at: datetime
    kind: str
    actor_id: int | None
    severity: Severity
    note: str


@dataclass(frozen=True)
class Reconciled:
    """What a sweep did to one learner's flags."""

    opened: tuple[StallRule, ...] = ()
    updated: tuple[StallRule, ...] = ()
    cleared: tuple[StallRule, ...] = ()


def reconcile(
    uow: UnitOfWork, tenant_id: int, person_id: int, context_id: int, findings: list[Finding], now: datetime
) -> Reconciled:
    """Make the learner's flags in the context match what the rules find now; idempotent."""
    return reconcile_context(uow, tenant_id, context_id, {person_id: findings}, now)[person_id]


def reconcile_context(
    uow: UnitOfWork, tenant_id: int, context_id: int, findings: Mapping[int, list[Finding]], now: datetime
) -> dict[int, Reconciled]:
    """Make the flags of each learner of `findings` in the context match what the rules found; idempotent.

    One query reads the latest flag of each learner and rule, and a few bulk statements write the changes,
    however many learners: a sweep opens, updates and clears flags by the hundred thousand.
    """
    latest = _latest_by_rule(uow, tenant_id, context_id, list(findings))
    result: dict[int, Reconciled] = {}
    changes = _Changes()
    for person_id, person_findings in findings.items():
        result[person_id] = _apply(
            tenant_id, person_id, context_id, latest.get(person_id, {}), person_findings, now, changes
        )
    changes.write(uow, now)
    return result


@dataclass
class _Changes:
    """What reconciling a context changes, written in bulk at the end."""

    opened: list[tuple[dict[str, Any], Finding]] = field(default_factory=list)
    updated: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)

    def write(self, uow: UnitOfWork, now: datetime) -> None:
        # New rows go through Core, lighter than the ORM's bulk insert: a first sweep opens a flag for nearly
        # every learner.
        flags: Any = StallFlagRecord.__table__
        if self.opened:
            ids = uow.session.scalars(
                insert(flags).returning(flags.c.id, sort_by_parameter_order=True), [row for row, _ in self.opened]
            ).all()
            for flag_id, (row, finding) in zip(ids, self.opened, strict=True):
                self.events.append(
                    _event_row(flag_id, now, "opened", None, row["severity"], sentences.english(finding.summary))
                )
        if self.updated:
            uow.session.execute(update(StallFlagRecord), self.updated)
        if self.events:
            history: Any = FlagEventRecord.__table__
            uow.session.execute(insert(history), self.events)


def _apply(
    tenant_id: int,
    person_id: int,
    context_id: int,
    flags: Mapping[StallRule, Any],
    findings: list[Finding],
    now: datetime,
    changes: _Changes,
) -> Reconciled:
    """Bring one learner's latest flags (by rule) in line with the findings, as changes to write."""
    found = {finding.rule: finding for finding in findings}
    opened, updated, cleared = [], [], []
    for rule in StallRule:
        flag = flags.get(rule)
        finding = found.get(rule)
        unresolved = flag is not None and flag.status != FlagStatus.RESOLVED
        if finding is None:
            if flag is not None and unresolved:
                changes.updated.append(
                    {
                        "id": flag.id,
                        "status": FlagStatus.RESOLVED.value,
                        "resolved_at": now,
                        "updated_at": now,
                        "resolved_by_manager": False,
                        "holds_off": False,
                    }
                )
                changes.events.append(
                    _event_row(flag.id, now, "cleared", None, flag.severity, "The condition cleared.")
                )
                cleared.append(rule)
            elif flag is not None and flag.holds_off:
                changes.updated.append({"id": flag.id, "holds_off": False})
            continue
        if flag is not None and unresolved:
            stored = (flag.severity, Message.from_json(flag.summary), flag.evidence)
            if stored != (finding.severity, finding.summary, finding.evidence):
                change = {
                    "id": flag.id,
                    "severity": flag.severity,
                    "summary": finding.summary.to_json(),
                    "evidence": finding.evidence,
                    "action": finding.action.to_json(),
                    "updated_at": now,
                }
                # Evidence moves every day a condition holds; only a change of severity is history.
                if finding.severity != flag.severity:
                    kind = "escalated" if _rank(finding.severity) > _rank(Severity(flag.severity)) else "eased"
                    change["severity"] = finding.severity.value
                    changes.events.append(
                        _event_row(flag.id, now, kind, None, finding.severity.value, sentences.english(finding.summary))
                    )
                changes.updated.append(change)
                updated.append(rule)
            continue
        if flag is not None and flag.holds_off:
            continue
        row = {
            "tenant_id": tenant_id,
            "person_id": person_id,
            "context_id": context_id,
            "rule": rule.value,
            "status": FlagStatus.OPEN.value,
            "severity": finding.severity.value,
            "summary": finding.summary.to_json(),
            "evidence": finding.evidence,
            "action": finding.action.to_json(),
            "opened_at": now,
            "updated_at": now,
            "resolved_at": None,
            "resolved_by_manager": False,
            "holds_off": False,
        }
        changes.opened.append((row, finding))
        opened.append(rule)
    return Reconciled(tuple(opened), tuple(updated), tuple(cleared))


def acknowledge_flag(
    uow: UnitOfWork, tenant_id: int, flag_id: int, actor_id: int, note: str, now: datetime
) -> StallFlag:
    """A manager has seen the flag and is acting on it."""
    flag = _record(uow, tenant_id, flag_id)
    if flag.status != FlagStatus.OPEN:
        already = (
            sentences.REFUSED_FLAG_RESOLVED
            if flag.status == FlagStatus.RESOLVED
            else sentences.REFUSED_FLAG_ACKNOWLEDGED
        )
        raise Conflict(already(flag=str(flag_id)))
    flag.status = FlagStatus.ACKNOWLEDGED.value
    flag.updated_at = now
    _event(uow, flag, now, "acknowledged", actor_id, _note(note, required=False))
    uow.session.flush()
    return _flag(flag)


def resolve_flag(uow: UnitOfWork, tenant_id: int, flag_id: int, actor_id: int, note: str, now: datetime) -> StallFlag:
    """A manager closes the flag with a note saying what was done."""
    flag = _record(uow, tenant_id, flag_id)
    if flag.status == FlagStatus.RESOLVED:
        raise Conflict(sentences.REFUSED_FLAG_RESOLVED(flag=str(flag_id)))
    _close(uow, flag, now, by_manager=True, actor_id=actor_id, note=_note(note, required=True))
    uow.session.flush()
    return _flag(flag)


def flags_of(
    uow: UnitOfWork,
    tenant_id: int,
    context_id: int | None = None,
    person_id: int | None = None,
    include_resolved: bool = False,
) -> list[StallFlag]:
    """Flags of the tenant, narrowed to a context and/or person; newest first."""
    query = select(StallFlagRecord).where(StallFlagRecord.tenant_id == tenant_id)
    if context_id is not None:
        query = query.where(StallFlagRecord.context_id == context_id)
    if person_id is not None:
        query = query.where(StallFlagRecord.person_id == person_id)
    if not include_resolved:
        query = query.where(StallFlagRecord.status != FlagStatus.RESOLVED.value)
    records = uow.session.scalars(query.order_by(StallFlagRecord.opened_at.desc(), StallFlagRecord.id.desc()))
    return [_flag(r) for r in records]


def flag_history(uow: UnitOfWork, tenant_id: int, flag_id: int) -> list[FlagEvent]:
    """Every step of the flag's life, oldest first."""
    _record(uow, tenant_id, flag_id)
    rows = uow.session.scalars(
        select(FlagEventRecord).where(FlagEventRecord.flag_id == flag_id).order_by(FlagEventRecord.id)
    )
    return [FlagEvent(r.at, r.kind, r.actor_id, Severity(r.severity), r.note) for r in rows]


def _latest_by_rule(
    uow: UnitOfWork, tenant_id: int, context_id: int, person_ids: list[int]
) -> dict[int, dict[StallRule, Any]]:
    """The newest flag of each learner and rule (older, resolved ones are history)."""
    latest: dict[int, dict[StallRule, Any]] = defaultdict(dict)
    if not person_ids:
        return latest
    f = StallFlagRecord
    newest = (
        select(func.max(f.id))
        .where(f.tenant_id == tenant_id, f.context_id == context_id, among(uow, f.person_id, person_ids))
        .group_by(f.person_id, f.rule)
    )
    rows = uow.session.execute(
        select(f.id, f.person_id, f.rule, f.status, f.severity, f.summary, f.evidence, f.holds_off).where(
            f.id.in_(newest)
        )
    )
    for row in rows:
        latest[row.person_id][StallRule(row.rule)] = row
    return latest


def _close(
    uow: UnitOfWork, flag: StallFlagRecord, now: datetime, by_manager: bool, actor_id: int | None, note: str
) -> None:
    flag.status = FlagStatus.RESOLVED.value
    flag.resolved_at = now
    flag.updated_at = now
    flag.resolved_by_manager = by_manager
    flag.holds_off = by_manager
    _event(uow, flag, now, "resolved" if by_manager else "cleared", actor_id, note)


def _event_row(flag_id: int, at: datetime, kind: str, actor_id: int | None, severity: str, note: str) -> dict[str, Any]:
    return {"flag_id": flag_id, "at": at, "kind": kind, "actor_id": actor_id, "severity": severity, "note": note}


def _event(uow: UnitOfWork, flag: StallFlagRecord, now: datetime, kind: str, actor_id: int | None, note: str) -> None:
    uow.session.add(
        FlagEventRecord(flag_id=flag.id, at=now, kind=kind, actor_id=actor_id, severity=flag.severity, note=note)
    )


def _record(uow: UnitOfWork, tenant_id: int, flag_id: int) -> StallFlagRecord:
    record = uow.session.get(StallFlagRecord, flag_id)
    if record is None or record.tenant_id != tenant_id:
        raise NotFound(sentences.NOT_FOUND_FLAG(id=str(flag_id)))
    return record


def _note(note: str, required: bool) -> str:
    note = note.strip()
    if required and not note:
        raise InvalidInput(sentences.REFUSED_NOTE_MISSING())
    if len(note) > MAX_NOTE:
        raise InvalidInput(sentences.REFUSED_NOTE_LONG(most=MAX_NOTE))
    return note


def _rank(severity: Severity) -> int:
    return list(Severity).index(severity)


def _flag(record: StallFlagRecord) -> StallFlag:
    return StallFlag(
        id=record.id,
        person_id=record.person_id,
        context_id=record.context_id,
        rule=StallRule(record.rule),
        status=FlagStatus(record.status),
        severity=Severity(record.severity),
        summary=Message.from_json(record.summary),
        evidence=dict(record.evidence),
        action=Message.from_json(record.action),
        opened_at=record.opened_at,
        updated_at=record.updated_at,
        resolved_at=record.resolved_at,
    )
