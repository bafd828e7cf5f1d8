"""What a platform's admin needs to install Sweetspot: every URL and value, the Canvas JSON, the scopes.

One source for the setup page, `sweetspot lti urls`, the Canvas configuration URL and the dynamic
registration request, so they can never disagree.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlsplit

from lti_tool.keys import SigningKey

TOOL_NAME = "Sweetspot"
DESCRIPTION = "Finds the learning in each person's sweet spot, plans it as a paced roadmap and flags who has stalled."
SCOPES = (
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
    "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
)
CLAIMS = ("iss", "sub", "name", "given_name", "family_name", "email", "locale")
# The substitution each platform family uses for the user id its xAPI plugins put in account.name.
XAPI_USER_ID = {"moodle": "$User.id", "canvas": "$Canvas.user.id"}


@dataclass(frozen=True)
class ToolUrls:
    """The values an admin pastes into a platform's manual registration form."""

    tool_url: str
    login_url: str
    redirect_url: str
    jwks_url: str
    deep_linking_url: str
    dynamic_registration_url: str
    canvas_configuration_url: str
    domain: str
    scopes: tuple[str, ...]
    custom_parameters: str

    def as_json(self) -> dict[str, Any]:
        """The values as a JSON object."""
        return asdict(self)


def tool_urls(base_url: str) -> ToolUrls:
    """Every URL of this installation, rooted at its public base URL."""
    base = base_url.rstrip("/")
    return ToolUrls(
        tool_url=f"{base}/app/",
        login_url=f"{base}/lti/login",
        redirect_url=f"{base}/lti/launch",
        jwks_url=f"{base}/lti/jwks.json",
        deep_linking_url=f"{base}/app/",
        dynamic_registration_url=f"{base}/lti/register/<token from `sweetspot lti registration-url`>",
        canvas_configuration_url=f"{base}/lti/canvas.json",
        domain=urlsplit(base).netloc,
        scopes=SCOPES,
        custom_parameters=(
            "xapi_user_id=$User.id (Moodle) or $Canvas.user.id (Canvas); years_in_role=<profile field>; "
            "role_label=<profile field>"
        ),
    )


def tool_configuration(base_url: str, product_family: str | None) -> dict[str, Any]:
    """The `lti-tool-configuration` block of a dynamic registration (LTI Dynamic Registration §3.4)."""
    urls = tool_urls(base_url)
    custom = {"xapi_user_id": XAPI_USER_ID[product_family]} if product_family in XAPI_USER_ID else {}
    configuration: dict[str, Any] = {
        "domain": urls.domain,
        "target_link_uri": urls.tool_url,
        "description": DESCRIPTION,
        "claims": list(CLAIMS),
        "messages": [
            {"type": "LtiResourceLinkRequest", "target_link_uri": urls.tool_url, "label": TOOL_NAME},
            {
                "type": "LtiDeepLinkingRequest",
                "target_link_uri": urls.deep_linking_url,
                "label": f"Add {TOOL_NAME}",
                "supported_types": ["ltiResourceLink"],
            },
        ],
    }
    if custom:
        # Moodle 5.1 fails on an empty custom object, so the key is left out rather than sent empty.
        configuration["custom_parameters"] = custom
    return configuration


def client_metadata(base_url: str, product_family: str | None, scopes_supported: list[str] | None) -> dict[str, Any]:
    """The registration request a tool POSTs to the platform (OpenID Connect Dynamic Client Registration)."""
    urls = tool_urls(base_url)
    scopes = [s for s in SCOPES if scopes_supported is None or s in scopes_supported]
    return {
        "application_type": "web",
        "response_types": ["id_token"],
        "grant_types": ["implicit", "client_credentials"],
        "initiate_login_uri": urls.login_url,
        "redirect_uris": [urls.redirect_url],
        "client_name": TOOL_NAME,
        "jwks_uri": urls.jwks_url,
        "token_endpoint_auth_method": "private_key_jwt",
        "scope": " ".join(scopes),
        "https://purl.imsglobal.org/spec/lti-tool-configuration": tool_configuration(base_url, product_family),
    }


def canvas_configuration(base_url: str) -> dict[str, Any]:
    """The JSON a Canvas admin points a developer key at (Canvas LTI 1.3 configuration by URL)."""
    urls = tool_urls(base_url)
    return {
        "title": TOOL_NAME,
        "description": DESCRIPTION,
        "oidc_initiation_url": urls.login_url,
        "target_link_uri": urls.tool_url,
        "public_jwk_url": urls.jwks_url,
        "scopes": list(SCOPES),
        "custom_fields": {"xapi_user_id": XAPI_USER_ID["canvas"]},
        "extensions": [
            {
                "platform": "canvas.instructure.com",
                "domain": urls.domain,
                "privacy_level": "public",
                "settings": {
                    "placements": [
                        {
                            "placement": "course_navigation",
                            "message_type": "LtiResourceLinkRequest",
                            "text": TOOL_NAME,
                            "target_link_uri": urls.tool_url,
                        },
                        {
                            "placement": "link_selection",
                            "message_type": "LtiDeepLinkingRequest",
                            "text": f"Add {TOOL_NAME}",
                            "target_link_uri": urls.deep_linking_url,
                        },
                    ]
                },
            }
        ],
    }


def public_key_pem(key: SigningKey) -> str:
    """The signing key's public half, for platforms that take a pasted key instead of a key-set URL."""
    return key.public_pem
