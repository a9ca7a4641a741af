"""Requests that fail must say so in place, in development as in production (issue 15)."""

import re

from playwright.sync_api import expect

from lessons.models import Answer, Lesson

from .conftest import assert_accessible


def open_first_lesson(page, live_course):
    lesson = Lesson.objects.published().in_order().first()
    page.goto(live_course.url + lesson.get_absolute_url())
    return page.locator(".question").first


def test_checking_nothing_under_debug_shows_the_inline_error_and_keeps_the_page(page, live_course, settings):
    settings.DEBUG = True
    question = open_first_lesson(page, live_course)
    question_id = question.get_attribute("id")
    questions = page.locator(".question").count()
    question.get_by_role("button", name="Check answer").click()

    expect(page.locator(f"#{question_id} .question__error")).to_have_attribute("role", "alert")
    expect(page.locator(".site-header")).to_be_visible()
    expect(page.locator(".question")).to_have_count(questions)
    assert page.evaluate("getComputedStyle(document.body).fontFamily") != "Times New Roman"
    assert Answer.objects.count() == 0


def test_a_changed_session_tells_the_learner_in_place_and_keeps_the_choice(page, live_course):
    question = open_first_lesson(page, live_course)
    question_id = question.get_attribute("id")
    # As if the learner had logged in in another tab: the cookie no longer matches the form.
    page.context.clear_cookies()
    question.locator("input[name=choice]").first.check()
    question.get_by_role("button", name="Check answer").click()

    alert = page.locator(f"#{question_id} .request-error[role=alert]")
    expect(alert).to_contain_text("Your session changed")
    expect(alert.get_by_role("button", name="Reload the page")).to_be_visible()
    expect(question.locator("input[name=choice]").first).to_be_checked()
    assert page.evaluate("document.activeElement.textContent.trim()") == "Check answer"
    assert Answer.objects.count() == 0
    assert_accessible(page)

    alert.get_by_role("button", name="Reload the page").click()
    expect(page.locator(".request-error")).to_have_count(0)
    page.locator(f"#{question_id} input[name=choice]").first.check()
    page.locator(f"#{question_id}").get_by_role("button", name="Check answer").click()
    expect(page.locator(f"#{question_id}")).to_have_attribute("data-outcome", re.compile(".+"))
    assert Answer.objects.count() == 1


def test_a_server_error_and_a_lost_connection_are_announced_in_place(page, live_course):
    question = open_first_lesson(page, live_course)
    question_id = question.get_attribute("id")
    question.locator("input[name=choice]").first.check()

    page.route("**/questions/**", lambda route: route.fulfill(status=500, body="boom"))
    question.get_by_role("button", name="Check answer").click()
    alert = page.locator(f"#{question_id} .request-error[role=alert]")
    expect(alert).to_contain_text("Something went wrong on our side")
    page.unroute("**/questions/**")

    page.route("**/questions/**", lambda route: route.abort())
    question.get_by_role("button", name="Check answer").click()
    expect(alert).to_contain_text("could not reach the server")
    expect(page.locator(".request-error")).to_have_count(1)
    expect(question.locator("input[name=choice]").first).to_be_checked()
    page.unroute("**/questions/**")

    question.get_by_role("button", name="Check answer").click()
    expect(page.locator(f"#{question_id}")).to_have_attribute("data-outcome", re.compile(".+"))
    expect(page.locator(".request-error")).to_have_count(0)
    assert Answer.objects.count() == 1


def test_a_refused_plain_post_gets_a_page_in_the_site_design(browser, live_course):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    question = open_first_lesson(page, live_course)
    context.clear_cookies()
    question.locator("input[name=choice]").first.check()
    question.get_by_role("button", name="Check answer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your session changed, so this wasn't saved")
    expect(page.locator(".site-header")).to_be_visible()
    expect(page.get_by_role("link", name="Back to the page you were on")).to_be_visible()
    assert Answer.objects.count() == 0
    context.close()
