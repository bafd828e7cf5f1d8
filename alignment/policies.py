"""A tenant's alignment policy: quadrant thresholds, the gift budget and the stall-rule settings."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import Float, ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column

from alignment.database import Base, UnitOfWork
from alignment.errors import InvalidInput
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


WHOLE_DAY_SETTINGS = (
    "never_started_days",
    "quiet_days",
    "overdue_grace_days",
    "plateau_tenure_days",
    "plateau_window_days",
    "avoidance_window_days",
)


@dataclass(frozen=True)
class Policy:
    """How a tenant places opportunities, budgets gifts and detects stalls."""

    thresholds: Thresholds = field(default_factory=Thresholds)
    gift_budget_hours_per_quarter: float = 0.0
    stall: StallSettings = field(default_factory=StallSettings)


def get_policy(uow: UnitOfWork, tenant_id: int) -> Policy:
    """The tenant's policy, or the defaults if it never set one."""
    record = uow.session.get(PolicyRecord, tenant_id)
    if record is None:
        return Policy()
    return Policy(
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


def set_policy(uow: UnitOfWork, tenant_id: int, **changes: float) -> Policy:
    """Change some settings of the tenant's policy; an unknown or out-of-range setting changes nothing."""
    current = get_policy(uow, tenant_id)
    values: dict[str, float] = {
        "personal_threshold": current.thresholds.personal,
        "org_threshold": current.thresholds.org,
        "gift_budget_hours_per_quarter": current.gift_budget_hours_per_quarter,
        **asdict(current.stall),
    }
    unknown = sorted(set(changes) - values.keys())
    if unknown:
        raise InvalidInput(f"unknown policy setting(s): {', '.join(unknown)}; known: {', '.join(sorted(values))}")
    values |= changes
    for name in WHOLE_DAY_SETTINGS:
        if values[name] != int(values[name]):
            raise InvalidInput(f"{name} must be a whole number of days, got {values[name]}")
        values[name] = int(values[name])
    stall_values: dict[str, Any] = {k: v for k, v in values.items() if k in StallSettings.__dataclass_fields__}
    try:
        policy = Policy(
            thresholds=Thresholds(values["personal_threshold"], values["org_threshold"]),
            gift_budget_hours_per_quarter=values["gift_budget_hours_per_quarter"],
            stall=StallSettings(**stall_values),
        )
    except ValueError as error:
        raise InvalidInput(str(error)) from error
    if policy.gift_budget_hours_per_quarter < 0:
        raise InvalidInput("gift_budget_hours_per_quarter must be 0 or more")
    record = uow.session.get(PolicyRecord, tenant_id) or PolicyRecord(tenant_id=tenant_id)
    for name, value in values.items():
        setattr(record, name, value)
    uow.session.add(record)
    uow.session.flush()
    return policy
