"""Settings of the LTI tool, read from `SWEETSPOT_LTI_*` environment variables."""

from pydantic import AnyHttpUrl
from pydantic_settings import BaseSettings, SettingsConfigDict


class LtiSettings(BaseSettings):
    """How the tool signs what it sends to platforms and how strictly it checks what they send."""

    model_config = SettingsConfigDict(env_prefix="SWEETSPOT_LTI_", extra="forbid")

    signing_key_bits: int = 2048
    """Size of the RSA keys the tool generates (RS256, as LTI 1.3 requires)."""

    key_grace_days: int = 7
    """How long a replaced signing key stays published after `lti keys rotate`."""

    public_url: AnyHttpUrl | None = None
    """The tool's public base URL (https://sweetspot.example.com); unset, it is taken from each request."""

    clock_leeway_seconds: int = 60
    """Tolerance for `exp` and `iat` of id_tokens, for platforms whose clocks drift."""

    key_set_cache_seconds: int = 300
    """How long a platform's key set is kept when its response names no Cache-Control max-age."""

    registration_url_days: int = 7
    """How long a dynamic registration URL from `sweetspot lti registration-url` stays valid."""
