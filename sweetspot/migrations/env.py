"""Alembic environment: runs migrations on the connection `sweetspot.database` hands over."""

from alembic import context

from sweetspot.schema import compared_on, metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata(),
    # SQLite cannot ALTER most things in place; batch mode rebuilds the table instead.
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    include_object=compared_on(connection.dialect.name),
)
with context.begin_transaction():
    context.run_migrations()
