"""Back-test Sweetspot's stall rules on the Open University Learning Analytics Dataset (OULAD).

Kuzilek J., Hlosta M., Zdrahal Z. (2017). Open University Learning Analytics dataset. Scientific Data
4:170171. Licence CC BY 4.0.

The dataset becomes a Sweetspot tenant the way a real one is fed:
- each module presentation is a context whose org agenda makes every assessment mandatory by its
  due date (the expected pace); each enrolment is a learner who joined on the registration day;
- every submission becomes an xAPI statement (passed at 40 or more, else failed), written to a
  JSON-lines file and loaded with `sweetspot xapi load`, the same path an LRS export takes;
- withdrawals are the labels: `left` on the unregistration day, everyone else `stayed`; each learner
  is observed until their presentation ends (warnings after a course is over say nothing).
Then `sweetspot backtest` replays the history week by week and the report lands in
benchmarks/results/oulad-backtest.md.

Run from the repository root (SQLite by default; set DATABASE_URL for PostgreSQL):

    .venv/bin/python benchmarks/oulad_backtest.py --presentations AAA-2013J,BBB-2013B,DDD-2013J

`--reuse DIR` runs only the back-test again on the data an earlier run prepared and loaded in DIR.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from alignment.agendas import set_org_agenda
from alignment.opportunities import OpportunityDraft, create_opportunity
from alignment.people import Role, join, upsert_context, upsert_person
from alignment.tenancy import create_tenant
from sweetspot import database
from sweetspot.runtime import bootstrap
from sweetspot.settings import Settings

HOME = "https://oulad.example"
TENANT = "oulad"
PASSED = "http://adlnet.gov/expapi/verbs/passed"
FAILED = "http://adlnet.gov/expapi/verbs/failed"
EFFORT_HOURS = {"TMA": 12.0, "CMA": 3.0, "Exam": 3.0}
TITLE = "Stall rules back-tested on OULAD"
ATTRIBUTION = (
    "Data: Open University Learning Analytics Dataset — Kuzilek J., Hlosta M., Zdrahal Z. (2017), "
    "*Scientific Data* 4:170171, CC BY 4.0. Results computed by Sweetspot from that data."
)


@dataclass(frozen=True)
class Dataset:
    """The OULAD tables this back-test reads, narrowed to the chosen presentations."""

    presentations: list[str]
    lengths: dict[str, int]
    assessments: dict[str, list[dict[str, str]]]
    registrations: list[dict[str, str]]
    results: dict[tuple[str, str], str]
    submissions_path: Path


def presentation_start(key: str) -> date:
    """OULAD names presentations by year and month letter: B starts in February, J in October."""
    code = key.split("-")[1]
    return date(int(code[:4]), 2 if code[4] == "B" else 10, 1)


def midnight(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), UTC)


def read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


def read_dataset(folder: Path, wanted: set[str]) -> Dataset:
    lengths = {
        f"{c['code_module']}-{c['code_presentation']}": int(c["module_presentation_length"])
        for c in read(folder / "courses.csv")
    }
    chosen = sorted(k for k in lengths if not wanted or k in wanted)
    assessments: dict[str, list[dict[str, str]]] = defaultdict(list)
    for a in read(folder / "assessments.csv"):
        assessments[f"{a['code_module']}-{a['code_presentation']}"].append(a)
    registrations = [
        r for r in read(folder / "studentRegistration.csv") if f"{r['code_module']}-{r['code_presentation']}" in chosen
    ]
    results = {
        (f"{r['code_module']}-{r['code_presentation']}", r["id_student"]): r["final_result"]
        for r in read(folder / "studentInfo.csv")
    }
    return Dataset(chosen, lengths, assessments, registrations, results, folder / "studentAssessment.csv")


def prepare_tenant(settings: Settings, data: Dataset) -> dict[str, str]:
    """Contexts, mandatory assessments and enrolments; returns which presentation each assessment is in."""
    runtime = bootstrap(settings)
    database.upgrade(runtime.engine)
    course_of: dict[str, str] = {}
    with runtime.unit_of_work() as uow:
        tenant = create_tenant(uow, TENANT, "Open University (OULAD)")
        contexts = {}
        for key in data.presentations:
            start = presentation_start(key)
            contexts[key] = upsert_context(uow, tenant.id, key, f"OULAD {key}")
            mandatory = {}
            for a in data.assessments[key]:
                draft = OpportunityDraft(
                    f"{key} {a['assessment_type']} {a['id_assessment']}",
                    "assessment",
                    EFFORT_HOURS.get(a["assessment_type"], 3.0),
                    activity_ids=frozenset({f"{HOME}/assessment/{a['id_assessment']}"}),
                )
                due = start + timedelta(days=int(a["date"]) if a["date"] else data.lengths[key])
                mandatory[create_opportunity(uow, tenant.id, draft).id] = due
                course_of[a["id_assessment"]] = key
            set_org_agenda(uow, tenant.id, contexts[key].id, {}, mandatory, now=midnight(start) - timedelta(days=200))
        for r in data.registrations:
            key = f"{r['code_module']}-{r['code_presentation']}"
            person = upsert_person(uow, tenant.id, f"{key}-{r['id_student']}", f"Student {r['id_student']}")
            registered = max(int(r["date_registration"]), 0) if r["date_registration"] else 0
            join(
                uow, contexts[key], person, Role.LEARNER, now=midnight(presentation_start(key)) + timedelta(registered)
            )
        uow.commit()
    runtime.close()
    return course_of


def write_statements(data: Dataset, course_of: dict[str, str], path: Path) -> int:
    """Every submission of the chosen presentations as an xAPI statement, one per line."""
    count = 0
    with path.open("w", encoding="utf-8") as out:
        for s in read(data.submissions_path):
            key = course_of.get(s["id_assessment"])
            if key is None:
                continue
            score = float(s["score"]) if s["score"] not in ("", "?") else None
            when = midnight(presentation_start(key)) + timedelta(days=int(s["date_submitted"]), hours=12)
            statement: dict[str, object] = {
                "actor": {"objectType": "Agent", "account": {"homePage": HOME, "name": f"{key}-{s['id_student']}"}},
                "verb": {"id": PASSED if score is not None and score >= 40 else FAILED},
                "object": {"objectType": "Activity", "id": f"{HOME}/assessment/{s['id_assessment']}"},
                "timestamp": when.isoformat().replace("+00:00", "Z"),
            }
            if score is not None:
                statement["result"] = {"score": {"raw": score, "min": 0, "max": 100}, "success": score >= 40}
            out.write(json.dumps(statement) + "\n")
            count += 1
    return count


def write_labels(data: Dataset, path: Path) -> None:
    """Who left (withdrew) and when, and until when each learner is observed (their course's end)."""
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["learner_id", "outcome", "left_on", "observed_until"])
        for r in data.registrations:
            key = f"{r['code_module']}-{r['code_presentation']}"
            start = presentation_start(key)
            withdrawn = data.results.get((key, r["id_student"])) == "Withdrawn" and r["date_unregistration"]
            left_on = start + timedelta(days=int(r["date_unregistration"])) if withdrawn else None
            ends = start + timedelta(days=data.lengths[key])
            writer.writerow(
                [f"{key}-{r['id_student']}", "left" if left_on else "stayed", left_on or "", ends.isoformat()]
            )


def sweetspot(*args: str, env: dict[str, str]) -> str:
    command = [str(Path(sys.executable).with_name("sweetspot")), *args]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"sweetspot {args[0]} failed: {done.stderr.strip()}")
    return done.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=Path("../shared/data/oulad"))
    parser.add_argument("--presentations", default="", help="Comma-separated MODULE-PRESENTATION, e.g. AAA-2013J.")
    parser.add_argument("--step-days", type=int, default=7)
    parser.add_argument("--report", type=Path, default=Path("benchmarks/results/oulad-backtest.md"))
    parser.add_argument("--reuse", type=Path, help="The work directory of an earlier run: only back-test again.")
    parser.add_argument(
        "--policy",
        nargs="*",
        default=["quiet_days=45", "never_started_days=45"],
        metavar="NAME=VALUE",
        help="Stall-rule settings for the tenant (OULAD records only monthly submissions, no clicks).",
    )
    args = parser.parse_args()

    data = read_dataset(args.data, {p.strip() for p in args.presentations.split(",") if p.strip()})
    work = args.reuse or Path(tempfile.mkdtemp(prefix="oulad-"))
    print(f"working in {work}", flush=True)
    env = {**os.environ, "SWEETSPOT_DATA_DIR": str(work / "instance"), "SWEETSPOT_LOG_LEVEL": "WARNING"}
    settings = Settings(data_dir=work / "instance", database_url=os.environ.get("DATABASE_URL"))
    statements, labels = work / "statements.jsonl", work / "labels.csv"
    write_labels(data, labels)
    loading = "reused from an earlier run"
    if args.reuse is None:
        started = time.monotonic()
        count = write_statements(data, prepare_tenant(settings, data), statements)
        loaded = sweetspot("xapi", "load", str(statements), "--tenant", TENANT, env=env)
        seconds = time.monotonic() - started
        loading = f"{count} submissions as xAPI statements; `sweetspot xapi load`: {loaded}, {seconds:.0f} s"

    sweetspot("db", "upgrade", env=env)  # a reused database may predate the newest migrations
    if args.policy:
        sweetspot("policy", "set", "--tenant", TENANT, *args.policy, env=env)
    first = min(presentation_start(k) for k in data.presentations)
    last = max(presentation_start(k) + timedelta(days=data.lengths[k]) for k in data.presentations)
    started = time.monotonic()
    sweetspot(
        "backtest",
        "--tenant",
        TENANT,
        "--from",
        first.isoformat(),
        "--to",
        last.isoformat(),
        "--labels",
        str(labels),
        "--step-days",
        str(args.step_days),
        "--output",
        str(args.report),
        "--title",
        TITLE,
        env=env,
    )
    database_kind = "PostgreSQL" if settings.database_url else "SQLite"
    footer = (
        f"\nPresentations: {', '.join(data.presentations)} ({len(data.registrations)} enrolments).\n"
        f"Loading: {loading}.\n"
        f"Policy: {' '.join(args.policy) or 'the defaults'}.\n"
        f"Back-test: {time.monotonic() - started:.0f} s on {database_kind}, this 2-core machine.\n"
        f"Command: `make bench` (that is, `.venv/bin/python benchmarks/oulad_backtest.py --presentations "
        f"{args.presentations}`).\n\n{ATTRIBUTION}\n"
    )
    args.report.write_text(args.report.read_text(encoding="utf-8") + footer, encoding="utf-8")
    print(args.report.read_text(encoding="utf-8"))


if __name__ == "__main__":
    main()
