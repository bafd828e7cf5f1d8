"""The launch page's postMessage handler (LTI Client Side postMessages), run in Node with a minimal window.

No browser is installed here, so the page's own script runs in Node against the few browser objects it
touches (window listeners, sessionStorage, the frame); the messages and answers are the spec's.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

import pytest
from flask.testing import FlaskClient

from dev_lms import DevLms
from tests.dev_lms.conftest import Cast, Tool

HARNESS = r"""
const input = JSON.parse(require("fs").readFileSync(0, "utf8"));
const store = new Map();
globalThis.sessionStorage = {
  getItem: (k) => (store.has(k) ? store.get(k) : null),
  setItem: (k, v) => store.set(k, String(v)),
  removeItem: (k) => store.delete(k),
};
const answers = [];
const toolWindow = { postMessage: (message, targetOrigin) => answers.push({ message, targetOrigin }) };
const otherWindow = { postMessage: (message, targetOrigin) => answers.push({ message, targetOrigin }) };
const frame = { style: {}, contentWindow: toolWindow };
let submitted = false;
globalThis.document = {
  getElementById: (id) => (id === "tool-frame" ? frame : { submit: () => { submitted = true; } }),
};
const listeners = [];
globalThis.window = { addEventListener: (type, fn) => { if (type === "message") listeners.push(fn); } };
eval(input.script);
for (const [origin, data, fromAnotherWindow] of input.messages) {
  const source = fromAnotherWindow ? otherWindow : toolWindow;
  listeners.forEach((fn) => fn({ data, origin, source }));
}
console.log(JSON.stringify({ submitted, answers, height: frame.style.height || null }));
"""


def run_page_script(page: str, messages: list[tuple[Any, ...]]) -> dict[str, Any]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node is not installed")
    script = page.split("<script>")[1].split("</script>")[0]
    completed = subprocess.run(
        [node, "-e", HARNESS],
        input=json.dumps({"script": script, "messages": messages}),
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return json.loads(completed.stdout)


def test_the_launch_page_answers_platform_storage_and_resizes_the_frame(
    lms: DevLms, client: FlaskClient, tool: Tool, cast: Cast
) -> None:
    link = lms.add_resource_link(cast.course, tool.client_id, "Sweetspot")
    page = client.post(f"/courses/{cast.course.id}/launch", data={"person_id": cast.ana.id, "link_id": link.id}).text
    tool_origin = tool.keys.base_url
    result = run_page_script(
        page,
        [
            (tool_origin, {"subject": "lti.capabilities", "message_id": "m0"}),
            (tool_origin, {"subject": "lti.put_data", "message_id": "m1", "key": "state-1", "value": "nonce-1"}),
            (tool_origin, {"subject": "lti.get_data", "message_id": "m2", "key": "state-1"}),
            ("http://evil.example.com", {"subject": "lti.get_data", "message_id": "m3", "key": "state-1"}),
            (tool_origin, {"subject": "lti.get_data", "message_id": "m7", "key": "state-1"}, True),
            (tool_origin, {"subject": "lti.get_data", "message_id": "m4", "key": "unknown"}),
            (tool_origin, {"subject": "lti.put_data", "message_id": "m5", "value": "no key"}),
            (tool_origin, {"subject": "lti.frameResize", "height": 900}),
            (tool_origin, {"subject": "lti.showAlert", "message_id": "m6"}),
        ],
    )
    assert result["submitted"] is True
    assert result["height"] == "900px"
    answers = {answer["message"]["message_id"]: answer for answer in result["answers"]}
    assert all(answer["targetOrigin"] == tool_origin for answer in result["answers"])
    assert "m3" not in answers  # another origin gets nothing
    assert "m7" not in answers  # nor another window of the tool's origin than its frame
    subjects = {m["subject"] for m in answers["m0"]["message"]["supported_messages"]}
    assert {"lti.put_data", "lti.get_data", "lti.frameResize"} <= subjects
    assert answers["m1"]["message"] == {
        "subject": "lti.put_data.response",
        "message_id": "m1",
        "key": "state-1",
        "value": "nonce-1",
    }
    assert answers["m2"]["message"] == {
        "subject": "lti.get_data.response",
        "message_id": "m2",
        "key": "state-1",
        "value": "nonce-1",
    }
    assert answers["m4"]["message"]["value"] is None
    assert answers["m5"]["message"]["error"]["code"] == "bad_request"
    assert answers["m6"]["message"]["error"]["code"] == "unsupported_subject"
