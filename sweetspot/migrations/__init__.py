"""Alembic migrations of the Sweetspot schema."""
