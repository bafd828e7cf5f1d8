"""Settings of the whole installation, read from `SWEETSPOT_*` environment variables."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from cryptography.fernet import Fernet
from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SQLITE_DATABASE_FILE = "sweetspot.db"


class Settings(BaseSettings):
    """Where data lives, which database and queue to use, and how to log."""

    model_config = SettingsConfigDict(env_prefix="SWEETSPOT_", extra="forbid")

    data_dir: Path = Path("instance")
    """Holds the SQLite database, the embedded job queue and the secrets generated on first run."""
    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "SWEETSPOT_DATABASE_URL")
    )
    """`postgresql://…` for production; unset means SQLite in the data directory."""
    redis_url: str | None = Field(default=None, validation_alias=AliasChoices("REDIS_URL", "SWEETSPOT_REDIS_URL"))
    """Unset: jobs run embedded in the server process. Set: jobs go to Redis for `sweetspot worker`."""
    secret_key: SecretStr | None = None
    """Flask session key; unset means one generated in the data directory on first run."""
    trusted_proxies: int = 0
    """How many reverse proxies in front set X-Forwarded-For/-Proto/-Host (1 behind one TLS-terminating proxy)."""
    connection_key: SecretStr | None = None
    """Fernet key that encrypts upstream LRS secrets at rest; unset means one generated in the data directory."""
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["json", "console"] = "json"

    @field_validator("connection_key")
    @classmethod
    def _is_a_fernet_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            try:
                Fernet(value.get_secret_value())
            except ValueError:
                raise ValueError(
                    "must be a Fernet key: 32 random bytes in URL-safe base64 (44 characters), e.g. from "
                    '`python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"`'
                ) from None
        return value

    @property
    def resolved_database_url(self) -> str:
        """The database to use: `DATABASE_URL`, or SQLite in the data directory."""
        if self.database_url:
            return normalise_database_url(self.database_url)
        return f"sqlite:///{(self.data_dir / SQLITE_DATABASE_FILE).resolve()}"


def normalise_database_url(url: str) -> str:
    """Map the `postgres://` and `postgresql://` spellings that hosts hand out to the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url
