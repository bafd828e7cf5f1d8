"""Errors the domain raises; the edges map each kind to one HTTP status or CLI exit in one place."""


class DomainError(Exception):
    """Base of every error that a caller caused and can correct."""


class NotFound(DomainError):
    """The thing asked for does not exist in this tenant."""


class Conflict(DomainError):
    """The change clashes with what is already stored."""


class InvalidInput(DomainError, ValueError):
    """A value breaks a rule of the domain; the message names the field and the rule."""
