"""Report pages fit the screen: wide tables scroll inside their own region (issue 15)."""

import io

import pytest
from django.core.management import call_command

from lessons.models import Quiz, Taxonomy
from tests.factories import make_user

from .conftest import assert_accessible
from .test_studio_journeys import log_in


@pytest.mark.parametrize("width", [1280, 640, 390])  # 640 is a 1,280 px screen at 200% zoom
def test_every_report_fits_its_width(browser, live_course, width):
    call_command("seed_load", "--learners", "6", stdout=io.StringIO())
    make_user("chief", staff=True)
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    log_in(page, live_course.url, "chief")
    quiz = max(
        Quiz.objects.prefetch_related("questions__choices"),
        key=lambda q: max((len(c.text) for question in q.questions.all() for c in question.choices.all()), default=0),
    )
    paths = [
        "/reports/",
        "/reports/learners/",
        f"/reports/quizzes/{quiz.slug}/",
        f"/reports/taxonomies/{Taxonomy.objects.first().slug}/",
    ]
    for path in paths:
        page.goto(live_course.url + path)
        assert page.evaluate("document.documentElement.scrollWidth") <= width, path
        labels = page.locator(".table-scroll[role=region]").evaluate_all(
            "els => els.map(e => e.getAttribute('aria-label') || e.getAttribute('aria-labelledby'))"
        )
        assert len(labels) == len(set(labels)), (path, labels)
        if width in (1280, 390):
            assert_accessible(page)
    context.close()


LUMINANCE = """els => els.map(e => {
  const colour = getComputedStyle(e).backgroundColor;  // rgb(0-255) or color(srgb 0-1)
  const scale = colour.startsWith("color(") ? 1 : 255;
  const [r, g, b] = colour.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const lin = c => { c /= scale; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
})"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_confusion_matrix_scale_only_gets_stronger_in_both_schemes(browser, live_course, scheme):
    call_command("seed_load", "--learners", "6", stdout=io.StringIO())
    make_user("chief", staff=True)
    context = browser.new_context(color_scheme=scheme)
    page = context.new_page()
    log_in(page, live_course.url, "chief")
    page.goto(live_course.url + f"/reports/taxonomies/{Taxonomy.objects.first().slug}/")
    luminance = page.locator(".heat-legend .heat").evaluate_all(LUMINANCE)
    distance = [abs(value - luminance[0]) for value in luminance]
    assert distance == sorted(distance) and len(set(distance)) == len(distance), (scheme, luminance)
    assert page.locator("td.heat--diagonal").count() > 0
    assert "%" in page.locator("td.heat").first.inner_text()
    assert_accessible(page)
    context.close()
