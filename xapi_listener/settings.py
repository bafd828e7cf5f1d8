"""Settings of the xAPI listener, read from `SWEETSPOT_XAPI_*` environment variables."""

from pydantic_settings import BaseSettings, SettingsConfigDict


class XapiSettings(BaseSettings):
    """Limits the listener enforces on what clients send, and how long it waits on upstream LRSs."""

    model_config = SettingsConfigDict(env_prefix="SWEETSPOT_XAPI_", extra="forbid")

    max_body_bytes: int = 8 * 1024 * 1024
    """Largest request body accepted (attachments included); larger ones get 413."""
    upstream_timeout_seconds: float = 60.0
    """How long a scheduled pull waits on a silent upstream LRS before recording a time-out."""
