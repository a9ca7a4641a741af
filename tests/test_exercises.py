"""Classification exercises: checking, feedback, bad input, integrity, the explorer."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from lessons.models import Case, ExerciseAttempt

from .factories import make_exercise, make_lesson, make_user
from .htmx import HTMX, assert_fragment

pytestmark = pytest.mark.django_db


def check_url(lesson, exercise):
    return reverse("lessons:exercise_check", args=[lesson.part.slug, lesson.slug, exercise.slug])


@pytest.fixture
def setup(db):
    exercise = make_exercise()
    lesson = make_lesson(source="## Intro\n\nText.\n\n[exercise: sort]\n")
    return lesson, exercise


def all_answers(exercise, value="a"):
    return {f"case-{case.slug}": value for case in exercise.cases.all()}


def test_all_right_scores_one_and_explains_each_card(client, setup):
    lesson, exercise = setup
    response = client.post(check_url(lesson, exercise), all_answers(exercise), headers=HTMX)
    html = assert_fragment(response, f"exercise-{exercise.slug}")
    assert 'data-outcome="correct"' in html
    for n in (1, 2, 3):
        assert f"Explanation {n}." in html
    attempt = ExerciseAttempt.objects.get()
    assert attempt.score == 1.0 and attempt.results == {"case-1": 1.0, "case-2": 1.0, "case-3": 1.0}


def test_wrong_pick_says_why_that_category_does_not_fit(client, setup):
    lesson, exercise = setup
    data = all_answers(exercise)
    data["case-case-2"] = "b"
    html = client.post(check_url(lesson, exercise), data, headers=HTMX).content.decode()
    assert 'data-outcome="partial"' in html
    assert "Why not Kind B?" in html and "Why not b 2." in html
    assert ExerciseAttempt.objects.get().score == pytest.approx(2 / 3)


def test_a_defensible_alternative_gets_full_credit(client, setup):
    lesson, exercise = setup
    data = all_answers(exercise)
    data["case-case-1"] = "c"
    html = client.post(check_url(lesson, exercise), data, headers=HTMX).content.decode()
    assert "defensible too" in html
    assert ExerciseAttempt.objects.get().score == 1.0


def test_multi_label_cases_give_partial_credit(client):
    exercise = make_exercise("multi", multi_label=True)
    lesson = make_lesson(source="[exercise: multi]\n")
    data = {"case-case-1": ["a", "b"], "case-case-2": ["a"], "case-case-3": ["a", "c"]}
    client.post(check_url(lesson, exercise), data, headers=HTMX)
    attempt = ExerciseAttempt.objects.get()
    assert attempt.results == {"case-1": 1.0, "case-2": 0.5, "case-3": 0.0}
    assert attempt.answers["case-1"] == ["a", "b"]


def test_without_javascript_the_lesson_returns_with_the_result(client, setup):
    lesson, exercise = setup
    response = client.post(check_url(lesson, exercise), all_answers(exercise))
    assert response.status_code == 200 and "<title>" in response.content.decode()
    assert 'data-outcome="correct"' in response.content.decode()


def test_incomplete_submission_is_400_keeps_picks_and_records_nothing(client, setup):
    lesson, exercise = setup
    data = all_answers(exercise)
    del data["case-case-3"]
    response = client.post(check_url(lesson, exercise), data, headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 400
    assert "Still open: Case 3" in html
    assert html.count("checked") == 2
    # Only the unanswered case is marked, and focus goes to its first option.
    assert html.count("card--open") == 1
    assert 'id="exercise-sort-case-3-open"' in html
    assert re.search(r'name="case-case-3" value="[a-z0-9-]+" data-focus-first', html)
    assert ExerciseAttempt.objects.count() == 0


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"case-case-1": "zzz", "case-case-2": "a", "case-case-3": "a"},
        {"case-case-1": ["a", "b"], "case-case-2": "a", "case-case-3": "a"},
        {"case-not-here": "a", "case-case-1": "a", "case-case-2": "a", "case-case-3": "a"},
        {"case-case-1": ["a", "a"], "case-case-2": "a", "case-case-3": "a"},
    ],
)
def test_tampered_or_malformed_input_is_400_and_records_nothing(client, setup, data):
    lesson, exercise = setup
    for headers in (HTMX, {}):
        assert client.post(check_url(lesson, exercise), data, headers=headers).status_code == 400
    assert ExerciseAttempt.objects.count() == 0


def test_exercise_not_in_the_lesson_is_404(client, setup):
    lesson, _ = setup
    stray = make_exercise("elsewhere", taxonomy_slug="other")
    assert client.post(check_url(lesson, stray), all_answers(stray)).status_code == 404


def test_csrf_is_enforced(setup):
    lesson, exercise = setup
    response = Client(enforce_csrf_checks=True).post(check_url(lesson, exercise), all_answers(exercise))
    assert response.status_code == 403 and ExerciseAttempt.objects.count() == 0


def test_the_form_gives_no_clue_before_checking(client, setup):
    lesson, exercise = setup
    before = client.get(lesson.get_absolute_url()).content.decode()
    for text in ("Explanation 1.", "Why not", "Scenario 1."):
        assert (text in before) == (text == "Scenario 1.")
    Case.objects.update(answers=["b"], also_accept=[])
    after = client.get(lesson.get_absolute_url()).content.decode()
    csrf = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
    assert csrf.sub("", before) == csrf.sub("", after)


def test_retry_reshuffles_the_cards(client):
    exercise = make_exercise("many", cases=8)
    lesson = make_lesson(source="[exercise: many]\n")
    orders = set()
    for _ in range(5):
        client.post(check_url(lesson, exercise), all_answers(exercise), headers=HTMX)
        form = client.get(check_url(lesson, exercise), headers=HTMX).content.decode()
        assert "Check</button>" in form
        orders.add(tuple(re.findall(r'name="case-([a-z0-9-]+)" value="a"', form)))
    assert len(orders) > 1


def test_explorer_hides_cases_until_the_exercise_is_checked(client, setup):
    lesson, exercise = setup
    url = reverse("lessons:taxonomy_detail", args=[exercise.taxonomy.slug])
    html = client.get(url).content.decode()
    assert "Kind A" in html and "Scenario 1." not in html and "Exercise sort</a> (3 cases)" in html
    assert f'href="{lesson.get_absolute_url()}#exercise-sort"' in html
    client.post(check_url(lesson, exercise), all_answers(exercise), headers=HTMX)
    html = client.get(url).content.decode()
    assert "Scenario 1." in html and "Explanation 3." in html and "Exercise sort</a> (3 cases)" not in html


def test_explorer_is_per_learner(client, setup):
    lesson, exercise = setup
    client.post(check_url(lesson, exercise), all_answers(exercise), headers=HTMX)
    other = Client()
    other.force_login(make_user("someone"))
    url = reverse("lessons:taxonomy_detail", args=[exercise.taxonomy.slug])
    assert "Scenario 1." not in other.get(url).content.decode()


def test_unknown_taxonomy_is_404(client):
    assert client.get("/taxonomies/nope/").status_code == 404


def test_exercise_page_queries_stay_constant(client, django_assert_max_num_queries):
    for slug in ("e1", "e2", "e3"):
        make_exercise(slug, cases=12, taxonomy_slug=f"t-{slug}")
    lesson = make_lesson(source="[exercise: e1]\n\n[exercise: e2]\n\n[exercise: e3]\n")
    info = "lesson, siblings, exercises+taxonomy+categories+cases, attempts, progress upsert, new guest session"
    info += ", header's due count"
    with django_assert_max_num_queries(15, info=info):
        response = client.get(lesson.get_absolute_url())
    assert response.content.decode().count('class="card"') == 36


def test_real_exercises_have_forty_distinct_documented_cases(course):
    from lessons.models import Exercise

    assert Exercise.objects.count() >= 5
    titles = {c.source_url for c in Case.objects.all()}
    assert len(titles) >= 25  # distinct sources
    assert Case.objects.values("title").distinct().count() >= 40
    assert all(c.source_url.startswith("https://") for c in Case.objects.all())
