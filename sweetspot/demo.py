"""`sweetspot demo`: the demo organisation in Sweetspot and its course in the development LMS, joined up.

The LMS and Sweetspot only talk LTI and HTTP, as a real install would: Sweetspot registers through
LTI Dynamic Registration, learns the course's gradebook and roster services from a launch, and fills
the momentum column through AGS.
"""

from __future__ import annotations

import subprocess
import time
from datetime import UTC, datetime

import requests
import structlog

from alignment.errors import NotFound
from alignment.sweeps import sweep
from alignment.tenancy import Tenant, create_tenant, get_tenant
from dev_lms import Browser, DevLms, ResourceLinkRef
from dev_lms.demo import DemoCast
from lti_tool.dynamic_registration import registration_token
from lti_tool.registrations import find_registration
from sweetspot.demo_data import STORIES, DemoLearner, DemoStaff, seed
from sweetspot.jobs import hand_off_statements, mark_every_tenant_scores_due, platform_client, push_context_scores
from sweetspot.runtime import Runtime

log = structlog.get_logger(__name__)

DEMO_TENANT = ("demo", "Demo Organisation")
LINK_TITLE = "Sweetspot"


def prepare(runtime: Runtime, cast: DemoCast) -> Tenant:
    """The demo tenant, filled once with the catalogue, agendas and activity of the cast's stories."""
    with runtime.unit_of_work() as uow:
        try:
            tenant = get_tenant(uow, DEMO_TENANT[0])
        except NotFound:
            tenant = create_tenant(uow, *DEMO_TENANT)
            uow.commit()
    learners = [DemoLearner(p.user_id, p.name, p.email, story) for p, story in zip(cast.learners, STORIES, strict=True)]
    managers = [DemoStaff(cast.manager.user_id, cast.manager.name, cast.manager.email)]
    now = datetime.now(UTC)
    statements = runtime.data_dir.path / "demo-statements.jsonl"
    context = (cast.course.context_id, cast.course.title)
    if seed(runtime.unit_of_work, tenant.id, context, learners, managers, statements, now):
        hand_off_statements(runtime, tenant.id)
        with runtime.unit_of_work() as uow:
            sweep(uow, tenant.id, now)
            uow.commit()
    return tenant


def wait_until_serving(tool_url: str, server: subprocess.Popen[bytes]) -> None:
    """Wait for Sweetspot's readiness probe, or fail if the server process ended."""
    for _ in range(600):
        if server.poll() is not None:
            raise RuntimeError(f"the Sweetspot server exited with status {server.returncode}")
        try:
            if requests.get(tool_url + "/readyz", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise RuntimeError("the Sweetspot server did not become ready within a minute")


def install(runtime: Runtime, tenant: Tenant, lms: DevLms, cast: DemoCast, tool_url: str) -> ResourceLinkRef:
    """Register Sweetspot in the LMS (once), place it in the course, and fill the gradebook's momentum column."""
    with runtime.unit_of_work(read_only=True) as uow:
        registered = [t for t in lms.tools() if find_registration(uow, lms.issuer, t.client_id) is not None]
    if registered:
        client_id = registered[0].client_id
    else:
        url = f"{tool_url}/lti/register/{registration_token(runtime.secret_key, tenant.id)}"
        client_id = lms.register_tool_dynamically(url).client_id
        log.info("registered Sweetspot in the development LMS", client_id=client_id)
    links = [link for link in lms.resource_links(cast.course) if link.client_id == client_id]
    link = links[0] if links else lms.add_resource_link(cast.course, client_id, LINK_TITLE)
    # A launch is how a tool learns a course's AGS and NRPS endpoints; the manager's also syncs the roster.
    launched = Browser().launch(lms.launch_form(cast.manager, link, offer_platform_storage=False))
    if launched.status_code >= 400:
        raise RuntimeError(f"the manager's launch was refused ({launched.status_code}): {launched.text[:500]}")
    client = platform_client(runtime)
    for context_id in mark_every_tenant_scores_due(runtime):
        push_context_scores(runtime, client, context_id)
    return link
