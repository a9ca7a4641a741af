"""User journeys in a real browser: reading, answering with the keyboard, classifying cases."""

import re

from playwright.sync_api import expect

from lessons.models import Answer, ExerciseAttempt, Lesson

from .conftest import assert_accessible


def test_reader_opens_the_outline_reaches_a_lesson_and_pages_through(page, live_course, csp_errors):
    page.goto(live_course.url)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Responsible AI Engineering")
    for part in ("Understanding AI Alignment", "RLHF", "LIME", "PyRIT", "Circuit Breakers"):
        expect(page.locator(".part-list")).to_contain_text(part)
    assert_accessible(page)

    first = Lesson.objects.published().in_order().first()
    page.get_by_role("link", name=first.title, exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(first.title)
    expect(page.get_by_role("navigation", name="Breadcrumb")).to_contain_text("Part 1")
    assert_accessible(page)

    page.locator("a[rel=next]").click()
    second_title = page.get_by_role("heading", level=1).inner_text()
    assert second_title != first.title
    page.locator("a[rel=prev]").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(first.title)
    assert not csp_errors


def test_phone_layout_has_no_sideways_scroll(phone_page, live_course):
    lesson = Lesson.objects.published().in_order()[3]
    phone_page.goto(live_course.url + lesson.get_absolute_url())
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390
    assert_accessible(phone_page)


def test_learner_answers_a_question_with_the_keyboard_and_retries(page, live_course, csp_errors):
    lesson = Lesson.objects.published().in_order().first()
    page.goto(live_course.url + lesson.get_absolute_url())
    question = page.locator(".question").first
    question_id = question.get_attribute("id")

    # Put focus on the first choice, pick it with Space, Tab to the button, press Enter.
    question.locator("input[name=choice]").first.focus()
    page.keyboard.press("Space")
    checked = question.locator("input:checked")
    expect(checked).to_have_count(1)
    for _ in range(question.locator("input[name=choice]").count()):
        if page.evaluate("document.activeElement.tagName") == "BUTTON":
            break
        page.keyboard.press("Tab")
    page.keyboard.press("Enter")

    answered = page.locator(f"#{question_id}")
    expect(answered).to_have_attribute("data-outcome", re.compile("correct|incorrect|partial"))
    expect(answered.locator(".result__explanation")).not_to_be_empty()
    assert page.evaluate("document.activeElement.classList.contains('result')")
    assert Answer.objects.count() == 1
    expect(page.locator(".quiz__summary").first).to_contain_text("answered 1 of")
    assert_accessible(page)

    answered.get_by_role("link", name="Try again").focus()
    page.keyboard.press("Enter")
    expect(page.locator(f"#{question_id} button", has_text="Check answer")).to_be_visible()
    expect(page.locator(f"#{question_id}")).not_to_have_attribute("data-outcome", re.compile(".+"))
    assert not csp_errors


def test_learner_completes_an_exercise_from_the_keyboard(page, live_course, csp_errors):
    lesson = Lesson.objects.get(slug="reward-hacking")
    page.goto(live_course.url + lesson.get_absolute_url())
    exercise = page.locator(".exercise").first
    cards = exercise.locator(".card")
    count = cards.count()
    cards.first.locator("input:not([type=hidden])").first.focus()
    for _ in range(count):
        page.keyboard.press("Space")  # pick the focused category
        page.keyboard.press("Tab")  # to the card's optional "how sure are you?" marks
        page.keyboard.press("Tab")  # on to the next card's group, then finally the button
    expect(exercise.locator("input:checked")).to_have_count(count)
    assert page.evaluate("document.activeElement.textContent.trim()") == "Check"
    page.keyboard.press("Enter")

    checked = page.locator(".exercise[data-outcome]").first
    expect(checked).to_be_visible()
    expect(checked.locator(".card[data-outcome]")).to_have_count(count)
    attempt = ExerciseAttempt.objects.get()
    assert len(attempt.results) == count
    assert_accessible(page)
    assert not csp_errors


def test_quiz_works_without_javascript(browser, live_course):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    lesson = Lesson.objects.published().in_order().first()
    page.goto(live_course.url + lesson.get_absolute_url())
    question = page.locator(".question").first
    question.locator("input[name=choice]").first.check()
    question.get_by_role("button", name="Check answer").click()
    expect(page.locator("[data-outcome]").first).to_be_visible()
    expect(page).to_have_title(re.compile(lesson.title))
    context.close()


def test_explorer_page_is_accessible(page, live_course):
    page.goto(live_course.url + "/taxonomies/failure-modes/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert_accessible(page)
