"""The studio: permissions for every URL, editing, drafts, history, assessments, export."""

import io
import re
import zipfile

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from lessons.models import Answer, Lesson, LessonProgress, LessonRevision, Part, Question, Quiz

from .factories import make_exercise, make_lesson, make_lesson_with_quiz, make_part, make_quiz, make_user
from .htmx import HTMX, assert_fragment
from .test_markdown import DANGEROUS, HOSTILE

pytestmark = pytest.mark.django_db


@pytest.fixture
def instructor(client):
    client.force_login(make_user("teacher", instructor=True))
    return client


def edit_data(lesson, **changes):
    data = {
        "title": lesson.title,
        "slug": lesson.slug,
        "summary": lesson.summary,
        "source": lesson.working_source,
        "version": lesson.version,
        "note": "",
        "action": "save",
    }
    data.update(changes)
    return data


def studio_urls(lesson, quiz, exercise):
    return [
        ("get", reverse("lessons:studio_outline")),
        ("get", reverse("lessons:studio_export")),
        ("get", reverse("lessons:studio_part_create")),
        ("get", reverse("lessons:studio_part_edit", args=[lesson.part_id])),
        ("get", reverse("lessons:studio_lesson_create", args=[lesson.part_id])),
        ("post", reverse("lessons:studio_lesson_preview")),
        ("get", reverse("lessons:studio_lesson_edit", args=[lesson.pk])),
        ("get", reverse("lessons:studio_lesson_view", args=[lesson.pk])),
        ("post", reverse("lessons:studio_lesson_move", args=[lesson.pk, "up"])),
        ("get", reverse("lessons:studio_lesson_history", args=[lesson.pk])),
        ("post", reverse("lessons:studio_revision_restore", args=[lesson.pk, 1])),
        ("get", reverse("lessons:studio_assessment_create", args=["quiz"])),
        ("get", reverse("lessons:studio_assessment_edit", args=["quiz", quiz.slug])),
        ("get", reverse("lessons:studio_assessment_edit", args=["exercise", exercise.slug])),
        ("get", reverse("lessons:studio_assessment_edit", args=["taxonomy", exercise.taxonomy.slug])),
        # Destructive ones last, so the others still find their objects.
        ("get", reverse("lessons:studio_lesson_delete", args=[lesson.pk])),
        ("post", reverse("lessons:studio_lesson_delete", args=[lesson.pk])),
        ("post", reverse("lessons:studio_part_delete", args=[lesson.part_id])),
    ]


@pytest.mark.parametrize("role", ["guest", "learner", "instructor", "admin"])
def test_permission_matrix_for_every_studio_url(role):
    lesson, quiz = make_lesson_with_quiz()
    LessonRevision.objects.create(lesson=lesson, number=1, title=lesson.title, source=lesson.source)
    exercise = make_exercise()
    client = Client()
    if role != "guest":
        client.force_login(make_user(role, instructor=role == "instructor", staff=role == "admin"))
    for method, url in studio_urls(lesson, quiz, exercise):
        response = getattr(client, method)(url)
        if role == "guest":
            assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
        elif role == "learner":
            assert response.status_code == 403, url
        else:
            assert response.status_code in (200, 302), (url, response.status_code)
    if role in ("guest", "learner"):
        assert Lesson.objects.filter(pk=lesson.pk).exists()  # nothing was deleted or moved


def test_studio_posts_need_csrf():
    lesson = make_lesson()
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user("teacher", instructor=True))
    response = client.post(reverse("lessons:studio_lesson_edit", args=[lesson.pk]), edit_data(lesson, title="X"))
    assert response.status_code == 403
    assert Lesson.objects.get(pk=lesson.pk).title != "X"


def test_outline_shows_status_badges(instructor):
    part = make_part()
    make_lesson(part, 1, title="Live one")
    make_lesson(part, 2, title="Hidden one", status=Lesson.Status.DRAFT)
    changed = make_lesson(part, 3, title="Edited one")
    changed.draft_source = "## New\n\nPending.\n"
    changed.save()
    html = instructor.get(reverse("lessons:studio_outline")).content.decode()
    assert html.count("badge--good") == 2 and "badge--muted" in html and "Changed since publishing" in html


def test_saving_a_published_lesson_keeps_learners_on_the_published_text(instructor):
    lesson = make_lesson(source="## Old\n\nOld words.\n")
    url = reverse("lessons:studio_lesson_edit", args=[lesson.pk])
    response = instructor.post(url, edit_data(lesson, source="## New\n\nNew words.\n", note="rewrite"))
    assert response.status_code == 302
    lesson.refresh_from_db()
    assert lesson.has_unpublished_changes and lesson.version == 2
    assert "Old words." in Client().get(lesson.get_absolute_url()).content.decode()
    assert LessonRevision.objects.get(lesson=lesson, number=2).note == "rewrite"
    instructor.post(url, edit_data(lesson, action="publish"))
    lesson.refresh_from_db()
    assert not lesson.has_unpublished_changes and lesson.is_published
    assert "New words." in Client().get(lesson.get_absolute_url()).content.decode()


def test_new_lesson_is_a_draft_until_published(instructor):
    part = make_part()
    url = reverse("lessons:studio_lesson_create", args=[part.pk])
    data = {"title": "Fresh", "slug": "fresh", "summary": "", "source": "## One\n\nText.\n", "action": "save"}
    assert instructor.post(url, data).status_code == 302
    lesson = Lesson.objects.get(slug="fresh")
    assert lesson.status == Lesson.Status.DRAFT
    assert Client().get(lesson.get_absolute_url()).status_code == 404
    view = instructor.get(reverse("lessons:studio_lesson_view", args=[lesson.pk]))
    assert view.status_code == 200 and "Instructor preview" in view.content.decode()


def test_validation_errors_are_shown_next_to_the_field(instructor):
    lesson = make_lesson()
    other = make_lesson(order=2, slug="taken")
    url = reverse("lessons:studio_lesson_edit", args=[lesson.pk])
    response = instructor.post(url, edit_data(lesson, slug=other.slug, source="[quiz: nowhere]\n"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Another lesson already uses this slug." in html and "Unknown quiz &#x27;nowhere&#x27;." in html
    assert Lesson.objects.get(pk=lesson.pk).version == 1


def test_oversized_source_is_refused(instructor):
    lesson = make_lesson()
    url = reverse("lessons:studio_lesson_edit", args=[lesson.pk])
    response = instructor.post(url, edit_data(lesson, source="a" * 200_001))
    assert "byte limit" in response.content.decode()
    assert Lesson.objects.get(pk=lesson.pk).version == 1


def test_concurrent_edit_warns_and_shows_the_difference_instead_of_overwriting(instructor):
    lesson = make_lesson(source="## A\n\nShared start.\n")
    url = reverse("lessons:studio_lesson_edit", args=[lesson.pk])
    stale = edit_data(lesson)
    other = Client()
    other.force_login(make_user("colleague", instructor=True))
    other.post(url, edit_data(lesson, source="## A\n\nTheir change.\n"))
    response = instructor.post(url, {**stale, "source": "## A\n\nMy change.\n"})
    html = response.content.decode()
    assert response.status_code == 409
    assert "Someone else saved this lesson" in html and "Their change." in html and "My change." in html
    assert Lesson.objects.get(pk=lesson.pk).working_source == "## A\n\nTheir change.\n"
    version = re.search(r'name="version" value="(\d+)"', html).group(1)
    instructor.post(url, {**stale, "version": version, "source": "## A\n\nMerged.\n"})
    assert Lesson.objects.get(pk=lesson.pk).working_source == "## A\n\nMerged.\n"


def test_history_diff_and_restore(instructor):
    lesson = make_lesson(source="## A\n\nFirst.\n")
    url = reverse("lessons:studio_lesson_edit", args=[lesson.pk])
    LessonRevision.objects.create(lesson=lesson, number=1, title=lesson.title, source=lesson.source)
    instructor.post(url, edit_data(lesson, source="## A\n\nSecond.\n", action="publish"))
    history = reverse("lessons:studio_lesson_history", args=[lesson.pk])
    html = instructor.get(history, {"a": 1, "b": 2}).content.decode()
    assert '<del class="diff__del">-First.</del>' in html and '<ins class="diff__add">+Second.</ins>' in html
    assert instructor.get(history, {"a": 1, "b": 99}).status_code == 400
    instructor.post(reverse("lessons:studio_revision_restore", args=[lesson.pk, 1]))
    lesson.refresh_from_db()
    assert lesson.version == 3 and lesson.working_source == "## A\n\nFirst.\n"
    assert LessonRevision.objects.get(lesson=lesson, number=3).note == "Restored revision 1"
    assert LessonRevision.objects.filter(lesson=lesson).count() == 3  # history is never rewritten


def test_reorder_with_up_and_down(instructor):
    part = make_part()
    first, second, third = (make_lesson(part, n) for n in (1, 2, 3))
    response = instructor.post(reverse("lessons:studio_lesson_move", args=[third.pk, "up"]), headers=HTMX)
    assert_fragment(response, f"part-lessons-{part.pk}")
    assert [lesson.pk for lesson in part.lessons.order_by("order")] == [first.pk, third.pk, second.pk]
    instructor.post(reverse("lessons:studio_lesson_move", args=[first.pk, "up"]))  # already first: no-op
    assert [lesson.pk for lesson in part.lessons.order_by("order")] == [first.pk, third.pk, second.pk]


def test_search_across_lesson_text(instructor):
    make_lesson(source="## One\n\nThe CoastRunners boat circled.\n", title="Boats")
    make_lesson(order=2, source="## Two\n\nNothing here.\n", title="Other")
    response = instructor.get(
        reverse("lessons:studio_outline"), {"q": "coastrunners", "fragment": "results"}, headers=HTMX
    )
    html = assert_fragment(response, "search-results")
    assert "1 lesson match" in html and "Boats" in html and "Other" not in html


def test_preview_renders_like_learners_see_and_lists_problems(instructor):
    make_quiz("check")
    source = "# Title\n\n## A\n\n#### Deep\n\n[quiz: check]\n\n[exercise: nope]\n\n[link](/no-such-page/)\n"
    html = instructor.post(reverse("lessons:studio_lesson_preview"), {"source": source}).content.decode()
    assert 'id="quiz-check"' in html and "inert" in html
    assert "level-1 heading" in html and "skips from level 2 to level 4" in html
    assert "Unknown exercise &#x27;nope&#x27;" in html and "Broken internal link: /no-such-page/" in html


@pytest.mark.parametrize("source", HOSTILE)
def test_hostile_markdown_through_the_editor_is_sanitised(instructor, source):
    lesson = make_lesson()
    preview = instructor.post(reverse("lessons:studio_lesson_preview"), {"source": source}).content.decode()
    body = preview.split('class="prose preview-body" inert>', 1)[1]
    assert not DANGEROUS.search(body)
    instructor.post(
        reverse("lessons:studio_lesson_edit", args=[lesson.pk]), edit_data(lesson, source=source, action="publish")
    )
    lesson.refresh_from_db()
    assert all(not DANGEROUS.search(block.get("html", "")) for block in lesson.blocks)


def test_quiz_editor_validates_like_the_import_and_keeps_recorded_scores(instructor):
    lesson, quiz = make_lesson_with_quiz()
    question = quiz.questions.first()
    Answer.objects.create(user=make_user("l1"), question=question, choice_ids=[1], score=1.0)
    url = reverse("lessons:studio_assessment_edit", args=["quiz", quiz.slug])
    page = instructor.get(url).content.decode()
    assert "Question 1 (key q1): 1 attempt" in page
    text = re.search(r'<textarea id="id_text"[^>]*>(.*?)</textarea>', page, re.S).group(1)
    import html as html_lib

    text = html_lib.unescape(text)
    broken = text.replace("correct = true", "correct = false", 1)
    response = instructor.post(url, {"text": broken})
    assert response.status_code == 400 and "question 1: has no correct choice" in response.content.decode()
    edited = text.replace("Prompt 1?", "A clearer prompt?")
    assert instructor.post(url, {"text": edited}).status_code == 302
    question.refresh_from_db()
    assert question.prompt == "A clearer prompt?"
    assert Answer.objects.get().score == 1.0


def test_new_exercise_needs_a_known_taxonomy(instructor):
    url = reverse("lessons:studio_assessment_create", args=["exercise"])
    text = (
        'title = "T"\ntaxonomy = "nope"\n\n[[cases]]\nslug = "c"\ntitle = "C"\nscenario = "S"\n'
        'source_title = "X"\nsource_url = "https://example.org"\nanswers = ["a"]\nexplanation = "E"\n'
    )
    response = instructor.post(url, {"slug": "new-ex", "text": text})
    assert response.status_code == 400 and "unknown taxonomy &#x27;nope&#x27;" in response.content.decode()


def test_deleting_a_lesson_with_progress_is_refused(instructor):
    lesson = make_lesson()
    reader = Client()
    reader.force_login(make_user("reader"))
    reader.get(lesson.get_absolute_url())
    instructor.post(reverse("lessons:studio_lesson_delete", args=[lesson.pk]), {"confirm": "yes"})
    assert Lesson.objects.filter(pk=lesson.pk).exists() and LessonProgress.objects.count() == 1


def test_deleting_a_lesson_asks_first_and_deletes_only_once_confirmed(instructor):
    lesson = make_lesson(title="Doomed")
    url = reverse("lessons:studio_lesson_delete", args=[lesson.pk])
    asked = instructor.get(url)
    assert asked.status_code == 200 and "Delete “Doomed” permanently" in asked.content.decode()
    unconfirmed = instructor.post(url)
    assert unconfirmed.status_code == 200 and Lesson.objects.filter(pk=lesson.pk).exists()
    done = instructor.post(url, {"confirm": "yes"})
    assert done.status_code == 302 and not Lesson.objects.filter(pk=lesson.pk).exists()


def test_course_round_trip_is_lossless(tmp_path, course):
    first, second = tmp_path / "one", tmp_path / "two"
    call_command("export_course", str(first), stdout=io.StringIO())
    call_command("import_course", str(first), stdout=io.StringIO())
    call_command("export_course", str(second), stdout=io.StringIO())
    files_one = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert files_one == sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file())
    for name in files_one:
        assert (first / name).read_text() == (second / name).read_text(), name
    assert len(files_one) > 80


def test_import_of_an_export_reproduces_the_course(tmp_path, course):
    snapshot = {q.pk: (q.prompt, q.explanation) for q in Question.objects.all()}
    call_command("export_course", str(tmp_path / "out"), stdout=io.StringIO())
    output = io.StringIO()
    call_command("import_course", str(tmp_path / "out"), stdout=output)
    assert "Course already up to date." in output.getvalue()
    assert snapshot == {q.pk: (q.prompt, q.explanation) for q in Question.objects.all()}


def test_download_course_source_zip(instructor, course):
    response = instructor.get(reverse("lessons:studio_export"))
    assert response["Content-Type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    assert "course/course.toml" in names and any(n.endswith("01-what-is-alignment.md") for n in names)


def test_export_refuses_a_non_empty_folder_without_force(tmp_path, course):
    from django.core.management import CommandError

    (tmp_path / "x.txt").write_text("keep me")
    with pytest.raises(CommandError, match="not empty"):
        call_command("export_course", str(tmp_path))
    assert (tmp_path / "x.txt").read_text() == "keep me"


def test_reimport_after_studio_edits_keeps_learner_progress(instructor, course):
    lesson = Lesson.objects.published().first()
    reader = Client()
    reader.force_login(make_user("reader"))
    reader.get(lesson.get_absolute_url())
    call_command("import_course", stdout=io.StringIO())
    assert LessonProgress.objects.count() == 1
    assert Quiz.objects.exists() and Part.objects.count() == 5


@pytest.mark.parametrize("version", ["", None])
def test_an_edit_without_a_version_is_a_conflict_not_an_overwrite(instructor, version):
    lesson = make_lesson(source="## A\n\nTheirs.\n")
    url = reverse("lessons:studio_lesson_edit", args=[lesson.pk])
    data = edit_data(lesson, source="## A\n\nMine.\n", version=version)
    if version is None:
        del data["version"]
    response = instructor.post(url, data)
    assert response.status_code == 409
    assert "Someone else saved this lesson" in response.content.decode()
    lesson.refresh_from_db()
    assert lesson.working_source == "## A\n\nTheirs.\n" and lesson.version == 1


def test_a_refused_quiz_save_summarises_the_problem_and_quotes_its_line(instructor):
    url = reverse("lessons:studio_assessment_create", args=["quiz"])
    response = instructor.post(url, {"slug": "broken", "text": 'title = "A quiz"\npass_mark = \n'})
    html = response.content.decode()
    assert response.status_code == 400
    assert 'class="error-summary"' in html and "data-focus-on-load" in html
    assert 'href="#id_text"' in html and "Line 2: <code>pass_mark = </code>" in html
    assert not Quiz.objects.filter(slug="broken").exists()


def test_a_refused_lesson_save_summarises_each_field_error(instructor):
    lesson = make_lesson()
    url = reverse("lessons:studio_lesson_edit", args=[lesson.pk])
    response = instructor.post(url, edit_data(lesson, title=""))
    html = response.content.decode()
    assert 'class="error-summary"' in html
    assert '<a href="#id_title">Title: This field is required.</a>' in html
    lesson.refresh_from_db()
    assert lesson.title


def test_moving_a_lesson_to_the_top_puts_focus_on_its_enabled_button(instructor):
    part = make_part()
    make_lesson(part, 1, title="One")
    two = make_lesson(part, 2, title="Two", slug="two")
    url = reverse("lessons:studio_lesson_move", args=[two.pk, "up"])
    html = instructor.post(url, headers={"HX-Request": "true"}).content.decode()
    assert re.search(r'aria-label="Move “Two” up" data-focus-first', html) is None
    assert 'aria-label="Move “Two” down" data-focus-first' in html


def test_a_new_lesson_without_a_slug_gets_one_from_its_title(instructor):
    part = make_part()
    url = reverse("lessons:studio_lesson_create", args=[part.pk])
    data = {"title": "Reward Models, Revisited!", "slug": "", "summary": "", "source": "## A\n\nText.\n", "note": ""}
    response = instructor.post(url, data)
    lesson = Lesson.objects.get(title="Reward Models, Revisited!")
    assert response.status_code == 302 and lesson.slug == "reward-models-revisited"
    again = instructor.post(url, data)
    assert again.status_code == 200 and "Another lesson already uses this slug." in again.content.decode()
    assert Lesson.objects.filter(title="Reward Models, Revisited!").count() == 1
