"""A tenant's alignment policy: quadrant thresholds, the gift budget and the stall-rule settings.

The policy is one row per tenant with a version number that goes up with every change, so a form
based on an older version can be refused instead of silently overwriting someone else's change.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column

from alignment import sentences
from alignment.database import Base, UnitOfWork
from alignment.errors import Conflict, InvalidInput
from alignment.messages import Message
from alignment.rules.quadrants import Thresholds
from alignment.rules.stalls import StallSettings


class PolicyRecord(Base):
    """A tenant's policy as stored; a tenant without a row uses the defaults."""

    __tablename__ = "tenant_policies"

    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True)
    personal_threshold: Mapped[float] = mapped_column(Float)
    org_threshold: Mapped[float] = mapped_column(Float)
    gift_budget_hours_per_quarter: Mapped[float] = mapped_column(Float)
    never_started_days: Mapped[int] = mapped_column(Integer)
    quiet_days: Mapped[int] = mapped_column(Integer)
    overdue_grace_days: Mapped[int] = mapped_column(Integer)
    slip_share: Mapped[float] = mapped_column(Float)
    plateau_tenure_days: Mapped[int] = mapped_column(Integer)
    plateau_window_days: Mapped[int] = mapped_column(Integer)
    plateau_drop_ratio: Mapped[float] = mapped_column(Float)
    avoidance_window_days: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    """1 for the first stored policy, one more with every change (the defaults are version 0)."""
    changed_at: Mapped[datetime | None]
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))


@dataclass(frozen=True)
class Bounds:
    """The values a setting takes: from `low` to `high`, either end excluded when open; whole days or not."""

    low: float
    high: float
    low_open: bool = False
    high_open: bool = False
    whole_days: bool = False

    def problem(self, value: float) -> Message | None:
        """Why `value` is refused, or None when it is fine."""
        if math.isfinite(value) and self.whole_days and value != int(value):
            return sentences.POLICY_WHOLE_DAYS()
        below = value <= self.low if self.low_open else value < self.low
        above = value >= self.high if self.high_open else value > self.high
        if math.isfinite(value) and not (below or above):
            return None
        if self.low_open and self.high_open:
            return sentences.POLICY_BETWEEN(low=self.low, high=self.high)
        if self.low_open:
            return sentences.POLICY_ABOVE_UP_TO(low=self.low, high=self.high)
        return sentences.POLICY_FROM_TO(low=self.low, high=self.high)


_DAYS = Bounds(1, 3650, whole_days=True)
SETTINGS: dict[str, Bounds] = {
    "personal_threshold": Bounds(0, 1, low_open=True),
    "org_threshold": Bounds(0, 1, low_open=True),
    "gift_budget_hours_per_quarter": Bounds(0, 1000),
    "never_started_days": _DAYS,
    "quiet_days": _DAYS,
    "overdue_grace_days": Bounds(0, 3650, whole_days=True),
    "slip_share": Bounds(0, 10, low_open=True),
    "plateau_tenure_days": Bounds(1, 18250, whole_days=True),
    "plateau_window_days": _DAYS,
    "plateau_drop_ratio": Bounds(0, 1, low_open=True, high_open=True),
    "avoidance_window_days": _DAYS,
}
"""Every setting of a policy, in the order people read them, with the values it may take."""

PLANNING_SETTINGS = ("personal_threshold", "org_threshold", "gift_budget_hours_per_quarter")
"""The settings that change roadmaps (the others change only what the stall rules flag)."""


class InvalidPolicy(InvalidInput):
    """Some settings were refused; `problems` says why, by setting, as messages."""

    def __init__(self, problems: Mapping[str, Message]) -> None:
        self.problems = dict(problems)
        said = "; ".join(f"{name}: {sentences.english(problem)}" for name, problem in self.problems.items())
        super().__init__(f"the policy was not changed: {said}")


@dataclass(frozen=True)
class Policy:
    """How a tenant places opportunities, budgets gifts and detects stalls."""

    thresholds: Thresholds = field(default_factory=Thresholds)
    gift_budget_hours_per_quarter: float = 0.0
    stall: StallSettings = field(default_factory=StallSettings)

    def values(self) -> dict[str, float]:
        """Every setting by name (the names of `SETTINGS`)."""
        return {
            "personal_threshold": self.thresholds.personal,
            "org_threshold": self.thresholds.org,
            "gift_budget_hours_per_quarter": self.gift_budget_hours_per_quarter,
            **asdict(self.stall),
        }

    def plans_like(self, other: Policy) -> bool:
        """True when both give the same roadmaps (the same thresholds and gift budget)."""
        mine, theirs = self.values(), other.values()
        return all(mine[name] == theirs[name] for name in PLANNING_SETTINGS)


@dataclass(frozen=True)
class StoredPolicy:
    """The tenant's policy with its version: 0 while it uses the defaults."""

    policy: Policy
    version: int
    changed_at: datetime | None = None
    changed_by_id: int | None = None


def get_policy(uow: UnitOfWork, tenant_id: int) -> Policy:
    """The tenant's policy, or the defaults if it never set one."""
    return current_policy(uow, tenant_id).policy


def current_policy(uow: UnitOfWork, tenant_id: int) -> StoredPolicy:
    """The tenant's policy and its version."""
    return stored_policy(uow.session.get(PolicyRecord, tenant_id))


def stored_policy(record: PolicyRecord | None) -> StoredPolicy:
    """The policy a tenant's policy record holds (the defaults, version 0, when it has none)."""
    if record is None:
        return StoredPolicy(Policy(), 0)
    policy = Policy(
        thresholds=Thresholds(record.personal_threshold, record.org_threshold),
        gift_budget_hours_per_quarter=record.gift_budget_hours_per_quarter,
        stall=StallSettings(
            never_started_days=record.never_started_days,
            quiet_days=record.quiet_days,
            overdue_grace_days=record.overdue_grace_days,
            slip_share=record.slip_share,
            plateau_tenure_days=record.plateau_tenure_days,
            plateau_window_days=record.plateau_window_days,
            plateau_drop_ratio=record.plateau_drop_ratio,
            avoidance_window_days=record.avoidance_window_days,
        ),
    )
    return StoredPolicy(policy, record.version, record.changed_at, record.changed_by_id)


def propose_policy(current: Policy, changes: Mapping[str, float]) -> Policy:
    """`current` with some settings changed; raises InvalidPolicy naming every refused setting."""
    problems: dict[str, Message] = {
        name: sentences.POLICY_UNKNOWN(name=name) for name in changes if name not in SETTINGS
    }
    for name, value in changes.items():
        problem = SETTINGS[name].problem(value) if name in SETTINGS else None
        if problem is not None:
            problems[name] = problem
    if problems:
        raise InvalidPolicy(problems)
    values = current.values() | dict(changes)
    stall: dict[str, Any] = {
        name: int(value) if SETTINGS[name].whole_days else float(value)
        for name, value in values.items()
        if name in StallSettings.__dataclass_fields__
    }
    return Policy(
        thresholds=Thresholds(float(values["personal_threshold"]), float(values["org_threshold"])),
        gift_budget_hours_per_quarter=float(values["gift_budget_hours_per_quarter"]),
        stall=StallSettings(**stall),
    )


def set_policy(
    uow: UnitOfWork,
    tenant_id: int,
    changes: Mapping[str, float],
    *,
    now: datetime,
    based_on: int | None = None,
    changed_by_id: int | None = None,
) -> StoredPolicy:
    """Store the tenant's policy with some settings changed, as its next version; all or nothing.

    `based_on` is the version the change was made from (a form's); if the policy has moved on since,
    the change is refused with Conflict rather than overwrite what someone else saved.
    """
    stored = current_policy(uow, tenant_id)
    if based_on is not None and based_on != stored.version:
        raise Conflict(sentences.REFUSED_POLICY_MOVED(based_on=str(based_on), version=str(stored.version)))
    policy = propose_policy(stored.policy, changes)
    record = uow.session.get(PolicyRecord, tenant_id) or PolicyRecord(tenant_id=tenant_id, version=0)
    for name, value in policy.values().items():
        setattr(record, name, value)
    record.version = stored.version + 1
    record.changed_at = now
    record.changed_by_id = changed_by_id
    uow.session.add(record)
    uow.session.flush()
    return StoredPolicy(policy, record.version, now, changed_by_id)
