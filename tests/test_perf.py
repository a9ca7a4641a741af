"""Reads that never write, constant query counts, the shared cache, and no hot rows."""

import gzip
import uuid
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.db.models import Sum
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from lessons import page_cache
from lessons.actions import VISIT_REFRESH, record_answer, save_lesson
from lessons.forms import choice_token
from lessons.learners import Learner
from lessons.models import (
    Answer,
    ContentVersion,
    DailyScores,
    LearnerSummary,
    Lesson,
    LessonProgress,
    PartSummary,
    Quiz,
    Taxonomy,
)
from lessons.models.summaries import DAILY_SHARDS, daily_shard

from .factories import make_exercise, make_lesson, make_lesson_with_quiz, make_part, make_quiz, make_user

HTMX = {"HX-Request": "true"}

pytestmark = pytest.mark.django_db


def test_daily_shard_spreads_consecutive_rows_and_is_stable():
    assert [daily_shard(n) for n in range(1, 4)] == [1, 2, 3]
    assert daily_shard(DAILY_SHARDS + 5) == daily_shard(5)


def test_answers_of_one_day_spread_over_rows_and_sum_to_the_day():
    """No single per-day row that every answer must update: a day's figures are its shards' sum."""
    _, quiz = make_lesson_with_quiz(questions=3)
    users = [make_user(f"u{i}") for i in range(2)]
    for user in users:
        for question in quiz.questions.all():
            record_answer(Learner(user.pk, ""), question, [question.choices.get(correct=True)])
    assert DailyScores.objects.count() == 6  # six answers, six different rows
    totals = DailyScores.objects.aggregate(n=Sum("answers"), total=Sum("answer_score_sum"))
    assert totals == {"n": 6, "total": 6.0}


# -- reads never write ---------------------------------------------------------------------

WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


def writes(queries) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if q["sql"].lstrip().upper().startswith(WRITES)]


def heaviest_lesson():
    lessons = Lesson.objects.published().select_related("part")
    return max(lessons, key=lambda lesson: (len(lesson.checks), sum(len(b.get("html", "")) for b in lesson.blocks)))


def answer_url(lesson, question):
    return reverse("lessons:question_answer", args=[lesson.part.slug, lesson.slug, question.pk])


def answer(client, lesson, question, *, correct):
    choice = question.choices.filter(correct=correct).first()
    return client.post(answer_url(lesson, question), {"choice": choice_token(choice.pk)}, headers=HTMX)


def first_question(lesson):
    return Quiz.objects.get(slug=lesson.embedded("quiz")[0]).questions.active().first()


def learner_client(username):
    client = Client()
    client.force_login(make_user(username))
    return client


def test_a_cookieless_guest_reading_every_learner_page_writes_nothing(client, course):
    lesson = heaviest_lesson()
    taxonomy = Taxonomy.objects.first()
    pages = [
        "/",
        lesson.part.get_absolute_url(),
        lesson.get_absolute_url(),
        "/taxonomies/",
        taxonomy.get_absolute_url(),
    ]
    for url in pages:
        with CaptureQueriesContext(connection) as queries:
            response = Client().get(url)
        assert response.status_code == 200, url
        assert writes(queries) == [], url
        assert settings.SESSION_COOKIE_NAME not in response.cookies, url
    assert not Session.objects.exists() and not LessonProgress.objects.exists()


def test_a_guest_gets_a_key_and_session_with_their_first_answer_and_reading_still_writes_nothing(client, course):
    lesson = heaviest_lesson()
    client.get(lesson.get_absolute_url())
    assert not Session.objects.exists()
    assert answer(client, lesson, first_question(lesson), correct=True).status_code == 200
    assert Session.objects.count() == 1 and Answer.objects.filter(user__isnull=True).count() == 1
    progress = LessonProgress.objects.get()  # the first answer records the visit
    with CaptureQueriesContext(connection) as queries:
        assert client.get(lesson.get_absolute_url()).status_code == 200
        assert client.get("/").status_code == 200
    assert writes(queries) == []
    assert LessonProgress.objects.get().last_opened_at == progress.last_opened_at


def test_a_learner_visit_is_written_once_then_only_when_it_is_minutes_old(course):
    lesson = heaviest_lesson()
    client = learner_client("reader")
    with CaptureQueriesContext(connection) as queries:
        client.get(lesson.get_absolute_url())
    assert writes(queries), "the first visit is recorded"
    assert not any("ROLLBACK" in q["sql"].upper() for q in queries.captured_queries), "no statement meant to fail"
    first = LessonProgress.objects.get()
    with CaptureQueriesContext(connection) as queries:
        client.get(lesson.get_absolute_url())
        client.get("/")
    assert writes(queries) == []
    stale = timezone.now() - VISIT_REFRESH - timedelta(minutes=1)
    LessonProgress.objects.update(last_opened_at=stale)
    client.get(lesson.get_absolute_url())
    row = LessonProgress.objects.get()
    assert row.pk == first.pk and row.last_opened_at > stale
    assert LearnerSummary.objects.get().last_activity == row.last_opened_at


def test_a_second_lesson_of_a_started_part_needs_no_failing_insert(course):
    first, second = Lesson.objects.published().filter(part__number=1)[:2]
    client = learner_client("reader")
    client.get(first.get_absolute_url())
    with CaptureQueriesContext(connection) as queries:
        client.get(second.get_absolute_url())
    assert not any("ROLLBACK" in q["sql"].upper() for q in queries.captured_queries)
    assert PartSummary.objects.count() == 1 and LessonProgress.objects.count() == 2


# -- constant, small query counts ------------------------------------------------------------


def test_lesson_page_query_ceilings_per_role(course, django_assert_max_num_queries):
    """The heaviest real lesson, on a repeat visit: whatever it embeds, a fixed handful."""
    lesson = heaviest_lesson()
    url = lesson.get_absolute_url()
    assert len(lesson.checks) >= 3
    guest = Client()
    guest.get(url)
    with django_assert_max_num_queries(6, info="cookie-less guest lesson page"):
        assert guest.get(url).status_code == 200
    keyed = Client()
    answer(keyed, lesson, first_question(lesson), correct=False)
    keyed.get(url)
    with django_assert_max_num_queries(6, info="guest with a key lesson page"):
        assert keyed.get(url).status_code == 200
    learner = learner_client("reader")
    answer(learner, lesson, first_question(lesson), correct=False)
    learner.get(url)
    with django_assert_max_num_queries(8, info="signed-in learner lesson page"):
        assert learner.get(url).status_code == 200
    with django_assert_max_num_queries(8, info="signed-in learner outline"):
        assert learner.get("/").status_code == 200
    with django_assert_max_num_queries(6, info="cookie-less guest outline"):
        assert Client().get("/").status_code == 200


def test_lesson_page_queries_do_not_grow_with_what_it_embeds(django_assert_max_num_queries):
    """Generated: one lesson embedding twelve quizzes of ten questions and four exercises."""
    part = make_part()
    quizzes = [make_quiz(f"quiz-{n}", questions=10) for n in range(12)]
    exercises = [make_exercise(f"ex-{n}", cases=6, taxonomy_slug=f"tax-{n}") for n in range(4)]
    source = "## Intro\n\nText.\n\n" + "".join(f"[quiz: {q.slug}]\n\n" for q in quizzes)
    source += "".join(f"[exercise: {e.slug}]\n\n" for e in exercises)
    lesson = make_lesson(part, source=source)
    learner = learner_client("reader")
    for quiz in quizzes[:3]:
        answer(learner, lesson, quiz.questions.first(), correct=True)
    url = lesson.get_absolute_url()
    learner.get(url)
    with django_assert_max_num_queries(8, info="signed-in learner, 120 questions, 4 exercises"):
        html = learner.get(url).content.decode()
    assert html.count('class="question"') >= 117 and html.count('class="exercise"') == 4


# -- the cache never mixes learners, never shows a draft, and may be down ------------------


def publish(lesson, source, *, publish=True):
    return save_lesson(
        Lesson.objects.get(pk=lesson.pk),
        title=lesson.title,
        slug=lesson.slug,
        summary=lesson.summary,
        source=source,
        author=None,
        publish=publish,
    )


def check_learners_never_share_state_and_see_publishing_at_once():
    lesson, quiz = make_lesson_with_quiz(questions=2)
    url = lesson.get_absolute_url()
    ann, bob, guest = learner_client("ann"), learner_client("bob"), Client()
    question = quiz.questions.first()
    for client in (ann, bob, guest):
        assert client.get(url).status_code == 200  # fill the cache for everyone
    answer(ann, lesson, question, correct=False)
    pages = {name: c.get(url).content.decode() for name, c in [("ann", ann), ("bob", bob), ("guest", guest)]}
    assert "Answered 1 time " in pages["ann"] and "answered 1 of 2" in pages["ann"]
    for other in ("bob", "guest"):
        assert "Answered 1 time" not in pages[other] and "answered 1 of 2" not in pages[other]
    assert ">ann<" in pages["ann"] and ">ann<" not in pages["bob"] and ">bob<" in pages["bob"]
    assert "Log in" in pages["guest"] and ">ann<" not in pages["guest"]

    publish(lesson, lesson.source + "\nA paragraph saved as a draft only.\n", publish=None)
    for client in (ann, bob, guest):
        assert "saved as a draft only" not in client.get(url).content.decode()
    publish(lesson, lesson.source + "\nA newly published paragraph.\n")
    for client in (ann, bob, guest):
        html = client.get(url).content.decode()
        assert "A newly published paragraph." in html and "saved as a draft only" not in html
    assert "Answered 1 time " in ann.get(url).content.decode()


def test_learners_never_share_state_and_see_publishing_at_once():
    check_learners_never_share_state_and_see_publishing_at_once()


REDIS = "redis://127.0.0.1:6379/0"


def redis_caches(url):
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": f"test-{uuid.uuid4().hex}",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }


def test_the_redis_cache_serves_pages_and_keeps_learners_apart():
    """Needs the Redis server on 127.0.0.1:6379 (CI starts it): fails, never skips, without it."""
    with override_settings(CACHES=redis_caches(REDIS)):
        from django.core.cache import cache

        cache.set("probe", "here")
        assert cache.get("probe") == "here", "Redis must be running on 127.0.0.1:6379"
        check_learners_never_share_state_and_see_publishing_at_once()
        version = ContentVersion.read()
        assert any(key for key in cache._cache.get_client().keys(f"*lesson-page*:{version}:*")) or any(
            cache._cache.get_client().keys("*learner-page*")
        )
        page_cache.clear_local()


def test_an_unreachable_cache_degrades_to_rendering_never_a_500():
    lesson, quiz = make_lesson_with_quiz()
    with override_settings(CACHES=redis_caches("redis://127.0.0.1:1/0")):
        page_cache.clear_local()
        learner = learner_client("reader")
        for client in (Client(), learner):
            response = client.get(lesson.get_absolute_url())
            assert response.status_code == 200 and quiz.title in response.content.decode()
        assert answer(learner, lesson, quiz.questions.first(), correct=True).status_code == 200
        assert Client().get("/").status_code == 200
    assert Answer.objects.count() == 1


# -- compression, HEAD, 405 ------------------------------------------------------------------


def test_html_is_gzipped_when_the_browser_accepts_it(client):
    lesson = make_lesson(source="## Intro\n\n" + "Words that repeat. " * 200 + "\n")
    response = client.get(lesson.get_absolute_url(), headers={"Accept-Encoding": "gzip"})
    assert response["Content-Encoding"] == "gzip" and "Accept-Encoding" in response["Vary"]
    assert "Words that repeat." in gzip.decompress(response.content).decode()


def test_head_is_answered_wherever_get_is_and_writes_nothing(course):
    lesson = heaviest_lesson()
    question = first_question(lesson)
    learner = learner_client("reader")
    learner.get(lesson.get_absolute_url())
    for client in (Client(), learner):
        for url in ["/", lesson.get_absolute_url(), "/taxonomies/", "/about/", answer_url(lesson, question)]:
            with CaptureQueriesContext(connection) as queries:
                response = client.head(url)
            assert response.status_code in (200, 302), url
            assert response.content == b"" and writes(queries) == [], url
    assert learner.head("/me/").status_code == 200
    assert not Answer.objects.exists()


def test_a_wrong_method_gets_a_readable_405(client):
    response = client.post("/")
    assert response.status_code == 405 and "GET" in response["Allow"]
    assert "This page can" in response.content.decode() and "<title>" in response.content.decode()
