"""`sweetspot sweep`, `sweetspot momentum export` and `sweetspot policy …`: stall detection and its settings."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

import click

from alignment.backtest import backtest, parse_labels_csv, report_markdown
from alignment.errors import InvalidInput
from alignment.messages import verbatim
from alignment.policies import current_policy, propose_policy
from alignment.replanning import change_policy
from alignment.roadmaps import Trigger
from alignment.rules.stalls import StallRule
from alignment.sentences import REPLAN_BY_ADMIN, english
from alignment.sweeps import SweepReport, preview_policy, sweep
from alignment.tenancy import Tenant, list_tenants
from sweetspot.cli.base import CliState, find_tenant, parse_moment, pass_state, tenant_option
from sweetspot.passes import replan_tenant_in_parts, sweep_tenant


@click.command("sweep")
@click.option("--tenant", "tenant_slug", default=None, metavar="SLUG", help="Only this tenant (default: all).")
@click.option(
    "--as-of",
    "as_of",
    default=None,
    metavar="DATETIME",
    help="Evaluate the rules as they stood then, from events before it; reports only, changes no flag.",
)
@click.option("--json", "as_json", is_flag=True, help="Print every learner's findings and momentum as JSON.")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Processes sweeping contexts side by side (each context committed as it is done); prints totals.",
)
@pass_state
def sweep_command(state: CliState, tenant_slug: str | None, as_of: str | None, as_json: bool, workers: int) -> None:
    """Run the stall rules over every learner: raise, update and clear flags, keep momentum."""
    moment = parse_moment(as_of)
    tenants = [find_tenant(state, tenant_slug)] if tenant_slug else _all_tenants(state)
    if workers > 1:
        if as_of is not None or as_json:
            raise click.UsageError("--workers records a sweep of now and prints totals: not with --as-of or --json")
        for tenant in tenants:
            totals = sweep_tenant(state.current_runtime, tenant.id, moment, workers)
            click.echo(
                f"{tenant.slug}: {totals.learners} learners as of {moment.isoformat(timespec='minutes')}; "
                f"{totals.flagged} flagged; flags opened {totals.opened}, updated {totals.updated}, "
                f"cleared {totals.cleared}"
            )
        return
    reports: dict[str, SweepReport] = {}
    for tenant in tenants:
        with state.current_runtime.unit_of_work() as uow:
            reports[tenant.slug] = sweep(uow, tenant.id, moment, record=as_of is None)
            uow.commit()
    if as_json:
        click.echo(json.dumps({slug: _report_json(r) for slug, r in reports.items()}, indent=2, default=str))
        return
    for slug, report in reports.items():
        flagged = [r for r in report.learners if r.findings]
        verb = "changed" if report.recorded else "would flag (nothing recorded)"
        click.echo(
            f"{slug}: {len(report.learners)} learners as of {moment.isoformat(timespec='minutes')}; "
            f"{len(flagged)} flagged; flags opened {report.opened}, updated {report.updated}, "
            f"cleared {report.cleared}" + ("" if report.recorded else f" — {verb}")
        )
        for result in flagged:
            rules = ", ".join(f"{f.rule.value} ({f.severity.value})" for f in result.findings)
            click.echo(f"  {result.learner_name} in {result.lms_context_id}: momentum {result.momentum.score}; {rules}")


@click.command("replan")
@tenant_option
@click.option(
    "--reason",
    default=None,
    help="Shown in each history as written (default: “Re-planned by an administrator.”, in each reader's language).",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Processes re-planning contexts side by side (each context committed as it is done).",
)
@pass_state
def replan_command(state: CliState, tenant_slug: str, reason: str | None, workers: int) -> None:
    """Re-plan every learner's roadmap in every context of the tenant; a roadmap that comes out the same
    keeps its version."""
    tenant = find_tenant(state, tenant_slug)
    changed = replan_tenant_in_parts(
        state.current_runtime,
        tenant.id,
        Trigger.POLICY,
        verbatim(reason) if reason else REPLAN_BY_ADMIN(),
        parse_moment(None),
        workers,
    )
    click.echo(f"{tenant.slug}: {changed} roadmap{'s' if changed != 1 else ''} changed")


@click.group()
def momentum() -> None:
    """Learning momentum per learner and context."""


@momentum.command("export")
@tenant_option
@click.option("--as-of", "as_of", default=None, metavar="DATETIME", help="Score as it stood then.")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
@pass_state
def export(state: CliState, tenant_slug: str, as_of: str | None, fmt: str) -> None:
    """Write learner id, LMS user id, context, momentum and open flag rules, for HR and BI tools."""
    tenant = find_tenant(state, tenant_slug)
    with state.current_runtime.unit_of_work() as uow:
        report = sweep(uow, tenant.id, parse_moment(as_of), record=False)
    rows = [
        {
            "learner_id": r.person_id,
            "lms_user_id": r.lms_user_id or "",
            "context": r.lms_context_id,
            "momentum": r.momentum.score,
            "open_flags": " ".join(f.rule.value for f in r.findings),
        }
        for r in report.learners
    ]
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2))
        return
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=["learner_id", "lms_user_id", "context", "momentum", "open_flags"])
    writer.writeheader()
    writer.writerows(rows)
    click.echo(out.getvalue(), nl=False)


@click.group()
def policy() -> None:
    """The tenant's quadrant thresholds, gift budget and stall-rule settings."""


@policy.command("show")
@tenant_option
@pass_state
def show(state: CliState, tenant_slug: str) -> None:
    """Print the tenant's policy and its version as JSON."""
    tenant = find_tenant(state, tenant_slug)
    with state.current_runtime.unit_of_work(read_only=True) as uow:
        current = current_policy(uow, tenant.id)
    click.echo(json.dumps({"version": current.version, **asdict(current.policy)}, indent=2))


@policy.command("set")
@tenant_option
@click.argument("settings", nargs=-1, required=True, metavar="NAME=VALUE...")
@pass_state
def set_command(state: CliState, tenant_slug: str, settings: tuple[str, ...]) -> None:
    """Change settings, e.g. `quiet_days=21 gift_budget_hours_per_quarter=8`; all or nothing.

    Changing a quadrant threshold or the gift budget re-plans every roadmap of the tenant.
    """
    tenant = find_tenant(state, tenant_slug)
    changes = _parse_settings(settings)
    with state.current_runtime.unit_of_work() as uow:
        updated, replanned = change_policy(uow, tenant.id, changes, datetime.now(UTC))
        uow.commit()
    click.echo(json.dumps({"version": updated.version, **asdict(updated.policy)}, indent=2))
    if replanned:
        click.echo(f"{replanned} roadmaps re-planned", err=True)


@policy.command("preview")
@tenant_option
@click.option("--as-of", "as_of", default=None, metavar="DATETIME", help="Count as things stood then (default: now).")
@click.argument("settings", nargs=-1, required=True, metavar="NAME=VALUE...")
@pass_state
def preview_command(state: CliState, tenant_slug: str, as_of: str | None, settings: tuple[str, ...]) -> None:
    """How many learners each stall rule flags, with the current settings and with these; changes nothing."""
    tenant = find_tenant(state, tenant_slug)
    changes = _parse_settings(settings)
    with state.current_runtime.unit_of_work(read_only=True) as uow:
        proposed = propose_policy(current_policy(uow, tenant.id).policy, changes)
        preview = preview_policy(uow, tenant.id, proposed, parse_moment(as_of))
    click.echo(f"{'rule':<18} {'now':>6} {'proposed':>9}")
    for rule in StallRule:
        click.echo(f"{rule.value:<18} {preview.current.by_rule[rule]:>6} {preview.proposed.by_rule[rule]:>9}")
    click.echo(f"{'any rule':<18} {preview.current.flagged:>6} {preview.proposed.flagged:>9}")
    replans = "; saving them re-plans every roadmap" if preview.replans else ""
    click.echo(f"of {preview.current.learners} learners{replans}")


def _parse_settings(settings: tuple[str, ...]) -> dict[str, float]:
    changes: dict[str, float] = {}
    for item in settings:
        name, sep, value = item.partition("=")
        if not sep:
            raise InvalidInput(f"{item!r} is not NAME=VALUE")
        try:
            changes[name.strip()] = float(value)
        except ValueError:
            raise InvalidInput(f"{name}: {value!r} is not a number") from None
    return changes


def _all_tenants(state: CliState) -> list[Tenant]:
    with state.current_runtime.unit_of_work() as uow:
        return list_tenants(uow)


def _report_json(report: SweepReport) -> dict[str, object]:
    return {
        "as_of": report.as_of.isoformat(),
        "recorded": report.recorded,
        "opened": report.opened,
        "updated": report.updated,
        "cleared": report.cleared,
        "learners": [
            {
                "learner_id": r.person_id,
                "name": r.learner_name,
                "lms_user_id": r.lms_user_id,
                "context": r.lms_context_id,
                "momentum": r.momentum.score,
                "momentum_parts": [asdict(p) for p in r.momentum.parts],
                "findings": [
                    {
                        "rule": f.rule.value,
                        "severity": f.severity.value,
                        "summary": english(f.summary),
                        "evidence": f.evidence,
                        "action": english(f.action),
                    }
                    for f in r.findings
                ],
            }
            for r in report.learners
        ],
    }


@click.command("backtest")
@tenant_option
@click.option("--from", "start", required=True, metavar="DATE", help="First moment to replay.")
@click.option("--to", "end", required=True, metavar="DATE", help="Last moment to replay.")
@click.option(
    "--labels",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="CSV of known outcomes: learner_id (LMS user id), outcome (left|stayed), left_on.",
)
@click.option("--step-days", default=7, show_default=True, type=click.IntRange(1, 90), help="Days between replays.")
@click.option(
    "--horizon-days",
    default=28,
    show_default=True,
    type=click.IntRange(1, 365),
    help="In the step-by-step view, a warning counts when the learner leaves within this many days.",
)
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), help="Also write the report here.")
@click.option("--title", default="Stall rules back-test", show_default=True, help="Heading of the report.")
@pass_state
def backtest_command(
    state: CliState,
    tenant_slug: str,
    start: str,
    end: str,
    labels: Path,
    step_days: int,
    horizon_days: int,
    output: Path | None,
    title: str,
) -> None:
    """Replay stored history and report how early and how precisely each rule and momentum warned."""
    tenant = find_tenant(state, tenant_slug)
    outcomes = parse_labels_csv(labels.read_text(encoding="utf-8-sig"))
    with state.current_runtime.unit_of_work() as uow:
        report = backtest(uow, tenant.id, parse_moment(start), parse_moment(end), outcomes, step_days, horizon_days)
    text = report_markdown(report, title)
    if output is not None:
        output.write_text(text, encoding="utf-8")
    click.echo(text, nl=False)
