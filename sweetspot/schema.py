"""Every table of every package, gathered on one metadata for Alembic and for schema checks."""

from sqlalchemy import MetaData

import alignment.tenancy
from alignment.database import Base

# Importing a module that declares tables registers them on Base.metadata; keep this list complete.
TABLE_MODULES = (alignment.tenancy,)


def metadata() -> MetaData:
    """The metadata holding every table Sweetspot declares."""
    return Base.metadata
