"""The `sweetspot` command: one group per area of the product."""

from __future__ import annotations

import click

from sweetspot.cli import catalogue, database, jobs, lti, objectives, serving, stalls, tenants, xapi
from sweetspot.cli.base import CliState, SweetspotGroup


@click.group(cls=SweetspotGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.pass_context
def main(context: click.Context) -> None:
    """Sweetspot: align workplace learning with what learners want and what the organisation needs.

    Settings come from the environment: SWEETSPOT_DATA_DIR (default ./instance), DATABASE_URL
    (default SQLite in the data directory), REDIS_URL (default: jobs run embedded in `serve`).
    """
    if not isinstance(context.obj, CliState):
        context.obj = CliState(context.obj)
    context.call_on_close(context.obj.close)


for command in (
    database.db,
    tenants.tenant,
    serving.serve_command,
    serving.demo,
    jobs.worker,
    jobs.jobs_group,
    catalogue.skills,
    catalogue.opportunities,
    catalogue.people,
    stalls.sweep_command,
    stalls.replan_command,
    stalls.momentum,
    stalls.policy,
    stalls.backtest_command,
    objectives.objective,
    xapi.xapi,
    lti.lti,
):
    main.add_command(command)
