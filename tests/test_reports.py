"""Admin reports: permissions, statistics against hand-computed values, filters, CSV, queries."""

import csv
import io
import re
import shutil
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from lessons.actions import check_exercise, record_answer, save_lesson
from lessons.learners import Learner
from lessons.models import (
    Answer,
    CheckStatus,
    ChoiceStats,
    Cohort,
    ConfusionCount,
    DailyScores,
    LearnerSummary,
    LessonProgress,
    PartSummary,
    QuestionStats,
)
from lessons.summaries import rebuild_all

from .conftest import COURSE_DIR
from .factories import make_exercise, make_lesson_with_quiz, make_quiz, make_user
from .htmx import HTMX, assert_fragment

pytestmark = pytest.mark.django_db


def answer(user, question, correct):
    choice = question.choices.filter(correct=correct).first()
    return record_answer(Learner(user.pk, ""), question, [choice])


@pytest.fixture
def admin_client(client):
    client.force_login(make_user("boss", staff=True))
    return client


STAFF_ONLY = [
    ("lessons:report_overview", []),
    ("lessons:report_learners", []),
    ("lessons:report_learners_csv", []),
    ("lessons:report_attempts_csv", []),
    ("lessons:report_attention", []),
    ("lessons:report_cohorts", []),
]


@pytest.mark.parametrize("role", ["guest", "learner", "instructor", "admin"])
def test_permission_matrix_for_every_report_url(role):
    quiz = make_quiz("q")
    exercise = make_exercise()
    person = make_user("person")
    cohort = Cohort.objects.create(name="C1")
    staff_only = [reverse(name, args=args) for name, args in STAFF_ONLY] + [
        reverse("lessons:report_learner", args=[person.pk]),
        reverse("lessons:report_cohort", args=[cohort.pk]),
    ]
    content = [
        reverse("lessons:report_quiz_list"),
        reverse("lessons:report_quiz", args=[quiz.slug]),
        reverse("lessons:report_taxonomy", args=[exercise.taxonomy.slug]),
    ]
    client = Client()
    if role != "guest":
        client.force_login(make_user(role, instructor=role == "instructor", staff=role == "admin"))
    for url in staff_only + content:
        status = client.get(url).status_code
        if role == "guest":
            assert status == 302, url
        elif role == "admin" or (role == "instructor" and url in content):
            assert status == 200, url
        else:
            assert status == 403, url
    removal = client.post(reverse("lessons:report_cohort_remove", args=[cohort.pk, person.pk]))
    assert removal.status_code == {"guest": 302, "learner": 403, "instructor": 403, "admin": 302}[role]


def test_item_analysis_matches_hand_computed_values(admin_client):
    quiz = make_quiz("stats", questions=3)
    q1, q2, q3 = quiz.questions.order_by("order")
    # First attempts (as in tests/test_item_analysis.py): q1 facility .5 discrimination 1/sqrt(2).
    # Three learners of each kind: the same indices, over the minimum sample for flags.
    table = {"a": (1, 1, 1), "b": (1, 1, 0), "c": (0, 0, 1), "d": (0, 0, 0)}
    url = reverse("lessons:report_quiz", args=[quiz.slug])
    for copy in range(3):
        if copy == 1:
            assert "Review this question" not in admin_client.get(url).content.decode()  # n = 4: too few
        for name, scores in table.items():
            user = make_user(f"{name}{copy}")
            for question, score in zip((q1, q2, q3), scores, strict=True):
                answer(user, question, bool(score))
            answer(user, q1, True)  # a later retry must not count
    html = admin_client.get(url).content.decode()
    assert "facility <strong>0.50</strong> · discrimination <strong>0.71</strong>" in html
    # q3: own 1,0,1,0 against rest 2,2,0,0 -> r = 0 -> flagged for review
    assert html.count("Review this question") == 1
    assert "does not separate strong from weak learners" in html
    from lessons import reports

    items = reports.item_analysis(quiz, reports.Filters())
    picks = {choice.text: n for choice, n in items[0]["choices"]}
    assert picks == {"Choice 1.1": 6, "Choice 1.2": 6, "Choice 1.3": 0}  # wrong = first wrong choice


def test_guests_count_in_the_anonymous_item_statistics_but_not_in_cohorts(admin_client):
    quiz = make_quiz("g", questions=1)
    record_answer(Learner(None, "guestkey"), quiz.questions.first(), [quiz.questions.first().choices.first()])
    url = reverse("lessons:report_quiz", args=[quiz.slug])
    assert "<strong>1</strong> first attempts" in admin_client.get(url).content.decode()
    cohort = Cohort.objects.create(name="Only accounts")
    assert "<strong>0</strong> first attempts" in admin_client.get(url, {"cohort": cohort.pk}).content.decode()


def test_confusion_matrix_counts_and_sentences(admin_client):
    exercise = make_exercise("conf", cases=3)
    cases = list(exercise.cases.all())
    user = make_user("x")
    learner = Learner(user.pk, "")
    check_exercise(learner, exercise, cases, {"case-1": ["b"], "case-2": ["b"], "case-3": ["a"]})
    check_exercise(learner, exercise, cases, {"case-1": ["c"], "case-2": ["a"], "case-3": ["a"]})
    from lessons import reports

    matrix = reports.confusion_matrix(exercise.taxonomy, reports.Filters())
    counts = {
        (row["category"].slug, c.slug): cell["n"]
        for row in matrix["rows"]
        for c, cell in zip(matrix["categories"], row["cells"], strict=True)
    }
    # case-1 accepts c too, so its "c" pick is counted as right (c, c).
    assert counts[("a", "a")] == 3 and counts[("a", "b")] == 2 and counts[("c", "c")] == 1
    html = admin_client.get(reverse("lessons:report_taxonomy", args=[exercise.taxonomy.slug])).content.decode()
    assert "Learners often call <strong>Kind A</strong> “Kind B” (2 times)." in html
    # Row shares, not raw counts: row "a" holds 3 right and 2 "b" picks.
    row_a = next(row for row in matrix["rows"] if row["category"].slug == "a")
    assert [cell["percent"] for cell in row_a["cells"]][:2] == [60, 40]
    assert "60% <span" in html and "heat--diagonal" in html and "heat-legend" in html


def test_overview_figures_and_cohort_filter(admin_client):
    lesson, quiz = make_lesson_with_quiz()
    cohort = Cohort.objects.create(name="Spring")
    inside, outside = make_user("in"), make_user("out")
    cohort.members.add(inside)
    now = timezone.now()
    LessonProgress.objects.create(user=inside, lesson=lesson, first_opened_at=now, last_opened_at=now, completed_at=now)
    LessonProgress.objects.create(
        user=outside, lesson=lesson, first_opened_at=now - timedelta(days=20), last_opened_at=now - timedelta(days=20)
    )
    for question in quiz.questions.all():
        answer(inside, question, True)
        answer(outside, question, False)
    Answer.objects.filter(user=outside).update(created_at=now - timedelta(days=20))
    rebuild_all()  # the progress rows above were written directly, not through the actions
    url = reverse("lessons:report_overview")
    html = admin_client.get(url).content.decode()
    assert '<p class="stat__value">2</p><p class="stat__label">learners' in html
    assert '<p class="stat__value">1</p><p class="stat__label">active in the last 7 days' in html
    assert '<p class="stat__value">2</p><p class="stat__label">active in the last 30 days' in html
    assert '50%</p><p class="stat__label">average quiz answer score (4 answers)' in html
    html = assert_fragment(admin_client.get(url, {"cohort": cohort.pk}, headers=HTMX), "results")
    assert "learners in Spring" in html and "100%" in html
    assert "<td>1</td><td>1</td></tr>" in html  # part 1: started 1, completed 1


def test_invalid_filters_are_a_400_with_a_message(admin_client):
    response = admin_client.get(reverse("lessons:report_overview"), {"start": "2026-05-02", "end": "2026-05-01"})
    assert response.status_code == 400 and "must be on or before" in response.content.decode()
    assert admin_client.get(reverse("lessons:report_learners_csv"), {"start": "nope"}).status_code == 400


def test_date_range_filter(admin_client):
    lesson, quiz = make_lesson_with_quiz()
    user = make_user("dated")
    old = answer(user, quiz.questions.first(), True)
    Answer.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=40))
    answer(user, quiz.questions.last(), False)
    rebuild_all()
    start = (timezone.now() - timedelta(days=5)).date().isoformat()
    html = admin_client.get(reverse("lessons:report_overview"), {"start": start}).content.decode()
    assert '0%</p><p class="stat__label">average quiz answer score (1 answers)' in html


def test_learner_table_sorts_searches_paginates_and_links_to_history(admin_client):
    lesson, quiz = make_lesson_with_quiz()
    now = timezone.now()
    for n in range(60):
        user = make_user(f"l{n:02d}")
        if n < 3:
            LessonProgress.objects.create(
                user=user, lesson=lesson, first_opened_at=now, last_opened_at=now, completed_at=now
            )
    url = reverse("lessons:report_learners")
    html = admin_client.get(url, {"sort": "-progress"}).content.decode()
    assert "60 learners · page 1 of 2" in html
    first_rows = html.split("<tbody>")[1]
    assert first_rows.index("l00") < first_rows.index("l10")
    assert "Next page" in html
    html = admin_client.get(url, {"q": "l4"}).content.decode()
    assert "10 learners" in html
    detailed = make_user("detail")
    answer(detailed, quiz.questions.first(), False)
    html = admin_client.get(reverse("lessons:report_learner", args=[detailed.pk])).content.decode()
    assert "Choice 1.2" in html and "0.00" in html


def test_needs_attention_reasons(admin_client):
    lesson, quiz = make_lesson_with_quiz()
    stuck, idle, fine = make_user("stuck"), make_user("idle"), make_user("fine")
    question = quiz.questions.first()
    for _ in range(4):
        answer(stuck, question, False)
    for _ in range(5):
        answer(fine, question, False)
    for q in quiz.questions.all():
        answer(fine, q, True)
    long_ago = timezone.now() - timedelta(days=20)
    LessonProgress.objects.create(user=idle, lesson=lesson, first_opened_at=long_ago, last_opened_at=long_ago)
    rebuild_all()
    html = admin_client.get(reverse("lessons:report_attention")).content.decode()
    assert "stuck</a>: 4 wrong answers in" in html
    assert "idle</a>: inactive for 20 days with 0 of 1 lessons complete" in html
    assert "fine</a>" not in html


def test_csv_exports_stream_respect_filters_and_neutralise_formulas(admin_client):
    lesson, quiz = make_lesson_with_quiz()
    cohort = Cohort.objects.create(name="K")
    evil, other = make_user("=HYPERLINK(1)"), make_user("other")
    cohort.members.add(evil)
    for user in (evil, other):
        answer(user, quiz.questions.first(), True)
    response = admin_client.get(reverse("lessons:report_attempts_csv"), {"cohort": cohort.pk})
    assert response.streaming
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == ["kind", "username", "item", "answer", "score", "when"]
    assert len(rows) == 2 and rows[1][1] == "'=HYPERLINK(1)"
    response = admin_client.get(reverse("lessons:report_learners_csv"))
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert {r[0] for r in rows[1:]} == {"'=HYPERLINK(1)", "other"}


def test_cohort_pages_create_add_and_remove(admin_client):
    response = admin_client.post(reverse("lessons:report_cohorts"), {"name": "Autumn", "start_date": "2026-09-01"})
    cohort = Cohort.objects.get(name="Autumn")
    assert response.status_code == 302
    make_user("ann"), make_user("bob")
    url = reverse("lessons:report_cohort", args=[cohort.pk])
    response = admin_client.post(url, {"usernames": "ann, ghost"})
    assert response.status_code == 400 and "No account named: ghost" in response.content.decode()
    assert cohort.members.count() == 0
    admin_client.post(url, {"usernames": "ann\nbob"})
    assert cohort.members.count() == 2
    bob = cohort.members.get(username="bob")
    admin_client.post(reverse("lessons:report_cohort_remove", args=[cohort.pk, bob.pk]))
    assert list(cohort.members.values_list("username", flat=True)) == ["ann"]


@pytest.mark.parametrize("learners", [15, 60])
def test_report_pages_run_constant_queries(admin_client, course, django_assert_max_num_queries, learners):
    call_command("seed_load", "--learners", str(learners), stdout=io.StringIO())
    someone = LearnerSummary.objects.order_by("user_id").first().user_id
    pages = {
        # Each ceiling includes the header's count of review items due (one query).
        reverse("lessons:report_overview"): 17,
        reverse("lessons:report_learners"): 15,
        reverse("lessons:report_attention"): 13,
        reverse("lessons:report_quiz", args=["part-1-review"]): 12,  # + retention per question
        reverse("lessons:report_taxonomy", args=["failure-modes"]): 13,  # + cases and their retention
        reverse("lessons:report_learner", args=[someone]): 11,
    }
    for url, ceiling in pages.items():
        with django_assert_max_num_queries(ceiling, info=f"{url} must not grow with learners"):
            assert admin_client.get(url).status_code == 200


def snapshot():
    """Every maintained summary as comparable values."""
    rounded = lambda v: round(v, 9) + 0.0 if isinstance(v, float) else v  # noqa: E731  (+0.0: no "-0.0")
    tables = (LearnerSummary, PartSummary, CheckStatus, QuestionStats, ChoiceStats, ConfusionCount, DailyScores)
    out = {}
    for model in tables:
        fields = [f.attname for f in model._meta.concrete_fields if f.attname != "id"]
        out[model.__name__] = sorted(repr(tuple(rounded(v) for v in row)) for row in model.objects.values_list(*fields))
    return out


def rebuilt_snapshot():
    """The summaries as rebuild_all would make them, leaving the maintained ones in place."""
    with transaction.atomic():
        rebuild_all()
        rebuilt = snapshot()
        transaction.set_rollback(True)
    return rebuilt


def test_maintained_summaries_equal_a_rebuild_from_the_raw_rows(course, tmp_path):
    """Learners work through the real course over HTTP, then the content changes under
    them; after each step the summaries kept along the way must equal a rebuild."""
    from lessons.forms import choice_token
    from lessons.models import Exercise, Lesson, Quiz

    lesson = Lesson.objects.get(slug="reward-hacking")
    quiz = Quiz.objects.get(slug=lesson.embedded("quiz")[0])
    exercise = Exercise.objects.get(slug=lesson.embedded("exercise")[0])
    guest = Client()
    for n, client in enumerate([Client(), Client(), guest]):
        if client is not guest:
            client.force_login(make_user(f"worker{n}"))
        client.get(lesson.get_absolute_url())
        for i, question in enumerate(quiz.questions.all()):
            for correct in [False, True] if (i + n) % 2 else [True]:
                choice = question.choices.filter(correct=correct).first()
                url = reverse("lessons:question_answer", args=[lesson.part.slug, lesson.slug, question.pk])
                client.post(url, {"choice": choice_token(choice.pk)}, headers=HTMX)
        data = {
            f"case-{case.slug}": case.answers[0] if (j + n) % 3 else "not-misalignment"
            for j, case in enumerate(exercise.cases.all())
        }
        client.post(reverse("lessons:exercise_check", args=[lesson.part.slug, lesson.slug, exercise.slug]), data)
        client.post(reverse("lessons:lesson_progress", args=[lesson.part.slug, lesson.slug]))
    # The guest signs up: their rows merge into the new account.
    guest.post(
        reverse("signup"),
        {"username": "joiner", "password1": "a-long-test-password-1", "password2": "a-long-test-password-1"},
    )
    maintained = snapshot()
    assert maintained["LearnerSummary"] and maintained["QuestionStats"] and maintained["ConfusionCount"]
    assert LessonProgress.objects.filter(lesson=lesson, completed_at__isnull=False).exists()
    assert rebuilt_snapshot() == maintained, "after learners' work"

    def assert_in_step(step):
        maintained = snapshot()
        assert rebuilt_snapshot() == maintained, f"after {step}"
        return maintained

    # Unpublishing a lesson learners completed, then publishing it again, from the studio.
    author = make_user("author", instructor=True)
    for publish in (False, True):
        lesson = Lesson.objects.get(pk=lesson.pk)
        save_lesson(
            lesson,
            title=lesson.title,
            slug=lesson.slug,
            summary=lesson.summary,
            source=lesson.source,
            author=author,
            publish=publish,
        )
        assert_in_step("publish" if publish else "unpublish")
    assert LearnerSummary.objects.filter(lessons_completed__gt=0).exists()

    # A changed pass mark on the quiz and on the exercise, through the studio's editor.
    studio = Client()
    studio.force_login(author)
    for kind, slug, mark in (("quiz", quiz.slug, 100), ("exercise", exercise.slug, 10)):
        text = next(COURSE_DIR.rglob(f"{slug}.toml")).read_text()
        assert "\npass_mark = " in text
        text = re.sub(r"(?m)^pass_mark = \d+$", f"pass_mark = {mark}", text)
        response = studio.post(reverse("lessons:studio_assessment_edit", args=[kind, slug]), {"text": text})
        assert response.status_code == 302, response.content.decode()[:2000]
        before = assert_in_step(f"{kind} pass mark {mark}")
    assert not CheckStatus.objects.filter(quiz=quiz, passed=True).exists()  # nobody reaches 100%
    assert CheckStatus.objects.filter(exercise=exercise, passed=True).count() == 3

    # Re-importing the course with an answered question removed (it is retired).
    course_copy = tmp_path / "course"
    shutil.copytree(COURSE_DIR, course_copy)
    quiz_file = next(course_copy.rglob(f"{quiz.slug}.toml"))
    text = quiz_file.read_text()
    quiz_file.write_text(text[: text.rindex("[[questions]]")])
    call_command("import_course", str(course_copy), stdout=io.StringIO())
    assert quiz.questions.filter(retired=True).exists()
    after = assert_in_step("import without an answered question")
    assert after != before

    # An account deleted: its answers leave the shared sums.
    worker = Client()
    worker.force_login(get_user_model().objects.get(username="worker0"))
    assert worker.post(reverse("delete_account"), {"confirm": "worker0"}).status_code == 302
    assert not Answer.objects.filter(user__username="worker0").exists()
    assert_in_step("account deletion")


def test_instructors_cannot_narrow_content_statistics_to_a_cohort(client):
    quiz = make_quiz("inst", questions=1)
    for number in range(5):
        answer(make_user(f"outsider-{number}"), quiz.questions.first(), True)
    cohort = Cohort.objects.create(name="Empty")
    client.force_login(make_user("teacher", instructor=True))
    html = client.get(reverse("lessons:report_quiz", args=[quiz.slug]), {"cohort": cohort.pk}).content.decode()
    assert "<strong>5</strong> first attempts" in html  # the cohort filter named individuals: ignored


@pytest.mark.parametrize(
    "name, args",
    [
        ("lessons:report_overview", []),
        ("lessons:report_learners", []),
        ("lessons:report_attention", []),
        ("lessons:report_quiz", ["frag"]),
        ("lessons:report_taxonomy", ["kinds"]),
    ],
)
def test_report_results_are_served_alone_for_htmx(admin_client, name, args):
    make_quiz("frag")
    make_exercise()
    url = reverse(name, args=args)
    assert_fragment(admin_client.get(url, headers=HTMX), "results")
    page = admin_client.get(url)
    assert "<title>" in page.content.decode() and "HX-Request" in page["Vary"]


def test_links_keep_the_filters_as_a_query_string(admin_client):
    from lessons.models import Lesson

    from .factories import make_lesson

    make_lesson()
    assert Lesson.objects.published().exists()
    cohort = Cohort.objects.create(name="Spring")
    idle = make_user("idle")
    cohort.members.add(idle)
    LearnerSummary.objects.create(user=idle, last_activity=timezone.now() - timedelta(days=20))
    filters = {"cohort": cohort.pk, "start": "2026-01-01"}
    html = admin_client.get(reverse("lessons:report_overview"), filters).content.decode()
    kept = f"cohort={cohort.pk}&amp;start=2026-01-01"
    assert f'href="/reports/attention/?{kept}"' in html
    assert f'href="/reports/learners.csv?{kept}"' in html
    assert "%7B" not in html  # no dict urlencoded as one string
    html = admin_client.get(reverse("lessons:report_learners"), filters).content.decode()
    assert f'href="?{kept}&amp;sort=name"' in html


def answer_at_once(user, lesson, questions, n=20):
    """`n` answers by `user` released together by a barrier, spread over `questions`."""
    import threading

    from django.db import connection

    from lessons.forms import choice_token

    barrier = threading.Barrier(n, timeout=60)
    errors = []

    def post(i):
        client = Client()
        client.force_login(user)
        question = questions[i % len(questions)]
        choice = question.choices.filter(correct=i % 3 == 0).first()
        url = reverse("lessons:question_answer", args=[lesson.part.slug, lesson.slug, question.pk])
        try:
            barrier.wait()
            response = client.post(url, {"choice": choice_token(choice.pk)}, headers=HTMX)
            assert response.status_code == 200, response.status_code
        except Exception as exc:  # collected and asserted below, in the main thread
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []


@pytest.mark.django_db(transaction=True)
def test_simultaneous_first_answers_count_once():
    """20 answers from one learner at the same moment, half to each of two questions:
    exactly one first attempt per question, and the summaries equal a rebuild."""
    lesson, quiz = make_lesson_with_quiz("race", questions=2)
    questions = list(quiz.questions.all())
    for round_ in range(3):
        user = make_user(f"racer{round_}")
        answer_at_once(user, lesson, questions)
        assert Answer.objects.filter(user=user).count() == 20
        assert sorted(QuestionStats.objects.values_list("n", flat=True)) == [round_ + 1, round_ + 1]
        assert LearnerSummary.objects.get(user=user).answers == 20
        assert CheckStatus.objects.get(user=user, quiz=quiz).attempts == 20
        maintained = snapshot()
        rebuild_all()
        assert snapshot() == maintained, f"round {round_}"
