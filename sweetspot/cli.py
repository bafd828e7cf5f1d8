"""The `sweetspot` command."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from typing import Any

import click
from huey.consumer import Consumer
from huey.exceptions import ResultTimeout

from alignment.errors import DomainError
from alignment.tenancy import create_tenant, get_tenant, list_tenants
from sweetspot import database
from sweetspot.app import ALL_EDGES, Edge, create_app
from sweetspot.jobs import build_jobs
from sweetspot.logs import configure_logging
from sweetspot.runtime import Runtime, bootstrap
from sweetspot.server import ServeOptions, serve
from sweetspot.settings import Settings

DEMO_TENANT = ("demo", "Demo Organisation")


class CliState:
    """What every command needs: the settings, and the runtime built from them on first use."""

    def __init__(self, settings: Settings | None) -> None:
        self._settings = settings
        self._runtime: Runtime | None = None

    @property
    def settings(self) -> Settings:
        """Settings given by the caller (tests) or read from the environment."""
        if self._settings is None:
            self._settings = Settings()
        return self._settings

    @property
    def runtime(self) -> Runtime:
        """The runtime, built once."""
        if self._runtime is None:
            self._runtime = bootstrap(self.settings)
        return self._runtime

    @property
    def current_runtime(self) -> Runtime:
        """The runtime, after checking that the database schema is current."""
        database.require_current_schema(self.runtime.engine)
        return self.runtime

    def close(self) -> None:
        """Release what the runtime holds."""
        if self._runtime is not None:
            self._runtime.close()


class SweetspotGroup(click.Group):
    """The command group; errors a user can fix become one line on stderr and exit status 1."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command, reporting domain and schema errors without a traceback."""
        try:
            return super().invoke(ctx)
        except (DomainError, database.SchemaNotCurrent) as error:
            raise click.ClickException(str(error)) from error


pass_state = click.make_pass_decorator(CliState)


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


# --- database -------------------------------------------------------------------------------------


@main.group()
def db() -> None:
    """Migrate the database schema."""


@db.command()
@click.argument("revision", default="head")
@pass_state
def upgrade(state: CliState, revision: str) -> None:
    """Migrate the schema up to REVISION (default: the newest)."""
    database.upgrade(state.runtime.engine, revision)
    click.echo(database.schema_status(state.runtime.engine).describe())


@db.command()
@click.argument("revision")
@pass_state
def downgrade(state: CliState, revision: str) -> None:
    """Migrate the schema down to REVISION (`-1` for one step, `base` for an empty database)."""
    database.downgrade(state.runtime.engine, revision)
    click.echo(database.schema_status(state.runtime.engine).describe())


@db.command()
@click.option("-m", "--message", required=True, help="What the migration does, in a sentence.")
@pass_state
def revision(state: CliState, message: str) -> None:
    """Write a new migration from the models (for developers; review it before committing)."""
    database.require_current_schema(state.runtime.engine)
    database.new_revision(state.runtime.engine, message)


@db.command()
@pass_state
def current(state: CliState) -> None:
    """Show the schema revision of the database and whether it is current (exit 1 if not)."""
    status = database.schema_status(state.runtime.engine)
    click.echo(status.describe())
    if not status.is_current:
        sys.exit(1)


# --- tenants --------------------------------------------------------------------------------------


@main.group()
def tenant() -> None:
    """Manage tenants: one customer organisation each."""


@tenant.command("create")
@click.argument("slug")
@click.option("--name", required=True, help="Display name of the organisation.")
@pass_state
def tenant_create(state: CliState, slug: str, name: str) -> None:
    """Create the tenant SLUG (lower-case letters, digits and hyphens)."""
    with state.current_runtime.unit_of_work() as uow:
        created = create_tenant(uow, slug, name)
        uow.commit()
    click.echo(f"created tenant {created.slug} ({created.name})")


@tenant.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@pass_state
def tenant_list(state: CliState, as_json: bool) -> None:
    """List the tenants."""
    with state.current_runtime.unit_of_work() as uow:
        tenants = list_tenants(uow)
    if as_json:
        rows = [{"slug": t.slug, "name": t.name, "created_at": t.created_at.isoformat()} for t in tenants]
        click.echo(json.dumps(rows, indent=2))
        return
    if not tenants:
        click.echo("no tenants yet: create one with `sweetspot tenant create SLUG --name NAME`")
        return
    width = max(len(t.slug) for t in tenants)
    for t in tenants:
        click.echo(f"{t.slug:<{width}}  {t.name}")


# --- serving --------------------------------------------------------------------------------------


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64))
@click.option(
    "--edge",
    type=click.Choice(["all", *ALL_EDGES]),
    default="all",
    show_default=True,
    help="Serve both edges, or only the LTI tool or only the xAPI listener.",
)
@pass_state
def serve_command(state: CliState, host: str, port: int, workers: int, edge: str) -> None:
    """Serve Sweetspot with gunicorn (jobs run in-process unless REDIS_URL is set)."""
    _serve(state, ServeOptions(host=host, port=port, workers=workers), edge)


@main.command()
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@pass_state
def demo(state: CliState, port: int) -> None:
    """Set up the database and a demo tenant, then serve on localhost for a first look around."""
    if "log_format" not in state.settings.model_fields_set:
        # A person watches the demo's terminal: readable lines instead of JSON, unless asked.
        state = CliState(state.settings.model_copy(update={"log_format": "console"}))
    runtime = state.runtime
    database.upgrade(runtime.engine)
    with runtime.unit_of_work() as uow:
        try:
            get_tenant(uow, DEMO_TENANT[0])
        except DomainError:
            create_tenant(uow, *DEMO_TENANT)
            uow.commit()
    base = f"http://127.0.0.1:{port}"
    click.echo(
        "\n".join(
            [
                f"Sweetspot demo: data in {runtime.data_dir.path}",
                f"  home page      {base}/",
                f"  health         {base}/healthz   {base}/readyz",
                f"  LTI key set    {base}/lti/jwks.json",
                f"  xAPI endpoint  {base}/xapi/",
                "Stop with Ctrl+C.",
            ]
        )
    )
    _serve(state, ServeOptions(host="127.0.0.1", port=port, workers=2), "all")


def _serve(state: CliState, options: ServeOptions, edge: str) -> None:
    settings = state.settings
    configure_logging(settings.log_level, settings.log_format)
    status = database.schema_status(state.runtime.engine)
    if not status.is_current:
        raise click.ClickException(f"refusing to serve: {status.describe()}")
    # Workers build their own runtime after gunicorn forks them; none is shared across the fork.
    state.close()
    edges: tuple[Edge, ...] = ALL_EDGES if edge == "all" else (edge,)  # type: ignore[assignment]
    serve(settings, options, lambda: create_app(bootstrap(settings), edges))


# --- jobs -----------------------------------------------------------------------------------------


@main.command()
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


@main.group("jobs")
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
