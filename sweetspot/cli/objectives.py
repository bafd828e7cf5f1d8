"""`sweetspot objective …`: a team's learning objective for a quarter, with computed key results."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from alignment.errors import InvalidInput
from alignment.objectives import KeyResultKind, set_objective, team_objective
from alignment.people import find_context
from sweetspot.cli.base import CliState, find_tenant, pass_state, tenant_option

context_option = click.option("--context", "lms_context_id", required=True, help="The LMS context (course) id.")
quarter_option = click.option("--quarter", required=True, metavar="YYYY-Qn", help="e.g. 2026-Q4.")


@click.group()
def objective() -> None:
    """A team's learning objective for a quarter (learning as a team OKR)."""


@objective.command("set")
@tenant_option
@context_option
@quarter_option
@click.option("--statement", required=True, help="The objective in the team's words.")
@click.option(
    "--key-result",
    "key_results",
    multiple=True,
    required=True,
    metavar="KIND=TARGET",
    help=f"A key result and its target share, e.g. sweet_spot_in_progress=0.6. Kinds: {', '.join(KeyResultKind)}.",
)
@pass_state
def set_command(
    state: CliState, tenant_slug: str, lms_context_id: str, quarter: str, statement: str, key_results: tuple[str, ...]
) -> None:
    """Set the objective, replacing any earlier one for that quarter."""
    tenant = find_tenant(state, tenant_slug)
    targets: dict[str, float] = {}
    for item in key_results:
        kind, sep, value = item.partition("=")
        try:
            targets[kind.strip()] = float(value) if sep else float("nan")
        except ValueError:
            raise InvalidInput(f"{item!r}: the target must be a number between 0 and 1") from None
    with state.current_runtime.unit_of_work() as uow:
        context = find_context(uow, tenant.id, lms_context_id)
        set_objective(uow, tenant.id, context.id, quarter, statement, targets)
        uow.commit()
    click.echo(f"objective for {quarter} set in {lms_context_id}")


@objective.command("show")
@tenant_option
@context_option
@quarter_option
@pass_state
def show(state: CliState, tenant_slug: str, lms_context_id: str, quarter: str) -> None:
    """Show the objective, each key result now, and its weekly trend."""
    tenant = find_tenant(state, tenant_slug)
    with state.current_runtime.unit_of_work() as uow:
        context = find_context(uow, tenant.id, lms_context_id)
        result = team_objective(uow, tenant.id, context.id, quarter, datetime.now(UTC))
    click.echo(f"{quarter}: {result.statement}")
    for kr in result.key_results:
        value = "n/a" if kr.value is None else f"{kr.value:.0%}"
        status = "met" if kr.met else "not yet"
        click.echo(
            f"  {kr.kind.value}: {value} of target {kr.target:.0%} ({kr.numerator}/{kr.denominator}, {status}) — "
            f"{kr.kind.description}"
        )
    for day, values in result.trend:
        cells = ", ".join(f"{v.kind.value} {'n/a' if v.value is None else f'{v.value:.0%}'}" for v in values)
        click.echo(f"  week to {day.isoformat()}: {cells}")
