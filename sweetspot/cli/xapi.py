"""`sweetspot xapi …`: credentials for LRS clients, loading statement files, and replaying the hand-off."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import click

from sweetspot.cli.base import CliState, find_tenant, parse_moment, pass_state, tenant_option
from sweetspot.jobs import hand_off_statements
from xapi_listener.credentials import issue_credential, list_credentials, revoke_credential
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
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_state
def create(state: CliState, tenant_slug: str, read_only: bool, label: str, as_json: bool) -> None:
    """Issue a key and secret; the secret is printed this once and cannot be shown again."""
    tenant = find_tenant(state, tenant_slug)
    with state.current_runtime.unit_of_work() as uow:
        issued = issue_credential(uow, tenant.id, read_only, label)
        uow.commit()
    if as_json:
        click.echo(
            json.dumps(
                {
                    "key": issued.credential.key,
                    "secret": issued.secret,
                    "tenant": tenant.slug,
                    "read_only": read_only,
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
        click.echo(f"{c.key}  {access:<10}  {status:<18}  {c.label}")


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
