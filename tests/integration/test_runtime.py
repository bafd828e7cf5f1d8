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


def test_connection_key_is_generated_once_and_an_environment_key_wins(tmp_path: Path, database_url: str) -> None:
    from cryptography.fernet import Fernet

    first = bootstrap(make_settings(tmp_path / "instance", database_url))
    again = bootstrap(make_settings(tmp_path / "instance", database_url))
    token = first.connection_cipher.encrypt(b"upstream secret")
    assert again.connection_cipher.decrypt(token) == b"upstream secret"
    assert (tmp_path / "instance" / "connection_key").stat().st_mode & 0o777 == 0o600
    shared = Fernet.generate_key()
    settings = make_settings(tmp_path / "elsewhere", database_url)
    settings.connection_key = SecretStr(shared.decode())
    from_env = bootstrap(settings)
    assert from_env.connection_key == shared
    assert not (tmp_path / "elsewhere" / "connection_key").exists()
    for runtime in (first, again, from_env):
        runtime.close()
