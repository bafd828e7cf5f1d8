"""Sentences the domain says to people, kept as a message id with parameters and put into words later.

The domain never writes a sentence for people itself: it returns a `Message` (the id of a `Sentence` in
`alignment.sentences` and plain JSON parameters) and stores it as JSON. Whoever shows it renders it
through a `Wording`: `english(message)` for the CLI, logs and the LMS gradebook; the pages render it in
the visitor's language (`lti_tool.wording`), translating the English template as a gettext message id
and formatting numbers, dates and lists the locale's way. Names, titles and what a manager wrote (the
organisation's *why*) are parameters of kind TEXT and are never translated.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any, NamedTuple, Protocol

Value = str | int | float | None | tuple[Any, ...]
"""A parameter's value: JSON-safe, with lists frozen into tuples so messages compare and hash as values."""


def N_(text: str) -> str:
    """Mark an English template for extraction into the translation catalogs; returns it unchanged."""
    return text


def N_plural(singular: str, plural: str) -> tuple[str, str]:
    """Mark an English template with its plural for extraction (`--keywords N_plural:1,2`)."""
    return singular, plural


class Kind(StrEnum):
    """How a parameter is put into words."""

    TEXT = "text"
    """Said as given: a name, a title, what a manager wrote. Never translated."""
    NUMBER = "number"
    """A count or an amount, with the locale's digits and separators."""
    PERCENT = "percent"
    """A fraction of 1, said as a percentage."""
    DATE = "date"
    """An ISO 8601 date (YYYY-MM-DD), said the locale's way."""
    TITLES = "titles"
    """A list of titles, each quoted, joined the locale's way ("A", "B" and "C")."""
    WANTS = "wants"
    """A list of (skill name, interest level) pairs: "Python (top priority)"."""
    NEEDS = "needs"
    """A list of (skill name, need level) pairs: "SQL (critical)"."""
    JSON_TYPE = "json_type"
    """A JSON type as `errors.json_kind` names it ("a string", "an array", "null"), said in the language."""
    PLACE = "place"
    """Where in a file a problem is: a CSV line number ("line 4") or a path into JSON, said as given."""


SENTENCES: dict[str, Sentence] = {}
"""Every sentence defined so far, by id: a message is said by looking its id up here. A package's sentences
are known once its module is imported; the domain's are in `alignment.sentences`."""


@dataclass(frozen=True)
class Sentence:
    """One thing the domain says: a stable id, its English template(s) and how each parameter is said.

    Templates use `%(name)s` placeholders (gettext's python-format). A sentence with a plural picks its
    form by the whole number in the parameter named by `count`.
    """

    id: str
    text: str
    kinds: Mapping[str, Kind] = field(default_factory=dict)
    plural: str | None = None
    count: str | None = None

    def __post_init__(self) -> None:
        known = SENTENCES.setdefault(self.id, self)
        if known != self:
            raise ValueError(f"two sentences have the id {self.id!r}: an id is never reused for another meaning")

    def __call__(self, **params: Any) -> Message:
        """This sentence said with `params` (exactly the parameters it names)."""
        if params.keys() != self.kinds.keys():
            raise ValueError(f"{self.id} takes {sorted(self.kinds)}, got {sorted(params)}")
        if not params:
            return _bare(self.id)
        return Message(self.id, tuple(sorted((name, _frozen(value)) for name, value in params.items())))


class Message(NamedTuple):
    """A sentence to say, by id, with its parameters (sorted by name).

    A tuple, so that plans holding a message per item compare and hash at C speed on every re-plan.
    """

    id: str
    params: tuple[tuple[str, Value], ...] = ()

    @property
    def arguments(self) -> dict[str, Value]:
        """The parameters by name."""
        return dict(self.params)

    def to_json(self) -> str | dict[str, Any]:
        """What is stored: the id alone when there are no parameters (most reasons a plan leaves out, stored
        thousands of times a version), else `{"id": …, "params": {…}}` with tuples written as arrays."""
        if not self.params:
            return self.id
        return {"id": self.id, "params": dict(self.params)}

    @classmethod
    def from_json(cls, data: Any) -> Message:
        """The message `to_json` stored."""
        if isinstance(data, str):
            found = _BARE.get(data)  # every message without parameters is one shared value
            return found if found is not None else _bare(data)
        params = data["params"]
        if not params:
            return _bare(str(data["id"]))
        return cls(str(data["id"]), tuple(sorted([(k, _frozen(v)) for k, v in params.items()])))


_BARE: dict[str, Message] = {}


def _bare(id: str) -> Message:
    """The one message with this id and no parameters."""
    found = _BARE.get(id)
    if found is None:
        found = _BARE[id] = Message(id)
    return found


VERBATIM = "verbatim"
"""The id of a message that is its own text: sentences stored before the domain kept message ids."""


def verbatim(text: str) -> Message:
    """A message said exactly as `text` in every language."""
    return Message(VERBATIM, (("text", text),))


class Wording(Protocol):
    """How one language puts a message's template and parameters into words."""

    def template(self, sentence: Sentence, count: int | None) -> str:
        """The sentence's template in this language (the plural form for `count` when it has one)."""

    def number(self, value: float) -> str:
        """A number."""

    def percent(self, value: float) -> str:
        """A fraction of 1 as a percentage."""

    def date(self, value: date) -> str:
        """A date."""

    def join(self, items: Sequence[str]) -> str:
        """Items of a list, joined."""


def render(message: Message, wording: Wording) -> str:
    """The message in the wording's language."""
    params = message.arguments
    if message.id == VERBATIM:
        return str(params["text"])
    sentence = SENTENCES.get(message.id)
    if sentence is None:
        # Not a sentence this version knows: text stored before the domain kept message ids, said as it was.
        return message.id if not params else f"{message.id} {params}"
    count = params.get(sentence.count) if sentence.count else None
    template = wording.template(sentence, int(count) if isinstance(count, int | float) else None)
    said = {name: _say(kind, params.get(name), wording) for name, kind in sentence.kinds.items()}
    return template % said


def _say(kind: Kind, value: Value, wording: Wording) -> str:
    if value is None:
        return "–"
    match kind:
        case Kind.TEXT:
            return str(value)
        case Kind.NUMBER:
            return wording.number(float(value)) if isinstance(value, int | float) else str(value)
        case Kind.PERCENT:
            return wording.percent(float(value)) if isinstance(value, int | float) else str(value)
        case Kind.DATE:
            return wording.date(date.fromisoformat(str(value)))
        case Kind.TITLES:
            quoted = SENTENCES[QUOTED_TITLE]
            return wording.join([wording.template(quoted, None) % {"title": title} for title in _items(value)])
        case Kind.JSON_TYPE:
            known = SENTENCES.get(JSON_TYPE % value)
            return wording.template(known, None) if known is not None else str(value)
        case Kind.PLACE:
            if isinstance(value, int):
                return wording.template(SENTENCES[LINE], None) % {"line": wording.number(value)}
            return str(value)
        case Kind.WANTS | Kind.NEEDS:
            levels = INTEREST_LEVEL if kind is Kind.WANTS else NEED_LEVEL
            return wording.join(
                [f"{name} ({wording.template(SENTENCES[levels % int(level)], None)})" for name, level in _items(value)]
            )


JSON_TYPE = "json.%s"
"""The sentences naming JSON's types, by `errors.json_kind`'s English ("json.a string")."""
LINE = "place.line"
"""The sentence that names a line of a file."""
QUOTED_TITLE = "title.quoted"
"""The sentence that quotes one title in a list of titles (the locale's quotation marks)."""
INTEREST_LEVEL = "level.interest.%d"
"""The sentences naming a learner's interest levels 0–3."""
NEED_LEVEL = "level.need.%d"
"""The sentences naming the organisation's need levels 0–3."""


def _items(value: Value) -> tuple[Any, ...]:
    return value if isinstance(value, tuple) else (value,)


def _frozen(value: Any) -> Value:
    kind = type(value)
    if kind in _SCALARS:
        return value
    if kind is list or kind is tuple:
        return tuple([item if type(item) in _SCALARS else _frozen(item) for item in value])
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"a message parameter must be JSON-safe, got {kind.__name__}")


_SCALARS = frozenset({str, int, float, bool, type(None)})
