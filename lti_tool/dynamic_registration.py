"""LTI Dynamic Registration 1.0, the tool's side: read the platform's configuration, register, store.

An admin of a tenant gets a registration URL (`sweetspot lti registration-url`, or the admin pages)
carrying a signed, expiring token that names the tenant, and pastes it into the platform. The platform
opens it with `openid_configuration` and `registration_token`; the tool fetches that configuration,
checks it, POSTs its client metadata to the platform's registration endpoint, stores the client id and
deployment the platform assigned, and the page closes itself with the `org.imsglobal.lti.close`
postMessage.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import requests
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from alignment.database import UnitOfWork
from alignment.errors import InvalidInput
from lti_tool.registrations import PlatformDraft, Registration, add_deployment, add_registration
from lti_tool.setup import client_metadata

PLATFORM_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-platform-configuration"
TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"
TIMEOUT_SECONDS = 15.0
SALT = "sweetspot-lti-dynamic-registration"


class RegistrationFailed(InvalidInput):
    """The platform's configuration or its answer to our registration cannot be used; the message says why."""


def registration_token(secret_key: bytes, tenant_id: int) -> str:
    """A token naming the tenant, for the registration URL an admin pastes into the platform."""
    return URLSafeTimedSerializer(secret_key, salt=SALT).dumps({"tenant": tenant_id})


def tenant_of_token(secret_key: bytes, token: str, max_age_seconds: int) -> int:
    """The tenant a registration token names, if it is genuine and not older than `max_age_seconds`."""
    try:
        data = URLSafeTimedSerializer(secret_key, salt=SALT).loads(token, max_age=max_age_seconds)
    except SignatureExpired as error:
        raise RegistrationFailed("this registration URL has expired; ask for a new one") from error
    except BadSignature as error:
        raise RegistrationFailed("this registration URL is not one Sweetspot issued") from error
    if not isinstance(data, dict) or not isinstance(data.get("tenant"), int):
        raise RegistrationFailed("this registration URL is not one Sweetspot issued")
    return int(data["tenant"])


def fetch_platform_configuration(
    http: requests.Session, openid_configuration_url: str, registration_token_value: str | None
) -> dict[str, Any]:
    """The platform's OpenID configuration, checked for what LTI Dynamic Registration §3.5 requires."""
    url_parts = urlsplit(openid_configuration_url)
    if url_parts.scheme not in ("https", "http") or not url_parts.netloc:
        raise RegistrationFailed(f"openid_configuration must be an http(s) URL, got {openid_configuration_url!r}")
    headers = {"Accept": "application/json"}
    if registration_token_value:
        headers["Authorization"] = f"Bearer {registration_token_value}"
    configuration = _json(http.get(openid_configuration_url, headers=headers, timeout=TIMEOUT_SECONDS), "configuration")
    for name in ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri", "registration_endpoint"):
        if not isinstance(configuration.get(name), str) or not configuration[name]:
            raise RegistrationFailed(f"the platform's configuration has no {name}")
    issuer_parts = urlsplit(configuration["issuer"])
    if issuer_parts.netloc != url_parts.netloc or issuer_parts.scheme != url_parts.scheme:
        raise RegistrationFailed(
            f"the platform's issuer {configuration['issuer']} is not the host its configuration came from"
        )
    if "RS256" not in configuration.get("id_token_signing_alg_values_supported", ["RS256"]):
        raise RegistrationFailed("the platform does not sign id_tokens with RS256")
    if "private_key_jwt" not in configuration.get("token_endpoint_auth_methods_supported", ["private_key_jwt"]):
        raise RegistrationFailed("the platform's token endpoint does not accept private_key_jwt")
    if not isinstance(configuration.get(PLATFORM_CONFIGURATION), dict):
        raise RegistrationFailed("the platform's configuration has no LTI platform configuration block")
    return configuration


def register(
    uow: UnitOfWork,
    http: requests.Session,
    tenant_id: int,
    base_url: str,
    configuration: dict[str, Any],
    registration_token_value: str | None,
) -> Registration:
    """POST our client metadata to the platform and store the client id and deployment it assigns."""
    platform = configuration[PLATFORM_CONFIGURATION]
    family = platform.get("product_family_code") if isinstance(platform.get("product_family_code"), str) else None
    scopes = configuration.get("scopes_supported")
    metadata = client_metadata(base_url, family, scopes if isinstance(scopes, list) else None)
    headers = {"Accept": "application/json"}
    if registration_token_value:
        headers["Authorization"] = f"Bearer {registration_token_value}"
    answer = _json(
        http.post(configuration["registration_endpoint"], json=metadata, headers=headers, timeout=TIMEOUT_SECONDS),
        "registration",
    )
    client_id = answer.get("client_id")
    if not isinstance(client_id, str) or not client_id:
        raise RegistrationFailed("the platform's answer to the registration has no client_id")
    tool_configuration = answer.get(TOOL_CONFIGURATION)
    deployment_id = tool_configuration.get("deployment_id") if isinstance(tool_configuration, dict) else None
    registration = add_registration(
        uow,
        tenant_id,
        PlatformDraft(
            issuer=configuration["issuer"],
            client_id=client_id,
            auth_login_url=configuration["authorization_endpoint"],
            auth_token_url=configuration["token_endpoint"],
            key_set_url=configuration["jwks_uri"],
            label=f"{family or 'LMS'} at {urlsplit(configuration['issuer']).netloc}",
            auth_audience=configuration.get("authorization_server") or None,
        ),
        created_via="dynamic",
    )
    if isinstance(deployment_id, str | int) and str(deployment_id):
        add_deployment(uow, registration, str(deployment_id))
    return registration


def _json(response: requests.Response, what: str) -> dict[str, Any]:
    if response.status_code >= 400:
        raise RegistrationFailed(f"the platform answered the {what} request with HTTP {response.status_code}")
    try:
        body = response.json()
    except ValueError as error:
        raise RegistrationFailed(f"the platform's {what} answer is not JSON") from error
    if not isinstance(body, dict):
        raise RegistrationFailed(f"the platform's {what} answer is not a JSON object")
    return body
