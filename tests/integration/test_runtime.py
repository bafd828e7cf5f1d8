"""The runtime generates its secrets on first run and keeps them across restarts."""

from pathlib import Path

from pydantic import SecretStr

from sweetspot.runtime import bootstrap
from tests.conftest import make_settings


def test_restart_on_the_same_data_directory_keeps_the_secrets(tmp_path: Path, database_url: str) -> None:
    first = bootstrap(make_settings(tmp_path / "instance", database_url))
    second = bootstrap(make_settings(tmp_path / "instance", database_url))
    assert first.secret_key == second.secret_key
    assert first.keys.signing.kid == second.keys.signing.kid
    first.close()
    second.close()


def test_a_new_data_directory_gets_new_secrets(tmp_path: Path, database_url: str) -> None:
    one = bootstrap(make_settings(tmp_path / "one", database_url))
    two = bootstrap(make_settings(tmp_path / "two", database_url))
    assert one.secret_key != two.secret_key
    assert one.keys.signing.kid != two.keys.signing.kid
    one.close()
    two.close()


def test_secret_key_from_the_environment_wins_over_the_generated_one(tmp_path: Path, database_url: str) -> None:
    settings = make_settings(tmp_path / "instance", database_url)
    settings.secret_key = SecretStr("shared-by-every-app-instance-0123456789")
    runtime = bootstrap(settings)
    assert runtime.secret_key == b"shared-by-every-app-instance-0123456789"
    assert not (tmp_path / "instance" / "secret_key").exists()
    runtime.close()
