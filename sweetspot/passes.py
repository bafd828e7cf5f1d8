"""Tenant-wide passes — the stall sweep and a full re-plan — spread over worker processes, context by context.

A sweep or a re-plan is worked out per context, so contexts can go to several processes, each with its own
connection and its own unit of work per context (committed as it finishes: a pass stopped half-way leaves
the contexts it did, and running it again is harmless, since both are idempotent). With one worker the
pass runs in this process, in one unit of work, as `alignment.sweeps.sweep` and `replan_tenant` do.
"""

from __future__ import annotations

import gc
import multiprocessing
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from sqlalchemy import func, select

from alignment.messages import Message
from alignment.people import ContextRecord, MembershipRecord, Role
from alignment.replanning import replan_context, replan_tenant
from alignment.roadmaps import Trigger
from alignment.settings import AlignmentSettings
from alignment.snapshots import load_catalogue
from alignment.sweeps import sweep
from sweetspot.runtime import Runtime, bootstrap
from sweetspot.settings import Settings

T = TypeVar("T")


@dataclass(frozen=True)
class SweepTotals:
    """What a sweep did across a tenant."""

    learners: int
    flagged: int
    opened: int
    updated: int
    cleared: int


def sweep_tenant(runtime: Runtime, tenant_id: int, as_of: datetime, workers: int = 1) -> SweepTotals:
    """Sweep every context of the tenant as of `as_of`, recording flags and momentum."""
    if workers <= 1:
        with runtime.unit_of_work() as uow, _fewer_collections():
            report = sweep(uow, tenant_id, as_of, learners=False)
            uow.commit()
        return SweepTotals(report.evaluated, report.flagged, report.opened, report.updated, report.cleared)
    parts = _in_workers(runtime, tenant_id, workers, _sweep_context, as_of)
    return SweepTotals(*(sum(values) for values in zip(*parts, strict=True)))


def replan_tenant_in_parts(
    runtime: Runtime, tenant_id: int, trigger: Trigger, reason: Message, now: datetime, workers: int = 1
) -> int:
    """Re-plan every learner of the tenant; return how many roadmaps changed."""
    if workers <= 1:
        with runtime.unit_of_work() as uow, _fewer_collections():
            changed = replan_tenant(uow, tenant_id, trigger, reason, now)
            uow.commit()
        return changed
    return sum(_in_workers(runtime, tenant_id, workers, _replan_context, trigger, reason, now))


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """Run a pass with the cyclic garbage collector told to leave alone what exists already and to run less often.

    A pass makes millions of short-lived objects (plans, candidates, rows) beside long-lived ones (the
    catalogue, the memo's views, SQLAlchemy's registries), and reference counting frees nearly all of them;
    with the default thresholds the collector ran every 700 allocations and went through the long-lived ones
    again and again: a sixth to a quarter of a pass's time. Both settings are restored after (what was
    frozen is collected as usual again).
    """
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(COLLECT_AFTER, *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


COLLECT_AFTER = 20_000
"""Allocations (less deallocations) between two collections of the youngest objects during a pass."""


# --- the workers ----------------------------------------------------------------------------------------

_runtime: Runtime | None = None


def _in_workers(runtime: Runtime, tenant_id: int, workers: int, work: Callable[..., T], *args: object) -> list[T]:
    """Run `work(tenant_id, context_id, *args)` for every context of the tenant in `workers` processes, the
    largest contexts first so that the processes finish together."""
    with runtime.unit_of_work(read_only=True) as uow:
        contexts = [
            context
            for context, _ in uow.session.execute(
                select(ContextRecord.id, func.count(MembershipRecord.id).label("size"))
                .outerjoin(
                    MembershipRecord,
                    (MembershipRecord.context_id == ContextRecord.id) & (MembershipRecord.role == Role.LEARNER.value),
                )
                .where(ContextRecord.tenant_id == tenant_id)
                .group_by(ContextRecord.id)
                .order_by(func.count(MembershipRecord.id).desc(), ContextRecord.id)
            )
        ]
    # Fresh processes (spawn), each opening its own connections: a forked copy of this process's pool would
    # share its sockets.
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start_worker,
        initargs=(runtime.settings, runtime.alignment),
    ) as pool:
        futures = [pool.submit(work, tenant_id, context, *args) for context in contexts]
        return [future.result() for future in futures]


def _start_worker(settings: Settings, alignment: AlignmentSettings) -> None:
    global _runtime  # one runtime per worker process, made when it starts
    _runtime = bootstrap(settings, alignment=alignment)
    # A worker only runs passes: the collector is set for them for its whole life (see `_fewer_collections`).
    # Frozen once, not per context: a freeze would also keep the garbage cycles of the contexts before.
    gc.freeze()
    gc.set_threshold(COLLECT_AFTER, *gc.get_threshold()[1:])


def _worker_runtime() -> Runtime:
    if _runtime is None:
        raise RuntimeError("the worker process was not started by _start_worker")
    return _runtime


def _sweep_context(tenant_id: int, context_id: int, as_of: datetime) -> tuple[int, int, int, int, int]:
    runtime = _worker_runtime()
    with runtime.unit_of_work() as uow:
        report = sweep(uow, tenant_id, as_of, context_ids=[context_id], learners=False)
        uow.commit()
    return report.evaluated, report.flagged, report.opened, report.updated, report.cleared


def _replan_context(tenant_id: int, context_id: int, trigger: Trigger, reason: Message, now: datetime) -> int:
    runtime = _worker_runtime()
    with runtime.unit_of_work() as uow:
        changed = replan_context(uow, tenant_id, context_id, trigger, reason, now, load_catalogue(uow, tenant_id))
        uow.commit()
    return changed
