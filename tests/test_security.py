"""Issue 11's probe findings, each reproduced: headers, throttles, limits and refusals."""

import pytest
from django.test import Client
from django.urls import reverse

from lessons.models import Cohort

from .factories import make_exercise, make_quiz, make_user

pytestmark = pytest.mark.django_db


def test_learners_data_and_reports_are_never_stored_by_caches():
    learner = make_user("person")
    quiz = make_quiz("q")
    exercise = make_exercise()
    cohort = Cohort.objects.create(name="C1")
    own = Client()
    own.force_login(learner)
    for name in ["lessons:dashboard", "lessons:export_json", "lessons:export_csv", "delete_account"]:
        response = own.get(reverse(name))
        assert response.status_code == 200, name
        assert "private" in response["Cache-Control"] and "no-store" in response["Cache-Control"], name
    staff = Client()
    staff.force_login(make_user("boss", staff=True))
    reports = [
        reverse("lessons:report_overview"),
        reverse("lessons:report_learners"),
        reverse("lessons:report_learners_csv"),
        reverse("lessons:report_attempts_csv"),
        reverse("lessons:report_learner", args=[learner.pk]),
        reverse("lessons:report_attention"),
        reverse("lessons:report_quiz_list"),
        reverse("lessons:report_quiz", args=[quiz.slug]),
        reverse("lessons:report_taxonomy", args=[exercise.taxonomy.slug]),
        reverse("lessons:report_cohorts"),
        reverse("lessons:report_cohort", args=[cohort.pk]),
    ]
    for url in reports:
        response = staff.get(url)
        assert response.status_code == 200, url
        assert "private" in response["Cache-Control"] and "no-store" in response["Cache-Control"], url
    # Public course pages stay cacheable.
    assert "no-store" not in Client().get(reverse("lessons:about")).get("Cache-Control", "")


@pytest.mark.parametrize("dates", [{"end": "9999-12-31"}, {"start": "0001-01-01"}, {"start": "9999-12-31"}])
def test_out_of_range_dates_are_a_400_on_every_filtered_page_and_export(dates):
    quiz = make_quiz("q")
    exercise = make_exercise()
    staff = Client(raise_request_exception=False)
    staff.force_login(make_user("boss", staff=True))
    urls = [
        reverse("lessons:report_overview"),
        reverse("lessons:report_learners"),
        reverse("lessons:report_attention"),
        reverse("lessons:report_quiz", args=[quiz.slug]),
        reverse("lessons:report_taxonomy", args=[exercise.taxonomy.slug]),
        reverse("lessons:report_learners_csv"),
        reverse("lessons:report_attempts_csv"),
    ]
    for url in urls:
        response = staff.get(url, dates)
        assert response.status_code == 400, url
        assert "Give a date between" in response.content.decode() or url.endswith(".csv"), url
