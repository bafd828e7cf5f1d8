"""Running tallies of each learner's learning events: progress on each opportunity, and the days they learned.

They are kept as events are recorded, so that sweeps, re-plans and pages read a row per learner and a few per
opportunity instead of every event. A learner's tallies are the state at any moment after their latest event;
for an earlier moment (`--as-of`, back-tests) the events themselves are read instead, so back-tests stay exact.
When something makes a tally wrong — a voiding statement, or an opportunity mapped to activities that events
already named — the learner's tallies are rebuilt from their events: everything derived from statements can
be rebuilt from them (DESIGN §3).

Tallies count every opportunity an event matches, whatever its status, so retiring or activating one changes
no tally; readers keep the active ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Float, ForeignKey, Integer, LargeBinary
from sqlalchemy.orm import Mapped, mapped_column

from alignment.database import Base
from alignment.rules.progress import ItemProgress


class ItemProgressRecord(Base):
    """A learner's tally on one opportunity: what `rules.progress.progress_by_opportunity` gives for it."""

    __tablename__ = "learning_progress"

    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), primary_key=True)
    opportunity_id: Mapped[int] = mapped_column(ForeignKey("opportunities.id", ondelete="CASCADE"), primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    first_activity_at: Mapped[datetime]
    last_activity_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    done_fraction: Mapped[float] = mapped_column(Float)
    events: Mapped[int] = mapped_column(Integer)
    completed_parts: Mapped[int] = mapped_column(Integer)


class LearnerActivityRecord(Base):
    """A learner's tally of activity: their latest event, their last standing one, and the days they learned."""

    __tablename__ = "learning_activity"

    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    latest_event_at: Mapped[datetime | None]
    """The latest moment of any event recorded for the learner, voiding ones included: the tallies hold for
    every moment after it. None while the row waits to be built."""
    last_activity_at: Mapped[datetime | None]
    days_from: Mapped[date | None]
    active_days: Mapped[bytes] = mapped_column(LargeBinary)
    """Bit n (little-endian) set when the learner had a standing event on `days_from` + n days (UTC)."""


@dataclass(frozen=True)
class Learning:
    """What a learner's events say at a moment: progress per opportunity, the last activity, the active days."""

    progress: Mapping[int, ItemProgress]
    last_activity_at: datetime | None
    active_days: frozenset[date]


NOTHING_YET = Learning({}, None, frozenset())


BUILT_FOR_EVER = datetime(1970, 1, 1, tzinfo=UTC)
"""The `latest_event_at` of a learner with no events: their (empty) tallies hold at every moment."""


def encode_days(days: Iterable[date]) -> tuple[date | None, bytes]:
    """Active days as the first of them and a little-endian bitmap from it."""
    found = sorted(set(days))
    if not found:
        return None, b""
    first = found[0]
    bits = 0
    for day in found:
        bits |= 1 << (day - first).days
    return first, bits.to_bytes((bits.bit_length() + 7) // 8, "little")


def with_days(days_from: date | None, bits: bytes, days: set[date]) -> tuple[date | None, bytes]:
    """The bitmap with `days` set as well."""
    if days_from is None or not days:
        return encode_days(days) if days_from is None else (days_from, bits)
    first = min(min(days), days_from)
    value = int.from_bytes(bits, "little") << (days_from - first).days
    for day in days:
        value |= 1 << (day - first).days
    return first, value.to_bytes((value.bit_length() + 7) // 8, "little")


def days_between(days_from: date | None, bits: bytes, first: date, last: date) -> frozenset[date]:
    """The active days of a bitmap from `first` to `last`, both included."""
    if days_from is None or not bits or last < first:
        return frozenset()
    start = max((first - days_from).days, 0)
    stop = (last - days_from).days + 1
    if stop <= start:
        return frozenset()
    window = (int.from_bytes(bits, "little") >> start) & ((1 << (stop - start)) - 1)
    found = []
    while window:
        low = window & -window
        found.append(days_from + timedelta(days=start + low.bit_length() - 1))
        window ^= low
    return frozenset(found)


PROGRESS_COLUMNS = (
    "tenant_id",
    "person_id",
    "opportunity_id",
    "first_activity_at",
    "last_activity_at",
    "finished_at",
    "done_fraction",
    "events",
    "completed_parts",
)


def progress_row(tenant_id: int, person_id: int, item: ItemProgress) -> dict[str, Any]:
    """An item's progress as the values of its tally row."""
    return {
        "tenant_id": tenant_id,
        "person_id": person_id,
        "opportunity_id": item.opportunity_id,
        "first_activity_at": item.first_activity_at,
        "last_activity_at": item.last_activity_at,
        "finished_at": item.finished_at,
        "done_fraction": item.done_fraction,
        "events": item.events,
        "completed_parts": item.completed_parts,
    }
