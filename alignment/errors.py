"""Errors the domain raises; the edges map each kind to one HTTP status or CLI exit in one place."""

from __future__ import annotations

from alignment.messages import Message, verbatim
from alignment.sentences import english


class DomainError(Exception):
    """Base of every error that a caller caused and can correct.

    It says what was wrong as a `Message`, so a page can say it in the visitor's language; `str()` of the
    error is the English, for the CLI, the APIs and logs. Plain text is said as given in every language.
    """

    def __init__(self, said: Message | str) -> None:
        self.message = said if isinstance(said, Message) else verbatim(said)
        super().__init__(english(self.message))


class NotFound(DomainError):
    """The thing asked for does not exist in this tenant."""


class Conflict(DomainError):
    """The change clashes with what is already stored."""


class InvalidInput(DomainError, ValueError):
    """A value breaks a rule of the domain; the message names the field and the rule."""


def json_kind(value: object) -> str:
    """The JSON kind of a decoded value, as error messages name it ("a string", "an array", …)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__
