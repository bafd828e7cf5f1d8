"""`sweetspot lti …`: platforms and deployments, the values for manual registration, and the tool's keys."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime

import click

from alignment.errors import NotFound
from alignment.people import get_context
from lti_tool.dynamic_registration import registration_token
from lti_tool.grades import push_scores, retry_now, score_status
from lti_tool.registrations import (
    DeploymentStatus,
    PlatformDraft,
    add_deployment,
    add_registration,
    deployments_of,
    registrations_of,
    set_deployment_status,
)
from lti_tool.roster import roster_links, roster_status, sync_roster
from lti_tool.services import ServiceError
from lti_tool.setup import public_key_pem, tool_urls
from sweetspot.cli.base import CliState, find_tenant, pass_state, tenant_option
from sweetspot.jobs import platform_client

DEFAULT_BASE_URL = "http://127.0.0.1:8000"


def _base_url(state: CliState, given: str | None) -> str:
    if given:
        return given.rstrip("/")
    public = state.runtime.lti.public_url
    return str(public).rstrip("/") if public else DEFAULT_BASE_URL


base_url_option = click.option(
    "--base-url",
    default=None,
    help="The tool's public URL (default: SWEETSPOT_LTI_PUBLIC_URL, else http://127.0.0.1:8000).",
)


@click.group()
def lti() -> None:
    """The LTI tool: platform registrations, deployments, setup values and signing keys."""


@lti.group()
def platform() -> None:
    """Platforms (LMSs) registered for a tenant."""


@platform.command("add")
@tenant_option
@click.option("--issuer", required=True, help="The platform's issuer (iss), e.g. https://moodle.example.edu.")
@click.option("--client-id", required=True, help="The client id the platform gave Sweetspot.")
@click.option("--deployment-id", "deployment_ids", multiple=True, help="A deployment id to activate (repeatable).")
@click.option("--auth-login-url", required=True, help="The platform's OIDC authorization endpoint.")
@click.option("--auth-token-url", required=True, help="The platform's OAuth2 token endpoint.")
@click.option("--key-set-url", required=True, help="The platform's public key set (JWKS) URL.")
@click.option("--auth-audience", default=None, help="Audience of token requests, if not the token URL.")
@click.option("--label", default="", help="A name admins recognise, e.g. 'Acme Moodle'.")
@click.option("--activate-new-deployments", is_flag=True, help="Let deployments seen at launch in without review.")
@pass_state
def platform_add(
    state: CliState,
    tenant_slug: str,
    issuer: str,
    client_id: str,
    deployment_ids: tuple[str, ...],
    auth_login_url: str,
    auth_token_url: str,
    key_set_url: str,
    auth_audience: str | None,
    label: str,
    activate_new_deployments: bool,
) -> None:
    """Register a platform by hand (the values from its tool registration form)."""
    tenant = find_tenant(state, tenant_slug)
    draft = PlatformDraft(
        issuer=issuer,
        client_id=client_id,
        auth_login_url=auth_login_url,
        auth_token_url=auth_token_url,
        key_set_url=key_set_url,
        label=label,
        auth_audience=auth_audience,
        activate_deployments=activate_new_deployments,
    )
    with state.current_runtime.unit_of_work() as uow:
        registration = add_registration(uow, tenant.id, draft)
        for deployment_id in deployment_ids:
            add_deployment(uow, registration, deployment_id)
        uow.commit()
    click.echo(f"registered {registration.label} ({registration.issuer}, client id {registration.client_id})")


@platform.command("list")
@tenant_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_state
def platform_list(state: CliState, tenant_slug: str, as_json: bool) -> None:
    """The tenant's platforms and their deployments."""
    tenant = find_tenant(state, tenant_slug)
    with state.current_runtime.unit_of_work(read_only=True) as uow:
        found = [(r, deployments_of(uow, r.id)) for r in registrations_of(uow, tenant.id)]
    if as_json:
        rows = [
            {
                "id": r.id,
                "label": r.label,
                "issuer": r.issuer,
                "client_id": r.client_id,
                "created_via": r.created_via,
                "deployments": [{"id": d.id, "deployment_id": d.deployment_id, "status": d.status.value} for d in ds],
            }
            for r, ds in found
        ]
        click.echo(json.dumps(rows, indent=2))
        return
    for registration, deployments in found:
        click.echo(
            f"{registration.id}  {registration.label}  {registration.issuer}  client id {registration.client_id}"
        )
        for d in deployments:
            click.echo(f"    deployment {d.id}  {d.deployment_id}  {d.status.value}")


@lti.group()
def deployments() -> None:
    """Deployments: a new one seen at launch waits here for activation."""


@deployments.command("activate")
@tenant_option
@click.argument("deployment", type=int)
@pass_state
def deployments_activate(state: CliState, tenant_slug: str, deployment: int) -> None:
    """Let launches through DEPLOYMENT (its id in `lti platform list`) in."""
    _set_status(state, tenant_slug, deployment, DeploymentStatus.ACTIVE)


@deployments.command("disable")
@tenant_option
@click.argument("deployment", type=int)
@pass_state
def deployments_disable(state: CliState, tenant_slug: str, deployment: int) -> None:
    """Refuse launches through DEPLOYMENT from now on."""
    _set_status(state, tenant_slug, deployment, DeploymentStatus.DISABLED)


def _set_status(state: CliState, tenant_slug: str, deployment: int, status: DeploymentStatus) -> None:
    tenant = find_tenant(state, tenant_slug)
    with state.current_runtime.unit_of_work() as uow:
        changed = set_deployment_status(uow, tenant.id, deployment, status)
        uow.commit()
    click.echo(f"deployment {changed.deployment_id} is {changed.status.value}")


@lti.command("urls")
@base_url_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_state
def urls(state: CliState, base_url: str | None, as_json: bool) -> None:
    """Every URL and value an LMS admin pastes into a manual tool registration form."""
    values = tool_urls(_base_url(state, base_url))
    if as_json:
        click.echo(json.dumps({**values.as_json(), "public_key_pem": public_key_pem(state.runtime.keys.signing)}))
        return
    rows = [
        ("Tool URL (target link URI)", values.tool_url),
        ("Initiate login URL", values.login_url),
        ("Redirection URI", values.redirect_url),
        ("Public keyset URL (JWKS)", values.jwks_url),
        ("Deep linking (content selection) URL", values.deep_linking_url),
        ("Canvas configuration URL", values.canvas_configuration_url),
        ("Dynamic registration URL", values.dynamic_registration_url),
        ("Domain", values.domain),
        ("Scopes", " ".join(values.scopes)),
        ("Custom parameters", values.custom_parameters),
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        click.echo(f"{name:<{width}}  {value}")


@lti.command("registration-url")
@tenant_option
@base_url_option
@pass_state
def registration_url(state: CliState, tenant_slug: str, base_url: str | None) -> None:
    """A dynamic registration URL for the tenant to paste into the LMS (SWEETSPOT_LTI_REGISTRATION_URL_DAYS valid)."""
    tenant = find_tenant(state, tenant_slug)
    token = registration_token(state.runtime.secret_key, tenant.id)
    click.echo(f"{_base_url(state, base_url)}/lti/register/{token}")


@lti.group()
def keys() -> None:
    """The tool's signing keys."""


@keys.command("list")
@pass_state
def keys_list(state: CliState) -> None:
    """Every key with its status: signing, published (replaced, in its grace period) or retired."""
    for status in state.runtime.keys.statuses():
        retires = f"  retires {status.retires_at:%Y-%m-%d %H:%M}" if status.retires_at else ""
        click.echo(f"{status.kid}  {status.status:<9}  made {status.created_at:%Y-%m-%d %H:%M}{retires}")


@keys.command("rotate")
@pass_state
def keys_rotate(state: CliState) -> None:
    """Add a key that signs from now on; the old one stays published for the grace period, then is retired."""
    ring = state.runtime.keys
    previous = ring.signing.kid
    new = ring.rotate()
    click.echo(f"signing with {new.kid}; {previous} stays published for {state.runtime.lti.key_grace_days} days")


@lti.group()
def roster() -> None:
    """Context rosters from the platforms' Names and Role Provisioning Service (NRPS)."""


@roster.command("sync")
@tenant_option
@pass_state
def roster_sync(state: CliState, tenant_slug: str) -> None:
    """Sync every context roster of the tenant now (exit 1 if any sync failed; each failure is shown)."""
    tenant = find_tenant(state, tenant_slug)
    runtime = state.current_runtime
    client = platform_client(runtime)
    with runtime.unit_of_work(read_only=True) as uow:
        links = roster_links(uow, tenant.id)
        names = {c: get_context(uow, tenant.id, c).lms_context_id for _, c in links}
    failed = 0
    for registration_id, context_id in links:
        try:
            result = sync_roster(runtime.unit_of_work, client, registration_id, context_id, datetime.now(UTC))
        except ServiceError as error:
            failed += 1
            click.echo(f"{names[context_id]}: failed: {error}")
            continue
        kind = "full" if result.full else "differences"
        click.echo(
            f"{names[context_id]}: {kind} sync, {result.pages} page(s), {result.members} member(s), "
            f"{result.joined} joined, {result.left} left"
        )
    if not links:
        click.echo("no context of this tenant has a memberships URL yet (a launch from it brings one)")
    if failed:
        raise SystemExit(1)


@roster.command("status")
@tenant_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_state
def roster_status_command(state: CliState, tenant_slug: str, as_json: bool) -> None:
    """Each context's latest roster sync: when it last succeeded, how many members, and any error."""
    tenant = find_tenant(state, tenant_slug)
    with state.current_runtime.unit_of_work(read_only=True) as uow:
        statuses = roster_status(uow, tenant.id)
    if as_json:
        click.echo(json.dumps([dataclasses.asdict(s) for s in statuses], indent=2, default=str))
        return
    for s in statuses:
        when = f"{s.last_success_at:%Y-%m-%d %H:%M} UTC" if s.last_success_at else "never"
        line = f"{s.context} ({s.registration}): {s.members} member(s), last synced {when}"
        click.echo(line + (f"; last attempt failed: {s.error}" if s.error else ""))
    if not statuses:
        click.echo("no roster has been synced yet")


@lti.group()
def grades() -> None:
    """The gradebook write-back of momentum and open flags (AGS)."""


@grades.command("status")
@tenant_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_state
def grades_status(state: CliState, tenant_slug: str, as_json: bool) -> None:
    """Every learner's score: sent, due, or failed with the platform's error and the next retry."""
    tenant = find_tenant(state, tenant_slug)
    with state.current_runtime.unit_of_work(read_only=True) as uow:
        statuses = score_status(uow, tenant.id)
    if as_json:
        click.echo(json.dumps([dataclasses.asdict(s) for s in statuses], indent=2, default=str))
        return
    counts = {state: sum(s.state == state for s in statuses) for state in ("sent", "due", "failed")}
    click.echo(f"{counts['sent']} sent, {counts['due']} due, {counts['failed']} failed")
    for s in statuses:
        values = s.due if s.due is not None else s.sent
        score = values.get("score") if values else None
        line = f"  {s.state:<6} {s.context} {s.learner} ({s.lms_user_id}): momentum {score}"
        if s.state == "failed":
            line += f"; {s.attempts} attempt(s), next {s.next_attempt_at:%Y-%m-%d %H:%M} UTC: {s.last_error}"
        click.echo(line)


@grades.command("retry")
@tenant_option
@pass_state
def grades_retry(state: CliState, tenant_slug: str) -> None:
    """Send every due or failed score of the tenant now (exit 1 if some still fail)."""
    tenant = find_tenant(state, tenant_slug)
    runtime = state.current_runtime
    now = datetime.now(UTC)
    with runtime.unit_of_work() as uow:
        contexts = retry_now(uow, tenant.id, now)
        names = {c: get_context(uow, tenant.id, c).lms_context_id for c in contexts}
        uow.commit()
    client = platform_client(runtime)
    failed = 0
    for context_id in contexts:
        try:
            report = push_scores(runtime.unit_of_work, client, context_id, now)
        except NotFound as error:
            click.echo(f"{names[context_id]}: {error}")
            failed += 1
            continue
        failed += report.failed
        click.echo(
            f"{names[context_id]}: {report.sent} sent, {report.failed} failed"
            + "".join(f"\n  {error}" for error in report.errors)
        )
    if not contexts:
        click.echo("nothing is due")
    if failed:
        raise SystemExit(1)
