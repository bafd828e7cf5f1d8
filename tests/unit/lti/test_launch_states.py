"""Signed OIDC states: what they carry, and which are refused."""

from __future__ import annotations

import time

import pytest
from itsdangerous.timed import TimestampSigner

from lti_tool.platform_storage import (
    STATE_MAX_AGE_SECONDS,
    STATE_PREFIX,
    LaunchStates,
    platform_origin,
    storage_target,
)

STATES = LaunchStates(b"a-secret-key-for-these-tests-only")


def test_a_state_carries_its_nonce_and_the_storage_frame_the_platform_offered() -> None:
    state = STATE_PREFIX + STATES.issue("nonce-1", "_parent")
    issued = STATES.read(state)
    assert issued is not None
    assert issued.storage_target == "_parent"
    assert issued.matches("nonce-1") and not issued.matches("nonce-2")
    without = STATES.read(STATE_PREFIX + STATES.issue("nonce-1", None))
    assert without is not None and without.storage_target is None


@pytest.mark.parametrize(
    "forge",
    [
        lambda state: state[:-4] + ("AAAA" if not state.endswith("AAAA") else "BBBB"),  # signature changed
        lambda state: state.removeprefix(STATE_PREFIX),  # not the library's form
        lambda state: STATE_PREFIX + LaunchStates(b"another-tools-secret-key-0123456").issue("nonce-1", "_parent"),
        lambda state: "state-" + "x" * 600,  # absurdly long
    ],
)
def test_a_state_sweetspot_did_not_sign_is_not_read(forge: object) -> None:
    state = STATE_PREFIX + STATES.issue("nonce-1", "_parent")
    assert STATES.read(forge(state)) is None  # type: ignore[operator]


def test_a_state_older_than_ten_minutes_is_not_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: int(time.time()) - STATE_MAX_AGE_SECONDS - 5)
    old = STATE_PREFIX + STATES.issue("nonce-1", "_parent")
    monkeypatch.undo()
    assert STATES.read(old) is None


@pytest.mark.parametrize(
    ("offered", "kept"),
    [("_parent", "_parent"), ("lti-storage", "lti-storage"), ("", None), (None, None), ("x" * 101, None),
     ("frame\"><script>", None), ("a b", None)],
)  # fmt: skip
def test_only_a_plain_frame_name_is_taken_as_the_storage_target(offered: str | None, kept: str | None) -> None:
    assert storage_target(offered) == kept


def test_the_platforms_storage_answers_from_its_authorization_endpoints_origin() -> None:
    assert platform_origin("https://moodle.example.edu/mod/lti/auth.php") == "https://moodle.example.edu"
    assert platform_origin("http://localhost:8001/oidc/auth") == "http://localhost:8001"
