"""Spaced review: cards per item, rescheduling, the review session, guests, calibration,
mastery, retention, bad input, concurrency and query ceilings."""

import datetime as dt
import re
import threading

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from lessons.actions import check_exercise, record_answer
from lessons.forms import choice_token
from lessons.learners import Learner
from lessons.models import Answer, Exercise, ExerciseAttempt, Question, ReviewCard, ReviewLog

from .factories import PASSWORD, make_exercise, make_lesson, make_quiz, make_user

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def lesson(db):
    make_quiz("check", questions=2)
    make_exercise("sort", cases=3)
    return make_lesson(source="## Intro\n\nText.\n\n[quiz: check]\n\n[exercise: sort]\n")


def check_url(lesson, slug="sort"):
    return reverse("lessons:exercise_check", args=[lesson.part.slug, lesson.slug, slug])


def answer_url(lesson, question):
    return reverse("lessons:question_answer", args=[lesson.part.slug, lesson.slug, question.pk])


def right(question):
    return choice_token(question.choices.get(correct=True).pk)


def wrong(question):
    return choice_token(question.choices.filter(correct=False).first().pk)


def miss_case_2(client, lesson):
    data = {"case-case-1": "a", "case-case-2": "b", "case-case-3": "a"}
    return client.post(check_url(lesson), data, headers=HTMX)


def learner_for(user):
    return Learner(user.pk, "")


def state_snapshot():
    return (
        Answer.objects.count(),
        ExerciseAttempt.objects.count(),
        ReviewLog.objects.count(),
        list(ReviewCard.objects.order_by("id").values_list("due", "reviews", "stability")),
    )


# -- cards ----------------------------------------------------------------------------


def test_a_missed_case_becomes_a_card_for_that_case_alone(client, lesson):
    user = make_user()
    client.force_login(user)
    assert miss_case_2(client, lesson).status_code == 200
    cards = ReviewCard.objects.filter(user=user)
    assert sorted(cards.values_list("case__slug", flat=True)) == ["case-1", "case-2", "case-3"]
    assert not cards.filter(question__isnull=False).exists()
    due = ReviewCard.objects.for_learner(learner_for(user)).due_by(timezone.now() + dt.timedelta(minutes=20))
    assert list(due.values_list("case__slug", flat=True)) == ["case-2"]
    # The review page offers that one case, not the exercise's twelve (here three).
    html = client.get(reverse("lessons:review_session")).content.decode()
    assert "Case 2" in html and "Scenario 2." in html
    assert "Scenario 1." not in html and "Scenario 3." not in html
    assert 'name="case-case-2"' in html and 'name="case-case-1"' not in html


def test_each_answer_rates_the_card_in_the_same_write(lesson):
    user = make_user()
    question = Question.objects.first()
    answer = record_answer(learner_for(user), question, [question.choices.get(correct=True)], now=T0)
    card = ReviewCard.objects.get(user=user, question=question)
    log = ReviewLog.objects.get(card=card)
    assert log.answer == answer and log.score == 1.0 and log.rating == 3 and log.days_since_previous is None
    assert card.reviews == 1 and card.state == ReviewCard.State.REVIEW and card.last_review == T0
    assert card.due - T0 >= dt.timedelta(days=1)


def test_a_right_review_moves_the_due_date_forward_and_a_wrong_one_brings_it_back(lesson):
    user = make_user()
    learner = learner_for(user)
    question = Question.objects.first()
    good, bad = question.choices.get(correct=True), question.choices.filter(correct=False).first()
    record_answer(learner, question, [bad], now=T0)
    card = ReviewCard.objects.get()
    assert card.due == T0 + dt.timedelta(minutes=1)
    later = T0 + dt.timedelta(minutes=30)
    record_answer(learner, question, [good], now=later)
    card.refresh_from_db()
    assert card.due - later >= dt.timedelta(days=1)
    review_day = card.due
    record_answer(learner, question, [bad], now=review_day)
    card.refresh_from_db()
    assert card.due == review_day + dt.timedelta(minutes=1)
    assert ReviewCard.objects.count() == 1 and card.reviews == 3
    assert list(ReviewLog.objects.values_list("rating", flat=True)) == [1, 3, 1]


def test_sure_and_right_schedules_further_out_than_right(lesson):
    first, second = Question.objects.all()[:2]
    user = make_user()
    record_answer(learner_for(user), first, [first.choices.get(correct=True)], confidence="sure", now=T0)
    record_answer(learner_for(user), second, [second.choices.get(correct=True)], confidence="guess", now=T0)
    sure, guess = (ReviewCard.objects.get(question=q) for q in (first, second))
    assert sure.due > guess.due
    assert ReviewLog.objects.get(card=sure).rating == 4


def test_checking_an_exercise_rates_each_case_with_its_confidence(lesson):
    user = make_user()
    exercise = Exercise.objects.get(slug="sort")
    cases = list(exercise.cases.all())
    picks = {"case-1": ["a"], "case-2": ["b"], "case-3": ["a"]}
    check_exercise(learner_for(user), exercise, cases, picks, confidences={"case-1": "sure", "case-2": "sure"}, now=T0)
    logs = {log.card.case.slug: log for log in ReviewLog.objects.select_related("card__case")}
    assert {slug: (log.rating, log.confidence) for slug, log in logs.items()} == {
        "case-1": (4, "sure"),
        "case-2": (1, "sure"),
        "case-3": (3, ""),
    }


# -- the review session -----------------------------------------------------------------


def test_header_shows_the_due_count_and_the_dashboard_links_to_review(client, lesson):
    user = make_user()
    client.force_login(user)
    html = client.get(reverse("lessons:dashboard")).content.decode()
    assert "due</span>" not in html
    miss_case_2(client, lesson)
    html = client.get(reverse("lessons:outline")).content.decode()
    header = html.split("</header>")[0]
    assert 'Review <span class="badge">1 due</span>' in header
    dashboard = client.get(reverse("lessons:dashboard")).content.decode()
    assert "Review now: 1 due" in dashboard and reverse("lessons:review_session") in dashboard


def test_reviewing_a_case_right_reschedules_it_and_ends_the_session(client, lesson):
    user = make_user()
    client.force_login(user)
    miss_case_2(client, lesson)
    card = ReviewCard.objects.get(user=user, case__slug="case-2")
    url = reverse("lessons:review_case", args=[card.case_id])
    html = client.get(reverse("lessons:review_session")).content.decode()
    assert f'action="{url}#review-item"' in html and f'hx-post="{url}"' in html
    assert 'name="confidence-case-2"' in html
    assert f"{lesson.get_absolute_url()}#exercise-sort" in html  # where it is taught
    response = client.post(url, {"case-case-2": "a", "confidence-case-2": "think"}, headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 200 and 'id="review-item"' in html and "<title>" not in html
    assert 'data-outcome="correct"' in html and "Explanation 2." in html and "Next due item" in html
    card.refresh_from_db()
    assert card.due - timezone.now() > dt.timedelta(hours=23) and card.reviews == 2
    # Recorded like any other check, with the other cases' latest picks carried over.
    attempt = ExerciseAttempt.objects.filter(user=user).first()
    assert attempt.answers == {"case-1": ["a"], "case-2": ["a"], "case-3": ["a"]} and attempt.score == 1.0
    assert attempt.picks.count() == 1  # only the reviewed case counts in the confusion matrix
    assert ReviewLog.objects.filter(attempt=attempt).count() == 1
    end = client.get(reverse("lessons:review_session")).content.decode()
    assert "Nothing due until" in end and "due</span>" not in end.split("</header>")[0]


def test_reviewing_a_question_wrong_brings_it_back_at_once(client, lesson):
    user = make_user()
    client.force_login(user)
    question = Question.objects.first()
    client.post(answer_url(lesson, question), {"choice": wrong(question)}, headers=HTMX)
    page = client.get(reverse("lessons:review_session")).content.decode()
    url = reverse("lessons:review_question", args=[question.pk])
    assert f'hx-post="{url}"' in page and "Prompt 1?" in page
    response = client.post(url, {"choice": wrong(question), "confidence": "sure"}, headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 200 and f'id="question-{question.pk}"' in html and "<title>" not in html
    assert 'data-outcome="incorrect"' in html and "Because 1." in html and "Next due item" in html
    card = ReviewCard.objects.get(user=user, question=question)
    assert card.due <= timezone.now() + dt.timedelta(minutes=1) and card.reviews == 2
    assert Answer.objects.filter(user=user, question=question).count() == 2
    assert ReviewLog.objects.filter(card=card).latest("id").confidence == "sure"


def test_review_works_without_javascript(client, lesson):
    user = make_user()
    client.force_login(user)
    question = Question.objects.first()
    client.post(answer_url(lesson, question), {"choice": wrong(question)})
    response = client.post(reverse("lessons:review_question", args=[question.pk]), {"choice": right(question)})
    html = response.content.decode()
    assert response.status_code == 200 and "<title>Review" in html and 'data-outcome="correct"' in html


def test_guests_review_too_and_their_cards_survive_sign_up(client, lesson):
    miss_case_2(client, lesson)
    guest_cards = ReviewCard.objects.filter(user__isnull=True)
    assert guest_cards.count() == 3 and guest_cards.exclude(session_key="").count() == 3
    assert "1 due" in client.get(reverse("lessons:review_session")).content.decode()
    data = {"username": "newbie", "email": "", "password1": PASSWORD, "password2": PASSWORD}
    assert client.post(reverse("signup"), data).status_code == 302
    user = ReviewCard.objects.first().user
    assert user.username == "newbie"
    assert ReviewCard.objects.filter(user=user, session_key="").count() == 3
    assert ReviewLog.objects.filter(card__user=user).count() == 3
    assert "1 due" in client.get(reverse("lessons:outline")).content.decode()


def test_log_in_merges_guest_and_account_cards_for_one_item_into_one(lesson):
    user = make_user()
    question = Question.objects.first()
    good = question.choices.get(correct=True)
    record_answer(learner_for(user), question, [good], now=T0)
    client = Client()
    lesson_url = lesson.get_absolute_url()
    client.get(lesson_url)
    client.post(answer_url(lesson, question), {"choice": wrong(question)}, headers=HTMX)  # later than T0
    assert ReviewCard.objects.count() == 2
    client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    card = ReviewCard.objects.get()
    assert card.user == user and card.reviews == 2 and ReviewLog.objects.filter(card=card).count() == 2
    assert card.due < T0 + dt.timedelta(days=365) and card.last_review > T0  # the newer memory state is kept


# -- bad input --------------------------------------------------------------------------


def test_unknown_item_is_400_and_writes_nothing(client, lesson):
    user = make_user()
    client.force_login(user)
    question = Question.objects.first()  # never answered: no card
    before = state_snapshot()
    response = client.post(reverse("lessons:review_question", args=[question.pk]), {"choice": right(question)})
    assert response.status_code == 400 and "in your review" in response.content.decode()
    response = client.post(reverse("lessons:review_case", args=[999999]), {"case-case-1": "a"}, headers=HTMX)
    assert response.status_code == 400
    assert state_snapshot() == before


def test_tampered_token_and_bad_confidence_are_400_and_write_nothing(client, lesson):
    user = make_user()
    client.force_login(user)
    question = Question.objects.first()
    client.post(answer_url(lesson, question), {"choice": wrong(question)}, headers=HTMX)
    miss_case_2(client, lesson)
    before = state_snapshot()
    review_q = reverse("lessons:review_question", args=[question.pk])
    case_id = ReviewCard.objects.get(case__slug="case-2").case_id
    review_c = reverse("lessons:review_case", args=[case_id])
    bad = [
        (review_q, {"choice": "0" * 20}),
        (review_q, {"choice": right(question), "confidence": "certain"}),
        (review_q, {"choice": right(question), "confidence": ["sure", "guess"]}),
        (review_c, {"case-case-2": "zzz"}),
        (review_c, {"case-case-2": "a", "confidence-case-2": "100%"}),
        (review_c, {"case-case-2": "a", "confidence-case-9": "sure"}),
        (review_c, {"case-case-1": "a"}),
        (answer_url(lesson, question), {"choice": right(question), "confidence": "certain"}),
        (check_url(lesson), {"case-case-1": "a", "case-case-2": "a", "case-case-3": "a", "confidence-case-1": "x"}),
    ]
    for url, data in bad:
        response = client.post(url, data, headers=HTMX)
        assert response.status_code == 400, (url, data)
    assert state_snapshot() == before


def test_a_get_writes_nothing(client, lesson):
    user = make_user()
    client.force_login(user)
    miss_case_2(client, lesson)
    before = state_snapshot()
    client.get(reverse("lessons:review_session"))
    client.get(reverse("lessons:dashboard"))
    assert state_snapshot() == before


def test_review_endpoints_refuse_get_and_need_csrf(lesson):
    user = make_user()
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    question = Question.objects.first()
    record_answer(learner_for(user), question, [question.choices.get(correct=False, order=2)])
    url = reverse("lessons:review_question", args=[question.pk])
    assert client.get(url).status_code == 405
    assert client.post(url, {"choice": right(question)}).status_code == 403
    assert Answer.objects.count() == 1


# -- concurrency ------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_tabs_answering_at_once_leave_one_card():
    make_quiz("check", questions=1)
    user = make_user()
    question = Question.objects.get()
    choice = question.choices.get(correct=True)
    barrier = threading.Barrier(4, timeout=30)
    errors = []

    def answer():
        try:
            barrier.wait()
            record_answer(learner_for(user), question, [choice])
        except Exception as exc:  # collected and asserted below, in the main thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=answer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    card = ReviewCard.objects.get()
    assert card.reviews == 4 and ReviewLog.objects.filter(card=card).count() == 4


# -- dashboard: calibration and mastery ---------------------------------------------------


def test_calibration_figures_from_a_known_set_of_answers(client, lesson):
    user = make_user()
    learner = learner_for(user)
    question = Question.objects.first()
    good, bad = question.choices.get(correct=True), question.choices.filter(correct=False).first()
    for picked, confidence in (
        [(good, "sure")] * 16 + [(bad, "sure")] * 9 + [(good, "guess"), (bad, "guess")] + [(bad, "")] * 5
    ):
        record_answer(learner, question, [picked], confidence=confidence, now=T0)
    client.force_login(user)
    html = client.get(reverse("lessons:dashboard")).content.decode()
    assert "When you are sure, you are right 64% of the time; when you are guessing, you are right 50%" in html
    assert 'class="calibration__chart"' in html and "<desc" in html
    rows = re.findall(r"<tr><th scope=\"row\">(.*?)</th><td>(\d+)</td><td>(\d+)</td><td>(.*?)</td></tr>", html)
    assert ("Sure", "25", "16", "64%") in rows and ("Guessing", "2", "1", "50%") in rows
    assert ("Think so", "0", "0", "–") in rows


def test_mastery_counts_items_whose_stability_passes_the_threshold(client, lesson):
    user = make_user()
    client.force_login(user)
    question = Question.objects.first()
    record_answer(learner_for(user), question, [question.choices.get(correct=True)], now=T0)
    ReviewCard.objects.filter(question=question).update(stability=30)
    ex = Exercise.objects.get(slug="sort")
    check_exercise(learner_for(user), ex, list(ex.cases.all()), {f"case-{n}": ["a"] for n in (1, 2, 3)}, now=T0)
    ReviewCard.objects.filter(case__slug="case-1").update(stability=21)
    html = client.get(reverse("lessons:dashboard")).content.decode()
    # Part 1 holds 2 questions and 3 cases: 2 of the 5 are mastered.
    assert "2 of 5 items mastered (40%)" in html
    # Category a: all three cases, one mastered; category c only accepts case 1 (not an answer).
    assert "Kinds: Kind A" in html and "1 of 3 cases mastered (33%)" in html
    # Courses have dozens of categories: their bars are folded under the heading.
    start = html.index('<details class="mastery-categories">')
    folded = html[start : html.index("</details>", start)]
    assert "Show all" in folded and "1 of 3 cases mastered (33%)" in folded


# -- instructors' statistics ------------------------------------------------------------


def test_retention_counts_reviews_a_day_or_more_apart(lesson):
    from lessons.review import retention_by_question

    question = Question.objects.first()
    good, bad = question.choices.get(correct=True), question.choices.filter(correct=False).first()
    for n, later in enumerate([(good, 2), (bad, 3)]):
        learner = learner_for(make_user(f"l{n}"))
        record_answer(learner, question, [good], now=T0)
        record_answer(learner, question, [good], now=T0 + dt.timedelta(hours=1))  # same day: not counted
        record_answer(learner, question, [later[0]], now=T0 + dt.timedelta(days=later[1]))
    assert retention_by_question(question.quiz) == {question.pk: (2, 1)}


def test_item_analysis_shows_retention_per_question(client, lesson):
    question = Question.objects.first()
    learner = learner_for(make_user())
    record_answer(learner, question, [question.choices.get(correct=True)], now=T0)
    record_answer(learner, question, [question.choices.get(correct=True)], now=T0 + dt.timedelta(days=3))
    client.force_login(make_user("boss", staff=True))
    html = client.get(reverse("lessons:report_quiz", args=[question.quiz.slug])).content.decode()
    assert "Retention" in html and "<strong>100% of 1</strong> recalled" in html
    # An instructor sees no retention drawn from so few reviews: it would point to one learner.
    client.force_login(make_user("teacher", instructor=True))
    html = client.get(reverse("lessons:report_quiz", args=[question.quiz.slug])).content.decode()
    assert "100% of 1" not in html


# -- query ceilings ---------------------------------------------------------------------


def _many_questions(n):
    quiz = make_quiz("many", questions=1)
    first = Question.objects.get(quiz=quiz)
    rest = Question.objects.bulk_create(
        Question(quiz=quiz, key=f"m{i}", order=i + 2, prompt="P", prompt_html="<p>P</p>", explanation="E")
        for i in range(n - 1)
    )
    return [first, *rest]


def _cards(user, questions):
    past = timezone.now() - dt.timedelta(days=1)
    ReviewCard.objects.bulk_create(
        ReviewCard(user=user, question=q, due=past + dt.timedelta(seconds=i), state=2, stability=3, reviews=1)
        for i, q in enumerate(questions)
    )


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("name", ["lessons:review_session", "lessons:dashboard", "lessons:outline"])
def test_queries_do_not_grow_with_the_number_of_cards(client, lesson, name):
    small, large = make_user("small"), make_user("large")
    questions = _many_questions(5000)
    _cards(small, questions[:1])
    _cards(large, questions)
    first = questions[0]
    assert ReviewCard.objects.filter(user=large).count() == 5000
    client.force_login(small)
    _queries(client, reverse(name))  # warms the content cache (course structure), the same for both
    few = _queries(client, reverse(name))
    client.force_login(large)
    many = _queries(client, reverse(name))
    assert many == few, f"{name}: {few} queries with 1 card, {many} with 5,000"
    if name == "lessons:review_session":
        assert many <= 12, "next due item, its choices, teaching links, due count, header"
        html = client.get(reverse(name)).content.decode()
        assert f"review/questions/{first.pk}/" in html and "5000 due" in html


def test_header_adds_no_query_for_a_guest_without_a_session(lesson):
    client = Client()
    with CaptureQueriesContext(connection) as ctx:
        client.get(reverse("lessons:about"))
    assert not [q for q in ctx.captured_queries if "reviewcard" in q["sql"].lower()]


def test_confusion_matrix_page_shows_retention_per_case(client, lesson):
    exercise = Exercise.objects.get(slug="sort")
    learner = learner_for(make_user())
    cases = list(exercise.cases.all())
    picks = {"case-1": ["a"], "case-2": ["b"], "case-3": ["a"]}
    check_exercise(learner, exercise, cases, picks, now=T0)
    check_exercise(learner, exercise, cases, {**picks, "case-2": ["a"]}, now=T0 + dt.timedelta(days=2))
    client.force_login(make_user("boss", staff=True))
    html = client.get(reverse("lessons:report_taxonomy", args=["kinds"])).content.decode()
    assert "Retention per case" in html
    assert '<th scope="row">Case 2</th><td>Exercise sort</td><td>1</td><td>100%</td>' in html
    # Instructors get no figures drawn from a single learner.
    client.force_login(make_user("teacher", instructor=True))
    html = client.get(reverse("lessons:report_taxonomy", args=["kinds"])).content.decode()
    assert "<td>100%</td>" not in html


def test_data_download_includes_review_cards(client, lesson):
    import json

    user = make_user()
    client.force_login(user)
    question = Question.objects.first()
    client.post(answer_url(lesson, question), {"choice": wrong(question), "confidence": "guess"}, headers=HTMX)
    data = json.loads(client.get(reverse("lessons:export_json")).content)
    [card] = data["review_cards"]
    assert card["item"] == "check q1" and card["reviews"][0]["confidence"] == "guess"
    assert card["reviews"][0]["rating"] == 1
    csv = b"".join(client.get(reverse("lessons:export_csv")).streaming_content).decode()
    assert "review card,check q1," in csv
