"""Where one learning event's time goes: SQL statements, time in the database driver, and a cProfile.

Takes in events that finish the first item of a learner's roadmap (each re-plans its learner) on a
tenant that `alignment_scale.py --generate-only` made and kept, in a fresh copy of it, after a first
re-plan of the contexts it picks its learners from. Use it beside `alignment_scale.py` (which times the
whole passes and the incremental update) to see what a change buys.

    .venv/bin/python benchmarks/alignment_event_profile.py [--sizes 10000:2000000] [--events 200] [--sql]
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import os
import pstats
import statistics
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
from alignment_scale import NOW, VERBS, _database_url  # beside this file
from sqlalchemy import event, select

from alignment import sentences
from alignment.learning import take_in
from alignment.mappings import ActivityMappingRecord
from alignment.people import ContextRecord
from alignment.replanning import replan_context
from alignment.roadmaps import RoadmapRecord, Trigger
from alignment.rules.progress import LearningEvent
from alignment.tenancy import TenantRecord
from sweetspot.logs import configure_logging
from sweetspot.runtime import bootstrap
from sweetspot.settings import Settings


def main() -> None:
    """Copy the kept database, re-plan a few contexts, take in events one by one; count, time, print."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--server", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--sizes", default="10000:2000000", help="LEARNERS:EVENTS of the kept database")
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--contexts", type=int, default=5, help="contexts re-planned first, learners picked from")
    parser.add_argument("--profile", action="store_true", help="run the events under cProfile and print it")
    parser.add_argument("--sql", action="store_true", help="print each SQL statement of the last event")
    parser.add_argument("--top", type=int, default=30, help="cProfile lines to print")
    parser.add_argument("--freeze", action="store_true", help="gc.freeze() after the first event, as a job worker does")
    parser.add_argument("--dump", help="also write the cProfile statistics to this file")
    parser.add_argument("--sort", default="cumulative", help="cProfile order: cumulative, tottime, …")
    args = parser.parse_args()
    configure_logging("WARNING", "console")
    learners, events = (int(part) for part in args.sizes.split(":"))
    kept = f"alignment_scale_{learners}_{events}"
    copy = f"{kept}_profile"
    with psycopg.connect(args.server, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {copy}")
        conn.execute(f"CREATE DATABASE {copy} TEMPLATE {kept}")
        conn.execute("CHECKPOINT")
    try:
        profile(_database_url(args.server.rsplit("/", 1)[0], copy), args)
    finally:
        with psycopg.connect(args.server, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE {copy} WITH (FORCE)")


def profile(url: str, args: argparse.Namespace) -> None:
    runtime = bootstrap(Settings(data_dir=Path(f"/tmp/alignment-profile-{os.getpid()}"), database_url=url))
    with runtime.unit_of_work() as uow:
        tenant = uow.session.scalar(select(TenantRecord.id).where(TenantRecord.slug == "scale"))
        assert tenant is not None, "no tenant 'scale' in this database"
        contexts = list(
            uow.session.scalars(
                select(ContextRecord.id)
                .where(ContextRecord.tenant_id == tenant)
                .order_by(ContextRecord.id)
                .limit(args.contexts)
            )
        )
        for context in contexts:
            replan_context(uow, tenant, context, Trigger.POLICY, sentences.REPLAN_POLICY(), NOW)
        uow.commit()
    with runtime.unit_of_work(read_only=True) as uow:
        firsts = uow.session.execute(
            select(RoadmapRecord.person_id, RoadmapRecord.plan)
            .where(RoadmapRecord.context_id.in_(contexts))
            .order_by(RoadmapRecord.person_id)
            .limit(args.events)
        ).all()
        iri = {
            opportunity: activity
            for opportunity, activity in uow.session.execute(
                select(ActivityMappingRecord.opportunity_id, ActivityMappingRecord.activity_id)
            )
        }
    picked = [(person, iri[plan["items"][0]["opportunity_id"]]) for person, plan in firsts if plan["items"]]

    statements: list[tuple[str, float]] = []
    started_at: dict[int, float] = {}

    def before(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        started_at[id(cursor)] = time.perf_counter()

    def after(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        statements.append((statement, time.perf_counter() - started_at.pop(id(cursor))))

    event.listen(runtime.engine, "before_cursor_execute", before)
    event.listen(runtime.engine, "after_cursor_execute", after)

    def take(n: int, person: int, activity: str) -> None:
        learning = LearningEvent(
            event_id=f"profile-{time.time_ns()}-{n}",
            learner_id=person,
            occurred_at=NOW + timedelta(hours=2, minutes=n + 1),
            verb=VERBS["completed"],
            activity_id=activity,
        )
        with runtime.unit_of_work() as uow:
            take_in(uow, tenant, [learning], learning.occurred_at + timedelta(seconds=1))
            uow.commit()

    take(0, *picked[0])  # reads the catalogue into the memo, as a worker's first event does
    if args.freeze:
        gc.freeze()
    walls, in_driver, counts, cpu = [], [], [], []
    profiler = cProfile.Profile()
    for n, (person, activity) in enumerate(picked[1:], start=1):
        statements.clear()
        started, cpu_started = time.perf_counter(), time.process_time()
        if args.profile:
            profiler.enable()
        take(n, person, activity)
        if args.profile:
            profiler.disable()
        walls.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - cpu_started) * 1000)
        in_driver.append(sum(seconds for _, seconds in statements) * 1000)
        counts.append(len(statements))
    print(f"events: {len(walls)} (each finishes an item and re-plans its learner)")
    profiled = " (profiled, so slower than unprofiled)" if args.profile else ""
    print(f"wall per event, median: {statistics.median(walls):.2f} ms{profiled}, p90 {_p(walls, 0.9):.2f} ms")
    print(f"this process's CPU per event, median: {statistics.median(cpu):.2f} ms, mean {statistics.mean(cpu):.2f} ms")
    print(f"in the driver, median: {statistics.median(in_driver):.2f} ms")
    print(f"SQL statements per event: {Counter(counts).most_common()}")
    if args.sql:
        for statement, seconds in statements:
            print(f"  {seconds * 1000:7.3f} ms  {' '.join(statement.split())[:160]}")
    if not args.profile:
        runtime.engine.dispose()
        return
    if args.dump:
        profiler.dump_stats(args.dump)
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats(args.sort).print_stats(args.top)
    print(out.getvalue())
    runtime.engine.dispose()


def _p(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


if __name__ == "__main__":
    main()
