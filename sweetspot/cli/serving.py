"""`sweetspot serve` and `sweetspot demo`."""

from __future__ import annotations

import click

from alignment.errors import NotFound
from alignment.tenancy import create_tenant, get_tenant
from sweetspot import database
from sweetspot.app import ALL_EDGES, Edge, create_app
from sweetspot.cli.base import CliState, pass_state
from sweetspot.logs import configure_logging
from sweetspot.runtime import bootstrap
from sweetspot.server import ServeOptions, serve

DEMO_TENANT = ("demo", "Demo Organisation")


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64))
@click.option("--threads", default=4, show_default=True, type=click.IntRange(1, 64), help="Request threads per worker.")
@click.option(
    "--edge",
    type=click.Choice(["all", *ALL_EDGES]),
    default="all",
    show_default=True,
    help="Serve both edges, or only the LTI tool or only the xAPI listener.",
)
@pass_state
def serve_command(state: CliState, host: str, port: int, workers: int, threads: int, edge: str) -> None:
    """Serve Sweetspot with gunicorn (jobs run in-process unless REDIS_URL is set)."""
    _serve(state, ServeOptions(host=host, port=port, workers=workers, threads=threads), edge)


@click.command()
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
        except NotFound:
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
