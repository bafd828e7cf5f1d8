"""The pages speak the launch's language: a launch with locale "es-ES" gets Spanish pages with Spanish
dates and numbers, "en" or a language Sweetspot does not have gets English, and a browser's
Accept-Language decides only when the launch names no supported language."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from babel.dates import format_date
from flask.testing import FlaskClient
from structlog.testing import capture_logs

from alignment.agendas import current_personal_agenda
from alignment.catalogue import list_skills
from alignment.sweeps import sweep
from sweetspot.runtime import Runtime
from tests.integration.conftest import World
from tests.integration.lti.conftest import INSTITUTION_ADMIN, INSTRUCTOR, Platform, launch
from tests.integration.lti.test_pages import catalogue, csrf

__all__ = ["catalogue"]  # the pages' tests' fixture, used here by name

SPANISH_DATE = re.compile(r"\b\d{1,2} (ene|feb|mar|abr|may|jun|jul|ago|sept|oct|nov|dic) \d{4}\b")
ENGLISH_DATE = re.compile(r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{1,2}, \d{4}\b")
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")


def presenting(locale: str) -> dict[str, Any]:
    """The launch_presentation claim with `locale`, as Moodle and Canvas send it."""
    return {"LAUNCH_PRESENTATION": {"locale": locale, "document_target": "iframe"}}


def plan_roadmap(client: FlaskClient, world: World) -> str:
    """Save Ana's agenda (Python top priority, three hours a week) and return her roadmap page."""
    token = csrf(client.get("/app/agenda").text)
    saved = client.post(
        "/app/agenda",
        data={"csrf_token": token, f"skill-{world.python.id}": "3", "weekly_hours": "3", "aspirations": "<b>Lead</b>"},
    )
    assert saved.status_code == 303
    return client.get("/app/roadmap").text


def test_a_spanish_launch_gets_the_agenda_in_spanish(client: FlaskClient, platform: Platform, catalogue: None) -> None:
    launch(client, platform, **presenting("es-ES"))
    page = client.get("/app/agenda").text
    assert '<html lang="es">' in page
    assert "Le damos la bienvenida, Ana Alves" in page and "Welcome" not in page
    assert "máxima prioridad" in page and "me da curiosidad" in page and "top priority" not in page
    assert "Horas a la semana que puede dedicar a aprender" in page
    assert "Guardar y planificar mi itinerario" in page
    assert "Mi itinerario" in page and "Mis objetivos" in page


def test_a_spanish_launch_gets_the_roadmap_in_spanish_with_spanish_dates_and_numbers(
    client: FlaskClient, world: World, platform: Platform, catalogue: None
) -> None:
    launch(client, platform, **presenting("es-ES"))
    roadmap = plan_roadmap(client, world)
    assert '<html lang="es">' in roadmap
    assert "Se han guardado sus objetivos y se ha replanificado su itinerario." in roadmap
    assert "<h1>Mi itinerario</h1>" in roadmap
    assert "Punto óptimo" in roadmap and "Cuesta arriba" in roadmap and "Sweet spot" not in roadmap
    assert "Por qué: Every analyst queries the warehouse." in roadmap  # the manager's words, untranslated
    assert "3 horas a la semana" in roadmap and "Sin empezar" in roadmap and "Siguiente" in roadmap
    assert "Replanificado el" in roadmap and "Dónde se sitúan sus oportunidades" in roadmap
    today = datetime.now(UTC).date()
    assert format_date(today, "medium", locale="es") in roadmap, "the first item starts today, in Spanish"
    assert SPANISH_DATE.search(roadmap) and not ENGLISH_DATE.search(roadmap)
    assert not ISO_DATE.search(roadmap.split('<ol class="timeline">')[1]), "no ISO dates on the page"
    assert "100\xa0%" in roadmap, "percentages the Spanish way, with a non-breaking space before %"


def test_a_spanish_manager_sees_the_team_in_spanish(
    client: FlaskClient, world: World, platform: Platform, catalogue: None
) -> None:
    launch(client, platform, sub="u-maria", name="Maria Manager", ROLES=[INSTRUCTOR], **presenting("es_419"))
    team = client.get("/app/team").text
    assert '<html lang="es">' in team
    assert "Data skills for analysts: el equipo" in team and "Ordenar por" in team and "Participante" in team


def test_the_domains_sentences_on_a_spanish_roadmap_are_spanish_and_the_managers_why_is_not_translated(
    client: FlaskClient, world: World, platform: Platform, catalogue: None
) -> None:
    launch(client, platform, **presenting("es-ES"))
    roadmap = plan_roadmap(client, world)
    assert "A usted le interesa Python (máxima prioridad), y la organización necesita Python (crítica)." in roadmap
    assert "La organización necesita SQL (importante). Por qué: Every analyst queries the warehouse." in roadmap
    assert "Usted cambió sus objetivos. Primer itinerario: 2 elementos." in roadmap
    assert "You want" not in roadmap and "First roadmap" not in roadmap


def test_a_spanish_manager_reads_flags_evidence_and_the_suggested_conversation_in_spanish(
    client: FlaskClient, runtime: Runtime, world: World, platform: Platform, catalogue: None
) -> None:
    later = datetime.now(UTC) + timedelta(days=60)
    with runtime.unit_of_work() as uow:
        sweep(uow, world.tenant.id, later)
        uow.commit()
    launch(client, platform, sub="u-maria", name="Maria Manager", ROLES=[INSTRUCTOR], **presenting("es-ES"))
    detail = client.get(f"/app/team/{world.ana.id}").text
    assert "Ana Alves no ha empezado a aprender nada en los 60 días transcurridos desde que se incorporó." in detail
    assert "Compruebe que el itinerario es pertinente para Ana Alves: revisen juntos sus objetivos" in detail
    assert "Días sin ninguna actividad: 60" in detail
    assert f"En Sweetspot desde: {format_date(datetime.now(UTC).date(), 'medium', locale='es')}" in detail
    assert "has not started" not in detail and "days without activity" not in detail
    launch(client, platform, sub="u-maria", name="Maria Manager", ROLES=[INSTRUCTOR], **presenting("en"))
    english = client.get(f"/app/team/{world.ana.id}").text
    assert "Ana Alves has not started any learning in the 60 days since joining." in english
    assert "Days without any activity: 60" in english


@pytest.mark.parametrize("locale", ["en", "en-US", "fr-FR"])
def test_an_english_or_unsupported_launch_locale_gets_english(
    client: FlaskClient, world: World, platform: Platform, catalogue: None, locale: str
) -> None:
    launch(client, platform, **presenting(locale))
    assert "Welcome, Ana Alves" in client.get("/app/agenda").text
    roadmap = plan_roadmap(client, world)
    assert '<html lang="en">' in roadmap
    assert "<h1>My roadmap</h1>" in roadmap and "3 hours a week" in roadmap and "Mi itinerario" not in roadmap
    assert format_date(datetime.now(UTC).date(), "medium", locale="en") in roadmap
    assert ENGLISH_DATE.search(roadmap) and not SPANISH_DATE.search(roadmap)


def test_the_launch_locale_wins_over_the_browser_and_the_browser_decides_when_the_launch_cannot(
    client: FlaskClient, platform: Platform, catalogue: None
) -> None:
    launch(client, platform, **presenting("es-ES"))
    assert "Le damos la bienvenida" in client.get("/app/agenda", headers={"Accept-Language": "en-GB,en"}).text
    launch(client, platform, **presenting("fr-FR"))
    assert "Le damos la bienvenida" in client.get("/app/agenda", headers={"Accept-Language": "fr, es-MX;q=0.8"}).text
    assert "Welcome" in client.get("/app/agenda", headers={"Accept-Language": "de"}).text


def test_user_data_in_a_translated_string_is_escaped(
    client: FlaskClient, world: World, platform: Platform, catalogue: None
) -> None:
    launch(client, platform, name="<script>alert(1)</script>", **presenting("es"))
    page = client.get("/app/agenda").text
    assert "Le damos la bienvenida, &lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert" not in page


def test_a_rejected_launch_is_explained_in_the_browsers_language_and_logged_in_english(
    client: FlaskClient, platform: Platform
) -> None:
    with capture_logs() as logs:
        refused = client.post(
            "/lti/login",
            data={"iss": platform.issuer, "login_hint": "u-ana", "target_link_uri": "https://elsewhere.test/<x>"},
            headers={"Accept-Language": "es-ES,es;q=0.9"},
        )
    assert refused.status_code == 400
    assert "No se pudo abrir Sweetspot" in refused.text and "no apunta a esta herramienta" in refused.text
    assert "&#39;https://elsewhere.test/&lt;x&gt;&#39;" in refused.text, "the request's value is escaped"
    logged = [entry["reason"] for entry in logs if entry.get("event") == "lti launch rejected"]
    assert any("does not point at this tool" in reason for reason in logged), logged


def test_error_pages_speak_the_launch_language_and_the_api_keeps_english(
    client: FlaskClient, platform: Platform
) -> None:
    launch(client, platform, **presenting("es-ES"))
    refused = client.post("/app/agenda", data={"weekly_hours": "3"})
    assert refused.status_code == 400
    assert "<h1>Solicitud incorrecta</h1>" in refused.text and "Falta el token CSRF del formulario" in refused.text
    missing = client.get("/app/nowhere")
    assert missing.status_code == 404 and "No hay ninguna página en esta dirección" in missing.text
    api = client.get("/xapi/statements", headers={"Accept-Language": "es", "X-Experience-API-Version": "1.0.3"})
    assert api.status_code == 401 and api.json is not None and api.json["error"] == "Unauthorized"


def test_a_spanish_admin_gets_the_admin_page_and_its_notices_in_spanish(
    client: FlaskClient, platform: Platform
) -> None:
    launch(client, platform, sub="u-admin", name="Ada Admin", ROLES=[INSTITUTION_ADMIN], **presenting("es-MX"))
    page = client.get("/app/admin/").text
    assert '<html lang="es">' in page
    assert "<title>Administración · Sweetspot</title>" in page
    assert "Plataformas y despliegues" in page and "Credenciales xAPI" in page and "LRS de origen" in page
    form = {"csrf_token": csrf(page), "endpoint": "https://lrs.acme.test/xapi/", "key": "k", "secret": "s"}
    assert client.post("/app/admin/connections", data={**form, "every_minutes": "30"}).status_code == 303
    assert "Sweetspot descargará de https://lrs.acme.test/xapi/ cada 30 minutos." in client.get("/app/admin/").text


def test_what_the_domain_refuses_on_a_form_is_said_in_spanish_and_nothing_changes(
    client: FlaskClient, runtime: Runtime, world: World, platform: Platform, catalogue: None
) -> None:
    launch(client, platform, **presenting("es-ES"))
    token = csrf(client.get("/app/agenda").text)
    refused = client.post("/app/agenda", data={"csrf_token": token, "weekly_hours": "45.5"})
    assert refused.status_code == 400
    assert "las horas semanales deben estar entre 0,25 y 40, pero son 45,5" in refused.text
    assert "must be between" not in refused.text
    with runtime.unit_of_work(read_only=True) as uow:
        assert current_personal_agenda(uow, world.tenant.id, world.ana.id) is None


def test_a_manager_missing_a_why_is_told_in_spanish_with_the_need_named_in_spanish(
    client: FlaskClient, world: World, platform: Platform, catalogue: None
) -> None:
    launch(client, platform, sub="u-maria", name="Maria Manager", ROLES=[INSTRUCTOR], **presenting("es-ES"))
    page = client.get("/app/org-agenda").text
    refused = client.post(
        "/app/org-agenda", data={"csrf_token": csrf(page), f"need-{world.excel.id}": "3", f"why-{world.excel.id}": ""}
    )
    assert refused.status_code == 400
    assert "hace falta un porqué para Excel (crítica)" in refused.text


def test_a_broken_skills_file_is_explained_in_spanish_line_by_line(
    client: FlaskClient, runtime: Runtime, world: World, platform: Platform
) -> None:
    launch(client, platform, sub="u-admin", name="Ada Admin", ROLES=[INSTITUTION_ADMIN], **presenting("es-ES"))
    token = csrf(client.get("/app/admin/").text)
    with runtime.unit_of_work(read_only=True) as uow:
        before = {s.name for s in list_skills(uow, world.tenant.id)}
    broken = io.BytesIO(b"name,category\nKotlin,Engineering\n,Leadership\n")
    refused = client.post("/app/admin/skills", data={"csrf_token": token, "framework": (broken, "skills.csv")})
    assert refused.status_code == 400
    assert "<h1>Solicitud incorrecta</h1>" in refused.text and "línea 3: falta name" in refused.text
    with runtime.unit_of_work(read_only=True) as uow:
        assert {s.name for s in list_skills(uow, world.tenant.id)} == before
    not_a_package = io.BytesIO(b"[]")
    refused = client.post("/app/admin/skills", data={"csrf_token": token, "framework": (not_a_package, "case.json")})
    assert "CFPackage debe ser un objeto JSON, pero es un array" in refused.text
