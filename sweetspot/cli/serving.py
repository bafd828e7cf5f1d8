"""`sweetspot serve` and `sweetspot demo`."""

from __future__ import annotations

import os
import subprocess
import sys

import click

from dev_lms import DevLms, serve_in_thread
from dev_lms import create_app as create_lms_app
from dev_lms.demo import seed_demo_cast
from sweetspot import database
from sweetspot import demo as demo_setup
from sweetspot.app import ALL_EDGES, Edge, create_app
from sweetspot.cli.base import CliState, pass_state
from sweetspot.logs import configure_logging
from sweetspot.runtime import bootstrap
from sweetspot.server import ServeOptions, serve


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
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65534))
@click.option(
    "--lms-host",
    type=click.Choice(["127.0.0.1", "localhost"]),
    default="127.0.0.1",
    show_default=True,
    help="Host name of the development LMS. `localhost` puts it on another site than Sweetspot (127.0.0.1), so "
    "Sweetspot's frame is a third-party context, as under a real LMS: launches then go through platform storage.",
)
@pass_state
def demo(state: CliState, port: int, lms_host: str) -> None:
    """Sweetspot beside a development LMS with a demo course, registered and filled with eight weeks of activity.

    The LMS listens on PORT+1. Sweetspot registers itself there through LTI Dynamic Registration, the
    demo organisation's activity is loaded as xAPI statements and swept for flags, and one scripted
    launch by the manager tells Sweetspot where the course's gradebook and roster services are, so the
    momentum column is filled. Everything is kept in the data directory; running it again reuses it.
    """
    if "log_format" not in state.settings.model_fields_set:
        # A person watches the demo's terminal: readable lines instead of JSON, unless asked.
        state = CliState(state.settings.model_copy(update={"log_format": "console"}))
    settings = state.settings
    configure_logging(settings.log_level, settings.log_format)
    runtime = state.runtime
    database.upgrade(runtime.engine)
    tool_url, lms_url = f"http://127.0.0.1:{port}", f"http://{lms_host}:{port + 1}"
    lms = DevLms(str(runtime.data_dir.path / "dev-lms"), lms_url)
    cast = seed_demo_cast(lms)
    tenant = demo_setup.prepare(runtime, cast)
    lms_server = serve_in_thread(create_lms_app(lms), port + 1)
    state.close()
    server = subprocess.Popen(  # noqa: S603 (this interpreter, our own arguments)
        [sys.executable, "-m", "sweetspot", "serve", "--port", str(port), "--workers", "2"],
        env={**os.environ, "SWEETSPOT_DATA_DIR": str(settings.data_dir), "SWEETSPOT_LOG_FORMAT": settings.log_format},
    )
    try:
        demo_setup.wait_until_serving(tool_url, server)
        link = demo_setup.install(state.runtime, tenant, lms, cast, tool_url)
        course_page = lms.url(f"/courses/{cast.course.id}")
        click.echo(
            "\n".join(
                [
                    "",
                    f"Sweetspot demo: data in {runtime.data_dir.path}",
                    f"  the course in the development LMS  {course_page}",
                    "      (a 'Launch as' button for each learner, the manager, the mentor and the admin;",
                    "       the gradebook shows the momentum column Sweetspot filled)",
                    f"  Sweetspot                          {tool_url}/  (registered as client {link.client_id})",
                    f"  xAPI endpoint                      {tool_url}/xapi/",
                    "Stop with Ctrl+C.",
                ]
            )
        )
        server.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.terminate()
        server.wait(timeout=30)
        lms_server.stop()
        lms.close()


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
