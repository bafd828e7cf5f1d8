"""Tool registration: LTI Dynamic Registration 1.0 (platform side) and the manual path.

Dynamic registration (LTI DR 1.0 §3): the admin gives the platform the tool's registration URL; the
platform opens it (in an iframe) with `openid_configuration` and a one-time `registration_token`; the
tool reads the configuration and POSTs its client metadata to the registration endpoint with the token
as Bearer; the platform validates it, assigns a client id and a deployment id, and answers with the
registered configuration. `start_dynamic_registration` does the browser's part without a browser.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import requests
from sqlalchemy import select

from dev_lms import vocabulary as v
from dev_lms.browser import forms_in
from dev_lms.errors import DevLmsError, ProtocolError
from dev_lms.records import ToolRegistration
from dev_lms.storage import Deployment, RegistrationToken, Tool, unit_of_work, utc

if TYPE_CHECKING:
    from dev_lms.platform import DevLms

TOKEN_LIFETIME = timedelta(hours=1)
# Custom parameter substitution variables this platform resolves (LTI Core 1.3 Appendix C).
SUBSTITUTION_VARIABLES = (
    "$User.id",
    "$User.username",
    "$Person.name.full",
    "$Person.name.given",
    "$Person.name.family",
    "$Person.email.primary",
    "$Person.sourcedId",
    "$Context.id",
    "$Context.title",
    "$Context.label",
    "$CourseSection.sourcedId",
    "$ResourceLink.id",
    "$ResourceLink.title",
    "$Membership.role",
)
SUPPORTED_CLAIMS = ("iss", "sub", "aud", "name", "given_name", "family_name", "email", "locale")


def openid_configuration(lms: DevLms) -> dict[str, Any]:
    """The platform's OpenID configuration with the LTI platform configuration (LTI DR 1.0 §3.4)."""
    return {
        "issuer": lms.issuer,
        "authorization_endpoint": lms.authorization_url,
        "token_endpoint": lms.token_url,
        "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
        "jwks_uri": lms.jwks_url,
        "registration_endpoint": lms.registration_endpoint,
        "scopes_supported": ["openid", *v.SERVICE_SCOPES],
        "response_types_supported": ["id_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "claims_supported": list(SUPPORTED_CLAIMS),
        v.PLATFORM_CONFIGURATION: {
            "product_family_code": "sweetspot-dev-lms",
            "version": "1.0",
            "messages_supported": [
                {"type": v.RESOURCE_LINK_REQUEST},
                {"type": v.DEEP_LINKING_REQUEST, "placements": ["ContentArea"]},
            ],
            "variables": list(SUBSTITUTION_VARIABLES),
        },
    }


def create_registration_token(lms: DevLms) -> str:
    """A new one-time registration token, valid for an hour."""
    token = secrets.token_urlsafe(32)
    with unit_of_work(lms.sessions) as session:
        session.add(RegistrationToken(token=token, expires_at=lms.clock() + TOKEN_LIFETIME))
    return token


def registration_start_url(lms: DevLms, registration_url: str, token: str) -> str:
    """The tool's registration URL with `openid_configuration` and `registration_token` added (§3.3)."""
    parts = urlsplit(_absolute_url(registration_url, "the tool's registration URL"))
    query = [
        *parse_qsl(parts.query),
        ("openid_configuration", lms.openid_configuration_url),
        ("registration_token", token),
    ]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


def start_dynamic_registration(lms: DevLms, registration_url: str, *, confirm: bool = False) -> ToolRegistration:
    """Open the tool's registration URL as the browser would, then return the tool it registered.

    With `confirm`, a registration page that asks the admin to confirm (a page with one form) has that
    form submitted, as the admin clicking its button would.
    """
    token = create_registration_token(lms)
    url = registration_start_url(lms, registration_url, token)
    response = _browse(lms, "GET", url, None, registration_url)
    if confirm and _registered_client(lms, token) is None:
        forms = forms_in(response.text)
        if len(forms) != 1:
            raise DevLmsError(f"the tool's registration page has {len(forms)} forms; expected one to confirm")
        form = forms[0]
        response = _browse(lms, form.method, urljoin(response.url, form.action), form.fields, registration_url)
    client_id = _registered_client(lms, token)
    if client_id is None:
        raise DevLmsError("the tool's registration page answered, but the tool did not register with the platform")
    return ToolRegistration(client_id, lms.deployment_of(client_id))


def _browse(lms: DevLms, method: str, url: str, fields: dict[str, str] | None, what: str) -> requests.Response:
    try:
        if method == "POST":
            response = lms.http.post(url, data=fields, timeout=30)
        else:
            response = lms.http.get(url, params=fields, timeout=30)
    except requests.RequestException as error:
        raise DevLmsError(f"could not open the tool's registration page {what}: {error}") from error
    if not response.ok:
        raise DevLmsError(f"the tool's registration page answered {response.status_code}: {response.text[:300]}")
    return response


def _registered_client(lms: DevLms, token: str) -> str | None:
    with lms.sessions() as session:
        used = session.get(RegistrationToken, token)
        return used.used_by_client_id if used is not None else None


def accept_registration(lms: DevLms, authorization: str | None, body: Any) -> dict[str, Any]:
    """Validate a tool's registration request, store the tool, and return the registration response."""
    token = _bearer(authorization)
    now = lms.clock()
    with unit_of_work(lms.sessions) as session:
        stored = session.get(RegistrationToken, token) if token else None
        if stored is None or utc(stored.expires_at) <= now:
            raise ProtocolError(401, "invalid_token", "the registration token is missing, unknown or expired")
        if stored.used_by_client_id is not None:
            raise ProtocolError(401, "invalid_token", "the registration token has already been used")
        metadata = _validated_metadata(body)
        tool = _store_tool(session, lms, metadata, registered_by="dynamic")
        stored.used_by_client_id = tool.client_id
        deployment_id = _add_deployment(session, tool.client_id)
    # LTI DR 1.0 §3.6.2: the response echoes the registered configuration with client_id and deployment_id.
    response = dict(body)
    response["client_id"] = tool.client_id
    response[v.TOOL_CONFIGURATION] = {**body[v.TOOL_CONFIGURATION], "deployment_id": deployment_id}
    response["scope"] = " ".join(tool.scopes)
    return response


def register_manually(
    lms: DevLms,
    *,
    name: str,
    initiate_login_uri: str,
    redirect_uris: list[str],
    jwks_uri: str,
    target_link_uri: str,
    deep_link_uri: str | None,
    scopes: list[str],
    custom_parameters: dict[str, str],
) -> ToolRegistration:
    """Register a tool from values an admin typed in."""
    messages: list[dict[str, Any]] = [{"type": v.RESOURCE_LINK_REQUEST}]
    if deep_link_uri:
        messages.append({"type": v.DEEP_LINKING_REQUEST, "target_link_uri": deep_link_uri})
    body = {
        "application_type": "web",
        "response_types": ["id_token"],
        "grant_types": ["implicit", "client_credentials"],
        "initiate_login_uri": initiate_login_uri,
        "redirect_uris": redirect_uris,
        "client_name": name,
        "jwks_uri": jwks_uri,
        "token_endpoint_auth_method": "private_key_jwt",
        "scope": " ".join(scopes),
        v.TOOL_CONFIGURATION: {
            "domain": urlsplit(target_link_uri).netloc,
            "target_link_uri": target_link_uri,
            "custom_parameters": custom_parameters,
            "claims": list(SUPPORTED_CLAIMS),
            "messages": messages,
        },
    }
    try:
        metadata = _validated_metadata(body)
    except ProtocolError as error:
        raise DevLmsError(error.description) from error
    with unit_of_work(lms.sessions) as session:
        tool = _store_tool(session, lms, metadata, registered_by="manual")
        deployment_id = _add_deployment(session, tool.client_id)
    return ToolRegistration(tool.client_id, deployment_id)


def _validated_metadata(body: Any) -> dict[str, Any]:
    """The client metadata checked against LTI DR 1.0 §3.5 and OIDC Registration §2; raises on the first fault."""

    def bad(message: str) -> ProtocolError:
        # RFC 7591 §3.2.2: invalid metadata is a 400 with `invalid_client_metadata` (or `invalid_redirect_uri`).
        return ProtocolError(400, "invalid_client_metadata", message)

    if not isinstance(body, dict):
        raise bad("the registration request must be a JSON object")
    if body.get("application_type") != "web":
        raise bad('application_type must be "web"')
    if body.get("response_types") != ["id_token"]:
        raise bad('response_types must be ["id_token"]')
    grant_types = body.get("grant_types")
    if not isinstance(grant_types, list) or not {"implicit", "client_credentials"} <= set(grant_types):
        raise bad('grant_types must include "implicit" and "client_credentials"')
    if body.get("token_endpoint_auth_method") != "private_key_jwt":
        raise bad('token_endpoint_auth_method must be "private_key_jwt"')
    client_name = body.get("client_name")
    if not isinstance(client_name, str) or not client_name.strip():
        raise bad("client_name is required")
    redirect_uris = body.get("redirect_uris")
    if not isinstance(redirect_uris, list) or not redirect_uris:
        raise ProtocolError(400, "invalid_redirect_uri", "redirect_uris must be a non-empty list of URLs")
    for uri in redirect_uris:
        _url_or_fault(uri, "a redirect URI", "invalid_redirect_uri")
    initiate_login_uri = _url_or_fault(body.get("initiate_login_uri"), "initiate_login_uri", "invalid_client_metadata")
    jwks_uri = _url_or_fault(body.get("jwks_uri"), "jwks_uri", "invalid_client_metadata")
    scope = body.get("scope", "")
    if not isinstance(scope, str):
        raise bad("scope must be a space-separated string")
    scopes = scope.split()
    unknown = [s for s in scopes if s not in v.SERVICE_SCOPES]
    if unknown:
        raise bad(f"the platform does not offer the scope(s) {', '.join(unknown)}")
    configuration = body.get(v.TOOL_CONFIGURATION)
    if not isinstance(configuration, dict):
        raise bad(f"the {v.TOOL_CONFIGURATION} object is required")
    domain = configuration.get("domain")
    if not isinstance(domain, str) or not domain or "/" in domain:
        raise bad("the tool configuration's domain is required, without a scheme or path")
    target_link_uri = _url_or_fault(configuration.get("target_link_uri"), "target_link_uri", "invalid_client_metadata")
    if not within_domain(target_link_uri, domain):
        raise bad(f"target_link_uri {target_link_uri} is not on the tool's domain {domain}")
    custom = configuration.get("custom_parameters", {})
    if not isinstance(custom, dict) or not all(isinstance(k, str) and isinstance(x, str) for k, x in custom.items()):
        raise bad("custom_parameters must be an object of strings")
    claims = configuration.get("claims", [])
    if not isinstance(claims, list) or not all(isinstance(c, str) for c in claims):
        raise bad("claims must be a list of claim names")
    messages = configuration.get("messages", [])
    if not isinstance(messages, list):
        raise bad("messages must be a list")
    deep_link_uri = None
    for message in messages:
        if not isinstance(message, dict) or message.get("type") not in {
            v.RESOURCE_LINK_REQUEST,
            v.DEEP_LINKING_REQUEST,
        }:
            raise bad("each message must be an object whose type is LtiResourceLinkRequest or LtiDeepLinkingRequest")
        if "target_link_uri" in message:
            uri = _url_or_fault(message["target_link_uri"], "a message's target_link_uri", "invalid_client_metadata")
            if not within_domain(uri, domain):
                raise bad(f"the message target_link_uri {uri} is not on the tool's domain {domain}")
        if message["type"] == v.DEEP_LINKING_REQUEST:
            deep_link_uri = message.get("target_link_uri", target_link_uri)
        if "custom_parameters" in message and not isinstance(message["custom_parameters"], dict):
            raise bad("a message's custom_parameters must be an object")
    return {
        "name": client_name,
        "initiate_login_uri": initiate_login_uri,
        "redirect_uris": list(redirect_uris),
        "jwks_uri": jwks_uri,
        "target_link_uri": target_link_uri,
        "deep_link_uri": deep_link_uri,
        "domain": domain,
        "scopes": scopes,
        "claims": claims,
        "custom_parameters": custom,
        "registration": body,
    }


def _store_tool(session: Any, lms: DevLms, metadata: dict[str, Any], *, registered_by: str) -> Tool:
    tool = Tool(client_id=secrets.token_hex(10), registered_by=registered_by, created_at=lms.clock(), **metadata)
    session.add(tool)
    session.flush()
    return tool


def _add_deployment(session: Any, client_id: str) -> str:
    deployment_id = "deployment-" + secrets.token_hex(6)
    session.add(Deployment(deployment_id=deployment_id, client_id=client_id))
    return deployment_id


def find_tool(session: Any, client_id: str) -> Tool | None:
    """The registered tool with this client id."""
    return session.scalar(select(Tool).where(Tool.client_id == client_id))


def _bearer(authorization: str | None) -> str | None:
    if not authorization or not authorization.startswith("Bearer "):
        return None
    return authorization[len("Bearer ") :].strip() or None


def _url_or_fault(value: Any, what: str, error: str) -> str:
    try:
        return _absolute_url(value, what)
    except DevLmsError as fault:
        raise ProtocolError(400, error, str(fault)) from fault


def _absolute_url(value: Any, what: str) -> str:
    """`value` if it is an absolute http(s) URL without a fragment."""
    if not isinstance(value, str):
        raise DevLmsError(f"{what} is required")
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.netloc or parts.fragment:
        raise DevLmsError(f"{what} must be an absolute http(s) URL without a fragment, not {value!r}")
    return value


def within_domain(url: str, domain: str) -> bool:
    """Whether `url` is on the tool's `domain` (host, or host:port), or one of its subdomains."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    wanted = domain.lower()
    if ":" in wanted:
        return parts.netloc.lower() == wanted or parts.netloc.lower().endswith("." + wanted)
    return host == wanted or host.endswith("." + wanted)
