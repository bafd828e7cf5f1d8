"""A scripted browser for end-to-end tests: it follows a launch through the tool and the platform over HTTP.

It does what a browser does with the platform's and the tool's pages, without running JavaScript: sends
the login initiation, follows the tool's redirect to the authorization endpoint, and submits the
auto-submitting form that carries the id_token; cookies persist in its `requests.Session`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

import requests

from dev_lms.errors import DevLmsError
from dev_lms.launch import LoginInitiation


@dataclass
class Form:
    """One HTML form: its action, method, target and named input values."""

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
    """Every form in a page, in order."""
    parser = _FormParser()
    parser.feed(html)
    return parser.forms


def only_form(html: str) -> Form:
    """The single form of an auto-submitting page; fails naming what it found otherwise."""
    forms = forms_in(html)
    if len(forms) != 1:
        raise DevLmsError(f"expected one form, found {len(forms)} in: {html[:500]}")
    return forms[0]


class Browser:
    """A cookie-keeping HTTP client that plays the user's browser in a launch."""

    def __init__(self, session: requests.Session | None = None, timeout: float = 30) -> None:
        self.session = session or requests.Session()
        self.timeout = timeout

    def start(self, initiation: LoginInitiation) -> requests.Response:
        """Send the login initiation to the tool and follow its redirects (to the platform's auth endpoint)."""
        if initiation.method == "POST":
            return self.session.post(initiation.url, data=initiation.params, timeout=self.timeout)
        return self.session.get(initiation.url, params=initiation.params, timeout=self.timeout)

    def submit(self, form: Form) -> requests.Response:
        """Submit a form as the browser would."""
        if form.method == "POST":
            return self.session.post(form.action, data=form.fields, timeout=self.timeout)
        return self.session.get(form.action, params=form.fields, timeout=self.timeout)

    def launch(self, initiation: LoginInitiation) -> requests.Response:
        """The whole launch: initiation, authentication, and the id_token form POSTed to the tool."""
        authentication = self.start(initiation)
        if authentication.status_code != 200:
            raise DevLmsError(
                f"the login did not reach an id_token form: {authentication.status_code} {authentication.text[:500]}"
            )
        answer = only_form(authentication.text)
        if "id_token" not in answer.fields:
            raise DevLmsError(f"the platform refused the authentication request: {answer.fields}")
        return self.submit(answer)
