"""A learner earns, prints, shares and revokes a certificate of completion."""

from django.contrib.auth import get_user_model
from django.utils import timezone
from playwright.sync_api import expect

from lessons.models import Certificate, Lesson, LessonProgress

from .conftest import assert_accessible
from .test_progress_journeys import sign_up


def complete_part(username, number):
    user = get_user_model().objects.get(username=username)
    now = timezone.now()
    for lesson in Lesson.objects.published().filter(part__number=number):
        LessonProgress.objects.update_or_create(
            user=user, lesson=lesson, defaults={"first_opened_at": now, "last_opened_at": now, "completed_at": now}
        )


def test_learner_issues_prints_shares_and_revokes_a_part_certificate(page, browser, live_course, csp_errors):
    sign_up(page, live_course.url, "graduate")
    complete_part("graduate", 1)
    page.goto(live_course.url + "/me/")
    page.get_by_role("link", name="Certificates of completion").click()
    assert_accessible(page)

    name = page.locator("#name-part-1")
    name.focus()
    name.fill("Grace Hopper")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Grace Hopper")
    certificate = Certificate.objects.get()
    expect(page.locator(".certificate")).to_contain_text("Part 1: Understanding AI Alignment")
    expect(page.locator(".certificate__verify")).to_contain_text(certificate.public_id)
    assert_accessible(page)
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    page.emulate_media(media="screen")

    stranger = browser.new_context(viewport={"width": 390, "height": 844})
    public = stranger.new_page()
    public.goto(live_course.url + certificate.get_absolute_url())
    expect(public.get_by_role("heading", level=1)).to_have_text("Grace Hopper")
    assert public.evaluate("document.documentElement.scrollWidth") <= 390
    assert_accessible(public)

    page.goto(live_course.url + "/me/certificates/")
    page.get_by_role("button", name="Revoke the certificate for Part 1: Understanding AI Alignment").click()
    expect(page.locator(".messages")).to_contain_text("Revoked")
    public.reload()
    expect(public.get_by_role("heading", level=1)).to_have_text("This certificate is no longer valid")
    expect(public.locator("main")).not_to_contain_text("Grace Hopper")
    stranger.close()
    assert not csp_errors
