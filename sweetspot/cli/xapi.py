"""`sweetspot xapi …`: credentials for LRS clients, statement files, the hand-off, and upstream LRSs."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import click

from alignment.database import utcnow
from sweetspot.cli.base import CliState, find_tenant, parse_moment, pass_state, tenant_option
from sweetspot.jobs import hand_off_statements
from xapi_listener.connections import (
    DEFAULT_EVERY_MINUTES,
    add_connection,
    list_connections,
    pull_connection,
    remove_connection,
)
from xapi_listener.credentials import XAPI_VERSIONS, issue_credential, list_credentials, revoke_credential
from xapi_listener.handoff import replay
from xapi_listener.loading import load_file
from xapi_listener.pull import pull


@click.group()
def xapi() -> None:
    """The xAPI listener: credentials, statement files, the hand-off to the alignment engine."""


@xapi.group()
def credentials() -> None:
    """HTTP Basic key and secret pairs for LMS plugins, authoring tools and LRSs."""


@credentials.command("create")
@tenant_option
@click.option("--read-only", is_flag=True, help="May read statements but not write them.")
@click.option("--label", default="", help="Who uses it, e.g. 'Moodle logstore_xapi'.")
@click.option(
    "--xapi-version",
    type=click.Choice(XAPI_VERSIONS),
    default=XAPI_VERSIONS[0],
    show_default=True,
    help="The xAPI version the client speaks: what a request naming no version is answered with.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_state
def create(state: CliState, tenant_slug: str, read_only: bool, label: str, xapi_version: str, as_json: bool) -> None:
    """Issue a key and secret; the secret is printed this once and cannot be shown again."""
    tenant = find_tenant(state, tenant_slug)
    with state.current_runtime.unit_of_work() as uow:
        issued = issue_credential(uow, tenant.id, read_only, label, xapi_version)
        uow.commit()
    if as_json:
        click.echo(
            json.dumps(
                {
                    "key": issued.credential.key,
                    "secret": issued.secret,
                    "tenant": tenant.slug,
                    "read_only": read_only,
                    "xapi_version": xapi_version,
                    "endpoint": "/xapi/",
                }
            )
        )
        return
    click.echo(f"key     {issued.credential.key}\nsecret  {issued.secret}")
    click.echo("Keep the secret now: it is stored only as a digest and cannot be shown again.")


@credentials.command("revoke")
@click.argument("key")
@pass_state
def revoke(state: CliState, key: str) -> None:
    """Stop KEY from working, at once."""
    with state.current_runtime.unit_of_work() as uow:
        revoked = revoke_credential(uow, key)
        uow.commit()
    click.echo(f"revoked {revoked.key}")


@credentials.command("list")
@tenant_option
@pass_state
def list_command(state: CliState, tenant_slug: str) -> None:
    """The tenant's credentials (never their secrets)."""
    tenant = find_tenant(state, tenant_slug)
    with state.current_runtime.unit_of_work() as uow:
        found = list_credentials(uow, tenant.id)
    for c in found:
        status = f"revoked {c.revoked_at.date().isoformat()}" if c.revoked_at else "live"
        access = "read-only" if c.read_only else "read-write"
        click.echo(f"{c.key}  {access:<10}  xAPI {c.xapi_version}  {status:<18}  {c.label}")


@xapi.command("load")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@tenant_option
@click.option("--version", "version", type=click.Choice(["1.0.3", "2.0.0"]), default="1.0.3", show_default=True)
@pass_state
def load(state: CliState, file: Path, tenant_slug: str, version: str) -> None:
    """Load statements from a JSON array or JSON-lines file, then hand them to the alignment engine."""
    tenant = find_tenant(state, tenant_slug)
    runtime = state.current_runtime
    loaded = load_file(runtime.unit_of_work, tenant.id, file, version)
    handed = hand_off_statements(runtime, tenant.id)
    click.echo(f"{loaded.statements} statements read, {loaded.new} new; {handed} handed to the alignment engine")


@xapi.command("replay")
@tenant_option
@click.option("--since", default=None, metavar="DATETIME", help="Only statements stored after this moment.")
@pass_state
def replay_command(state: CliState, tenant_slug: str, since: str | None) -> None:
    """Hand stored statements to the alignment engine again; events it already has are not counted twice."""
    tenant = find_tenant(state, tenant_slug)
    with state.current_runtime.unit_of_work() as uow:
        done = replay(uow, tenant.id, datetime.now(UTC), parse_moment(since) if since else None)
        uow.commit()
    click.echo(f"{done.statements} statements replayed: {done.events} new events, {done.replanned} roadmaps re-planned")


@xapi.command("pull")
@tenant_option
@click.option("--from", "endpoint", required=True, metavar="URL", help="The upstream LRS's xAPI endpoint.")
@click.option("--key", required=True, help="The upstream credential's key (HTTP Basic user).")
@click.option("--secret", required=True, help='Its secret; prefer the environment: --secret "$LRS_SECRET".')
@pass_state
def pull_command(state: CliState, tenant_slug: str, endpoint: str, key: str, secret: str) -> None:
    """Pull the statements stored upstream since the last pull, then hand them to the alignment engine."""
    tenant = find_tenant(state, tenant_slug)
    runtime = state.current_runtime
    done = pull(runtime.unit_of_work, tenant.id, endpoint, key, secret)
    handed = hand_off_statements(runtime, tenant.id)
    click.echo(
        f"{done.statements} statements in {done.pages} page(s), {done.new} new; {handed} handed to the alignment "
        f"engine; next pull starts after {done.since or 'the beginning'}"
    )


@xapi.group()
def connections() -> None:
    """Upstream LRSs pulled on a schedule by the background jobs (every minute, each when it is due)."""


@connections.command("add")
@tenant_option
@click.option("--from", "endpoint", required=True, metavar="URL", help="The upstream LRS's xAPI endpoint.")
@click.option("--key", required=True, help="The upstream credential's key (HTTP Basic user).")
@click.option("--secret", required=True, help='Its secret, stored encrypted; prefer --secret "$LRS_SECRET".')
@click.option("--every", "every_minutes", default=DEFAULT_EVERY_MINUTES, show_default=True, metavar="MINUTES")
@click.option("--label", default="", help="What it is, e.g. 'Learning Locker (HR)'.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_state
def add_connection_command(
    state: CliState,
    tenant_slug: str,
    endpoint: str,
    key: str,
    secret: str,
    every_minutes: int,
    label: str,
    as_json: bool,
) -> None:
    """Pull from an upstream LRS every MINUTES, starting at the next minute; the secret is never shown again."""
    tenant = find_tenant(state, tenant_slug)
    runtime = state.current_runtime
    with runtime.unit_of_work() as uow:
        added = add_connection(
            uow, runtime.connection_cipher, tenant.id, endpoint, key, secret, utcnow(), every_minutes, label
        )
        uow.commit()
    if as_json:
        click.echo(json.dumps({**added.as_json(), "tenant": tenant.slug}))
        return
    click.echo(f"connection {added.id}: {added.endpoint} as {added.key}, every {added.every_minutes} min")


@connections.command("list")
@tenant_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_state
def list_connections_command(state: CliState, tenant_slug: str, as_json: bool) -> None:
    """The tenant's connections: when each last pulled, how much, the last error and when (never secrets)."""
    tenant = find_tenant(state, tenant_slug)
    with state.current_runtime.unit_of_work(read_only=True) as uow:
        found = list_connections(uow, tenant.id, utcnow())
    if as_json:
        click.echo(json.dumps([c.as_json() for c in found]))
        return
    for c in found:
        last = _moment(c.last_pulled_at) if c.last_pulled_at else "never"
        state_ = "pulling now" if c.pulling else f"next {_moment(c.next_pull_at)}"
        click.echo(
            f"{c.id}  {c.label or '-'}  {c.endpoint}  key {c.key}  every {c.every_minutes} min  "
            f"last pull {last}  {c.statements_pulled} statements  {state_}"
        )
        if c.last_error:
            streak = f", {c.failures} failure(s) in a row" if c.failures else ", pulled fine since"
            click.echo(f"   last error at {_moment(c.last_error_at)}{streak}: {c.last_error}")


@connections.command("remove")
@click.argument("connection_id", metavar="ID", type=int)
@tenant_option
@pass_state
def remove_connection_command(state: CliState, connection_id: int, tenant_slug: str) -> None:
    """Stop pulling from this connection; its cursor is kept, so adding it again resumes without duplicates."""
    tenant = find_tenant(state, tenant_slug)
    with state.current_runtime.unit_of_work() as uow:
        removed = remove_connection(uow, tenant.id, connection_id, utcnow())
        uow.commit()
    click.echo(f"removed connection {removed.id} ({removed.endpoint} as {removed.key})")


@connections.command("pull")
@click.argument("connection_id", metavar="ID", type=int)
@tenant_option
@pass_state
def pull_connection_command(state: CliState, connection_id: int, tenant_slug: str) -> None:
    """Pull this connection now, whether or not it is due, then hand the new statements to the alignment engine."""
    tenant = find_tenant(state, tenant_slug)
    runtime = state.current_runtime
    done = pull_connection(
        runtime.unit_of_work, runtime.connection_cipher, connection_id, utcnow(), tenant_id=tenant.id, force=True
    )
    if done is None or done.pulled is None:  # a forced pull runs or raises, so `done` is never None here
        raise click.ClickException(f"connection {connection_id}: {done.error if done else 'not pulled'}")
    handed = hand_off_statements(runtime, tenant.id)
    click.echo(
        f"{done.pulled.statements} statements in {done.pulled.pages} page(s), {done.pulled.new} new; {handed} handed "
        f"to the alignment engine; next pull at {_moment(done.next_pull_at)}"
    )


def _moment(moment: datetime | None) -> str:
    return moment.isoformat(timespec="seconds") if moment else "-"
