"""Every table of every package, gathered on one metadata for Alembic and for schema checks."""

from collections.abc import Callable
from typing import Any

from sqlalchemy import MetaData

import alignment.agendas
import alignment.catalogue
import alignment.events
import alignment.flags
import alignment.identities
import alignment.mappings
import alignment.objectives
import alignment.opportunities
import alignment.people
import alignment.policies
import alignment.policy_previews
import alignment.roadmaps
import alignment.sweeps
import alignment.tallies
import alignment.tenancy
import lti_tool.grades
import lti_tool.registrations
import lti_tool.roster
import xapi_listener.attachments
import xapi_listener.connections
import xapi_listener.credentials
import xapi_listener.documents
import xapi_listener.pull
import xapi_listener.store
from alignment.database import Base

# Importing a module that declares tables registers them on Base.metadata; keep this list complete.
TABLE_MODULES = (
    alignment.tenancy,
    alignment.people,
    alignment.catalogue,
    alignment.opportunities,
    alignment.mappings,
    alignment.agendas,
    alignment.events,
    alignment.tallies,
    alignment.policies,
    alignment.policy_previews,
    alignment.roadmaps,
    alignment.flags,
    alignment.sweeps,
    alignment.objectives,
    alignment.identities,
    lti_tool.registrations,
    lti_tool.roster,
    lti_tool.grades,
    xapi_listener.credentials,
    xapi_listener.store,
    xapi_listener.documents,
    xapi_listener.attachments,
    xapi_listener.pull,
    xapi_listener.connections,
)


def metadata() -> MetaData:
    """The metadata holding every table Sweetspot declares."""
    return Base.metadata


def compared_on(dialect: str) -> Callable[[Any, str | None, str, bool, Any], bool]:
    """Alembic's `include_object` for a database of `dialect`: it leaves out what is declared for another database
    only (`Index(...).ddl_if(dialect=...)`, such as PostgreSQL's GIN indexes), which the migrations make there alone."""

    def include(item: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        condition = getattr(item, "_ddl_if", None)  # where SQLAlchemy keeps what ddl_if() was given
        return condition is None or condition.dialect is None or condition.dialect == dialect

    return include
