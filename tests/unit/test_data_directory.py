"""The data directory keeps generated secrets private and stable."""

import stat
import threading
from pathlib import Path

from sweetspot.instance import DataDirectory, generate_secret_key


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_secret_is_generated_once_and_kept(tmp_path: Path) -> None:
    data_dir = DataDirectory(tmp_path / "instance")
    data_dir.prepare()
    first = data_dir.secret("secret_key", generate_secret_key)
    second = data_dir.secret("secret_key", generate_secret_key)
    assert first == second
    assert len(first) >= 64


def test_directory_and_secrets_are_readable_by_the_owner_only(tmp_path: Path) -> None:
    data_dir = DataDirectory(tmp_path / "instance")
    data_dir.prepare()
    data_dir.secret("secret_key", generate_secret_key)
    assert mode(data_dir.path) == 0o700
    assert mode(data_dir.path / "secret_key") == 0o600
    assert mode(data_dir.private_file("sweetspot.db")) == 0o600


def test_processes_starting_together_agree_on_one_secret(tmp_path: Path) -> None:
    data_dir = DataDirectory(tmp_path / "instance")
    data_dir.prepare()
    seen: list[bytes] = []
    start = threading.Barrier(8)

    def race() -> None:
        start.wait()
        seen.append(data_dir.secret("secret_key", generate_secret_key))

    threads = [threading.Thread(target=race) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(seen)) == 1
    assert [p.name for p in data_dir.path.iterdir()] == ["secret_key"]
