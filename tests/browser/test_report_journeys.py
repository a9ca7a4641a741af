"""Report journey in a real browser: filter by cohort, open a learner, download the CSV."""

import io
from pathlib import Path

from django.core.management import call_command
from playwright.sync_api import expect

from lessons.models import Cohort
from tests.factories import PASSWORD, make_user

from .conftest import assert_accessible


def test_admin_filters_by_cohort_opens_a_learner_and_downloads_csv(page, live_course, csp_errors):
    call_command("seed_load", "--learners", "12", stdout=io.StringIO())
    make_user("chief", staff=True)
    cohort = Cohort.objects.get(name="Load cohort A")
    member = cohort.members.order_by("username").first()

    page.goto(live_course.url + "/accounts/login/")
    page.get_by_label("Username").fill("chief")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Reports").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Overview")
    assert_accessible(page)

    page.get_by_label("Cohort").select_option(label="Load cohort A")
    expect(page.locator("#results")).to_contain_text("learners in Load cohort A")
    assert f"cohort={cohort.pk}" in page.url  # the URL keeps the filter

    page.get_by_role("link", name="Learners", exact=True).click()
    page.get_by_label("Cohort").select_option(label="Load cohort A")
    expect(page.locator("#results")).to_contain_text(f"{cohort.members.count()} learner")
    assert_accessible(page)
    page.get_by_role("link", name=member.username).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(member.username)
    assert_accessible(page)

    page.go_back()
    with page.expect_download() as info:
        page.get_by_role("link", name="Download this table (CSV)").click()
    content = Path(info.value.path()).read_text(encoding="utf-8")
    assert content.startswith("username,email,lessons completed")
    assert member.username in content
    assert content.count("\n") == cohort.members.count() + 1
    assert not csp_errors


def test_content_statistics_pages_are_accessible(page, live_course):
    call_command("seed_load", "--learners", "8", stdout=io.StringIO())
    make_user("teacher", instructor=True)
    page.goto(live_course.url + "/accounts/login/")
    page.get_by_label("Username").fill("teacher")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(live_course.url + "/reports/quizzes/part-1-review/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert_accessible(page)
    page.goto(live_course.url + "/reports/taxonomies/failure-modes/")
    expect(page.locator("table.heatmap")).to_be_visible()
    assert_accessible(page)
    assert page.goto(live_course.url + "/reports/").status == 403
