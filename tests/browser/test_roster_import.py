"""Roster import in the browser: a file with mistakes, then the corrected file, confirmed."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import FilePayload, Page, expect

from .conftest import LiveServer, login


def _csv(text: str) -> FilePayload:
    return {"name": "roster.csv", "mimeType": "text/csv", "buffer": text.encode()}


def test_import_preview_and_confirm(
    page: Page, live_server: LiveServer, screenshots: Path
) -> None:
    login(page)
    page.get_by_role("link", name="Courses", exact=True).click()  # the home page is Today
    page.get_by_role("link", name="New course").click()
    page.get_by_label("Code").fill("HIST2")
    page.get_by_label("Name", exact=True).fill("History")
    page.get_by_role("button", name="Save").click()

    page.get_by_role("link", name="Students").click()
    page.get_by_role("link", name="Import from CSV").click()
    page.get_by_label("CSV file").set_input_files(_csv(
        "student_number,name,email,course_code\n"
        "S1,Ada Lovelace,ada@school.edu,HIST2\n"
        "S2,,,HIST2\n"
        "S3,Alan Turing,alan-at-school,HIST2\n"
        "S4,Grace Hopper,,MATH9\n"
        "S1,Ada Lovelace,ada@school.edu,HIST2\n"))
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("alert")).to_contain_text("4 of 5 row(s) have errors.")
    shot_path = screenshots / "13_roster_import_errors.png"
    page.screenshot(path=str(shot_path), full_page=True)

    page.get_by_label("CSV file").set_input_files(_csv(
        "student_number,name,email,course_code\n"
        "S1,Ada Lovelace,ada@school.edu,HIST2\n"
        "S3,Alan Turing,,HIST2\n"))
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_text("All 2 row(s) are fine.")).to_be_visible()
    page.screenshot(path=str(screenshots / "14_roster_import_ok.png"), full_page=True)
    page.get_by_role("button", name="Import 2 row(s)").click()
    expect(page.get_by_text("Imported: 2 new student(s), 2 roster addition(s) in HIST2."))\
        .to_be_visible()
    expect(page.get_by_role("cell", name="Alan Turing", exact=True)).to_be_visible()
