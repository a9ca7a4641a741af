"""Learner progress: visits, completion rule, dashboard, guests merging, exports, deletion."""

import csv
import io
import json
import threading

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.urls import reverse

from lessons.forms import choice_token
from lessons.models import Answer, ContentVersion, ExerciseAttempt, LessonProgress

from .factories import PASSWORD, make_exercise, make_lesson, make_lesson_with_quiz, make_part, make_user
from .htmx import HTMX, assert_fragment

pytestmark = pytest.mark.django_db


def progress_url(lesson):
    return reverse("lessons:lesson_progress", args=[lesson.part.slug, lesson.slug])


def answer_all(client, lesson, quiz, *, correct=True):
    for question in quiz.questions.all():
        choice = question.choices.filter(correct=correct).first()
        url = reverse("lessons:question_answer", args=[lesson.part.slug, lesson.slug, question.pk])
        client.post(url, {"choice": choice_token(choice.pk)}, headers=HTMX)


def test_opening_a_lesson_records_one_row_however_often(client):
    lesson = make_lesson()
    user = make_user()
    client.force_login(user)
    for _ in range(3):
        client.get(lesson.get_absolute_url())
    row = LessonProgress.objects.get()
    assert row.lesson == lesson and row.completed_at is None and row.user == user
    assert row.last_opened_at >= row.first_opened_at


def test_a_guest_reading_a_lesson_records_nothing(client):
    lesson = make_lesson()
    client.get(lesson.get_absolute_url())
    assert not LessonProgress.objects.exists()


def test_mark_complete_lists_missing_checks_and_changes_nothing(client):
    lesson, quiz = make_lesson_with_quiz()
    client.get(lesson.get_absolute_url())
    html = assert_fragment(client.post(progress_url(lesson), headers=HTMX), "lesson-progress")
    assert "Not yet: pass this check first" in html and quiz.title in html
    assert not LessonProgress.objects.filter(completed_at__isnull=False).exists()


def test_failing_the_quiz_still_blocks_completion(client):
    lesson, quiz = make_lesson_with_quiz()
    answer_all(client, lesson, quiz, correct=False)
    client.post(progress_url(lesson), headers=HTMX)
    assert not LessonProgress.objects.filter(completed_at__isnull=False).exists()


def test_passing_the_checks_then_marking_completes_once(client):
    lesson, quiz = make_lesson_with_quiz()
    answer_all(client, lesson, quiz)
    response = client.post(progress_url(lesson), headers=HTMX)
    assert "this lesson is complete" in response.content.decode()
    assert "progress-changed" in response["HX-Trigger"]
    first = LessonProgress.objects.get().completed_at
    assert first is not None
    client.post(progress_url(lesson), headers=HTMX)
    assert LessonProgress.objects.get().completed_at == first


def test_exercises_count_as_checks_too(client):
    make_exercise("sort")
    lesson = make_lesson(source="Text.\n\n[exercise: sort]\n")
    client.post(progress_url(lesson))
    assert not LessonProgress.objects.filter(completed_at__isnull=False).exists()
    url = reverse("lessons:exercise_check", args=[lesson.part.slug, lesson.slug, "sort"])
    client.post(url, {f"case-case-{n}": "a" for n in (1, 2, 3)}, headers=HTMX)
    response = client.post(progress_url(lesson))
    assert response.status_code == 302
    assert LessonProgress.objects.get().completed_at is not None


def test_a_lesson_without_checks_completes_when_marked(client):
    lesson = make_lesson()
    assert client.post(progress_url(lesson)).status_code == 302
    assert LessonProgress.objects.get().completed_at is not None


def test_progress_panel_refreshes_as_a_fragment(client):
    lesson, quiz = make_lesson_with_quiz()
    answer_all(client, lesson, quiz)
    html = assert_fragment(client.get(progress_url(lesson), headers=HTMX), "lesson-progress")
    assert "Passed" in html
    assert 'hx-trigger="quiz-changed from:body, exercise-changed from:body, sandbox-changed from:body"' in html


def test_outline_and_part_show_status_and_bars(client):
    client.force_login(make_user())
    part = make_part()
    done, started, _ = (make_lesson(part, n) for n in (1, 2, 3))
    client.post(progress_url(done))
    client.get(started.get_absolute_url())
    html = client.get("/").content.decode()
    assert "1 of 3 lessons complete (33%)" in html
    assert '<progress max="3" value="1"' in html
    assert "status--complete" in html and "status--in-progress" in html
    assert f"Continue where you left off: {started.title}" in html
    assert "1 of 3 lessons complete" in client.get(part.get_absolute_url()).content.decode()


def test_dashboard_shows_resume_history_and_review(client):
    lesson, quiz = make_lesson_with_quiz()
    client.get(lesson.get_absolute_url())
    answer_all(client, lesson, quiz, correct=False)
    html = client.get(reverse("lessons:dashboard")).content.decode()
    assert f"Continue where you left off: {lesson.title}" in html
    assert quiz.title in html and "Not passed yet" in html
    first_question = quiz.questions.first()
    assert f"#question-{first_question.pk}" in html and "Prompt 1?" in html
    answer_all(client, lesson, quiz)
    html = client.get(reverse("lessons:dashboard")).content.decode()
    assert "Nothing to review" in html and "Passed" in html


def test_dashboard_queries_stay_constant(client, django_assert_max_num_queries):
    user = make_user()
    client.force_login(user)
    part = make_part()
    for n in range(1, 6):
        make_exercise(f"ex{n}", cases=6, taxonomy_slug=f"t{n}")
    lessons = []
    for n in range(1, 16):
        lesson, quiz = make_lesson_with_quiz(f"quiz-{n}", questions=4, part=part, order=n)
        lessons.append((lesson, quiz))
        answer_all(client, lesson, quiz, correct=n % 2 == 0)
    with django_assert_max_num_queries(
        20,
        info="session, user, parts, lessons, progress, answers, questions, counts, attempts, exercises, cases, labs;"
        " review: due count, calibration, mastery (lessons, questions, cases, cards, categories)",
    ):
        response = client.get(reverse("lessons:dashboard"))
    assert response.status_code == 200
    assert response.content.decode().count("Not passed yet") == 8


def test_guest_progress_moves_into_a_new_account(client):
    lesson, quiz = make_lesson_with_quiz()
    answer_all(client, lesson, quiz)
    client.post(progress_url(lesson))
    assert "Sign up" in client.get(lesson.get_absolute_url()).content.decode()
    response = client.post(reverse("signup"), {"username": "newbie", "password1": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 302
    user = get_user_model().objects.get(username="newbie")
    assert Answer.objects.filter(user=user).count() == 2
    assert not Answer.objects.filter(user__isnull=True).exists()
    row = LessonProgress.objects.get()
    assert row.user == user and row.completed_at is not None and row.session_key == ""


def test_guest_progress_merges_on_login_without_duplicates(client):
    user = make_user()
    lesson, quiz = make_lesson_with_quiz()
    member = Client()
    member.force_login(user)
    member.get(lesson.get_absolute_url())  # the account already opened this lesson
    answer_all(member, lesson, quiz, correct=False)
    answer_all(client, lesson, quiz)  # as a guest, gets it right
    client.post(progress_url(lesson))
    client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    row = LessonProgress.objects.get()  # one row: merged, not duplicated
    assert row.user == user and row.completed_at is not None
    assert Answer.objects.filter(user=user).count() == 4
    html = client.get(reverse("lessons:dashboard")).content.decode()
    assert "Passed" in html and "1 of 1 lessons complete" in html


def test_exports_contain_the_learners_data(client):
    user = make_user()
    client.force_login(user)
    lesson, quiz = make_lesson_with_quiz()
    client.get(lesson.get_absolute_url())
    answer_all(client, lesson, quiz)
    data = json.loads(client.get(reverse("lessons:export_json")).content)
    assert data["user"] == user.username and len(data["answers"]) == 2 and data["lessons"][0]["lesson"] == lesson.slug
    response = client.get(reverse("lessons:export_csv"))
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == ["record", "item", "detail", "score", "when"]
    answers = [r for r in rows if r[0] == "answer"]
    assert [r[1] for r in answers] == [f"{quiz.slug} q1", f"{quiz.slug} q2"]
    assert [r[3] for r in answers] == ["1.000", "1.000"]


@pytest.mark.parametrize("value", ["=HYPERLINK(1)", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_csv_cells_never_start_a_formula(value):
    from lessons.csv_export import safe_cell as _cell

    assert _cell(value).startswith("'")
    assert _cell("plain") == "plain"


def test_exports_and_deletion_need_an_account(client):
    for name in ("lessons:export_json", "lessons:export_csv", "delete_account"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and reverse("login") in response["Location"]


def test_other_learners_data_is_never_exported(client):
    lesson, quiz = make_lesson_with_quiz()
    other = Client()
    other.force_login(make_user("other"))
    answer_all(other, lesson, quiz)
    client.force_login(make_user("me"))
    assert json.loads(client.get(reverse("lessons:export_json")).content)["answers"] == []


def test_deleting_an_account_needs_confirmation_then_removes_everything(client):
    user = make_user()
    client.force_login(user)
    lesson, quiz = make_lesson_with_quiz()
    answer_all(client, lesson, quiz)
    response = client.post(reverse("delete_account"), {"confirm": "not-my-name"})
    assert response.status_code == 400 and get_user_model().objects.filter(pk=user.pk).exists()
    response = client.post(reverse("delete_account"), {"confirm": user.username})
    assert response.status_code == 302
    assert not get_user_model().objects.filter(pk=user.pk).exists()
    assert Answer.objects.count() == 0 and LessonProgress.objects.count() == 0


def test_reimporting_the_course_keeps_progress(client, course):
    from django.core.management import call_command

    from lessons.models import Lesson

    lesson = Lesson.objects.published().first()
    client.force_login(make_user())
    client.get(lesson.get_absolute_url())
    client.post(progress_url(lesson))
    call_command("import_course", "--rerender", stdout=io.StringIO())
    assert LessonProgress.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_first_visits_create_exactly_one_row():
    """Parallel requests from one learner never duplicate or lose progress rows."""
    user = make_user()
    lesson, quiz = make_lesson_with_quiz()
    errors = []
    barrier = threading.Barrier(6, timeout=30)

    def visit():
        client = Client()
        client.force_login(user)
        try:
            barrier.wait()
            assert client.get(lesson.get_absolute_url()).status_code == 200
            question = quiz.questions.first()
            url = reverse("lessons:question_answer", args=[lesson.part.slug, lesson.slug, question.pk])
            choice = question.choices.filter(correct=True).first()
            assert client.post(url, {"choice": choice_token(choice.pk)}, headers=HTMX).status_code == 200
        except Exception as exc:  # collected and asserted below, in the main thread
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=visit) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert LessonProgress.objects.filter(user=user, lesson=lesson).count() == 1
    assert Answer.objects.filter(user=user).count() == 6
    assert ExerciseAttempt.objects.count() == 0


def test_dashboard_and_lesson_page_agree_once_a_question_is_retired(client):
    lesson, quiz = make_lesson_with_quiz(questions=3)
    client.force_login(make_user())
    answer_all(client, lesson, quiz)
    quiz.questions.filter(order=3).update(retired=True)  # as the import does with an answered question
    ContentVersion.bump()  # and as the import then does, so cached pages follow the edit
    page = client.get(lesson.get_absolute_url()).content.decode()
    assert "answered 2 of 2" in page and "Passed" in page
    html = client.get(reverse("lessons:dashboard")).content.decode()
    row = html[html.index(quiz.title) :]
    row = row[: row.index("</tr>")]
    assert "<td>2</td>" in row  # attempts at the active questions
    assert "<td>100%</td>" in row and "150%" not in row
    assert "Passed" in row and "Not passed" not in row


def test_complete_lesson_reads_the_checks_itself():
    from lessons.actions import complete_lesson
    from lessons.learners import Learner

    lesson, quiz = make_lesson_with_quiz()
    user = make_user()
    completed, missing = complete_lesson(Learner(user.pk, ""), lesson)
    assert not completed and [check.slug for check in missing] == [quiz.slug]
    assert not LessonProgress.objects.filter(completed_at__isnull=False).exists()
