"""One score language, always a next step, deliberate deletion, log-in that returns (issue 15)."""

import re

from playwright.sync_api import expect

from lessons.models import Case, Lesson, LessonProgress
from tests.factories import PASSWORD, make_user

from .conftest import assert_accessible
from .test_progress_journeys import pass_quizzes
from .test_studio_journeys import log_in

SCORE_TEXT = ".quiz__summary, .question__actions .meta, .result__verdict, .card__verdict, .checklist .meta"


def test_every_score_on_a_lesson_is_a_percentage(page, live_course):
    lesson = Lesson.objects.get(slug="reward-hacking")
    page.goto(live_course.url + lesson.get_absolute_url())
    question = page.locator(".question").first
    question_id = question.get_attribute("id")
    question.locator("input[name=choice]").first.check()
    question.get_by_role("button", name="Check answer").click()
    expect(page.locator(f"#{question_id}")).to_have_attribute("data-outcome", re.compile(".+"))
    page.locator(f"#{question_id}").get_by_role("link", name="Try again").click()
    expect(page.locator(f"#{question_id} .question__actions .meta")).to_contain_text("Answered 1 time")

    slug = lesson.embedded("exercise")[0]
    exercise = page.locator(f"#exercise-{slug}")
    for case in Case.objects.filter(exercise__slug=slug, retired=False):
        exercise.locator(f'input[name="case-{case.slug}"]').first.check()
    exercise.get_by_role("button", name="Check").click()
    expect(page.locator(f"#exercise-{slug}[data-outcome]")).to_be_visible()
    expect(page.locator(".quiz .quiz__summary").first).to_contain_text("answered 1 of")

    texts = page.locator(SCORE_TEXT).all_inner_texts()
    assert any("%" in text for text in texts)
    for text in texts:
        assert not re.search(r"\d\.\d|of 1\b|latest \d+,", text), text


def test_home_and_dashboard_always_offer_the_next_step(page, live_course):
    first, second = Lesson.objects.published().in_order()[:2]
    page.goto(live_course.url)
    expect(page.locator(".course-progress")).to_contain_text(f"Start with: {first.title}")
    page.get_by_role("link", name="My progress").click()
    expect(page.get_by_role("link", name=f"Start with: {first.title}")).to_be_visible()

    page.goto(live_course.url + first.get_absolute_url())
    pass_quizzes(page, first)
    page.get_by_role("button", name="Mark lesson complete").click()
    expect(page.locator("#lesson-progress")).to_contain_text("this lesson is complete")
    assert LessonProgress.objects.get(lesson=first).completed_at is not None

    page.goto(live_course.url)
    expect(page.locator(".course-progress")).to_contain_text(f"Next lesson: {second.title}")
    page.get_by_role("link", name="My progress").click()
    next_link = page.get_by_role("link", name=f"Next lesson: {second.title}")
    expect(next_link).to_be_visible()
    assert_accessible(page)
    next_link.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(second.title)


def test_deleting_a_lesson_asks_first(page, live_course):
    make_user("teacher", instructor=True)
    log_in(page, live_course.url, "teacher")
    lesson = Lesson.objects.get(slug="what-is-alignment")
    lesson.progress.all().delete()
    page.goto(live_course.url + f"/studio/lessons/{lesson.pk}/")
    page.get_by_role("link", name="Delete this lesson…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Delete “{lesson.title}”?")
    assert Lesson.objects.filter(pk=lesson.pk).exists()
    assert_accessible(page)
    page.get_by_role("link", name="Keep it").click()
    assert Lesson.objects.filter(pk=lesson.pk).exists()
    page.get_by_role("link", name="Delete this lesson…").click()
    page.get_by_role("button", name=f"Delete “{lesson.title}” permanently").click()
    expect(page.locator(".messages")).to_contain_text("Deleted")
    assert not Lesson.objects.filter(pk=lesson.pk).exists()


def test_log_in_from_a_lesson_returns_to_it_and_says_guest_progress_was_kept(page, live_course):
    make_user("returning")
    lesson = Lesson.objects.published().in_order()[2]
    page.goto(live_course.url + lesson.get_absolute_url())
    question = page.locator(".question").first
    question.locator("input[name=choice]").first.check()
    question.get_by_role("button", name="Check answer").click()
    expect(page.locator("[data-outcome]").first).to_be_visible()

    page.get_by_role("navigation", name="Site").get_by_role("link", name="Log in").click()
    expect(page.locator("main")).to_contain_text("moves into your account when you log in")
    page.get_by_label("Username").fill("returning")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(lesson.title)
    expect(page.locator(".messages")).to_contain_text("now in your account")
