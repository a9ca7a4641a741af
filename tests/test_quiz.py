"""Answering quiz questions: htmx and plain posts, bad input, integrity, queries."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from lessons.forms import choice_token
from lessons.models import Answer, Choice, Question

from .factories import make_lesson_with_quiz, make_quiz, make_user
from .htmx import HTMX, assert_fragment

pytestmark = pytest.mark.django_db


def answer_url(lesson, question):
    return reverse("lessons:question_answer", args=[lesson.part.slug, lesson.slug, question.pk])


def token(question, *, correct=True):
    choice = question.choices.filter(correct=correct).first()
    return choice_token(choice.pk)


@pytest.fixture
def setup(db):
    lesson, quiz = make_lesson_with_quiz()
    return lesson, quiz, quiz.questions.first()


def test_htmx_right_answer_returns_the_fragment_and_records_it(client, setup):
    lesson, quiz, question = setup
    response = client.post(answer_url(lesson, question), {"choice": token(question)}, headers=HTMX)
    html = assert_fragment(response, f"question-{question.pk}")
    assert 'data-outcome="correct"' in html
    assert "Feedback 1.1" in html and "Because 1." in html
    assert response["HX-Trigger"] and "quiz-changed" in response["HX-Trigger"]
    answer = Answer.objects.get()
    assert answer.score == 1.0 and answer.question == question and answer.session_key


def test_wrong_answer_shows_its_feedback_and_a_link_to_retry(client, setup):
    lesson, quiz, question = setup
    response = client.post(answer_url(lesson, question), {"choice": token(question, correct=False)}, headers=HTMX)
    html = response.content.decode()
    assert 'data-outcome="incorrect"' in html
    assert "Not quite." in html and "Try again" in html
    assert Answer.objects.get().score == 0.0


def test_multiple_select_gives_partial_credit(client):
    lesson, quiz = make_lesson_with_quiz(kind="multiple")
    question = quiz.questions.first()
    right = question.choices.filter(correct=True).first()
    response = client.post(answer_url(lesson, question), {"choice": [choice_token(right.pk)]}, headers=HTMX)
    assert 'data-outcome="partial"' in response.content.decode()
    assert Answer.objects.get().score == 0.5


def test_without_javascript_the_full_lesson_returns_with_the_result(client, setup):
    lesson, quiz, question = setup
    response = client.post(answer_url(lesson, question), {"choice": token(question)})
    html = response.content.decode()
    assert response.status_code == 200
    assert "<title>" in html and 'data-outcome="correct"' in html
    assert html.count("data-outcome=") == 1  # only the answered question shows a result


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Choose an answer before checking."),
        ({"choice": "not-a-token"}, "doesn&#x27;t match this question"),
        ({"choice": "1"}, "doesn&#x27;t match this question"),
        ({"choice": ["", ""]}, "doesn&#x27;t match this question"),
    ],
)
def test_bad_submissions_get_400_and_record_nothing(client, setup, data, message):
    lesson, quiz, question = setup
    for headers in (HTMX, {}):
        response = client.post(answer_url(lesson, question), data, headers=headers)
        assert response.status_code == 400
        assert message in response.content.decode()
    assert Answer.objects.count() == 0


def test_two_picks_for_a_single_choice_question_is_400(client, setup):
    lesson, quiz, question = setup
    tokens = [choice_token(c.pk) for c in question.choices.all()[:2]]
    response = client.post(answer_url(lesson, question), {"choice": tokens}, headers=HTMX)
    assert response.status_code == 400 and "exactly one" in response.content.decode()
    assert Answer.objects.count() == 0


def test_a_choice_of_another_question_is_400(client, setup):
    lesson, quiz, question = setup
    other = quiz.questions.last()
    response = client.post(answer_url(lesson, question), {"choice": token(other)}, headers=HTMX)
    assert response.status_code == 400
    assert Answer.objects.count() == 0


def test_a_question_not_embedded_in_the_lesson_is_404(client, setup):
    lesson, quiz, question = setup
    stray = make_quiz("elsewhere").questions.first()
    response = client.post(answer_url(lesson, stray), {"choice": token(stray)})
    assert response.status_code == 404
    assert Answer.objects.count() == 0


def test_csrf_is_enforced(setup):
    lesson, quiz, question = setup
    client = Client(enforce_csrf_checks=True)
    response = client.post(answer_url(lesson, question), {"choice": token(question)}, headers=HTMX)
    assert response.status_code == 403
    assert Answer.objects.count() == 0


def test_signed_in_answers_belong_to_the_user(client, setup):
    lesson, quiz, question = setup
    user = make_user()
    client.force_login(user)
    client.post(answer_url(lesson, question), {"choice": token(question)}, headers=HTMX)
    answer = Answer.objects.get()
    assert answer.user == user and answer.session_key == ""


def test_page_before_answering_gives_no_clue_which_choice_is_right(client, setup):
    lesson, quiz, question = setup
    before = client.get(lesson.get_absolute_url()).content.decode()
    # Make a different choice the right one: the page must not change at all.
    Choice.objects.filter(question__quiz=quiz).update(correct=False)
    for q in Question.objects.filter(quiz=quiz):
        Choice.objects.filter(pk=q.choices.last().pk).update(correct=True)
    after = client.get(lesson.get_absolute_url()).content.decode()
    csrf = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
    assert csrf.sub("", before) == csrf.sub("", after)
    assert "Feedback" not in before and "Because 1." not in before


def test_choice_values_are_opaque_tokens_not_ids(client, setup):
    lesson, quiz, question = setup
    html = client.get(lesson.get_absolute_url()).content.decode()
    values = re.findall(r'name="choice" value="([^"]+)"', html)
    ids = {str(pk) for pk in Choice.objects.values_list("pk", flat=True)}
    assert values and not ids & set(values)
    assert all(re.fullmatch(r"[0-9a-f]{20}", v) for v in values)


def test_retry_gives_a_fresh_form_and_reshuffles(client, setup):
    lesson, quiz, question = setup
    orders = set()
    for _ in range(6):
        client.post(answer_url(lesson, question), {"choice": token(question, correct=False)}, headers=HTMX)
        form = client.get(answer_url(lesson, question), headers=HTMX).content.decode()
        assert "data-outcome" not in form and "Check answer" in form
        orders.add(tuple(re.findall(r'value="([0-9a-f]{20})"', form)))
    assert len(orders) > 1
    assert Answer.objects.count() == 6


def test_best_and_latest_scores_are_shown(client, setup):
    lesson, quiz, question = setup
    client.post(answer_url(lesson, question), {"choice": token(question)}, headers=HTMX)
    client.post(answer_url(lesson, question), {"choice": token(question, correct=False)}, headers=HTMX)
    summary_url = reverse("lessons:quiz_summary", args=[lesson.part.slug, lesson.slug, quiz.slug])
    html = assert_fragment(client.get(summary_url, headers=HTMX), f"quiz-{quiz.slug}-summary")
    assert "answered 1 of 2" in html and "latest 0%, best 50%" in html


def test_plain_get_of_the_answer_url_redirects_to_the_question(client, setup):
    lesson, quiz, question = setup
    response = client.get(answer_url(lesson, question))
    assert response.status_code == 302 and response["Location"].endswith(f"#question-{question.pk}")


def test_lesson_with_quizzes_has_constant_queries(client, django_assert_max_num_queries):
    from .factories import make_lesson

    for slug in ("one", "two", "three"):
        make_quiz(slug, questions=8)
    lesson = make_lesson(source="Intro\n\n[quiz: one]\n\n[quiz: two]\n\n[quiz: three]\n")
    client.get(lesson.get_absolute_url())
    for question in Question.objects.all():
        client.post(answer_url(lesson, question), {"choice": token(question)}, headers=HTMX)
    info = "session, lesson, siblings, quizzes, questions, choices, answers, progress update+read, progress panel"
    with django_assert_max_num_queries(12, info=info):
        response = client.get(lesson.get_absolute_url())
    assert response.content.decode().count("Check answer") == 24


@pytest.mark.parametrize("questions", [3, 12])
def test_an_answer_runs_a_fixed_number_of_queries(client, django_assert_max_num_queries, questions):
    lesson, quiz = make_lesson_with_quiz(questions=questions)
    client.force_login(make_user())
    client.get(lesson.get_absolute_url())
    posts = [(answer_url(lesson, question), {"choice": token(question)}) for question in quiz.questions.all()]
    for url, data in posts[:-1]:
        client.post(url, data, headers=HTMX)
    # Session, user, lesson, quiz state (4), quiz lock, the answer and its pick, daily
    # scores, the learner's quiz answers, first-attempt sums (3), choice sums (2), check
    # status, learner summary, and the test's savepoint pair; the review card (read, create
    # in a savepoint, update) and its log line (6).
    with django_assert_max_num_queries(27, info="one answer must not grow with the quiz's questions"):
        response = client.post(*posts[-1], headers=HTMX)
    assert response.status_code == 200
    assert Answer.objects.filter(score=1.0).count() == questions


def test_a_post_with_a_stale_csrf_token_gets_the_sites_page_and_records_nothing(setup):
    lesson, quiz, question = setup
    client = Client(enforce_csrf_checks=True)
    client.get(lesson.get_absolute_url())
    page_url = "http://testserver" + lesson.get_absolute_url()
    data = {"choice": token(question), "csrfmiddlewaretoken": "x" * 64}
    response = client.post(answer_url(lesson, question), data, HTTP_REFERER=page_url)
    html = response.content.decode()
    assert response.status_code == 403
    assert response["X-Refused"] == "csrf"
    assert "Your session changed" in html and 'class="site-header"' in html
    assert f'href="{page_url}"' in html
    assert Answer.objects.count() == 0


def test_the_csrf_page_links_back_only_to_this_site(setup):
    lesson, quiz, question = setup
    client = Client(enforce_csrf_checks=True)
    response = client.post(answer_url(lesson, question), {"choice": token(question)}, HTTP_REFERER="https://evil.test/")
    assert response.status_code == 403
    assert "evil.test" not in response.content.decode()
