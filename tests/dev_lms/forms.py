"""Reading the HTML forms the platform and the tool answer with, as a browser would submit them."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Form:
    """One <form>: its action, method, target and hidden fields."""

    action: str
    method: str
    target: str | None
    fields: dict[str, str] = field(default_factory=dict)


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.forms.append(Form(values.get("action", ""), values.get("method", "get").upper(), values.get("target")))
        elif tag == "input" and self.forms and "name" in values:
            self.forms[-1].fields[values["name"]] = values.get("value", "")


def forms_in(html: str) -> list[Form]:
    """Every form in a page."""
    parser = _FormParser()
    parser.feed(html)
    return parser.forms


def only_form(html: str) -> Form:
    """The single form of an auto-submitting page."""
    forms = forms_in(html)
    assert len(forms) == 1, f"expected one form, found {len(forms)} in: {html[:500]}"
    return forms[0]
