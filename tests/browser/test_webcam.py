"""The enrollment form's webcam capture (static/webcam.js) in Chromium's synthetic camera."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from .conftest import login

DENY_CAMERA = """
Object.defineProperty(navigator, "mediaDevices", {value: {getUserMedia: function () {
  return Promise.reject(new DOMException("denied", "NotAllowedError"));
}}});
"""


def test_a_captured_frame_is_sent_like_an_upload(page: Page, screenshots: Path) -> None:
    login(page)
    page.goto("/students/enroll")
    page.get_by_role("button", name="Start camera").click()
    status = page.get_by_role("status").filter(has_text="Camera")
    expect(status).to_contain_text("Camera on.")
    page.get_by_role("button", name="Take photo").click()
    expect(page.get_by_text("Photo 1 added.")).to_be_visible()
    assert page.eval_on_selector("#photos", "el => el.files[0].name") == "webcam-1.jpg"
    assert page.eval_on_selector("#photos", "el => el.files[0].type") == "image/jpeg"
    expect(page.get_by_role("img", name="Photo 1 taken with the camera")).to_be_visible()
    page.screenshot(path=str(screenshots / "09_enroll_webcam.png"), full_page=True)

    # The synthetic camera shows no face: the server refuses the frame like any upload.
    page.get_by_label("Student number").fill("S900")
    page.get_by_label("Name", exact=True).fill("Webcam Test")
    page.get_by_label("The student (or a guardian) agreed").check()
    page.get_by_role("button", name="Enroll").click()
    expect(page.locator(".results li.refused")).to_contain_text("webcam-1.jpg",
                                                                timeout=60_000)
    expect(page.get_by_text("Nothing was stored for S900")).to_be_visible()


def test_refused_permission_is_explained(page: Page) -> None:
    page.add_init_script(DENY_CAMERA)
    login(page)
    page.goto("/students/enroll")
    page.get_by_role("button", name="Start camera").click()
    expect(page.get_by_text("The camera was not allowed.")).to_be_visible()
    expect(page.get_by_role("button", name="Take photo")).to_be_disabled()
    assert page.eval_on_selector("#photos", "el => el.files.length") == 0
