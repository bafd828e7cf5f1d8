"""`sweetspot worker` and `sweetspot jobs …`: the background job tier."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import click
from huey.consumer import Consumer
from huey.exceptions import ResultTimeout

from sweetspot.cli.base import CliState, pass_state
from sweetspot.jobs import build_jobs
from sweetspot.logs import configure_logging


@click.command()
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64))
@click.option(
    "--periodic/--no-periodic",
    default=True,
    show_default=True,
    help="Also enqueue scheduled jobs; give it to one worker only.",
)
@pass_state
def worker(state: CliState, workers: int, periodic: bool) -> None:
    """Consume background jobs (from Redis when REDIS_URL is set, else the embedded queue)."""
    configure_logging(state.settings.log_level, state.settings.log_format)
    jobs = build_jobs(state.runtime)
    Consumer(jobs.queue, workers=workers, periodic=periodic, worker_type="thread").run()


@click.group("jobs")
def jobs_group() -> None:
    """Inspect the job queue."""


@jobs_group.command()
@click.option("--timeout", default=10.0, show_default=True, help="Seconds to wait for an answer.")
@pass_state
def ping(state: CliState, timeout: float) -> None:
    """Send a job through the queue and wait for a consumer to answer it (exit 1 if none does)."""
    jobs = build_jobs(state.runtime)
    result = jobs.ping(datetime.now(UTC).isoformat())
    try:
        answer = result.get(blocking=True, timeout=timeout)
    except ResultTimeout:
        result.revoke()
        raise click.ClickException(
            f"no job consumer answered within {timeout:g} s: start `sweetspot worker` "
            "(with REDIS_URL set) or `sweetspot serve` (embedded queue)"
        ) from None
    click.echo(json.dumps(answer))
