"""The rules of the domain as pure functions over plain values: no database, no app, no clock of their own.

Callers pass the time in (`as_of`, `today`), so every rule can be tested with a fixed clock and
back-tested on history.
"""
