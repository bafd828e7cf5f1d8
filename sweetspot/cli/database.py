"""`sweetspot db …`: schema migrations."""

from __future__ import annotations

import sys

import click

from sweetspot import database
from sweetspot.cli.base import CliState, pass_state


@click.group()
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
