"""What every `sweetspot` command shares: settings, the runtime, errors and common options."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import click

from alignment.errors import DomainError
from alignment.tenancy import Tenant, get_tenant
from sweetspot import database
from sweetspot.runtime import Runtime, bootstrap
from sweetspot.settings import Settings


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

tenant_option = click.option("--tenant", "tenant_slug", required=True, metavar="SLUG", help="The tenant's slug.")


def find_tenant(state: CliState, slug: str) -> Tenant:
    """The tenant named on the command line (NotFound becomes a one-line error)."""
    with state.current_runtime.unit_of_work() as uow:
        return get_tenant(uow, slug)


def parse_moment(value: str | None) -> datetime:
    """An ISO 8601 date or date-time from the command line, in UTC when no zone is given; now if None."""
    if value is None:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO 8601 date or date-time (e.g. 2026-11-23T09:00)") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
