"""The alignment commands an admin runs: imports, policy, sweeps and the momentum export."""

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from alignment.agendas import set_org_agenda
from alignment.catalogue import list_skills
from alignment.flags import flags_of
from alignment.messages import verbatim
from alignment.opportunities import OpportunityDraft, create_opportunity, list_opportunities
from alignment.people import Role, join, upsert_context, upsert_person
from alignment.replanning import replan_tenant
from alignment.roadmaps import Trigger
from sweetspot.jobs import sweep_every_tenant
from sweetspot.passes import SweepTotals, replan_tenant_in_parts, sweep_tenant
from sweetspot.runtime import Runtime
from tests.conftest import Cli
from tests.integration.conftest import World
from tests.integration.test_catalogue import CASE_PACKAGE


def test_skills_import_from_csv_and_case(cli: Cli, runtime: Runtime, world: World, tmp_path: Path) -> None:
    csv_file = tmp_path / "skills.csv"
    csv_file.write_text("name,category,uri\nStorytelling,Communication,https://skills.acme.test/story\n")
    case_file = tmp_path / "framework.json"
    case_file.write_text(json.dumps(CASE_PACKAGE))
    first = cli("skills", "import", str(csv_file), "--tenant", "acme")
    second = cli("skills", "import", str(case_file), "--tenant", "acme")
    assert first.output == "CSV import: 1 created, 0 updated, 0 unchanged\n"
    assert second.output == "Data Competencies: 1 created, 1 updated, 0 unchanged\n"
    listed = cli("skills", "list", "--tenant", "acme").output
    assert "Storytelling" in listed and "Build dashboards" in listed


def test_a_broken_import_file_is_refused_by_line_and_changes_nothing(
    cli: Cli, runtime: Runtime, world: World, tmp_path: Path
) -> None:
    bad_json = tmp_path / "broken.json"
    bad_json.write_text('{"CFItems": [')
    bad_csv = tmp_path / "broken.csv"
    bad_csv.write_text("name,colour\nStorytelling,blue\n")
    json_result = cli("skills", "import", str(bad_json), "--tenant", "acme")
    csv_result = cli("skills", "import", str(bad_csv), "--tenant", "acme")
    assert json_result.exit_code == 1 and "is not valid JSON" in json_result.output
    assert csv_result.exit_code == 1 and "colour" in csv_result.output
    with runtime.unit_of_work() as uow:
        assert len(list_skills(uow, world.tenant.id)) == 4


def test_unknown_tenant_is_named(cli: Cli, world: World, tmp_path: Path) -> None:
    result = cli("skills", "list", "--tenant", "initech")
    assert result.exit_code == 1
    assert "no tenant with slug 'initech'" in result.output


def test_opportunities_import_and_list(cli: Cli, runtime: Runtime, world: World, tmp_path: Path) -> None:
    file = tmp_path / "opportunities.csv"
    file.write_text("title,kind,effort_hours,skills\nSQL basics,course,4,SQL:1\nPivot tables,module,1.5,Excel:1\n")
    assert cli("opportunities", "import", str(file), "--tenant", "acme").output == "2 created, 0 updated, 0 unchanged\n"
    listed = cli("opportunities", "list", "--tenant", "acme").output
    assert "SQL basics  [SQL 1]" in listed
    with runtime.unit_of_work() as uow:
        assert len(list_opportunities(uow, world.tenant.id)) == 2


def test_policy_set_changes_only_valid_settings(cli: Cli, world: World) -> None:
    changed = cli("policy", "set", "--tenant", "acme", "quiet_days=21", "gift_budget_hours_per_quarter=8")
    assert changed.exit_code == 0, changed.output
    shown = json.loads(cli("policy", "show", "--tenant", "acme").output)
    assert shown["stall"]["quiet_days"] == 21
    assert shown["gift_budget_hours_per_quarter"] == 8
    for bad, message in (
        ("quiet_days=0", "quiet_days: Must be from 1 to 3650."),
        ("quiet_days=1.5", "quiet_days: Must be a whole number of days."),
        ("colour=3", "colour: colour is not a policy setting."),
        ("org_threshold=2", "org_threshold: Must be more than 0 and at most 1."),
        ("plateau_drop_ratio=1", "plateau_drop_ratio: Must be more than 0 and less than 1."),
    ):
        result = cli("policy", "set", "--tenant", "acme", bad)
        assert result.exit_code == 1, bad
        assert message in result.output
    shown = json.loads(cli("policy", "show", "--tenant", "acme").output)
    assert (shown["version"], shown["stall"]["quiet_days"]) == (1, 21)


def test_policy_preview_counts_what_each_rule_would_flag_and_changes_nothing(cli: Cli, world: World) -> None:
    later = (datetime.now(UTC) + timedelta(days=20)).isoformat()
    preview = cli("policy", "preview", "--tenant", "acme", "--as-of", later, "never_started_days=30")
    assert preview.exit_code == 0, preview.output
    never = next(line for line in preview.output.splitlines() if line.startswith("never_started"))
    assert never.split() == ["never_started", "2", "0"], "20 days without starting: flagged after 14, not after 30"
    assert "of 2 learners" in preview.output
    assert json.loads(cli("policy", "show", "--tenant", "acme").output)["version"] == 0


def test_sweep_as_of_reports_and_sweep_now_records(cli: Cli, runtime: Runtime, world: World) -> None:
    later = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    backtest = cli("sweep", "--tenant", "acme", "--as-of", later)
    assert backtest.exit_code == 0, backtest.output
    assert "nothing recorded" in backtest.output
    assert "Ana Alves in course-101" in backtest.output
    with runtime.unit_of_work() as uow:
        assert flags_of(uow, world.tenant.id) == []
    assert cli("sweep", "--tenant", "acme").exit_code == 0


def test_sweep_json_carries_evidence_and_actions(cli: Cli, world: World) -> None:
    later = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    data = json.loads(cli("sweep", "--tenant", "acme", "--as-of", later, "--json").output)
    ana = next(item for item in data["acme"]["learners"] if item["name"] == "Ana Alves")
    (never,) = [f for f in ana["findings"] if f["rule"] == "never_started"]
    assert never["evidence"]["days_without_activity"] == 30
    assert never["action"].startswith("Check the roadmap is relevant")


def test_bad_as_of_is_a_usage_error(cli: Cli, world: World) -> None:
    result = cli("sweep", "--as-of", "last tuesday")
    assert result.exit_code == 2
    assert "is not an ISO 8601 date" in result.output


def test_momentum_export_as_csv_and_json(cli: Cli, world: World) -> None:
    later = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    rows = list(csv.DictReader(io.StringIO(cli("momentum", "export", "--tenant", "acme", "--as-of", later).output)))
    assert [(r["lms_user_id"], r["context"]) for r in rows] == [("u-ana", "course-101"), ("u-ben", "course-101")]
    assert rows[0]["open_flags"] == "never_started"
    as_json = json.loads(cli("momentum", "export", "--tenant", "acme", "--format", "json").output)
    assert {r["lms_user_id"] for r in as_json} == {"u-ana", "u-ben"}
    assert all(0 <= r["momentum"] <= 100 for r in as_json)


def test_periodic_sweep_job_sweeps_every_tenant(runtime: Runtime, world: World) -> None:
    with runtime.unit_of_work() as uow:
        set_org_agenda(uow, world.tenant.id, world.course.id, {world.sql.id: (1, "")})
        uow.commit()
    assert sweep_every_tenant(runtime) == {"acme": 0, "globex": 0}


def test_tenant_passes_in_worker_processes_do_what_one_process_does(cli: Cli, runtime: Runtime, world: World) -> None:
    t = world.tenant.id
    with runtime.unit_of_work() as uow:
        create_opportunity(uow, t, OpportunityDraft("SQL basics", "course", 4, {world.sql.id: 1.0}))
        create_opportunity(uow, t, OpportunityDraft("Python", "course", 6, {world.python.id: 1.0}))
        set_org_agenda(uow, t, world.course.id, {world.sql.id: (3, "Reports."), world.python.id: (2, "Tools.")})
        other = upsert_context(uow, t, "course-202", "Another team")
        join(uow, other, world.ben, Role.LEARNER)
        join(uow, other, upsert_person(uow, t, "u-cleo", "Cleo"), Role.LEARNER)
        uow.commit()
    now = datetime.now(UTC) + timedelta(seconds=1)
    assert replan_tenant_in_parts(runtime, t, Trigger.POLICY, verbatim("Parallel"), now, workers=2) == 4
    with runtime.unit_of_work() as uow:
        assert replan_tenant(uow, t, Trigger.POLICY, verbatim("Again, in one process"), now) == 0
    later = now + timedelta(days=30)
    totals = sweep_tenant(runtime, t, later, workers=2)
    with runtime.unit_of_work(read_only=True) as uow:
        assert totals.opened == len(flags_of(uow, t)) >= 4  # everyone never started, at least
    assert totals.learners == 4
    # The same sweep in one process finds what the workers recorded: nothing to change.
    assert sweep_tenant(runtime, t, later, workers=1) == SweepTotals(4, 4, 0, 0, 0)
    result = cli("replan", "--tenant", "acme")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("acme: ") and "changed" in result.output
    refused = cli("sweep", "--tenant", "acme", "--workers", "2", "--json")
    assert refused.exit_code == 2 and "not with --as-of or --json" in refused.output
