"""Scale benchmark of the alignment engine on PostgreSQL: 100,000 learners, 2,000 opportunities, 200 skills,
20 million learning events (the alignment engine's item 12).

For each size it makes a fresh database on the named server, migrates it, fills it with one tenant
bulk-loaded with COPY, then, in a separate process so that the peak memory is the engine's alone, measures:

- a full re-plan of every roadmap (`replan_tenant`), first when nobody has a roadmap yet and again when
  everyone has one;
- a full sweep (stall rules, flag lifecycle, momentum) for the tenant (`sweep`), first when no flag is
  open and again when the flags of the first are;
- the incremental update after one new learning event (`take_in` for one event: progress, a re-plan of
  the learner if it finished something, each its own committed unit of work), median and p99;
- the peak resident memory of the measuring process (`getrusage`).

The data is shaped like a large workplace tenant:
- contexts are team or programme spaces of 100 to 900 learners (500 on average, so 200 contexts for
  100,000 learners): an LMS course per cohort of a few dozen would make more, smaller contexts, but an
  org agenda is set per team, and each context's snapshot is what the engine streams through;
- every opportunity is a module with its own activity id; most events are on its pages (the module is
  their parent context activity, xAPI 1.0.3 Part Two §4.1.6.2), the rest on the module itself with
  progress or completion; some modules have an LTI link or a prerequisite; 2 to 5 are mandatory per
  context with due dates spread over the year;
- 80% of learners have a personal agenda (3 to 8 skills); the rest never filled one in;
- 10% of learners never start, 25% go quiet (their activity stops 20 to 200 days ago), the rest keep
  going; the number of events of an active learner is log-normal (a few heavy users, many light ones);
  events arrive in time order (the heap is in arrival order, as an LRS feed leaves it), 0.05% are voided.

Run from the repository root:

    .venv/bin/python benchmarks/alignment_scale.py --server postgresql://postgres@127.0.0.1:5432 \\
        --sizes 10000:2000000,30000:6000000,100000:20000000

Results go to benchmarks/results/alignment-scale.md and .json (the .md keeps its hand-written reading).
`--keep` keeps the databases and `--reuse` measures them again; `--contexts N` sweeps and re-plans only
the first N contexts (the results say so); `--no-write` prints a run's JSON, and `--combine A.json B.json`
writes the results of such runs together. `make bench-scale` runs the three sizes above.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import psycopg

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
HOME = "https://lms.example"
SKILLS = 200
OPPORTUNITIES = 2000
CONTEXT_MEAN = 500
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
HISTORY_DAYS = 730
ADL = "http://adlnet.gov/expapi/verbs/"
VERBS = {
    "experienced": ADL + "experienced",
    "progressed": ADL + "progressed",
    "completed": ADL + "completed",
    "passed": ADL + "passed",
    "failed": ADL + "failed",
    "voided": ADL + "voided",
}
INCREMENTAL_EVENTS = 200


@dataclass(frozen=True)
class Size:
    """One point of the scale curve."""

    learners: int
    events: int

    @property
    def label(self) -> str:
        """A short name for the size, as used in database names and tables."""
        return f"{self.learners // 1000}k-{self.events / 1e6:g}M"


# --- generation -----------------------------------------------------------------------------------------


def activity_iri(opportunity: int) -> str:
    """The xAPI activity id of the module that is opportunity number `opportunity` (0-based)."""
    return f"{HOME}/mod/{opportunity}"


def _copy(cur: psycopg.Cursor[Any], table: str, columns: str, rows: io.StringIO) -> None:
    rows.seek(0)
    with cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        while chunk := rows.read(1 << 20):
            copy.write(chunk)


def _ts(seconds: np.ndarray) -> list[str]:
    base = NOW.timestamp()
    return [datetime.fromtimestamp(base - s, UTC).isoformat() for s in seconds.tolist()]


def generate(url: str, size: Size, seed: int = 20261123) -> dict[str, float]:
    """Fill the migrated database at `url` with one tenant of `size`; return the seconds each part took."""
    rng = np.random.default_rng(seed)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    with psycopg.connect(url, autocommit=False) as conn, conn.cursor() as cur:
        now = NOW.isoformat()
        cur.execute(
            "INSERT INTO tenants (slug, name, created_at) VALUES ('scale', 'Scale benchmark', %s) RETURNING id",
            (now,),
        )
        tenant = cur.fetchone()[0]  # type: ignore[index]

        buf = io.StringIO()
        for s in range(SKILLS):
            buf.write(f"{tenant}\tSkill {s:03d}\tCategory {s // 20}\t{HOME}/skills/{s}\t{now}\n")
        _copy(cur, "skills", "tenant_id, name, category, uri, created_at", buf)
        cur.execute("SELECT id FROM skills WHERE tenant_id = %s ORDER BY id", (tenant,))
        skill_ids = np.array([r[0] for r in cur.fetchall()])

        buf = io.StringIO()
        efforts = np.clip(rng.lognormal(np.log(6), 0.8, OPPORTUNITIES), 0.5, 80).round(1)
        for o in range(OPPORTUNITIES):
            kind = "course" if o % 5 else "workshop"
            buf.write(f"{tenant}\tModule {o:04d}\t{kind}\t{efforts[o]}\t{activity_iri(o)}\tactive\t{now}\t{now}\n")
        _copy(cur, "opportunities", "tenant_id, title, kind, effort_hours, url, status, created_at, updated_at", buf)
        cur.execute("SELECT id FROM opportunities WHERE tenant_id = %s ORDER BY id", (tenant,))
        opp_ids = np.array([r[0] for r in cur.fetchall()])

        # Skills of each opportunity: 1 to 4, clustered by category so that agendas line up with modules.
        buf = io.StringIO()
        opp_skills: list[np.ndarray] = []
        for o in range(OPPORTUNITIES):
            count = int(rng.integers(1, 5))
            home = int(rng.integers(0, SKILLS // 20)) * 20
            chosen = np.unique(np.concatenate([home + rng.integers(0, 20, count - 1), rng.integers(0, SKILLS, 1)]))
            opp_skills.append(chosen)
            for s in chosen:
                buf.write(f"{opp_ids[o]}\t{skill_ids[s]}\t{round(float(rng.uniform(0.2, 1.0)), 2)}\n")
        _copy(cur, "opportunity_skills", "opportunity_id, skill_id, weight", buf)

        # 10% of modules need an earlier one first (never a cycle); 5% are also reachable by an LTI link.
        buf = io.StringIO()
        for o in range(1, OPPORTUNITIES):
            if rng.random() < 0.10:
                buf.write(f"{opp_ids[o]}\t{opp_ids[int(rng.integers(0, o))]}\n")
        _copy(cur, "opportunity_prerequisites", "opportunity_id, prerequisite_id", buf)
        buf = io.StringIO()
        for o in range(OPPORTUNITIES):
            buf.write(f"{tenant}\t{activity_iri(o)}\t{opp_ids[o]}\n")
        _copy(cur, "opportunity_activities", "tenant_id, activity_id, opportunity_id", buf)
        buf = io.StringIO()
        for o in range(0, OPPORTUNITIES, 20):
            buf.write(f"{tenant}\tlink-{o}\t{opp_ids[o]}\n")
        _copy(cur, "opportunity_lti_links", "tenant_id, resource_link_id, opportunity_id", buf)

        # Contexts of 100 to 900 learners.
        sizes: list[int] = []
        while sum(sizes) < size.learners:
            sizes.append(int(rng.integers(100, 2 * CONTEXT_MEAN - 99)))
        sizes[-1] -= sum(sizes) - size.learners
        if sizes[-1] <= 0:
            sizes.pop()
            sizes[-1] += size.learners - sum(sizes)
        buf = io.StringIO()
        for c in range(len(sizes)):
            buf.write(f"{tenant}\tteam-{c}\tTeam {c}\t{now}\n")
        _copy(cur, "contexts", "tenant_id, lms_context_id, title, created_at", buf)
        cur.execute("SELECT id FROM contexts WHERE tenant_id = %s ORDER BY id", (tenant,))
        context_ids = np.array([r[0] for r in cur.fetchall()])
        learner_context = np.repeat(np.arange(len(sizes)), sizes)

        # People: joined 14 to 700 days ago, in role for up to 8 years.
        joined_ago = rng.integers(14 * 86400, 700 * 86400, size.learners)
        role_days = rng.integers(30, 8 * 365, size.learners)
        buf = io.StringIO()
        joined = _ts(joined_ago)
        for p in range(size.learners):
            started_on = (NOW.date() - timedelta(days=int(role_days[p]))).isoformat()
            buf.write(f"{tenant}\tu{p}\tLearner {p:06d}\tlearner{p}@corp.example\tf\t{started_on}\t{joined[p]}\n")
        _copy(cur, "people", "tenant_id, lms_user_id, name, email, provisional, role_started_on, created_at", buf)
        cur.execute("SELECT id FROM people WHERE tenant_id = %s ORDER BY id", (tenant,))
        person_ids = np.array([r[0] for r in cur.fetchall()])
        buf = io.StringIO()
        for p in range(size.learners):
            buf.write(f"{context_ids[learner_context[p]]}\t{person_ids[p]}\tlearner\tt\t{joined[p]}\n")
        _copy(cur, "memberships", "context_id, person_id, role, active, joined_at", buf)

        # Org agendas: 8 to 20 needed skills, a why for the important and critical ones, 2 to 5 mandatory.
        mandatory: list[np.ndarray] = []
        for c, context_id in enumerate(context_ids.tolist()):
            cur.execute(
                "INSERT INTO org_agendas (tenant_id, context_id, role_label, version, created_at) "
                "VALUES (%s, %s, '', 1, %s) RETURNING id",
                (tenant, context_id, (NOW - timedelta(days=720)).isoformat()),
            )
            agenda = cur.fetchone()[0]  # type: ignore[index]
            needs = rng.choice(SKILLS, int(rng.integers(8, 21)), replace=False)
            buf = io.StringIO()
            for s in needs:
                need = int(rng.integers(1, 4))
                why = f"Team {c} relies on skill {s} this year." if need >= 2 else ""
                buf.write(f"{agenda}\t{skill_ids[s]}\t{need}\t{why}\n")
            _copy(cur, "org_agenda_skills", "agenda_id, skill_id, need, why", buf)
            chosen = rng.choice(OPPORTUNITIES, int(rng.integers(2, 6)), replace=False)
            mandatory.append(chosen)
            buf = io.StringIO()
            for o in chosen:
                due = (NOW.date() + timedelta(days=int(rng.integers(-200, 200)))).isoformat()
                buf.write(f"{agenda}\t{opp_ids[o]}\t{due}\n")
            _copy(cur, "org_agenda_mandatory_items", "agenda_id, opportunity_id, due_on", buf)

        # Personal agendas for 80% of learners.
        has_agenda = rng.random(size.learners) < 0.8
        buf = io.StringIO()
        for p in np.flatnonzero(has_agenda).tolist():
            hours = int(rng.integers(1, 6))
            buf.write(f"{tenant}\t{person_ids[p]}\t1\t{joined[p]}\t{hours}\tGrow in my role.\n")
        _copy(cur, "personal_agendas", "tenant_id, person_id, version, created_at, weekly_hours, aspirations", buf)
        cur.execute("SELECT person_id, id FROM personal_agendas WHERE tenant_id = %s", (tenant,))
        agenda_of = dict(cur.fetchall())
        interests: dict[int, np.ndarray] = {}
        buf = io.StringIO()
        for p in np.flatnonzero(has_agenda).tolist():
            home = int(rng.integers(0, SKILLS // 20)) * 20
            chosen = np.unique(np.concatenate([home + rng.integers(0, 20, 4), rng.integers(0, SKILLS, 2)]))
            interests[p] = chosen
            agenda = agenda_of[int(person_ids[p])]
            for s in chosen:
                buf.write(f"{agenda}\t{skill_ids[s]}\t{int(rng.integers(1, 4))}\n")
        _copy(cur, "personal_agenda_skills", "agenda_id, skill_id, interest", buf)
        conn.commit()
        timings["catalogue, people and agendas"] = time.perf_counter() - started

        started = time.perf_counter()
        loaded = _generate_events(
            cur, rng, size, tenant, person_ids, joined_ago, learner_context, mandatory, interests, opp_skills
        )
        conn.commit()
        timings["events (COPY)"] = time.perf_counter() - started
        timings["events"] = loaded
        started = time.perf_counter()
        cur.execute("ALTER TABLE learning_events ADD CONSTRAINT pk_learning_events PRIMARY KEY (id)")
        cur.execute(
            "ALTER TABLE learning_events ADD CONSTRAINT uq_learning_events_tenant_id_event_id "
            "UNIQUE (tenant_id, event_id)"
        )
        cur.execute(
            "CREATE INDEX ix_learning_events_person_time ON learning_events (tenant_id, person_id, occurred_at)"
        )
        cur.execute(
            "ALTER TABLE learning_events ADD CONSTRAINT fk_learning_events_person_id_people "
            "FOREIGN KEY (person_id) REFERENCES people (id) ON DELETE CASCADE"
        )
        cur.execute(
            "ALTER TABLE learning_events ADD CONSTRAINT fk_learning_events_tenant_id_tenants "
            "FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE"
        )
        conn.commit()
        timings["event indexes"] = time.perf_counter() - started
    started = time.perf_counter()
    _build_tallies(url)
    timings["tallies"] = time.perf_counter() - started
    with psycopg.connect(url, autocommit=True) as conn:
        started = time.perf_counter()
        conn.execute("VACUUM ANALYZE")
        timings["vacuum analyze"] = time.perf_counter() - started
        # Kept beside the data so that `--reuse` can report how long the generation took.
        conn.execute("CREATE TABLE alignment_scale_generation (timings json NOT NULL)")
        conn.execute("INSERT INTO alignment_scale_generation VALUES (%s)", (json.dumps(timings),))
    return timings


def _build_tallies(url: str, chunk: int = 2000) -> None:
    """Build every learner's running tallies from the events COPY loaded (as recording them would have)."""
    from sqlalchemy import select

    from alignment.events import rebuild_learners
    from alignment.people import PersonRecord
    from alignment.tenancy import TenantRecord
    from sweetspot.runtime import bootstrap
    from sweetspot.schema import metadata
    from sweetspot.settings import Settings

    metadata()  # every table declared, for the foreign keys of the tallies
    runtime = bootstrap(Settings(data_dir=Path(f"/tmp/alignment-scale-{os.getpid()}"), database_url=url))
    with runtime.unit_of_work(read_only=True) as uow:
        tenant = uow.session.scalar(select(TenantRecord.id).where(TenantRecord.slug == "scale"))
        people = list(uow.session.scalars(select(PersonRecord.id).where(PersonRecord.tenant_id == tenant)))
    for start in range(0, len(people), chunk):
        with runtime.unit_of_work() as uow:
            rebuild_learners(uow, tenant, people[start : start + chunk])  # type: ignore[arg-type]
            uow.commit()
    runtime.close()


def _generate_events(
    cur: psycopg.Cursor[Any],
    rng: np.random.Generator,
    size: Size,
    tenant: int,
    person_ids: np.ndarray,
    joined_ago: np.ndarray,
    learner_context: np.ndarray,
    mandatory: list[np.ndarray],
    interests: dict[int, np.ndarray],
    opp_skills: list[np.ndarray],
) -> int:
    """COPY `size.events` events in time order (built as arrays, sorted, then written in chunks)."""
    n = size.learners
    kind = rng.choice(3, n, p=[0.10, 0.25, 0.65])  # 0 never starts, 1 goes quiet, 2 keeps going
    weight = np.where(kind == 0, 0.0, rng.lognormal(0, 1.0, n))
    counts = np.floor(weight / weight.sum() * size.events).astype(np.int64)
    short = size.events - int(counts.sum())
    np.add.at(counts, rng.choice(np.flatnonzero(kind > 0), short, replace=True), 1)
    # Each active learner works on 3 to 15 modules: their context's mandatory ones, modules building the
    # skills they want, and a few others.
    by_skill: dict[int, list[int]] = {}
    for o, skills in enumerate(opp_skills):
        for s in skills.tolist():
            by_skill.setdefault(s, []).append(o)
    learner = np.repeat(np.arange(n), counts)
    total = len(learner)
    ends = np.where(kind == 1, rng.integers(20 * 86400, 200 * 86400, n), 0)
    starts = np.minimum(joined_ago, HISTORY_DAYS * 86400)
    span = np.maximum(starts - ends, 86400)
    ago = ends[learner] + (rng.random(total) * span[learner]).astype(np.int64)
    opportunity = np.empty(total, dtype=np.int32)
    offsets = np.concatenate([[0], np.cumsum(counts)])
    for p in np.flatnonzero(counts).tolist():
        pool = list(mandatory[learner_context[p]].tolist())
        for s in interests.get(p, np.array([], dtype=np.int64)).tolist()[:3]:
            options = by_skill.get(s, [])
            if options:
                pool.append(options[int(rng.integers(0, len(options)))])
        pool += rng.integers(0, OPPORTUNITIES, int(rng.integers(1, 8))).tolist()
        choice = np.array(pool)
        opportunity[offsets[p] : offsets[p + 1]] = choice[rng.integers(0, len(choice), counts[p])]
    # 70% page views (context match), 20% progress on the module, 6% completed, 2% passed, 2% failed.
    verb = rng.choice(5, total, p=[0.70, 0.20, 0.06, 0.02, 0.02])
    page = rng.integers(1, 30, total)
    progress = rng.integers(1, 100, total)
    order = np.argsort(-ago, kind="stable")  # oldest first: arrival order
    voided = set(rng.choice(total, max(1, total // 2000), replace=False).tolist())
    columns = (
        "tenant_id, person_id, event_id, occurred_at, verb, activity_id, context_activity_ids, "
        "lti_resource_link_id, completion, success, progress, voids, recorded_at"
    )
    cur.execute("ALTER TABLE learning_events DROP CONSTRAINT IF EXISTS fk_learning_events_person_id_people")
    cur.execute("ALTER TABLE learning_events DROP CONSTRAINT IF EXISTS fk_learning_events_tenant_id_tenants")
    cur.execute("ALTER TABLE learning_events DROP CONSTRAINT IF EXISTS uq_learning_events_tenant_id_event_id")
    cur.execute("ALTER TABLE learning_events DROP CONSTRAINT IF EXISTS pk_learning_events")
    cur.execute("DROP INDEX IF EXISTS ix_learning_events_person_time")
    chunk = 500_000
    base = NOW.timestamp()
    names = [VERBS[v] for v in ("experienced", "progressed", "completed", "passed", "failed")]
    with cur.copy(f"COPY learning_events ({columns}) FROM STDIN") as copy:
        for start in range(0, total, chunk):
            idx = order[start : start + chunk]
            out = io.StringIO()
            for i, p, a, o, v, pg, pr in zip(
                idx.tolist(),
                learner[idx].tolist(),
                ago[idx].tolist(),
                opportunity[idx].tolist(),
                verb[idx].tolist(),
                page[idx].tolist(),
                progress[idx].tolist(),
                strict=True,
            ):
                at = datetime.fromtimestamp(base - a, UTC).isoformat()
                event_id = f"00000000-0000-4000-8000-{i:012x}"
                module = activity_iri(o)
                if v == 0:
                    row = f'{names[0]}\t{module}/page/{pg}\t["{module}"]\t\\N\t\\N\t\\N\t\\N'
                elif v == 1:
                    row = f"{names[1]}\t{module}\t[]\t\\N\t\\N\t\\N\t{pr / 100}"
                elif v == 4:
                    row = f"{names[4]}\t{module}\t[]\t\\N\tf\tf\t\\N"
                else:
                    row = f"{names[v]}\t{module}\t[]\t\\N\tt\tt\t\\N"
                out.write(f"{tenant}\t{person_ids[p]}\t{event_id}\t{at}\t{row}\t\\N\t{at}\n")
                if i in voided:
                    later = datetime.fromtimestamp(base - max(a - 3600, 0), UTC).isoformat()
                    out.write(
                        f"{tenant}\t{person_ids[p]}\tffffffff-0000-4000-8000-{i:012x}\t{later}\t{VERBS['voided']}"
                        f"\t\\N\t[]\t\\N\t\\N\t\\N\t\\N\t{event_id}\t{later}\n"
                    )
            copy.write(out.getvalue())
    return total + len(voided)


# --- measurement ----------------------------------------------------------------------------------------


def measure(url: str, incremental: int, seed: int, contexts: int | None = None, workers: int = 1) -> dict[str, Any]:
    """Time the engine on the tenant in `url` (run in its own process: its peak RSS is the engine's).

    With `contexts`, the sweep and the re-plan cover only the first that many contexts (reported as such).
    With `workers` above 1, the whole-tenant re-plan and sweep run in that many worker processes
    (`sweetspot.passes`, as `sweetspot replan/sweep --workers` do), each context in its own transaction.
    """
    from sqlalchemy import func, select

    from alignment import sentences
    from alignment.learning import take_in
    from alignment.people import ContextRecord, MembershipRecord
    from alignment.replanning import replan_context
    from alignment.roadmaps import RoadmapRecord, Trigger
    from alignment.rules.progress import LearningEvent
    from alignment.sweeps import sweep
    from alignment.tenancy import TenantRecord
    from sweetspot.passes import replan_tenant_in_parts, sweep_tenant
    from sweetspot.runtime import bootstrap
    from sweetspot.settings import Settings

    runtime = bootstrap(Settings(data_dir=Path(f"/tmp/alignment-scale-{os.getpid()}"), database_url=url))
    results: dict[str, Any] = {}
    with runtime.unit_of_work(read_only=True) as uow:
        tenant = uow.session.scalar(select(TenantRecord.id).where(TenantRecord.slug == "scale"))
    assert tenant is not None, "no tenant 'scale' in this database"

    def timed(name: str, work: Any) -> Any:
        started = time.perf_counter()
        with runtime.unit_of_work() as uow:
            outcome = work(uow)
            uow.commit()
        results[name] = {"seconds": round(time.perf_counter() - started, 3), "result": outcome}
        print(f"{name}: {results[name]}", file=sys.stderr, flush=True)
        return outcome

    with runtime.unit_of_work(read_only=True) as uow:
        every_context = list(
            uow.session.scalars(
                select(ContextRecord.id).where(ContextRecord.tenant_id == tenant).order_by(ContextRecord.id)
            )
        )
        chosen = every_context[:contexts] if contexts else every_context
        results["contexts"] = {
            "measured": len(chosen),
            "total": len(every_context),
            "learners_measured": uow.session.scalar(
                select(func.count()).select_from(MembershipRecord).where(MembershipRecord.context_id.in_(chosen))
            ),
        }

    def replan_all(uow: Any) -> int:
        if not contexts:
            return replan_tenant_in_parts(runtime, tenant, Trigger.POLICY, sentences.REPLAN_POLICY(), NOW, workers)
        return sum(replan_context(uow, tenant, c, Trigger.POLICY, sentences.REPLAN_POLICY(), NOW) for c in chosen)

    def sweep_summary(uow: Any) -> dict[str, int]:
        # An hour after the re-plan, as a periodic sweep follows it (a roadmap counts from the moment it was made).
        moment = NOW + timedelta(hours=1)
        if not contexts:
            totals = sweep_tenant(runtime, tenant, moment, workers)
            return {
                "learners": totals.learners,
                "opened": totals.opened,
                "updated": totals.updated,
                "cleared": totals.cleared,
            }
        report = sweep(uow, tenant, moment, context_ids=chosen, learners=False)
        return {
            "learners": report.evaluated,
            "opened": report.opened,
            "updated": report.updated,
            "cleared": report.cleared,
        }

    timed("replan_first", replan_all)
    timed("replan_again", replan_all)
    timed("sweep_first", sweep_summary)
    timed("sweep_again", sweep_summary)

    # The incremental update: one new event at a time for learners picked at random, half of them
    # finishing the first item of their roadmap (which re-plans them), half a page view of a module they
    # work on (its page, with the module as the parent context activity, as the generated events are).
    # First, for each context of the picked learners, another learner of it finishes an item: the first
    # event this process takes in for the context, which reads the catalogue (the first of all) and works
    # out the context's view of it into the process's memo, as a job worker that has just started does.
    # Those are timed apart; the picked learners' events are then taken in as by a worker that has run.
    rng = np.random.default_rng(seed)
    with runtime.unit_of_work(read_only=True) as uow:
        newest = (
            select(RoadmapRecord.person_id, func.max(RoadmapRecord.version).label("version"))
            .where(RoadmapRecord.context_id.in_(chosen))
            .group_by(RoadmapRecord.person_id)
            .limit(5_000)
            .subquery()
        )
        # Each learner's current roadmap: its first item is not finished yet.
        rows = uow.session.execute(
            select(RoadmapRecord.person_id, RoadmapRecord.context_id, RoadmapRecord.plan)
            .join(newest, (newest.c.person_id == RoadmapRecord.person_id) & (newest.c.version == RoadmapRecord.version))
            .order_by(RoadmapRecord.person_id)
        ).all()
    picks = rng.choice(len(rows), min(incremental, len(rows)), replace=False).tolist()
    picked = set(picks)
    first_in_context: dict[int, int] = {}
    for n, (_, context, plan) in enumerate(rows):
        if n not in picked and plan["items"]:
            first_in_context.setdefault(context, n)
    warm_up = [first_in_context[c] for c in sorted({rows[n][1] for n in picks}) if c in first_in_context]
    from alignment.mappings import ActivityMappingRecord

    with runtime.unit_of_work(read_only=True) as uow:
        iri = {
            opportunity: activity
            for opportunity, activity in uow.session.execute(
                select(ActivityMappingRecord.opportunity_id, ActivityMappingRecord.activity_id)
            )
        }
    latencies: dict[str, list[float]] = {"first": [], "finish": [], "page": []}
    replanned = 0
    run = time.time_ns()  # new event ids each run: recording is idempotent by id
    for n, pick in enumerate(warm_up + picks):
        person, _, plan = rows[pick]
        items = plan["items"]
        parents: tuple[str, ...] = ()
        if n < len(warm_up) or (n % 2 == 0 and items):
            kind, activity, verb = "finish", iri[items[0]["opportunity_id"]], VERBS["completed"]
        else:
            module = iri[items[-1]["opportunity_id"]] if items else activity_iri(int(rng.integers(0, OPPORTUNITIES)))
            kind, activity, verb, parents = "page", module + "/page/99", VERBS["experienced"], (module,)
        event = LearningEvent(
            event_id=f"bench-{seed}-{run}-{n}",
            learner_id=person,
            occurred_at=NOW + timedelta(hours=2, minutes=n + 1),
            verb=verb,
            activity_id=activity,
            context_activity_ids=parents,
        )
        started = time.perf_counter()
        with runtime.unit_of_work() as uow:
            # Taken in a second after it happened, as a statement is handed over after it was sent.
            intake = take_in(uow, tenant, [event], event.occurred_at + timedelta(seconds=1))
            uow.commit()
        if n < len(warm_up):
            latencies["first"].append((time.perf_counter() - started) * 1000)
        else:
            latencies[kind].append((time.perf_counter() - started) * 1000)
            replanned += intake.replanned

    def summary(values: list[float]) -> dict[str, float]:
        ordered = sorted(values)
        return {
            "events": len(ordered),
            "median": round(statistics.median(ordered), 2),
            "p90": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))], 2),
            "p99": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 2),
            "max": round(ordered[-1], 2),
        }

    every = latencies["finish"] + latencies["page"]
    results["incremental_ms"] = summary(every) | {
        "replanned": replanned,
        "finishing_an_item": summary(latencies["finish"]),
        "page_view": summary(latencies["page"]),
        "first_in_context": summary(latencies["first"]),
    }
    print(f"incremental: {results['incremental_ms']}", file=sys.stderr, flush=True)
    results["workers"] = workers
    results["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    # The largest worker process, if any ran (each holds the catalogue and one context at a time).
    results["peak_worker_rss_mb"] = round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)
    runtime.close()
    return results


# --- the run --------------------------------------------------------------------------------------------


def _database_url(server: str, name: str) -> str:
    return f"{server.rstrip('/')}/{name}"


def run_size(
    server: str,
    size: Size,
    keep: bool,
    incremental: int,
    generate_only: bool = False,
    contexts: int | None = None,
    reuse: bool = False,
    workers: int = 1,
    copy: bool = False,
) -> dict[str, Any]:
    """Make, fill, measure and (unless `keep`) drop a database for one size.

    With `copy`, a kept database is measured on a fresh copy (PostgreSQL's CREATE DATABASE … TEMPLATE),
    so that every run starts from the generated state: nobody has a roadmap or a flag yet.
    """
    name = f"alignment_scale_{size.learners}_{size.events}"
    url = _database_url(server, name)
    env = {**os.environ, "DATABASE_URL": url, "SWEETSPOT_DATA_DIR": f"/tmp/alignment-scale-{name}"}
    upgrade = [str(Path(sys.executable).parent / "sweetspot"), "db", "upgrade"]
    if reuse:
        # A kept database is measured at the current schema (migrations since it was generated).
        subprocess.run(upgrade, env=env, check=True, cwd=ROOT, stdout=sys.stderr)
        with psycopg.connect(url) as conn:
            generation = conn.execute("SELECT timings FROM alignment_scale_generation").fetchone()[0]  # type: ignore[index]
    else:
        with psycopg.connect(_database_url(server, "postgres"), autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name}")
            conn.execute(f"CREATE DATABASE {name}")
        subprocess.run(upgrade, env=env, check=True, cwd=ROOT, stdout=sys.stderr)
        print(f"--- {size.label}: generating", file=sys.stderr, flush=True)
        generation = generate(url, size)
    print(f"generated: {generation}", file=sys.stderr, flush=True)
    result = {"size": size.__dict__, "database": name, "generation_seconds": generation}
    if generate_only:
        return result
    if copy:
        with psycopg.connect(_database_url(server, "postgres"), autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name}_run")
            conn.execute(f"CREATE DATABASE {name}_run TEMPLATE {name}")
            # The copy's writes are flushed now, not during the first pass measured on it.
            conn.execute("CHECKPOINT")
        result |= _measure_in_process(_database_url(server, f"{name}_run"), incremental, contexts, workers)
        with psycopg.connect(_database_url(server, "postgres"), autocommit=True) as conn:
            conn.execute(f"DROP DATABASE {name}_run")
        return result
    result |= _measure_in_process(url, incremental, contexts, workers)
    if not keep:
        with psycopg.connect(_database_url(server, "postgres"), autocommit=True) as conn:
            conn.execute(f"DROP DATABASE {name}")
    return result


def _measure_in_process(url: str, incremental: int, contexts: int | None, workers: int) -> dict[str, Any]:
    extra = ["--contexts", str(contexts)] if contexts else []
    extra += ["--workers", str(workers)]
    done = subprocess.run(
        [sys.executable, __file__, "--measure-only", url, "--incremental", str(incremental), *extra],
        check=True,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    return dict(json.loads(done.stdout))


def _uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


READING = "## How to read it"


def write_results(runs: list[dict[str, Any]], commands: list[str], load: dict[str, str]) -> None:
    """Write benchmarks/results/alignment-scale.json and .md (keeping the .md's reading, written by hand)."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    markdown = RESULTS / "alignment-scale.md"
    kept = markdown.read_text() if markdown.exists() else ""
    reading = kept[kept.index(READING) :] if READING in kept else ""
    meta = {
        "commands": commands,
        "date": date.today().isoformat(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "uptime_before": load["before"],
        "uptime_after": load["after"],
    }
    (RESULTS / "alignment-scale.json").write_text(json.dumps({"meta": meta, "runs": runs}, indent=2) + "\n")
    lines = [
        "# Alignment engine at scale",
        "",
        "Commands (from the repository root):",
        "",
        *[f"    {command}" for command in commands],
        "",
        f"Machine: {meta['machine']}; PostgreSQL on the same machine, shared with other work.",
        f"Load before: `{meta['uptime_before']}`; after: `{meta['uptime_after']}`.",
        "",
        "Targets (100,000 learners, 20M events): full sweep < 60 s, full re-plan < 60 s, incremental "
        "update < 10 ms, peak memory < 1 GB.",
        "",
        "| learners | events | processes | generate (s) | re-plan, first (s) | re-plan, again (s) "
        "| sweep, first (s) | sweep, again (s) | one event: page view, median / p99 (ms) "
        "| one event that finishes an item (re-plan), median / p90 / p99 (ms) "
        "| the same, first event of a context in the process, median / max (ms) | peak RSS (MB) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for run in runs:
        g = run["generation_seconds"]
        inc = run["incremental_ms"]
        part = run["contexts"]
        scope = (
            ""
            if part["measured"] == part["total"]
            else f" (sweep and re-plan of {part['measured']} of {part['total']} contexts: "
            f"{part['learners_measured']:,} learners)"
        )
        workers = run.get("workers", 1)
        memory = f"{run['peak_rss_mb']:.0f}"
        if workers > 1:
            memory += f" + {workers} × ≤ {run['peak_worker_rss_mb']:.0f}"
        page, finish, first = inc["page_view"], inc["finishing_an_item"], inc["first_in_context"]
        lines.append(
            f"| {run['size']['learners']:,}{scope} | {int(g['events']):,} | {workers} | "
            f"{sum(v for k, v in g.items() if k != 'events'):.0f} | "
            f"{run['replan_first']['seconds']:.1f} | {run['replan_again']['seconds']:.1f} | "
            f"{run['sweep_first']['seconds']:.1f} | {run['sweep_again']['seconds']:.1f} | "
            f"{page['median']:.1f} / {page['p99']:.1f} | "
            f"{finish['median']:.1f} / {finish['p90']:.1f} / {finish['p99']:.1f} | "
            f"{first['median']:.1f} / {first['max']:.1f} | {memory} |"
        )
    lines += ["", "Raw numbers, with what each step changed, are in `alignment-scale.json`.", "", ""]
    markdown.write_text("\n".join(lines) + reading)


def main() -> None:
    """Parse the command line and run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default="postgresql://postgres@127.0.0.1:5432", help="PostgreSQL server URL")
    parser.add_argument(
        "--sizes", default="10000:2000000,30000:6000000,100000:20000000", help="LEARNERS:EVENTS,… to run"
    )
    parser.add_argument("--incremental", type=int, default=INCREMENTAL_EVENTS, help="single events to time")
    parser.add_argument("--keep", action="store_true", help="keep the databases")
    parser.add_argument("--reuse", action="store_true", help="measure databases an earlier --keep run generated")
    parser.add_argument("--contexts", type=int, help="sweep and re-plan only the first N contexts (reported as such)")
    parser.add_argument("--workers", type=int, default=1, help="processes for the whole-tenant re-plan and sweep")
    parser.add_argument(
        "--copy", action="store_true", help="with --reuse: measure a fresh copy, leaving the kept database as it is"
    )
    parser.add_argument("--measure-only", metavar="URL", help="only measure the tenant in this database")
    parser.add_argument("--generate-only", action="store_true", help="generate and keep the databases, no measuring")
    parser.add_argument("--no-write", action="store_true", help="print the results, do not write them")
    parser.add_argument(
        "--combine",
        nargs="+",
        metavar="RUN.json",
        help="write the results of earlier --no-write runs (their printed JSON, with 'command' and 'uptime' added)",
    )
    args = parser.parse_args()
    if args.combine:
        parts = [json.loads(Path(name).read_text().strip().splitlines()[-1]) for name in args.combine]
        runs = [run for part in parts for run in part["runs"]]
        load = {
            "before": " | ".join(p["uptime_before"] for p in parts),
            "after": " | ".join(p["uptime_after"] for p in parts),
        }
        write_results(runs, [p["command"] for p in parts], load)
        return
    if args.measure_only:
        print(
            json.dumps(
                measure(args.measure_only, args.incremental, seed=7, contexts=args.contexts, workers=args.workers)
            )
        )
        return
    sizes = []
    for part in args.sizes.split(","):
        learners, _, events = part.partition(":")
        if not (learners.isdigit() and events.isdigit()):
            parser.error(f"--sizes: {part!r} is not LEARNERS:EVENTS")
        sizes.append(Size(int(learners), int(events)))
    load = {"before": _uptime()}
    runs = [
        run_size(
            args.server,
            size,
            args.keep or args.generate_only or args.reuse,
            args.incremental,
            args.generate_only,
            args.contexts,
            args.reuse,
            args.workers,
            args.copy,
        )
        for size in sizes
    ]
    if args.generate_only:
        print(json.dumps(runs, indent=2))
        return
    load["after"] = _uptime()
    command = ".venv/bin/python benchmarks/alignment_scale.py " + " ".join(sys.argv[1:])
    if args.no_write:
        print(
            json.dumps(
                {"command": command, "uptime_before": load["before"], "uptime_after": load["after"], "runs": runs}
            )
        )
    else:
        write_results(runs, [command], load)


if __name__ == "__main__":
    main()
