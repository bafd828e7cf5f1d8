"""Upstream LRSs: endpoints checked, backoff after failures, and what forwarders send unwrapped."""

from datetime import timedelta

import pytest

from alignment.errors import InvalidInput
from xapi_listener.connections import backoff
from xapi_listener.forwarding import forwarded_statements, forwarded_version
from xapi_listener.pull import normalised_endpoint

STATEMENT = {
    "id": "5d1f6c2e-8c3b-4f8e-9a70-0f4b7c1c2a11",
    "actor": {"mbox": "mailto:ana@acme.test"},
    "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
    "object": {"id": "https://lms.acme.test/a"},
}


def test_endpoint_gets_its_trailing_slash_and_keeps_its_path() -> None:
    assert normalised_endpoint("https://lrs.example.com/data/xAPI") == "https://lrs.example.com/data/xAPI/"
    assert normalised_endpoint(" http://127.0.0.1:8000/xapi/ ") == "http://127.0.0.1:8000/xapi/"
    assert normalised_endpoint("HTTPS://lrs.example.com") == "https://lrs.example.com/"


@pytest.mark.parametrize(
    ("endpoint", "message"),
    [
        ("lrs.example.com/xapi", "must be an http(s) URL"),
        ("mailto:ana@acme.test", "must be an http(s) URL"),
        ("https:///xapi", "must be an http(s) URL"),
        ("https://key:secret@lrs.example.com/", "must not carry credentials"),
        ("https://lrs.example.com/xapi/#top", "without a query or fragment"),
        ("https://lrs.example.com:http/", "is not a URL"),
    ],
)
def test_endpoint_that_is_not_an_lrs_base_url_is_refused_saying_why(endpoint: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message.replace("(", r"\(").replace(")", r"\)")):
        normalised_endpoint(endpoint)


def test_backoff_doubles_from_the_interval_up_to_a_day() -> None:
    assert [backoff(15, n) for n in (1, 2, 3)] == [timedelta(minutes=15), timedelta(minutes=30), timedelta(hours=1)]
    assert backoff(15, 20) == timedelta(hours=24)
    assert backoff(3 * 24 * 60, 5) == timedelta(days=3)  # never sooner than the interval itself


def test_forwarded_body_may_be_one_statement_an_array_or_full_records() -> None:
    assert forwarded_statements(STATEMENT) == [STATEMENT]
    assert forwarded_statements([STATEMENT, STATEMENT]) == [STATEMENT, STATEMENT]
    record = {"_id": "abc", "statement": STATEMENT, "lrs_id": "def"}
    assert forwarded_statements(record) == [STATEMENT]
    assert forwarded_statements([record]) == [STATEMENT]


def test_a_statement_whose_object_is_named_statement_is_not_mistaken_for_a_record() -> None:
    odd = {**STATEMENT, "statement": {"note": "an extension-like property"}}
    assert forwarded_statements(odd) == [odd]


def test_forwarded_statement_without_an_id_is_refused() -> None:
    anonymous = {k: v for k, v in STATEMENT.items() if k != "id"}
    with pytest.raises(InvalidInput, match=r"^id: a forwarded statement must carry the id"):
        forwarded_statements(anonymous)
    with pytest.raises(InvalidInput, match=r"^\[1\]\.id:"):
        forwarded_statements([STATEMENT, anonymous])
    with pytest.raises(InvalidInput, match="empty array"):
        forwarded_statements([])


def test_forwarded_version_is_the_header_else_the_statement_else_1_0_3() -> None:
    assert forwarded_version([{**STATEMENT, "version": "2.0.0"}], "1.0.3") == "1.0.3"
    assert forwarded_version([{**STATEMENT, "version": "2.0.0"}], None) == "2.0.0"
    assert forwarded_version([{**STATEMENT, "version": "1.0.0"}], None) == "1.0.3"
    assert forwarded_version([STATEMENT], None) == "1.0.3"
    assert forwarded_version(["not a statement"], None) == "1.0.3"
