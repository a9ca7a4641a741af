"""Smaller issue-15 defects: the table of contents early in tab order, header tap targets."""

from lessons.models import Lesson

from .conftest import assert_accessible


def test_on_this_page_is_reached_in_a_few_tabs_and_stays_beside_the_lesson(page, live_course):
    lesson = Lesson.objects.get(slug="reward-hacking")
    page.goto(live_course.url + lesson.get_absolute_url())
    presses = 0
    while not page.evaluate("document.activeElement.closest('.toc--side') !== null"):
        presses += 1
        assert presses <= 15, "the table of contents was not reached in 15 Tabs"
        page.keyboard.press("Tab")
    toc = page.locator(".toc--side").bounding_box()
    article = page.locator("article.lesson").bounding_box()
    assert toc["x"] > article["x"] + article["width"] - 1  # still to the right on a wide screen
    assert_accessible(page)


def test_header_links_are_at_least_24_px_tall_on_a_phone(phone_page, live_course):
    phone_page.goto(live_course.url)
    heights = phone_page.locator(".site-nav a, .site-nav button").evaluate_all(
        "els => els.map(e => e.getBoundingClientRect().height)"
    )
    assert heights and min(heights) >= 24, heights
    assert_accessible(phone_page)
