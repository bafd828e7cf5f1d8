"""Settings of the LTI tool, read from `SWEETSPOT_LTI_*` environment variables."""

from pydantic_settings import BaseSettings, SettingsConfigDict


class LtiSettings(BaseSettings):
    """How the tool signs what it sends to platforms."""

    model_config = SettingsConfigDict(env_prefix="SWEETSPOT_LTI_", extra="forbid")

    signing_key_bits: int = 2048
    """Size of the RSA keys the tool generates (RS256, as LTI 1.3 requires)."""
