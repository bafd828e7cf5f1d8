"""The tool's signing keys, their rotation, and the JSON Web Key Set that platforms fetch to verify them.

LTI 1.3 (1EdTech Security Framework §6) signs tool messages with RS256 and publishes public keys as
a JWKS; each key is named by its RFC 7638 thumbprint so the `kid` is stable across restarts.

The keys live as PEM files (mode 0600) in one directory, named by the nanosecond they were made, so
every process sharing the directory agrees on them without a database. The newest key signs. A key
that a newer one replaced stays published for a grace period, because platforms cache key sets and
may still be verifying something it signed; after that it is retired and its file removed.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from threading import Lock
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwcrypto import jwk

PRIVATE_FILE_MODE = 0o600
PRIVATE_DIR_MODE = 0o700


def generate_private_key_pem(bits: int) -> bytes:
    """A new RSA private key in PKCS#8 PEM."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    return key.private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.NoEncryption(),
    )


@dataclass(frozen=True)
class SigningKey:
    """One RSA key pair of the tool, with its id and public JWK."""

    private_pem: bytes
    kid: str
    public_jwk: dict[str, Any]
    public_pem: str
    """The public half in PEM, as pylti1p3's registration wants it."""

    @classmethod
    def from_pem(cls, private_pem: bytes) -> SigningKey:
        """Load a key from PEM (slow: the RSA key is checked) and derive its kid, public JWK and public PEM."""
        key = jwk.JWK.from_pem(private_pem)
        kid = str(key.thumbprint())
        public: dict[str, Any] = key.export_public(as_dict=True)
        public_pem = key.export_to_pem().decode()
        return cls(private_pem, kid, {**public, "kid": kid, "alg": "RS256", "use": "sig"}, public_pem)


@dataclass(frozen=True)
class KeyStatus:
    """A key as `lti keys list` shows it."""

    kid: str
    created_at: datetime
    status: str  # "signing", "published" (replaced, inside its grace period) or "retired"
    retires_at: datetime | None


def key_set(keys: list[SigningKey]) -> dict[str, list[dict[str, Any]]]:
    """The JWKS document publishing every active key."""
    return {"keys": [key.public_jwk for key in keys]}


class KeyRing:
    """The tool's keys in a directory: the newest signs, replaced ones stay published for `grace`."""

    def __init__(self, directory: Path, bits: int, grace: timedelta) -> None:
        self.directory = directory
        self._bits = bits
        self._grace = grace
        self._lock = Lock()
        self._loaded: tuple[int, list[tuple[int, SigningKey]]] | None = None

    def ensure(self) -> None:
        """Create the directory and the first key if there is none yet (first run)."""
        self.directory.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
        os.chmod(self.directory, PRIVATE_DIR_MODE)
        if not self._files():
            self._write(generate_private_key_pem(self._bits))

    @property
    def signing(self) -> SigningKey:
        """The key that signs from now on: the newest."""
        return self._keys()[-1][1]

    def published(self, now: datetime | None = None) -> list[SigningKey]:
        """Every key a platform may still need: the signing key and the replaced ones in their grace period."""
        return [key for _, key, status in self._statuses(now) if status.status != "retired"]

    def statuses(self, now: datetime | None = None) -> list[KeyStatus]:
        """Every key on disk with its status, oldest first."""
        return [status for _, _, status in self._statuses(now)]

    def rotate(self, now: datetime | None = None) -> SigningKey:
        """Add a key that signs from now on, and remove the files of keys whose grace period has ended."""
        self._write(generate_private_key_pem(self._bits))
        self.prune(now)
        return self.signing

    def prune(self, now: datetime | None = None) -> list[str]:
        """Remove retired keys' files; their kids are returned."""
        retired = []
        for stamp, key, status in self._statuses(now):
            if status.status == "retired":
                (self.directory / f"{stamp:020d}.pem").unlink(missing_ok=True)
                retired.append(key.kid)
        return retired

    def _statuses(self, now: datetime | None) -> list[tuple[int, SigningKey, KeyStatus]]:
        now = now or datetime.now(UTC)
        keys = self._keys()
        result = []
        for index, (stamp, key) in enumerate(keys):
            created = _time_of(stamp)
            if index == len(keys) - 1:
                result.append((stamp, key, KeyStatus(key.kid, created, "signing", None)))
                continue
            retires_at = _time_of(keys[index + 1][0]) + self._grace
            status = "published" if now < retires_at else "retired"
            result.append((stamp, key, KeyStatus(key.kid, created, status, retires_at)))
        return result

    def _keys(self) -> list[tuple[int, SigningKey]]:
        # The directory's mtime changes when a key is added or removed, so other processes' rotations
        # are seen on the next call without reading every file every time.
        with self._lock:
            mtime = self.directory.stat().st_mtime_ns
            if self._loaded is None or self._loaded[0] != mtime:
                loaded = [(stamp, SigningKey.from_pem(path.read_bytes())) for stamp, path in self._files()]
                if not loaded:
                    raise FileNotFoundError(f"no signing key in {self.directory}")
                self._loaded = (mtime, loaded)
            return self._loaded[1]

    def _files(self) -> list[tuple[int, Path]]:
        found = []
        for path in self.directory.glob("*.pem"):
            with contextlib.suppress(ValueError):
                found.append((int(path.stem), path))
        return sorted(found)

    def _write(self, pem: bytes) -> None:
        stamp = time.time_ns()
        temporary = self.directory / f".{stamp}.{secrets.token_hex(4)}.tmp"
        fd = os.open(temporary, os.O_CREAT | os.O_EXCL | os.O_WRONLY, PRIVATE_FILE_MODE)
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(pem)
                file.flush()
                os.fsync(file.fileno())
            os.link(temporary, self.directory / f"{stamp:020d}.pem")
        finally:
            temporary.unlink(missing_ok=True)


def _time_of(stamp: int) -> datetime:
    return datetime.fromtimestamp(stamp / 1e9, UTC)
