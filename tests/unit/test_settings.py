"""Settings come from prefixed environment variables and have no default secret."""

from pathlib import Path

import pytest

from alignment.settings import AlignmentSettings
from lti_tool.settings import LtiSettings
from sweetspot.settings import Settings, normalise_database_url
from xapi_listener.settings import XapiSettings


def test_defaults_are_the_embedded_install(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATABASE_URL", "REDIS_URL", "SWEETSPOT_DATA_DIR", "SWEETSPOT_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings()
    assert settings.data_dir == Path("instance")
    assert settings.redis_url is None
    assert settings.secret_key is None
    assert settings.resolved_database_url == f"sqlite:///{Path('instance/sweetspot.db').resolve()}"


def test_environment_switches_database_queue_and_data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://app@db.internal:5432/sweetspot")
    monkeypatch.setenv("REDIS_URL", "redis://cache.internal:6379/0")
    monkeypatch.setenv("SWEETSPOT_DATA_DIR", str(tmp_path))
    settings = Settings()
    assert settings.resolved_database_url == "postgresql+psycopg://app@db.internal:5432/sweetspot"
    assert settings.redis_url == "redis://cache.internal:6379/0"
    assert settings.data_dir == tmp_path


def test_each_package_reads_its_own_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SWEETSPOT_XAPI_MAX_BODY_BYTES", "1024")
    monkeypatch.setenv("SWEETSPOT_LTI_SIGNING_KEY_BITS", "3072")
    monkeypatch.setenv("SWEETSPOT_ALIGNMENT_SQL_ECHO", "true")
    assert XapiSettings().max_body_bytes == 1024
    assert LtiSettings().signing_key_bits == 3072
    assert AlignmentSettings().sql_echo is True


def test_a_setting_of_the_wrong_type_is_refused_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SWEETSPOT_XAPI_MAX_BODY_BYTES", "lots")
    with pytest.raises(ValueError, match="max_body_bytes"):
        XapiSettings()


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:////var/lib/sweetspot.db", "sqlite:////var/lib/sweetspot.db"),
    ],
)
def test_database_url_spellings_map_to_psycopg(given: str, expected: str) -> None:
    assert normalise_database_url(given) == expected


def test_a_connection_key_that_is_not_a_fernet_key_is_refused_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SWEETSPOT_CONNECTION_KEY", "too-short")
    with pytest.raises(ValueError, match="connection_key") as raised:
        Settings()
    assert "must be a Fernet key" in str(raised.value)
