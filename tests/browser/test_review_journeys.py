"""Spaced review in a real browser: miss a case in a lesson, see it due in the header,
review it from the keyboard, and read the calibration chart on the dashboard."""

import re

from playwright.sync_api import expect

from lessons.models import Case, Exercise, Lesson, ReviewCard

from .conftest import assert_accessible
from .test_progress_journeys import sign_up


def test_miss_a_case_see_it_due_review_it_by_keyboard_and_see_calibration(page, live_course, csp_errors):
    sign_up(page, live_course.url, "reviewer")
    lesson = Lesson.objects.get(slug="reward-hacking")
    exercise = Exercise.objects.get(slug="gaming-tampering-or-misgeneralization")
    categories = [c.slug for c in exercise.taxonomy.categories.all()]
    cases = list(Case.objects.filter(exercise=exercise, retired=False))
    missed = cases[0]
    wrong = next(slug for slug in categories if slug not in missed.answers + missed.also_accept)

    page.goto(live_course.url + lesson.get_absolute_url())
    expect(page.locator(".site-nav")).not_to_contain_text("due")
    section = page.locator(f"#exercise-{exercise.slug}")
    for case in cases:
        pick = wrong if case == missed else case.answers[0]
        section.locator(f'input[name="case-{case.slug}"][value="{pick}"]').check()
        section.locator(f'input[name="confidence-{case.slug}"][value="sure"]').check()
    section.get_by_role("button", name="Check").click()
    expect(page.locator(f"#exercise-{exercise.slug}")).to_have_attribute("data-outcome", "partial")
    assert ReviewCard.objects.filter(user__username="reviewer").count() == len(cases)

    page.reload()
    review_link = page.get_by_role("link", name=re.compile(r"Review 1 due"))
    expect(review_link).to_be_visible()
    review_link.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Review")
    expect(page.locator("#review-item")).to_contain_text(missed.title)
    expect(page.get_by_role("link", name=re.compile("Where this is taught"))).to_have_attribute(
        "href", re.compile(f"#exercise-{exercise.slug}$")
    )
    assert_accessible(page)

    # From the keyboard only: arrow to the right category, tab past the confidence marks, Enter.
    first = page.locator(f'input[name="case-{missed.slug}"]').first
    first.focus()
    page.keyboard.press("Space")
    for _ in range(categories.index(missed.answers[0])):
        page.keyboard.press("ArrowDown")
    expect(page.locator(f'input[name="case-{missed.slug}"][value="{missed.answers[0]}"]')).to_be_checked()
    page.keyboard.press("Tab")  # into the confidence marks
    page.keyboard.press("Tab")  # to the Check button
    expect(page.get_by_role("button", name="Check")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#review-item .result")).to_have_attribute("data-outcome", "correct")
    # Focus moved to the result (read out as a status); the next item is a few Tabs away.
    next_link = page.get_by_role("link", name="Next due item")
    for _ in range(4):
        if next_link.evaluate("el => el === document.activeElement"):
            break
        page.keyboard.press("Tab")
    expect(next_link).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#review-item")).to_contain_text(re.compile("Nothing due until"))
    expect(page.locator(".site-nav")).not_to_contain_text("due")

    page.get_by_role("link", name="Back to my progress").click()
    chart = page.locator("svg.calibration__chart")
    expect(chart).to_be_visible()
    expect(page.locator(".calibration__sentence")).to_contain_text("When you are sure, you are right")
    expect(page.get_by_role("region", name="Calibration table")).to_contain_text("Sure")
    assert_accessible(page)
    assert csp_errors == []
