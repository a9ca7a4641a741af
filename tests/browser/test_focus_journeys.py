"""Keyboard-only journeys: after every swap or refused save, focus lands somewhere useful."""

from playwright.sync_api import expect

from lessons.models import Case, ExerciseAttempt, Lesson, LessonProgress
from tests.factories import make_user

from .conftest import assert_accessible
from .test_progress_journeys import pass_quizzes
from .test_studio_journeys import log_in


def active(page, expression):
    """Evaluate `expression` on the focused element."""
    return page.evaluate(f"(el => {expression})(document.activeElement)")


def press_enter_on(locator):
    locator.focus()
    locator.page.keyboard.press("Enter")


def test_mark_complete_keeps_focus_in_the_panel_when_refused_and_when_done(page, live_course, csp_errors):
    lesson = Lesson.objects.get(slug="what-is-alignment")
    page.goto(live_course.url + lesson.get_absolute_url())
    press_enter_on(page.get_by_role("button", name="Mark lesson complete"))
    expect(page.locator("#lesson-progress [role=alert]")).to_contain_text("Not yet")
    assert active(page, "el.closest('#lesson-progress') !== null && el.getAttribute('role') === 'alert'")

    pass_quizzes(page, lesson)
    expect(page.locator("#lesson-progress .checklist__item--passed")).to_have_count(len(lesson.checks))
    # Each answer asks the panel to refresh itself; press only once the last refresh landed,
    # or the button pressed may be one a refresh is about to replace.
    page.wait_for_load_state("networkidle")
    press_enter_on(page.get_by_role("button", name="Mark lesson complete"))
    expect(page.locator("#lesson-progress")).to_contain_text("this lesson is complete")
    assert "this lesson is complete" in active(page, "el.textContent")
    assert LessonProgress.objects.get(lesson=lesson).completed_at is not None
    assert_accessible(page)
    assert not csp_errors


def test_a_background_refresh_does_not_steal_focus_from_the_answer(page, live_course):
    lesson = Lesson.objects.get(slug="what-is-alignment")
    page.goto(live_course.url + lesson.get_absolute_url())
    question = page.locator(".question").first
    question.locator("input[name=choice]").first.check()
    press_enter_on(question.get_by_role("button", name="Check answer"))
    expect(page.locator(".quiz__summary").first).to_contain_text("answered 1 of")
    expect(page.locator("#lesson-progress .checklist__mark").first).not_to_have_text("○")
    assert active(page, "el.classList.contains('result')")


def test_an_incomplete_exercise_focuses_and_marks_the_case_still_open(page, live_course):
    lesson = Lesson.objects.get(slug="reward-hacking")
    slug = lesson.embedded("exercise")[0]
    first, second = Case.objects.filter(exercise__slug=slug, retired=False).order_by("pk")[:2]
    page.goto(live_course.url + lesson.get_absolute_url())
    exercise = page.locator(f"#exercise-{slug}")
    count = exercise.locator(".card").count()
    exercise.locator(f'input[name="case-{first.slug}"]').first.focus()
    page.keyboard.press("Space")
    press_enter_on(exercise.get_by_role("button", name="Check"))

    expect(exercise.locator(".card--open")).to_have_count(count - 1)
    expect(exercise.locator(f'input[name="case-{first.slug}"]:checked')).to_have_count(1)
    focused_case = active(page, "el.name")
    assert focused_case.startswith("case-") and focused_case != f"case-{first.slug}"
    assert active(page, "el.closest('.card').classList.contains('card--open')")
    assert active(page, "el.closest('.card') === document.querySelector('.card--open')")
    assert ExerciseAttempt.objects.count() == 0
    assert_accessible(page)


def test_a_refused_studio_save_focuses_a_summary_that_links_to_the_field(page, live_course, csp_errors):
    make_user("teacher", instructor=True)
    log_in(page, live_course.url, "teacher")
    page.goto(live_course.url + "/studio/quiz/new/")
    page.locator("#id_slug").fill("broken-quiz")
    page.locator("#id_text").fill('title = "A quiz"\npass_mark = \n')
    press_enter_on(page.get_by_role("button", name="Save quiz"))

    summary = page.locator(".error-summary")
    expect(summary).to_contain_text("Not saved")
    expect(summary).to_contain_text("Line 2: pass_mark =")
    assert active(page, "el.classList.contains('error-summary')")
    assert summary.bounding_box()["y"] < page.viewport_size["height"]
    assert_accessible(page)
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert active(page, "el.id") == "id_text"

    lesson = Lesson.objects.get(slug="what-is-alignment")
    page.goto(live_course.url + f"/studio/lessons/{lesson.pk}/")
    page.locator("#id_title").fill("")
    press_enter_on(page.get_by_role("button", name="Save draft"))
    expect(page.locator(".error-summary")).to_contain_text("Title: This field is required.")
    assert active(page, "el.classList.contains('error-summary')")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert active(page, "el.id") == "id_title"
    assert Lesson.objects.get(pk=lesson.pk).title == lesson.title
    assert not csp_errors


def test_moving_a_lesson_to_the_top_keeps_focus_on_its_controls(page, live_course):
    make_user("teacher", instructor=True)
    log_in(page, live_course.url, "teacher")
    second = Lesson.objects.filter(part__number=1).order_by("order")[1]
    page.goto(live_course.url + "/studio/")
    press_enter_on(page.get_by_role("button", name=f"Move “{second.title}” up"))
    expect(page.locator("#part-1 .studio-lesson").first).to_contain_text(second.title)
    expect(page.get_by_role("button", name=f"Move “{second.title}” up")).to_be_disabled()
    assert active(page, "el.getAttribute('aria-label')") == f"Move “{second.title}” down"

    press_enter_on(page.get_by_role("button", name=f"Move “{second.title}” down"))
    expect(page.locator("#part-1 .studio-lesson").nth(1)).to_contain_text(second.title)
    assert active(page, "el.getAttribute('aria-label')") == f"Move “{second.title}” down"
