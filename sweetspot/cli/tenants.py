"""`sweetspot tenant …`: customer organisations."""

from __future__ import annotations

import json

import click

from alignment.tenancy import create_tenant, list_tenants
from sweetspot.cli.base import CliState, pass_state


@click.group()
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
