"""The reward lab in a real browser: fail the challenge, adjust the reward, pass it, keyboard only."""

from playwright.sync_api import expect

from lessons.models import Lesson, SandboxAttempt

from .conftest import assert_accessible


def set_weight(page, field, value):
    """Replace a number input's value from the keyboard, as a learner would."""
    field.focus()
    page.keyboard.press("Control+A")
    page.keyboard.type(value)


def test_learner_games_then_fixes_the_boat_race_from_the_keyboard(page, live_course, csp_errors):
    lesson = Lesson.objects.get(slug="specification-gaming")
    page.goto(live_course.url + lesson.get_absolute_url() + "#sandbox-boat-race")
    lab = page.locator("#sandbox-boat-race")

    # First run: the naive reward as the lab offers it.
    lab.get_by_label("Reward per move").focus()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Run the optimiser"
    page.keyboard.press("Enter")
    expect(page.locator("#sandbox-boat-race")).to_have_attribute("data-outcome", "incorrect")
    lab = page.locator("#sandbox-boat-race")
    expect(lab.locator(".result")).to_contain_text("Objective not met")
    expect(lab).to_contain_text("The loophole")
    expect(lab.locator("svg[role=img] desc")).to_contain_text("The agent starts at row 1, column 1")
    assert page.evaluate("document.activeElement.classList.contains('result')")
    assert_accessible(page)

    # Second run: pay for finishing, not for targets, and charge for time.
    set_weight(page, lab.get_by_label("Points per target hit"), "0")
    set_weight(page, lab.get_by_label("Bonus for finishing"), "100")
    set_weight(page, lab.get_by_label("Reward per move"), "-1")
    page.keyboard.press("Enter")  # implicit submission from the number input
    expect(page.locator("#sandbox-boat-race")).to_have_attribute("data-outcome", "correct")
    lab = page.locator("#sandbox-boat-race")
    expect(lab.locator(".result")).to_contain_text("Objective met")
    expect(lab.locator(".badge--good")).to_have_text("Passed")
    expect(lab.locator(".sandbox__steps li")).to_have_count(7)
    # The lesson's progress panel refreshed itself and counts the lab as passed.
    expect(page.locator("#lesson-progress .checklist__item--passed", has_text="Lab: Boat race")).to_have_count(1)

    runs = list(SandboxAttempt.objects.order_by("id").values_list("objective_met", "weights"))
    assert runs == [
        (False, {"target": 10.0, "finish": 20.0, "step": 0.0}),
        (True, {"target": 0.0, "finish": 100.0, "step": -1.0}),
    ]
    assert_accessible(page)
    assert not csp_errors


def test_the_lab_works_without_javascript(browser, live_course):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    lesson = Lesson.objects.get(slug="goodharts-law")
    page.goto(live_course.url + lesson.get_absolute_url())
    lab = page.locator("#sandbox-cleaning-robot")
    lab.get_by_role("button", name="Run the optimiser").click()
    lab = page.locator("#sandbox-cleaning-robot")
    expect(lab).to_have_attribute("data-outcome", "incorrect")
    expect(lab).to_contain_text("puts a bucket over its camera")
    lab.get_by_label("Camera covered").fill("-2")
    lab.get_by_label("Points per mess cleaned").fill("10")
    lab.get_by_role("button", name="Run the optimiser").click()
    expect(page.locator("#sandbox-cleaning-robot")).to_have_attribute("data-outcome", "correct")
    assert SandboxAttempt.objects.filter(objective_met=True).count() == 1
    context.close()
