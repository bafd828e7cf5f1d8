"""The LTI 1.3 launch: pylti1p3's validation, plus every check the library leaves out.

pylti1p3 checks the state cookie, the JWT's shape, the registration, the signature, the deployment
and the message claims. Sweetspot adds (1EdTech Security Framework §5.1.3, LTI Core §5.1):
`aud` must contain our client id, and `azp` must equal it when present or when there are several
audiences; RS256 only; `exp` and `iat` required and checked with a small leeway; the nonce is single
use across every process (a replayed id_token is refused); an unknown `kid` triggers one fresh
download of the platform's key set; the deployment must be known and active (a new one is recorded
as pending); `target_link_uri` must point at this tool; only the message types Sweetspot handles.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import jwt
from flask_babel import force_locale, lazy_gettext
from flask_babel.speaklater import LazyString
from pylti1p3.contrib.flask import FlaskMessageLaunch, FlaskRequest
from pylti1p3.deployment import Deployment as LibraryDeployment
from pylti1p3.exception import LtiException
from pylti1p3.registration import Registration as LibraryRegistration
from pylti1p3.tool_config.abstract import ToolConfAbstract

from alignment.database import UnitOfWork, UnitOfWorkFactory
from lti_tool import claims
from lti_tool.keys import KeyRing
from lti_tool.platform_keys import KeySetError, PlatformKeySets, UnusableKey
from lti_tool.platform_storage import IssuedState, LaunchStates, platform_origin
from lti_tool.registrations import (
    DeploymentStatus,
    Registration,
    deployment_seen_at_launch,
    find_deployment,
    find_registration,
    use_nonce,
    use_nonce_through_active_deployment,
)

SUPPORTED_MESSAGES = ("LtiResourceLinkRequest", "LtiDeepLinkingRequest")
REGISTRATION_CACHE_SECONDS = 30.0


class LaunchRejected(Exception):
    """A launch that must not go on: what was wrong, and what the platform's admin can do about it.

    `reason` and `advice` are translated when shown (lazily, in the page's language); the log gets
    `logged_reason`, always English. Both may carry request values: render them through `str()` so the
    template escapes them (a LazyString counts as safe HTML in Jinja).
    """

    def __init__(self, reason: str | LazyString, advice: str | LazyString, status: int = 400) -> None:
        super().__init__(reason)
        self.reason = reason
        self.advice = advice
        self.status = status

    @property
    def logged_reason(self) -> str:
        """The reason in English, for the logs."""
        with force_locale(SOURCE_LANGUAGE):
            return str(self.reason)


SOURCE_LANGUAGE = "en"
ADVICE_REGISTER = lazy_gettext(
    "Ask your LMS administrator to register Sweetspot for this platform (see Sweetspot's setup page)."
)
ADVICE_PLATFORM = lazy_gettext(
    "The LMS sent a launch Sweetspot cannot trust; ask your LMS administrator to check the tool's setup."
)
ADVICE_RETRY = lazy_gettext(
    "Launch Sweetspot again from the course. If it keeps happening, your browser may be blocking cookies."
)


class DatabaseToolConf(ToolConfAbstract[FlaskRequest]):
    """pylti1p3's tool-config seam over the registrations table; built once per app."""

    def __init__(self, unit_of_work: UnitOfWorkFactory, keys: KeyRing) -> None:
        self._unit_of_work = unit_of_work
        self._keys = keys
        # Registrations change rarely and are read twice per launch; unknown ones are never cached.
        self._cache: dict[tuple[str, str | None], tuple[float, Registration]] = {}

    def check_iss_has_one_client(self, iss: str) -> bool:
        """Never assume one client id per issuer (hosted Canvas shares one issuer)."""
        return False

    def check_iss_has_many_clients(self, iss: str) -> bool:
        """Every issuer may have several client ids."""
        return True

    def find_registration_by_issuer(self, iss: str, *args: Any, **kwargs: Any) -> LibraryRegistration | None:  # type: ignore[override]
        """The issuer's registration when it has only one."""
        return self.find_registration_by_params(iss, "")

    def find_registration_by_params(  # type: ignore[override]
        self, iss: str, client_id: str | None, *args: Any, **kwargs: Any
    ) -> LibraryRegistration | None:
        """The registration of the issuer and client id, as the library's object."""
        found = self.registration(iss, client_id)
        return None if found is None else self.library_registration(found)

    def registration(self, iss: str, client_id: str | None) -> Registration | None:
        """Sweetspot's own registration record for the issuer and client id (cached briefly per process)."""
        key = (iss, client_id)
        cached = self._cache.get(key)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        with self._unit_of_work(read_only=True) as uow:
            found = find_registration(uow, iss, client_id)
        if found is not None:
            self._cache[key] = (time.monotonic() + REGISTRATION_CACHE_SECONDS, found)
        return found

    def library_registration(self, registration: Registration) -> LibraryRegistration:
        """The registration as pylti1p3 objects want it, signing with the tool's current key."""
        signing = self._keys.signing
        return (
            LibraryRegistration()
            .set_issuer(registration.issuer)
            .set_client_id(registration.client_id)
            .set_auth_login_url(registration.auth_login_url)
            .set_auth_token_url(registration.auth_token_url)
            .set_auth_audience(registration.auth_audience or registration.auth_token_url)
            .set_key_set_url(registration.key_set_url)
            .set_tool_private_key(signing.private_pem.decode())
            .set_tool_public_key(signing.public_pem)
        )

    def find_deployment(self, iss: str, deployment_id: str) -> LibraryDeployment | None:
        """The issuer's active deployment with this id, when the issuer has one registration."""
        return self.find_deployment_by_params(iss, deployment_id, "")

    def find_deployment_by_params(
        self, iss: str, deployment_id: str, client_id: str, *args: Any, **kwargs: Any
    ) -> LibraryDeployment | None:
        """The active deployment of this registration with this id."""
        with self._unit_of_work(read_only=True) as uow:
            registration = find_registration(uow, iss, client_id)
            found = find_deployment(uow, registration, deployment_id) if registration else None
        if found is None or found.status is not DeploymentStatus.ACTIVE:
            return None
        return LibraryDeployment().set_deployment_id(found.deployment_id)


@dataclass(frozen=True)
class LaunchChecks:
    """What the hardened launch needs besides the request: storage, key sets, clock, our address, state signer."""

    unit_of_work: UnitOfWorkFactory
    key_sets: PlatformKeySets
    leeway_seconds: int
    tool_origin: str
    states: LaunchStates


@dataclass
class ValidLaunch:
    """A launch that passed every check: its registration, deployment and claims."""

    registration: Registration
    deployment_id: str
    body: dict[str, Any] = field(repr=False)
    through_platform_storage: bool = False
    """True when the platform's storage, not a cookie, bound the launch to the browser."""


@dataclass(frozen=True)
class StorageCheck:
    """A launch whose browser kept no state cookie: its page must read the state and nonce from the platform.

    Everything that needs no database has been checked; nothing is recorded yet.
    """

    storage_target: str
    platform_origin: str
    state: str
    nonce: str
    id_token: str = field(repr=False)
    registration: Registration


class HardenedLaunch(FlaskMessageLaunch):
    """A pylti1p3 message launch with Sweetspot's extra checks, in the order that makes them meaningful."""

    def __init__(
        self,
        request: FlaskRequest,
        tool_conf: DatabaseToolConf,
        checks: LaunchChecks,
        storage_values: tuple[str, str] | None = None,
    ) -> None:
        """`storage_values`: the state and nonce the launch page read back from the platform's storage."""
        super().__init__(request, tool_conf)
        # The library would otherwise run its own validate() the first time a claim is read.
        self.set_auto_validation(enable=False)
        self._checks = checks
        self._sweetspot_registration: Registration | None = None
        self._uow: UnitOfWork | None = None
        self._storage_values = storage_values
        self._issued: IssuedState | None = None

    def run(self, uow: UnitOfWork) -> ValidLaunch | StorageCheck:
        """Validate everything, or raise LaunchRejected saying what was wrong.

        The nonce is recorded in `uow`, the transaction the caller then records the launch in, so an
        accepted launch costs one commit; a launch refused afterwards rolls its nonce back with it.
        A browser without the state cookie, whose login offered platform storage, first gets a
        `StorageCheck` (nothing recorded); the launch page then sends the values it read back.
        """
        try:
            self.validate_state().validate_jwt_format().validate_registration().validate_jwt_signature()
            self.validate_deployment()
            if self._issued is not None and self._storage_values is None:
                self.validate_nonce().validate_message()  # no database: nothing is recorded yet
                return self._storage_check()
            self._uow = uow
            self.validate_nonce().validate_message()
        except LtiException as error:
            raise LaunchRejected(str(error), ADVICE_PLATFORM) from error
        if self._issued is None:
            self._session_service.set_state_valid(self._get_request_param("state"), self._get_id_token_hash())
        assert self._sweetspot_registration is not None
        return ValidLaunch(
            self._sweetspot_registration,
            self._get_deployment_id(),
            dict(self._claims()),
            through_platform_storage=self._issued is not None,
        )

    def _storage_check(self) -> StorageCheck:
        assert self._issued is not None
        assert self._issued.storage_target is not None
        assert self._sweetspot_registration is not None
        return StorageCheck(
            storage_target=self._issued.storage_target,
            platform_origin=platform_origin(self._sweetspot_registration.auth_login_url),
            state=self._get_request_param("state"),
            nonce=str(self._claims()["nonce"]),
            id_token=self._get_id_token(),
            registration=self._sweetspot_registration,
        )

    def _claims(self) -> dict[str, Any]:
        body = self._jwt.get("body")
        return dict(body) if isinstance(body, dict) else {}

    def validate_state(self) -> HardenedLaunch:
        """The state must be one Sweetspot signed, and this browser's: its cookie, or else the platform's storage."""
        state = self._get_request_param("state")
        issued = self._checks.states.read(state) if state else None
        if issued is None:
            raise LaunchRejected(
                lazy_gettext("the launch's state was not issued by Sweetspot, or has expired"), ADVICE_RETRY, 401
            )
        try:
            super().validate_state()
        except LtiException as error:
            if issued.storage_target is None:
                raise LaunchRejected(
                    lazy_gettext("the launch's state does not match this browser's login (state not found)"),
                    ADVICE_RETRY,
                    401,
                ) from error
            self._issued = issued  # no cookie: the platform's storage must vouch for the browser
        return self

    def validate_jwt_format(self) -> HardenedLaunch:
        """The id_token must be a JWS in compact form with a JSON header and body."""
        if not self._get_request_param("id_token"):
            raise LaunchRejected(lazy_gettext("the launch has no id_token"), ADVICE_PLATFORM)
        try:
            super().validate_jwt_format()
        except LtiException as error:
            raise LaunchRejected(
                lazy_gettext("the id_token is not a JWT: %(error)s", error=str(error)), ADVICE_PLATFORM
            ) from error
        if not isinstance(self._jwt.get("body"), dict) or not isinstance(self._jwt.get("header"), dict):
            raise LaunchRejected(
                lazy_gettext("the id_token is not a JWT: its header and body must be JSON objects"), ADVICE_PLATFORM
            )
        return self

    def get_client_id(self) -> str:
        """Our client id as the token names it: `azp` when there are several audiences, else `aud`."""
        body = self._claims()
        aud = body.get("aud")
        if isinstance(aud, list) and len(aud) > 1:
            azp = body.get("azp")
            if not isinstance(azp, str) or not azp:
                raise LaunchRejected(
                    lazy_gettext("the id_token has several audiences but no azp claim"), ADVICE_PLATFORM
                )
            return azp
        client_id = aud[0] if isinstance(aud, list) and aud else aud
        if not isinstance(client_id, str) or not client_id:
            raise LaunchRejected(lazy_gettext("the id_token has no aud claim"), ADVICE_PLATFORM)
        return client_id

    def validate_registration(self) -> HardenedLaunch:
        """The issuer and client id must be registered; aud must contain it and azp, if present, equal it."""
        body = self._claims()
        iss = body.get("iss")
        if not isinstance(iss, str) or not iss:
            raise LaunchRejected(lazy_gettext("the id_token has no iss claim"), ADVICE_PLATFORM)
        client_id = self.get_client_id()
        registration = self._tool_config.registration(iss, client_id)
        if registration is None:
            raise LaunchRejected(
                lazy_gettext(
                    "no platform is registered with issuer %(iss)s and client id %(client_id)s",
                    iss=iss,
                    client_id=client_id,
                ),
                ADVICE_REGISTER,
                403,
            )
        aud = body.get("aud")
        audiences = aud if isinstance(aud, list) else [aud]
        if registration.client_id not in audiences:
            raise LaunchRejected(
                lazy_gettext("the id_token's aud does not contain our client id %(client_id)s", client_id=client_id),
                ADVICE_PLATFORM,
            )
        if "azp" in body and body["azp"] != registration.client_id:
            raise LaunchRejected(
                lazy_gettext("the id_token's azp %(azp)s is not our client id", azp=repr(body["azp"])), ADVICE_PLATFORM
            )
        self._registration = self._tool_config.library_registration(registration)
        self._sweetspot_registration = registration
        return self

    def validate_jwt_signature(self) -> HardenedLaunch:
        """RS256 with the platform's key named by kid; exp and iat present and current within the leeway."""
        header = self._jwt.get("header", {})
        if header.get("alg") != "RS256":
            alg = header.get("alg")
            raise LaunchRejected(
                lazy_gettext("the id_token is signed with %(alg)s; only RS256 is accepted", alg=repr(alg)),
                ADVICE_PLATFORM,
            )
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise LaunchRejected(lazy_gettext("the id_token's header has no kid"), ADVICE_PLATFORM)
        assert self._sweetspot_registration is not None
        registration = self._sweetspot_registration
        try:
            public_key = self._checks.key_sets.public_key(registration.key_set_url, kid)
        except UnusableKey as error:
            raise LaunchRejected(
                lazy_gettext("the platform's key %(kid)s is not a usable RSA key", kid=repr(kid)), ADVICE_PLATFORM
            ) from error
        except KeySetError as error:
            raise LaunchRejected(str(error), ADVICE_PLATFORM) from error
        try:
            jwt.decode(
                self._get_id_token(),
                public_key,
                algorithms=["RS256"],
                audience=registration.client_id,
                issuer=registration.issuer,
                leeway=self._checks.leeway_seconds,
                options={"require": ["exp", "iat", "iss", "aud"]},
            )
        except jwt.ImmatureSignatureError as error:
            raise LaunchRejected(
                lazy_gettext("the id_token was issued in the future (iat)"), ADVICE_PLATFORM
            ) from error
        except jwt.InvalidTokenError as error:
            raise LaunchRejected(
                lazy_gettext("the id_token is not valid: %(error)s", error=str(error)), ADVICE_PLATFORM
            ) from error
        iat = self._claims()["iat"]
        if isinstance(iat, int | float) and iat > datetime.now(UTC).timestamp() + self._checks.leeway_seconds:
            raise LaunchRejected(lazy_gettext("the id_token was issued in the future (iat)"), ADVICE_PLATFORM)
        return self

    def validate_deployment(self) -> HardenedLaunch:
        """The id_token must name its deployment; whether it is active is checked with the nonce, in one query."""
        deployment_id = self._claims().get(claims.DEPLOYMENT_ID)
        if not isinstance(deployment_id, str) or not deployment_id:
            raise LaunchRejected(lazy_gettext("the id_token has no deployment_id claim"), ADVICE_PLATFORM)
        return self

    def validate_nonce(self) -> HardenedLaunch:
        """The nonce must be the one this browser's login made, and never seen in an accepted launch before.

        The database records the nonce only through a known, active deployment (one statement); when it
        does not, the deployment is looked up to say why: unknown (recorded as pending), pending, disabled,
        or else the nonce was used before.
        """
        nonce = self._claims().get("nonce")
        if not isinstance(nonce, str) or not nonce:
            raise LaunchRejected(lazy_gettext("the id_token has no nonce"), ADVICE_PLATFORM)
        if self._issued is None:
            if not self._session_service.check_nonce(nonce):
                raise LaunchRejected(
                    lazy_gettext("the id_token's nonce was not issued to this browser"), ADVICE_RETRY, 401
                )
        elif not self._issued.matches(nonce):
            raise LaunchRejected(
                lazy_gettext("the id_token's nonce is not the one its login issued with this state"), ADVICE_RETRY, 401
            )
        elif self._storage_values is not None and not _stored_values_match(
            self._storage_values, (self._get_request_param("state"), nonce)
        ):
            raise LaunchRejected(
                lazy_gettext("the LMS's storage in this browser does not hold this launch's state and nonce"),
                ADVICE_RETRY,
                401,
            )
        if self._uow is None:
            return self  # the first step of a launch through platform storage records nothing
        registration = self._sweetspot_registration
        assert registration is not None
        deployment_id = str(self._claims()[claims.DEPLOYMENT_ID])
        expires_at = datetime.fromtimestamp(float(self._claims()["exp"]), UTC) + timedelta(
            seconds=self._checks.leeway_seconds
        )
        uow = self._uow
        if use_nonce_through_active_deployment(uow, registration.id, deployment_id, nonce, expires_at):
            return self
        deployment = find_deployment(uow, registration, deployment_id)
        if deployment is None:
            # Committed at once: the launch is refused, but the admin must see the new deployment.
            deployment = deployment_seen_at_launch(uow, registration, deployment_id)
            uow.commit()
            if deployment.status is DeploymentStatus.ACTIVE and use_nonce(uow, registration.id, nonce, expires_at):
                return self  # the registration activates new deployments by itself
        if deployment.status is DeploymentStatus.PENDING:
            raise LaunchRejected(
                lazy_gettext(
                    "the deployment %(deployment)s of this platform is waiting for activation", deployment=deployment_id
                ),
                lazy_gettext(
                    "A Sweetspot administrator must activate this deployment (admin pages or "
                    "`sweetspot lti deployments activate`)."
                ),
                403,
            )
        if deployment.status is DeploymentStatus.DISABLED:
            raise LaunchRejected(
                lazy_gettext("the deployment %(deployment)s is disabled", deployment=deployment_id),
                ADVICE_REGISTER,
                403,
            )
        raise LaunchRejected(
            lazy_gettext("this launch was already used (the nonce was seen before)"), ADVICE_RETRY, 401
        )

    def validate_message(self) -> HardenedLaunch:
        """A message type Sweetspot handles, with its required claims, aimed at this tool."""
        body = self._claims()
        message_type = body.get(claims.MESSAGE_TYPE)
        if not message_type:
            raise LaunchRejected(lazy_gettext("the id_token has no message_type claim"), ADVICE_PLATFORM)
        if message_type not in SUPPORTED_MESSAGES:
            raise LaunchRejected(
                lazy_gettext("Sweetspot does not handle %(type)s messages", type=repr(message_type)), ADVICE_PLATFORM
            )
        if body.get(claims.VERSION) != "1.3.0":
            raise LaunchRejected(
                lazy_gettext("the LTI version must be 1.3.0, got %(version)s", version=repr(body.get(claims.VERSION))),
                ADVICE_PLATFORM,
            )
        if not isinstance(body.get(claims.ROLES), list):
            raise LaunchRejected(
                lazy_gettext("the id_token has no roles claim (an empty list is fine)"), ADVICE_PLATFORM
            )
        if not isinstance(body.get("sub"), str) or not body["sub"]:
            raise LaunchRejected(lazy_gettext("the id_token has no sub claim (the user)"), ADVICE_PLATFORM)
        if message_type == "LtiResourceLinkRequest":
            link = body.get(claims.RESOURCE_LINK)
            if not isinstance(link, dict) or not link.get("id"):
                raise LaunchRejected(lazy_gettext("the id_token has no resource_link id"), ADVICE_PLATFORM)
        if message_type == "LtiDeepLinkingRequest":
            settings = body.get(claims.DEEP_LINKING_SETTINGS)
            return_url = settings.get("deep_link_return_url") if isinstance(settings, dict) else None
            if not isinstance(return_url, str) or urlsplit(return_url).scheme not in ("http", "https"):
                raise LaunchRejected(
                    lazy_gettext("the deep linking request has no http(s) deep_link_return_url"), ADVICE_PLATFORM
                )
        try:
            super().validate_message()
        except LtiException as error:
            raise LaunchRejected(str(error), ADVICE_PLATFORM) from error
        target = body.get(claims.TARGET_LINK_URI)
        if not isinstance(target, str) or not _same_origin(target, self._checks.tool_origin):
            raise LaunchRejected(
                lazy_gettext(
                    "the launch's target_link_uri %(target)s does not point at this tool (%(tool)s)",
                    target=repr(target),
                    tool=self._checks.tool_origin,
                ),
                ADVICE_PLATFORM,
            )
        return self


def _stored_values_match(stored: tuple[str, str], expected: tuple[str, str]) -> bool:
    return all(secrets.compare_digest(a.encode(), b.encode()) for a, b in zip(stored, expected, strict=True))


def _same_origin(url: str, origin: str) -> bool:
    parts, ours = urlsplit(url), urlsplit(origin)
    return (parts.scheme, parts.netloc) == (ours.scheme, ours.netloc)
