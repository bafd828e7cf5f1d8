"""Back-test Sweetspot's stall rules on the Open University Learning Analytics Dataset (OULAD).

Kuzilek J., Hlosta M., Zdrahal Z. (2017). Open University Learning Analytics dataset. Scientific Data
4:170171. Licence CC BY 4.0.

The dataset becomes a Sweetspot tenant the way a real one is fed:
- each module presentation is a context whose org agenda makes every assessment mandatory by its
  due date (the expected pace); each enrolment is a learner who joined on the registration day;
- every submission becomes an xAPI statement (passed at 40 or more, else failed), written to a
  JSON-lines file and loaded with `sweetspot xapi load`, the same path an LRS export takes;
- withdrawals are the labels: `left` on the unregistration day, everyone else `stayed`.
Then `sweetspot backtest` replays the history week by week and the report lands in
benchmarks/results/oulad-backtest.md.

Run from the repository root (takes a few minutes on SQLite; set DATABASE_URL for PostgreSQL):

    .venv/bin/python benchmarks/oulad_backtest.py --presentations AAA-2013J,BBB-2013B,DDD-2013J
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
ATTRIBUTION = (
    "Data: Open University Learning Analytics Dataset — Kuzilek J., Hlosta M., Zdrahal Z. (2017), "
    "*Scientific Data* 4:170171, CC BY 4.0. Results computed by Sweetspot from that data."
)


def presentation_start(code: str) -> date:
    """OULAD names presentations by year and month letter: B starts in February, J in October."""
    return date(int(code[:4]), 2 if code[4] == "B" else 10, 1)


def read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=Path("../shared/data/oulad"))
    parser.add_argument("--presentations", default="", help="Comma-separated MODULE-PRESENTATION, e.g. AAA-2013J.")
    parser.add_argument("--step-days", type=int, default=7)
    parser.add_argument("--report", type=Path, default=Path("benchmarks/results/oulad-backtest.md"))
    args = parser.parse_args()
    wanted = {p.strip() for p in args.presentations.split(",") if p.strip()}

    work = Path(tempfile.mkdtemp(prefix="oulad-"))
    env = {**os.environ, "SWEETSPOT_DATA_DIR": str(work / "instance"), "SWEETSPOT_LOG_LEVEL": "WARNING"}
    settings = Settings(data_dir=work / "instance", database_url=os.environ.get("DATABASE_URL"))
    runtime = bootstrap(settings)
    database.upgrade(runtime.engine)

    courses = {
        f"{c['code_module']}-{c['code_presentation']}": int(c["module_presentation_length"])
        for c in read(args.data / "courses.csv")
    }
    chosen = sorted(k for k in courses if not wanted or k in wanted)
    assessments = defaultdict(list)
    for a in read(args.data / "assessments.csv"):
        assessments[f"{a['code_module']}-{a['code_presentation']}"].append(a)
    registrations = [
        r
        for r in read(args.data / "studentRegistration.csv")
        if f"{r['code_module']}-{r['code_presentation']}" in chosen
    ]
    results = {
        (r["code_module"], r["code_presentation"], r["id_student"]): r["final_result"]
        for r in read(args.data / "studentInfo.csv")
    }

    started = time.monotonic()
    assessment_course: dict[str, str] = {}
    with runtime.unit_of_work() as uow:
        tenant = create_tenant(uow, TENANT, "Open University (OULAD)")
        for key in chosen:
            start = presentation_start(key.split("-")[1])
            context = upsert_context(uow, tenant.id, key, f"OULAD {key}")
            mandatory = {}
            for a in assessments[key]:
                due_day = int(a["date"]) if a["date"] else courses[key]
                opportunity = create_opportunity(
                    uow,
                    tenant.id,
                    OpportunityDraft(
                        f"{key} {a['assessment_type']} {a['id_assessment']}",
                        "assessment",
                        EFFORT_HOURS.get(a["assessment_type"], 3.0),
                        activity_ids=frozenset({f"{HOME}/assessment/{a['id_assessment']}"}),
                    ),
                )
                mandatory[opportunity.id] = start + timedelta(days=due_day)
                assessment_course[a["id_assessment"]] = key
            set_org_agenda(
                uow,
                tenant.id,
                context.id,
                {},
                mandatory,
                now=datetime.combine(start, datetime.min.time(), UTC) - timedelta(days=200),
            )
            uow.commit()
        with_labels = []
        for r in registrations:
            key = f"{r['code_module']}-{r['code_presentation']}"
            start = presentation_start(r["code_presentation"])
            lms_id = f"{key}-{r['id_student']}"
            person = upsert_person(uow, tenant.id, lms_id, f"Student {r['id_student']}")
            registered = int(r["date_registration"]) if r["date_registration"] else 0
            joined = datetime.combine(start, datetime.min.time(), UTC) + timedelta(days=max(registered, 0))
            join(uow, upsert_context(uow, tenant.id, key, f"OULAD {key}"), person, Role.LEARNER, now=joined)
            withdrawn = results.get((r["code_module"], r["code_presentation"], r["id_student"])) == "Withdrawn"
            left_on = (
                start + timedelta(days=int(r["date_unregistration"]))
                if withdrawn and r["date_unregistration"]
                else None
            )
            with_labels.append(
                (lms_id, "left" if withdrawn and left_on else "stayed", left_on.isoformat() if left_on else "")
            )
        uow.commit()
    runtime.close()

    statements = work / "statements.jsonl"
    count = 0
    with statements.open("w", encoding="utf-8") as out:
        for s in read(args.data / "studentAssessment.csv"):
            key = assessment_course.get(s["id_assessment"])
            if key is None:
                continue
            start = presentation_start(key.split("-")[1])
            score = float(s["score"]) if s["score"] not in ("", "?") else None
            statement = {
                "actor": {"objectType": "Agent", "account": {"homePage": HOME, "name": f"{key}-{s['id_student']}"}},
                "verb": {"id": PASSED if score is not None and score >= 40 else FAILED},
                "object": {"objectType": "Activity", "id": f"{HOME}/assessment/{s['id_assessment']}"},
                "timestamp": (
                    datetime.combine(start, datetime.min.time(), UTC)
                    + timedelta(days=int(s["date_submitted"]), hours=12)
                )
                .isoformat()
                .replace("+00:00", "Z"),
            }
            if score is not None:
                statement["result"] = {"score": {"raw": score, "min": 0, "max": 100}, "success": score >= 40}
            out.write(json.dumps(statement) + "\n")
            count += 1
    labels = work / "labels.csv"
    with labels.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["learner_id", "outcome", "left_on"])
        writer.writerows(with_labels)
    prepared = time.monotonic() - started

    sweetspot = str(Path(sys.executable).with_name("sweetspot"))
    started = time.monotonic()
    loaded = subprocess.run(
        [sweetspot, "xapi", "load", str(statements), "--tenant", TENANT],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    load_seconds = time.monotonic() - started
    starts = [presentation_start(k.split("-")[1]) for k in chosen]
    first, last = min(starts), max(s + timedelta(days=courses[k]) for s, k in zip(starts, chosen, strict=True))
    started = time.monotonic()
    title = "Stall rules back-tested on OULAD"
    subprocess.run(
        [
            sweetspot,
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
            title,
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    backtest_seconds = time.monotonic() - started
    body = args.report.read_text(encoding="utf-8")
    args.report.write_text(
        body
        + f"\nPresentations: {', '.join(chosen)} ({len(registrations)} enrolments, "
        + f"{count} submissions as xAPI statements).\n"
        + f"Prepared in {prepared:.0f} s; `sweetspot xapi load`: {loaded.stdout.strip()} in {load_seconds:.0f} s; "
        + f"back-test in {backtest_seconds:.0f} s (database: {'PostgreSQL' if settings.database_url else 'SQLite'}).\n"
        + "Command: `.venv/bin/python benchmarks/oulad_backtest.py "
        + (f"--presentations {args.presentations}" if args.presentations else "")
        + "`\n\n"
        + ATTRIBUTION
        + "\n",
        encoding="utf-8",
    )
    print(args.report.read_text(encoding="utf-8"))


if __name__ == "__main__":
    main()
