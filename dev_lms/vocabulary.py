"""The LTI 1.3 / LTI Advantage names the platform speaks: claims, message types, scopes, media types, roles."""

from __future__ import annotations

from typing import Final

# LTI Core 1.3 §5.3: the claims of an LTI message.
LTI_CLAIM: Final = "https://purl.imsglobal.org/spec/lti/claim/"
MESSAGE_TYPE: Final = LTI_CLAIM + "message_type"
VERSION: Final = LTI_CLAIM + "version"
DEPLOYMENT_ID: Final = LTI_CLAIM + "deployment_id"
TARGET_LINK_URI: Final = LTI_CLAIM + "target_link_uri"
RESOURCE_LINK: Final = LTI_CLAIM + "resource_link"
ROLES: Final = LTI_CLAIM + "roles"
CONTEXT: Final = LTI_CLAIM + "context"
TOOL_PLATFORM: Final = LTI_CLAIM + "tool_platform"
LAUNCH_PRESENTATION: Final = LTI_CLAIM + "launch_presentation"
CUSTOM: Final = LTI_CLAIM + "custom"
LIS: Final = LTI_CLAIM + "lis"
ROLE_SCOPE_MENTOR: Final = LTI_CLAIM + "role_scope_mentor"

# Deep Linking 2.0 §4.
DEEP_LINKING_SETTINGS: Final = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
DL_CONTENT_ITEMS: Final = "https://purl.imsglobal.org/spec/lti-dl/claim/content_items"
DL_DATA: Final = "https://purl.imsglobal.org/spec/lti-dl/claim/data"
DL_MSG: Final = "https://purl.imsglobal.org/spec/lti-dl/claim/msg"
DL_ERRORMSG: Final = "https://purl.imsglobal.org/spec/lti-dl/claim/errormsg"

# AGS 2.0 §3.1 and NRPS 2.0 §3.6: the service claims.
AGS_ENDPOINT: Final = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS_SERVICE: Final = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"

RESOURCE_LINK_REQUEST: Final = "LtiResourceLinkRequest"
DEEP_LINKING_REQUEST: Final = "LtiDeepLinkingRequest"
DEEP_LINKING_RESPONSE: Final = "LtiDeepLinkingResponse"
LTI_VERSION: Final = "1.3.0"

SCOPE_LINEITEM: Final = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
SCOPE_LINEITEM_READONLY: Final = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly"
SCOPE_RESULT_READONLY: Final = "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly"
SCOPE_SCORE: Final = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
SCOPE_NRPS: Final = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
AGS_SCOPES: Final = (SCOPE_LINEITEM, SCOPE_LINEITEM_READONLY, SCOPE_RESULT_READONLY, SCOPE_SCORE)
SERVICE_SCOPES: Final = (*AGS_SCOPES, SCOPE_NRPS)

# AGS 2.0 §3.2-3.4 and NRPS 2.0 §2.2: media types of the service documents.
LINEITEM_MEDIA_TYPE: Final = "application/vnd.ims.lis.v2.lineitem+json"
LINEITEM_CONTAINER_MEDIA_TYPE: Final = "application/vnd.ims.lis.v2.lineitemcontainer+json"
SCORE_MEDIA_TYPE: Final = "application/vnd.ims.lis.v1.score+json"
RESULT_CONTAINER_MEDIA_TYPE: Final = "application/vnd.ims.lis.v2.resultcontainer+json"
MEMBERSHIP_CONTAINER_MEDIA_TYPE: Final = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"

# AGS 2.0 §3.4.6-3.4.7.
ACTIVITY_PROGRESS: Final = frozenset({"Initialized", "Started", "InProgress", "Submitted", "Completed"})
GRADING_PROGRESS: Final = frozenset({"FullyGraded", "Pending", "PendingManual", "Failed", "NotReady"})

# Dynamic Registration 1.0 §3.
TOOL_CONFIGURATION: Final = "https://purl.imsglobal.org/spec/lti-tool-configuration"
PLATFORM_CONFIGURATION: Final = "https://purl.imsglobal.org/spec/lti-platform-configuration"

# LTI Core 1.3 Appendix A.2: role vocabularies.
CONTEXT_ROLE: Final = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
INSTITUTION_ROLE: Final = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#"
SYSTEM_ROLE: Final = "http://purl.imsglobal.org/vocab/lis/v2/system/person#"
LEARNER: Final = CONTEXT_ROLE + "Learner"
INSTRUCTOR: Final = CONTEXT_ROLE + "Instructor"
MENTOR: Final = CONTEXT_ROLE + "Mentor"
CONTEXT_ADMINISTRATOR: Final = CONTEXT_ROLE + "Administrator"
INSTITUTION_ADMINISTRATOR: Final = INSTITUTION_ROLE + "Administrator"
COURSE_OFFERING: Final = "http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"
ROLE_VOCABULARIES: Final = (CONTEXT_ROLE, INSTITUTION_ROLE, SYSTEM_ROLE)


def short_role(role: str) -> str:
    """The readable name of a role URI (`…membership#Learner` → `Learner`)."""
    return role.rsplit("#", 1)[-1].rsplit("/", 1)[-1]
