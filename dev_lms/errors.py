"""The two kinds of failure: bad input to the Python API, and a protocol request the platform refuses."""

from __future__ import annotations


class DevLmsError(ValueError):
    """Bad input to the seeding or registration API; the message names what was wrong."""


class ProtocolError(Exception):
    """A request the platform refuses, with the HTTP status and the OAuth/LTI error code to answer."""

    def __init__(self, status: int, error: str, description: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description
        self.headers = headers or {}
