"""Settings of the domain's persistence, read from `SWEETSPOT_ALIGNMENT_*` environment variables."""

from pydantic_settings import BaseSettings, SettingsConfigDict


class AlignmentSettings(BaseSettings):
    """How the domain talks to its database (the URL itself comes from the composition)."""

    model_config = SettingsConfigDict(env_prefix="SWEETSPOT_ALIGNMENT_", extra="forbid")

    sql_echo: bool = False
    """Log every SQL statement (noisy; for debugging only)."""
    pool_size: int = 5
    """Connections each process keeps open to PostgreSQL."""
    sqlite_busy_timeout_ms: int = 15_000
    """How long a SQLite writer waits for another writer before failing."""
