"""The main pages in Spanish, as a teacher in Lima or Mexico City sees them: the browser asks
for ``es-MX``, the pages answer in Spanish (dates, numbers, the live page's script included),
and a screenshot of each is saved (``es_*.png``) to look at for text that no longer fits.

Overflow is also measured: no button, menu link, label or table header may be cut off or
spill over its box, and no page may scroll sideways (the attendance matrix scrolls inside
its own region, by design).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from attendance.db import Camera
from attendance.services.consent import consent_history
from attendance.services.courses import get_course

from .conftest import ADMIN, ADMIN_PASSWORD, LiveServer
from .test_today import _day

#: Elements whose text must fit their box.
_OVERFLOW_SCRIPT = """
() => {
  const selectors = "button, a.button, nav a, label, th, .count, h1, h2, .state, .status";
  const cut = [];
  for (const el of document.querySelectorAll(selectors)) {
    if (el.closest(".table-scroll") || el.offsetParent === null) continue;
    if (el.scrollWidth > el.clientWidth + 1) {
      cut.push(el.tagName.toLowerCase() + ": " + el.textContent.trim().slice(0, 60));
    }
  }
  const wide = document.documentElement.scrollWidth > window.innerWidth + 1;
  return {cut: cut, sideways: wide};
}
"""


@pytest.fixture
def spanish_page(browser: Browser, live_server: LiveServer) -> Page:
    context = browser.new_context(base_url=live_server.url, locale="es-MX",
                                  viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    return page


def _shot(page: Page, folder: Path, name: str, *, sideways_ok: bool = False) -> None:
    """Save the page, and fail when text overflows its box (listed in the message)."""
    page.screenshot(path=str(folder / f"es_{name}.png"), full_page=True)
    found = page.evaluate(_OVERFLOW_SCRIPT)
    assert found["cut"] == [], f"{name}: text overflows {found['cut']}"
    assert sideways_ok or not found["sideways"], f"{name}: the page scrolls sideways"


def test_main_pages_in_spanish(
    spanish_page: Page, live_server: LiveServer, screenshots: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("webui.sessions.views.POLL_SECONDS", 5)
    page = spanish_page
    running, ids = _day(live_server)
    with live_server.factory.begin() as session:
        course = get_course(session, "CS7")
        camera = Camera(name="aula-101", source="0")
        session.add(camera)
        session.flush()
        course.camera_id = camera.id
        course_id = course.id
        assert consent_history(session, ids[0])

    page.goto("/auth/login")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("heading", name="Iniciar sesión")).to_be_visible()
    _shot(page, screenshots, "01_iniciar_sesion")
    page.get_by_label("Usuario").fill(ADMIN)
    page.get_by_label("Contraseña").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Iniciar sesión").click()
    page.wait_for_url("**/today/")

    expect(page.get_by_role("heading", name="Hoy", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="En curso", exact=True)).to_be_visible()
    card = page.locator("li.today-running")
    expect(card).to_contain_text("presentes")
    expect(card).to_contain_text("2 no se pueden reconocer")
    _shot(page, screenshots, "02_hoy")

    card.get_by_role("link", name="Registros y correcciones").click()
    expect(page.get_by_text("Se actualiza sola cada 5 s.")).to_be_visible()  # live.js
    expect(page.locator("[data-live-status]")).to_contain_text("Actualizada a las",
                                                                 timeout=20_000)
    blocked = page.locator("tr.row-blocked")
    expect(blocked.first).to_contain_text(
        "no hay un consentimiento vigente que cubra este curso")
    expect(page.get_by_role("heading", name="Código de asistencia")).to_be_visible()
    _shot(page, screenshots, "03_sesion_en_vivo")
    row = page.get_by_role("row", name="Donald Knuth")
    row.locator("summary").click()
    row.get_by_label("Nuevo estado").select_option("present")
    row.get_by_label("Motivo").fill("registró su asistencia en la puerta")
    _shot(page, screenshots, "04_sesion_correccion")
    row.get_by_role("button", name="Guardar la corrección de Donald Knuth").click()
    expect(page.get_by_text("Registro corregido")).to_be_visible()
    expect(page.get_by_role("row", name="Donald Knuth").locator(".status")).to_have_text(
        "presente")

    for path, name, heading in (
        ("/courses/", "05_cursos", "Cursos"),
        (f"/courses/{course_id}", "06_curso", "CS7 · Algorithms"),
        (f"/courses/{course_id}/sessions", "07_sesiones", "Sesiones de CS7 · Algorithms"),
        (f"/courses/{course_id}/edit", "08_editar_curso", "Editar el curso CS7"),
        (f"/courses/{course_id}/export", "09_exportar", "Exportar CS7"),
        ("/students/", "11_estudiantes", "Estudiantes"),
        (f"/students/{ids[0]}", "12_estudiante", "Ada Lovelace"),
        ("/students/enroll", "13_registrar_estudiante", "Registrar un estudiante"),
        ("/students/import/", "14_importar_lista", "Importar estudiantes y listas de curso"),
        (f"/courses/{course_id}/review", "15_revision", "Detecciones dudosas de CS7"),
        ("/cameras/", "16_camaras", "Cámaras"),
        ("/users/", "17_usuarios", "Usuarios"),
        ("/privacy", "18_privacidad", "Privacidad y conservación de datos"),
        ("/auth/password", "19_contrasena_idioma", "Cambiar contraseña"),
    ):
        page.goto(path)
        expect(page.get_by_role("heading", name=heading).first).to_be_visible()
        _shot(page, screenshots, name)

    page.goto(f"/courses/{course_id}/attendance")
    expect(page.get_by_role("heading", name="Asistencia de CS7 · Algorithms")).to_be_visible()
    _shot(page, screenshots, "10_asistencia_del_curso", sideways_ok=False)

    page.goto("/courses/999999")
    expect(page.get_by_role("heading", name="Error 404")).to_be_visible()
    _shot(page, screenshots, "20_error_404")


def test_check_in_on_a_phone_in_spanish(browser: Browser, live_server: LiveServer,
                                        screenshots: Path) -> None:
    """The public check-in page, as a student's phone shows it (no account, no setting:
    the phone's language)."""
    context = browser.new_context(base_url=live_server.url, locale="es-PE",
                                  viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    page.goto("/checkin")
    expect(page.get_by_role("heading", name="Registra tu asistencia a clase")).to_be_visible()
    page.get_by_label("Número de estudiante").fill("S001")
    page.get_by_label("Código").fill("000000")
    page.get_by_role("button", name="Registrar asistencia").click()
    expect(page.locator(".flash-error")).to_be_visible()
    _shot(page, screenshots, "21_registro_de_asistencia_movil")
    context.close()
