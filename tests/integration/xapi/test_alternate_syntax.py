"""The xAPI 1.0.3 alternate request syntax: a POST with ?method= and a form standing for another request."""

import json
import uuid
from urllib.parse import urlencode

from tests.integration.xapi.conftest import Lrs, statement


def alternate(lrs: Lrs, method: str, form: dict[str, str], query: str = ""):
    fields = {"Authorization": lrs.authorization, "X-Experience-API-Version": "1.0.3", **form}
    return lrs.client.post(
        f"/xapi/statements?method={method}{query}",
        data=urlencode(fields),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )


def test_put_and_get_sent_as_posts(lrs: Lrs) -> None:
    statement_id = str(uuid.uuid4())
    put = alternate(
        lrs,
        "PUT",
        {"statementId": statement_id, "Content-Type": "application/json", "content": json.dumps(statement())},
    )
    assert put.status_code == 204, put.get_json()
    got = alternate(lrs, "GET", {"statementId": statement_id})
    assert got.status_code == 200
    assert got.get_json()["id"] == statement_id


def test_headers_may_stay_real_headers(lrs: Lrs) -> None:
    response = lrs.client.post(
        "/xapi/statements?method=GET",
        data=urlencode({"limit": "1"}),
        headers=lrs.headers(**{"Content-Type": "application/x-www-form-urlencoded"}),
    )
    assert response.status_code == 200
    assert set(response.get_json()) == {"statements", "more"}


def test_extra_query_parameters_and_missing_content_are_refused(lrs: Lrs) -> None:
    extra = alternate(lrs, "PUT", {"content": json.dumps(statement())}, query=f"&statementId={uuid.uuid4()}")
    assert extra.status_code == 400
    assert "only `method`" in extra.get_json()["message"]
    missing = alternate(lrs, "PUT", {"statementId": str(uuid.uuid4())})
    assert missing.status_code == 400
    assert "content" in missing.get_json()["message"]


def test_the_syntax_needs_a_form_body(lrs: Lrs) -> None:
    response = lrs.client.post(
        "/xapi/statements?method=PUT", data=json.dumps(statement()), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400


def test_xapi_2_refuses_the_syntax(lrs: Lrs) -> None:
    response = alternate(lrs, "GET", {"X-Experience-API-Version": "2.0.0"})
    assert response.status_code == 400
    assert "removed in xAPI 2.0" in response.get_json()["message"]
