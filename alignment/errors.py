"""Errors the domain raises; the edges map each kind to one HTTP status or CLI exit in one place."""


class DomainError(Exception):
    """Base of every error that a caller caused and can correct."""


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
