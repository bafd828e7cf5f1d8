"""Policy previews worked out in the background: a whole-tenant sweep takes minutes on a large tenant.

An admin asks what proposed settings would flag; the request is stored, a job works it out with
`sweeps.preview_policy` (as of the moment it was asked, so that the answer does not depend on when the job
ran) and stores the counts; the settings page shows them when they are there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, delete
from sqlalchemy.orm import Mapped, mapped_column

from alignment import sentences
from alignment.database import Base, UnitOfWork
from alignment.errors import NotFound
from alignment.policies import Policy, propose_policy
from alignment.rules.stalls import StallRule
from alignment.sweeps import PolicyPreview, RuleCounts

KEPT_FOR = timedelta(days=7)
"""How long a preview is kept: long enough to come back to, short enough that the table stays small."""


class PreviewStatus(StrEnum):
    """Where a requested preview is."""

    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"


class PolicyPreviewRecord(Base):
    """A preview an admin asked for, and its counts once worked out."""

    __tablename__ = "policy_previews"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    based_on: Mapped[int]
    """The version of the tenant's policy the proposal changes (what a Save from the preview checks)."""
    proposed: Mapped[dict[str, float]] = mapped_column(JSON)
    requested_at: Mapped[datetime]
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(10))
    finished_at: Mapped[datetime | None]
    counts: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    failure: Mapped[str | None] = mapped_column(Text)


@dataclass(frozen=True)
class RequestedPreview:
    """A preview as the settings page shows it."""

    id: int
    based_on: int
    proposed: dict[str, float]
    """The proposed settings by name, as the form sent them."""
    requested_at: datetime
    status: PreviewStatus
    preview: PolicyPreview | None


def request_preview(
    uow: UnitOfWork, tenant_id: int, proposed: Policy, based_on: int, requested_by_id: int | None, now: datetime
) -> int:
    """Keep a request to preview `proposed` as of `now`; return its id, for the job that works it out.

    Previews older than `KEPT_FOR` are deleted on the way.
    """
    uow.session.execute(
        delete(PolicyPreviewRecord).where(
            PolicyPreviewRecord.tenant_id == tenant_id, PolicyPreviewRecord.requested_at < now - KEPT_FOR
        )
    )
    record = PolicyPreviewRecord(
        tenant_id=tenant_id,
        based_on=based_on,
        proposed=proposed.values(),
        requested_at=now,
        requested_by_id=requested_by_id,
        status=PreviewStatus.PENDING.value,
    )
    uow.session.add(record)
    uow.session.flush()
    return record.id


def pending_preview(uow: UnitOfWork, preview_id: int) -> tuple[int, Policy, datetime] | None:
    """The tenant, proposed policy and moment of a preview still to work out (with `sweeps.preview_policy`),
    or None if it is gone or done."""
    record = uow.session.get(PolicyPreviewRecord, preview_id)
    if record is None or record.status != PreviewStatus.PENDING:
        return None
    return record.tenant_id, propose_policy(Policy(), record.proposed), record.requested_at


def store_preview(uow: UnitOfWork, preview_id: int, preview: PolicyPreview, now: datetime) -> None:
    """Keep the worked-out counts of a pending preview."""
    record = uow.session.get(PolicyPreviewRecord, preview_id)
    if record is None or record.status != PreviewStatus.PENDING:
        return
    record.counts = {
        "current": _counts_json(preview.current),
        "proposed": _counts_json(preview.proposed),
        "replans": preview.replans,
    }
    record.status, record.finished_at = PreviewStatus.DONE.value, now


def preview_failed(uow: UnitOfWork, preview_id: int, failure: str, now: datetime) -> None:
    """Record that the preview could not be worked out, so the page stops waiting for it."""
    record = uow.session.get(PolicyPreviewRecord, preview_id)
    if record is not None and record.status == PreviewStatus.PENDING:
        record.status, record.failure, record.finished_at = PreviewStatus.FAILED.value, failure, now


def requested_preview(uow: UnitOfWork, tenant_id: int, preview_id: int) -> RequestedPreview:
    """The tenant's requested preview, or NotFound (also for another tenant's)."""
    record = uow.session.get(PolicyPreviewRecord, preview_id)
    if record is None or record.tenant_id != tenant_id:
        raise NotFound(sentences.NOT_FOUND_PREVIEW(id=str(preview_id)))
    counts = record.counts
    preview = (
        PolicyPreview(
            record.requested_at,
            _counts(counts["current"]),
            _counts(counts["proposed"]),
            bool(counts["replans"]),
        )
        if counts is not None
        else None
    )
    return RequestedPreview(
        record.id,
        record.based_on,
        dict(record.proposed),
        record.requested_at,
        PreviewStatus(record.status),
        preview,
    )


def _counts_json(counts: RuleCounts) -> dict[str, Any]:
    return {
        "learners": counts.learners,
        "flagged": counts.flagged,
        "by_rule": {rule.value: n for rule, n in counts.by_rule.items()},
    }


def _counts(data: dict[str, Any]) -> RuleCounts:
    return RuleCounts(
        int(data["learners"]), int(data["flagged"]), {StallRule(rule): int(n) for rule, n in data["by_rule"].items()}
    )
