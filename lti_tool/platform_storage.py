"""Launches without third-party cookies: the OIDC state and nonce kept in the platform's storage.

LTI Client Side postMessages (1EdTech, "lti.put_data" / "lti.get_data") let a tool in the platform's
iframe keep small values in a frame of the platform instead of in cookies, which browsers block in
third-party frames. A platform that offers it says so with `lti_storage_target` in the login initiation
(the frame to post to; `_parent` is the iframe's parent).

Every state Sweetspot issues is signed: it carries a digest of the login's nonce, the storage target
the platform offered (or none), and when it was issued. At the launch:

- the state cookie, when the browser kept it, binds the launch to this browser as before;
- otherwise, when the state says platform storage was offered, the launch answers a page whose script
  reads `state_<state>` and `nonce_<nonce>` back from the platform's frame (only from the platform's
  origin) and POSTs them with the id_token again. That second POST must come from Sweetspot's own page
  (its `Origin` is Sweetspot's), and the values must be the state and the id_token's nonce: only a
  browser whose platform page ran the login holds them. Then the launch is validated again in full, and
  its nonce recorded as used, once, as in the cookie path.

The signature alone also binds the state to the nonce: a state from another login, or one not issued by
Sweetspot, is refused before anything else.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from itsdangerous import BadSignature, URLSafeTimedSerializer
from pylti1p3.contrib.flask import FlaskOIDCLogin

STATE_PREFIX = "state-"
STATE_SALT = "sweetspot-lti-state"
STATE_MAX_AGE_SECONDS = 600
"""A login's state is good for ten minutes (the platform's own login hint usually for less)."""
STORAGE_TARGET_PARAMETER = "lti_storage_target"
STORAGE_STATE_FIELD = "lti_storage_state"
STORAGE_NONCE_FIELD = "lti_storage_nonce"
MAX_TARGET_LENGTH = 100


@dataclass(frozen=True)
class IssuedState:
    """What a state Sweetspot signed says about its login."""

    nonce_digest: str
    storage_target: str | None
    """The frame the platform offered for platform storage, or None when it offered none."""

    def matches(self, nonce: str) -> bool:
        """Whether `nonce` is the one this state was issued with."""
        return secrets.compare_digest(self.nonce_digest, nonce_digest(nonce))


class LaunchStates:
    """Signs the OIDC states Sweetspot issues and reads them back at the launch."""

    def __init__(self, secret_key: bytes) -> None:
        self._serializer = URLSafeTimedSerializer(
            secret_key, salt=STATE_SALT, signer_kwargs={"digest_method": hashlib.sha256}
        )

    def issue(self, nonce: str, storage_target: str | None) -> str:
        """A state for a login with this nonce (without the library's `state-` prefix)."""
        return str(self._serializer.dumps([nonce_digest(nonce), storage_target or ""]))

    def read(self, state: str) -> IssuedState | None:
        """The state's contents if Sweetspot signed it in the last ten minutes, else None."""
        if not state.startswith(STATE_PREFIX) or len(state) > 500:
            return None
        try:
            body: Any = self._serializer.loads(state[len(STATE_PREFIX) :], max_age=STATE_MAX_AGE_SECONDS)
        except BadSignature:
            return None
        if not (isinstance(body, list) and len(body) == 2 and all(isinstance(part, str) for part in body)):
            return None
        return IssuedState(body[0], body[1] or None)


def nonce_digest(nonce: str) -> str:
    """A short digest of a nonce, for the state to carry."""
    return base64.urlsafe_b64encode(hashlib.sha256(nonce.encode()).digest()[:18]).decode()


def storage_target(value: str | None) -> str | None:
    """The `lti_storage_target` a platform sent, if it is a usable frame name."""
    if not value or len(value) > MAX_TARGET_LENGTH or not value.replace("_", "").replace("-", "").isalnum():
        return None
    return value


def platform_origin(auth_login_url: str) -> str:
    """The origin the platform's storage answers from: its OIDC authorization endpoint's (as the spec says)."""
    parts = urlsplit(auth_login_url)
    return f"{parts.scheme}://{parts.netloc}"


class SignedStateLogin(FlaskOIDCLogin):
    """pylti1p3's OIDC login, issuing Sweetspot's signed states and its own nonces.

    The library still sets its state cookie and keeps the nonce in the session, so a browser that keeps
    cookies launches as before; `nonce` and `state` are what the login page hands to platform storage.
    """

    def __init__(self, request: Any, tool_config: Any, states: LaunchStates, target: str | None) -> None:
        super().__init__(request, tool_config)
        self._states = states
        self._target = target
        self.nonce = secrets.token_urlsafe(32)
        self.state = ""

    def _get_uuid(self) -> str:
        # The library names its state "state-" + this; it asks for it once per login, before the nonce.
        self.state = STATE_PREFIX + self._states.issue(self.nonce, self._target)
        return self.state[len(STATE_PREFIX) :]

    def _generate_nonce(self) -> str:
        return self.nonce
