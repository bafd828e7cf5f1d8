"""The data directory: the SQLite database, the embedded job queue and secrets made on first run."""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Callable
from pathlib import Path

PRIVATE_FILE_MODE = 0o600
PRIVATE_DIR_MODE = 0o700


class DataDirectory:
    """A directory only its owner can read, holding files only its owner can read."""

    def __init__(self, path: Path) -> None:
        self.path = path.resolve()

    def prepare(self) -> None:
        """Create the directory, readable by its owner only, if it does not exist."""
        self.path.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
        os.chmod(self.path, PRIVATE_DIR_MODE)

    def private_file(self, name: str) -> Path:
        """Path of `name`, created empty with mode 0600 if absent (SQLite then keeps that mode)."""
        path = self.path / name
        fd = os.open(path, os.O_CREAT | os.O_WRONLY, PRIVATE_FILE_MODE)
        os.close(fd)
        os.chmod(path, PRIVATE_FILE_MODE)
        return path

    def secret(self, name: str, make: Callable[[], bytes]) -> bytes:
        """The secret stored as `name`, made with `make()` and stored (mode 0600) on first use.

        Two processes starting together agree on one value: the secret is written to a private
        temporary file and hard-linked into place, which fails if another process got there first.
        """
        path = self.path / name
        if path.exists():
            return path.read_bytes()
        temporary = self.path / f".{name}.{secrets.token_hex(8)}.tmp"
        fd = os.open(temporary, os.O_CREAT | os.O_EXCL | os.O_WRONLY, PRIVATE_FILE_MODE)
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(make())
                file.flush()
                os.fsync(file.fileno())
            with contextlib.suppress(FileExistsError):
                os.link(temporary, path)
        finally:
            temporary.unlink(missing_ok=True)
        return path.read_bytes()


def generate_secret_key() -> bytes:
    """A fresh random key for signing Flask sessions."""
    return secrets.token_urlsafe(48).encode()
