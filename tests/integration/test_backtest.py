"""Back-testing the rules on stored history against known outcomes."""

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from alignment.agendas import set_org_agenda
from alignment.backtest import Outcome, backtest, parse_labels_csv
from alignment.errors import InvalidInput
from alignment.events import record_events
from alignment.opportunities import OpportunityDraft, create_opportunity
from alignment.people import Role, join, upsert_context, upsert_person
from alignment.rules.progress import COMPLETED, LearningEvent
from alignment.tenancy import create_tenant, get_tenant
from sweetspot.runtime import Runtime
from tests.conftest import Cli

START = datetime(2025, 1, 6, tzinfo=UTC)


def history(runtime: Runtime) -> None:
    """Six learners join on 6 January; three keep submitting weekly, three stop after a week and leave."""
    with runtime.unit_of_work() as uow:
        tenant = create_tenant(uow, "uni", "Open University")
        course = upsert_context(uow, tenant.id, "AAA-2025J", "AAA 2025J")
        assessments = [
            create_opportunity(
                uow,
                tenant.id,
                OpportunityDraft(f"TMA {n}", "assessment", 5, activity_ids=frozenset({f"https://uni.test/tma/{n}"})),
            )
            for n in range(1, 9)
        ]
        set_org_agenda(
            uow,
            tenant.id,
            course.id,
            {},
            mandatory={a.id: (START + timedelta(days=7 * (i + 1))).date() for i, a in enumerate(assessments)},
            now=START - timedelta(days=1),
        )
        events = []
        for n in range(6):
            person = upsert_person(uow, tenant.id, f"s{n}", f"Student {n}")
            join(uow, course, person, Role.LEARNER, now=START)
            weeks = 8 if n < 3 else 1
            events += [
                LearningEvent(
                    f"e{n}-{w}",
                    person.id,
                    START + timedelta(days=7 * w + 6),
                    COMPLETED,
                    f"https://uni.test/tma/{w + 1}",
                )
                for w in range(weeks)
            ]
        record_events(uow, tenant.id, events)
        uow.commit()


LABELS = "learner_id,outcome,left_on\n" + "".join(
    f"s{n},{'stayed' if n < 3 else 'left'},{'' if n < 3 else '2025-02-24'}\n" for n in range(6)
)


def test_rules_that_warn_before_learners_leave_score_well(runtime: Runtime) -> None:
    history(runtime)
    with runtime.unit_of_work() as uow:
        tenant_id = get_tenant(uow, "uni").id
        report = backtest(uow, tenant_id, START, START + timedelta(days=63), parse_labels_csv(LABELS), step_days=7)
    assert (report.learners, report.left, report.stayed) == (6, 3, 3)
    signals = {s.name: s for s in report.signals}
    behind = signals["behind_pace"]
    assert (behind.true_positives, behind.false_positives) == (3, 0)
    assert behind.roc_auc == 1.0
    assert behind.median_warning_days is not None and behind.median_warning_days > 0
    assert signals["momentum"].roc_auc == 1.0
    by_step = {s.name: s for s in report.step_signals}["behind_pace"]
    assert by_step.false_positives == 0
    assert by_step.true_positives > 0
    assert by_step.roc_auc is not None and by_step.roc_auc > 0.5


def test_labels_file_errors_name_the_line() -> None:
    with pytest.raises(InvalidInput, match="line 2: outcome must be left or stayed"):
        parse_labels_csv("learner_id,outcome\ns1,quit\n")
    with pytest.raises(InvalidInput, match="lacks column"):
        parse_labels_csv("id,result\n")
    assert parse_labels_csv("learner_id,outcome,left_on,observed_until\ns1,left,2025-02-01,2025-06-30\n") == {
        "s1": Outcome(True, date(2025, 2, 1), date(2025, 6, 30))
    }
    with pytest.raises(InvalidInput, match="line 2: observed_until must be a date"):
        parse_labels_csv("learner_id,outcome,observed_until\ns1,stayed,june\n")


def test_backtest_command_writes_the_report(cli: Cli, runtime: Runtime, tmp_path: Path) -> None:
    history(runtime)
    labels = tmp_path / "labels.csv"
    labels.write_text(LABELS)
    output = tmp_path / "report.md"
    result = cli(
        "backtest",
        "--tenant",
        "uni",
        "--from",
        "2025-01-06",
        "--to",
        "2025-03-10",
        "--labels",
        str(labels),
        "--output",
        str(output),
    )
    assert result.exit_code == 0, result.output
    assert "| behind_pace | 3 | 0 | 0 | 100% | 100% | 1.00 |" in output.read_text()


def test_warnings_after_a_learners_observation_ends_are_ignored(runtime: Runtime) -> None:
    history(runtime)
    # The course ends on 3 March; long after, everyone has gone quiet, which says nothing about leaving.
    with_end = "".join(f"{line},2025-03-03\n" for line in LABELS.strip().splitlines()[1:])
    labels = parse_labels_csv("learner_id,outcome,left_on,observed_until\n" + with_end)
    with runtime.unit_of_work() as uow:
        tenant_id = get_tenant(uow, "uni").id
        bounded = backtest(uow, tenant_id, START, START + timedelta(days=180), labels, step_days=7)
        unbounded = backtest(uow, tenant_id, START, START + timedelta(days=180), parse_labels_csv(LABELS), step_days=7)
    quiet = {r.name: r for r in bounded.signals}["gone_quiet"]
    assert quiet.false_positives == 0
    assert {r.name: r for r in unbounded.signals}["gone_quiet"].false_positives == 3
