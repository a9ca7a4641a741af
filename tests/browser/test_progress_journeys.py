"""Progress journeys in a real browser: earn a completion, and keep guest progress on sign-up."""

import re

from playwright.sync_api import expect

from lessons.forms import choice_token
from lessons.models import Answer, Case, Lesson, LessonProgress, Quiz
from tests.factories import PASSWORD

from .conftest import assert_accessible


def pass_quizzes(page, lesson):
    """Answer every question of the lesson's quizzes correctly, as a learner who knows."""
    for quiz in Quiz.objects.filter(slug__in=lesson.embedded("quiz")).prefetch_related("questions__choices"):
        for question in quiz.questions.all():
            box = page.locator(f"#question-{question.pk}")
            for choice in question.choices.all():
                if choice.correct:
                    box.locator(f'input[value="{choice_token(choice.pk)}"]').check()
            box.get_by_role("button", name="Check answer").click()
            expect(page.locator(f"#question-{question.pk}")).to_have_attribute("data-outcome", "correct")


def pass_exercises(page, lesson):
    for slug in lesson.embedded("exercise"):
        section = page.locator(f"#exercise-{slug}")
        for case in Case.objects.filter(exercise__slug=slug, retired=False):
            for category in case.answers:
                section.locator(f'input[name="case-{case.slug}"][value="{category}"]').check()
        section.get_by_role("button", name="Check").click()
        expect(page.locator(f"#exercise-{slug}")).to_have_attribute("data-outcome", "correct")


def sign_up(page, base, username):
    page.goto(base + "/accounts/signup/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password confirmation").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()


def test_sign_up_read_pass_checks_complete_and_see_it_on_the_dashboard(page, live_course, csp_errors):
    sign_up(page, live_course.url, "journey")
    expect(page.get_by_role("heading", level=1)).to_have_text("My progress")
    lesson = Lesson.objects.get(slug="reward-hacking")
    page.goto(live_course.url + lesson.get_absolute_url())

    page.get_by_role("button", name="Mark lesson complete").click()
    expect(page.locator("#lesson-progress")).to_contain_text("Not yet")

    pass_quizzes(page, lesson)
    pass_exercises(page, lesson)
    # The panel refreshed itself after the answers, without a reload.
    expect(page.locator("#lesson-progress .checklist__item--passed")).to_have_count(len(lesson.checks))
    page.get_by_role("button", name="Mark lesson complete").click()
    expect(page.locator("#lesson-progress")).to_contain_text("this lesson is complete")

    page.get_by_role("link", name="My progress").click()
    total = Lesson.objects.published().count()
    expect(page.locator("#overall")).to_contain_text(f"1 of {total} lessons complete")
    expect(page.get_by_role("table")).to_contain_text("Passed")
    assert_accessible(page)
    assert LessonProgress.objects.get(user__username="journey").completed_at is not None
    assert not csp_errors


def test_guest_answers_then_signs_up_and_keeps_progress(page, live_course):
    lesson = Lesson.objects.published().in_order().first()
    page.goto(live_course.url + lesson.get_absolute_url())
    expect(page.locator("#lesson-progress")).to_contain_text("Sign up")
    question = page.locator(".question").first
    question.locator("input[name=choice]").first.check()
    question.get_by_role("button", name="Check answer").click()
    expect(page.locator("[data-outcome]").first).to_be_visible()

    sign_up(page, live_course.url, "former-guest")
    expect(page.locator("#history-title")).to_be_visible()
    expect(page.get_by_role("table")).to_contain_text(re.compile("Quiz"))
    assert Answer.objects.filter(user__username="former-guest").count() == 1
    assert LessonProgress.objects.filter(user__username="former-guest", lesson=lesson).exists()
