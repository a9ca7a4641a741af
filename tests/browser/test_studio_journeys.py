"""Studio journeys in a real browser: edit with live preview, publish, restore; no script runs."""

from playwright.sync_api import expect

from lessons.models import Lesson
from tests.factories import PASSWORD, make_user

from .conftest import assert_accessible


def log_in(page, base, username):
    page.goto(base + "/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_instructor_edits_previews_publishes_and_a_learner_sees_it(page, browser, live_course, csp_errors):
    make_user("teacher", instructor=True)
    lesson = Lesson.objects.get(slug="what-is-alignment")
    log_in(page, live_course.url, "teacher")
    page.goto(live_course.url + "/studio/")
    assert_accessible(page)
    page.get_by_role("link", name=lesson.title).first.click()
    expect(page.locator("#preview .prose")).to_be_visible()
    assert_accessible(page)

    source = page.locator("#id_source")
    source.fill(source.input_value() + "\n\n## A brand new section\n\nFreshly written words.\n")
    expect(page.locator("#preview")).to_contain_text("Freshly written words.")  # live, without saving

    page.get_by_role("button", name="Save draft").click()
    expect(page.locator(".badge--warn")).to_be_visible()
    learner = browser.new_page()
    learner.goto(live_course.url + lesson.get_absolute_url())
    expect(learner.locator("article")).not_to_contain_text("Freshly written words.")

    page.get_by_role("button", name="Publish", exact=True).click()
    expect(page.get_by_role("status").or_(page.locator(".messages"))).to_contain_text("Published")
    learner.reload()
    expect(learner.locator("article")).to_contain_text("Freshly written words.")

    page.get_by_role("link", name="History").click()
    assert_accessible(page)
    restore = page.get_by_role("button", name="Restore revision 1")
    restore.click()
    page.get_by_role("button", name="Publish", exact=True).click()
    learner.reload()
    expect(learner.locator("article")).not_to_contain_text("Freshly written words.")
    assert not csp_errors


def test_no_script_runs_in_preview_or_on_the_published_page(page, browser, live_course):
    make_user("teacher", instructor=True)
    lesson = Lesson.objects.get(slug="specification-gaming")
    log_in(page, live_course.url, "teacher")
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(live_course.url + f"/studio/lessons/{lesson.pk}/")
    hostile = (
        '\n\n<script>alert("script")</script>\n\n<img src="x" onerror="alert(\'img\')">\n\n'
        '[click me](javascript:alert("link"))\n\n<svg onload="alert(\'svg\')"></svg>\n\n'
        "<iframe srcdoc=\"<script>alert('frame')</script>\"></iframe>\n"
    )
    source = page.locator("#id_source")
    source.fill(source.input_value() + hostile)
    expect(page.locator("#preview")).to_contain_text("click me")
    page.get_by_role("button", name="Publish", exact=True).click()
    learner = browser.new_page()
    learner.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    learner.goto(live_course.url + lesson.get_absolute_url())
    learner.get_by_text("click me").click()
    learner.wait_for_timeout(300)
    assert dialogs == []
    assert learner.evaluate("document.querySelectorAll('article script, article iframe, article svg').length") == 0
