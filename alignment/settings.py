"""Settings of the domain's persistence, read from `SWEETSPOT_ALIGNMENT_*` environment variables."""

from pydantic_settings import BaseSettings, SettingsConfigDict


class AlignmentSettings(BaseSettings):
    """How the domain talks to its database (the URL itself comes from the composition)."""

    model_config = SettingsConfigDict(env_prefix="SWEETSPOT_ALIGNMENT_", extra="forbid")

    sql_echo: bool = False
    """Log every SQL statement (noisy; for debugging only)."""
    pool_size: int = 5
    """Connections each process keeps open to PostgreSQL."""
    pool_ping_after_idle_seconds: float = 10.0
    """A pooled PostgreSQL connection idle longer than this is pinged before use (0: ping every time).

    One used more recently is trusted: a server that restarted within that window fails the first
    request on each such connection, and the pool is then renewed. The ping is a round trip, so doing it
    on every checkout costs every request (every launch) about a tenth of its database time.
    """
    sqlite_busy_timeout_ms: int = 15_000
    """How long a SQLite writer waits for another writer before failing."""
