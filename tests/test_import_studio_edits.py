"""import_course never silently replaces a lesson edited in the studio after the last import."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from lessons.actions import save_lesson
from lessons.models import Lesson, LessonRevision

from .factories import make_user

LESSON = '+++\ntitle = "{title}"\nslug = "l"\nstatus = "published"\n+++\n\n## Intro\n\n{body}\n'


@pytest.fixture
def tree(tmp_path):
    (tmp_path / "01-p").mkdir()
    (tmp_path / "course.toml").write_text('title = "Mini"\n')
    (tmp_path / "01-p" / "part.toml").write_text('number = 1\nslug = "p"\ntitle = "P"\n')
    write_lesson(tmp_path, "From the files.")
    return tmp_path


def write_lesson(tree, body, title="L"):
    (tree / "01-p" / "01-l.md").write_text(LESSON.format(title=title, body=body))


def run_import(tree, *args) -> str:
    out = StringIO()
    call_command("import_course", str(tree), *args, stdout=out)
    return out.getvalue()


def studio_publish(source, title="L"):
    lesson = Lesson.objects.get(slug="l")
    editor = make_user("editor", instructor=True)
    return save_lesson(lesson, title=title, slug="l", summary="", source=source, author=editor, publish=True)


def test_a_studio_edit_is_kept_and_the_conflict_reported(db, tree):
    run_import(tree)
    studio_publish("## Intro\n\nWritten in the studio.\n", title="Studio title")
    version = Lesson.objects.get().version
    write_lesson(tree, "Changed in the files too.")
    output = run_import(tree)
    lesson = Lesson.objects.get()
    assert "Written in the studio." in lesson.source and lesson.title == "Studio title"
    assert lesson.version == version and lesson.revisions.count() == 2
    assert "lesson 'l' was edited in the studio after the last import (revision 2, editor" in output
    assert "kept the studio version" in output and "--overwrite-studio-edits" in output
    assert "1 lesson kept as edited in the studio" in output
    # and again on the next run (make run): never silent, still kept
    assert "kept the studio version" in run_import(tree)
    assert "Written in the studio." in Lesson.objects.get().source


def test_the_override_flag_replaces_studio_edits_with_the_file(db, tree):
    run_import(tree)
    studio_publish("## Intro\n\nWritten in the studio.\n")
    lesson = Lesson.objects.get()
    save_lesson(
        lesson, title="L", slug="l", summary="", source="## Intro\n\nA pending draft.\n", author=None
    )  # saved, not published
    write_lesson(tree, "Changed in the files.")
    output = run_import(tree, "--overwrite-studio-edits")
    lesson = Lesson.objects.get()
    assert "Changed in the files." in lesson.source and lesson.draft_source == ""
    assert "replaced by the file" in output
    newest = lesson.revisions.first()
    assert newest.number == lesson.version == 4 and newest.from_files and "Changed in the files." in newest.source
    # the files are now the newest text: a later file edit imports without conflict
    write_lesson(tree, "Edited in the files later.")
    output = run_import(tree)
    assert "studio" not in output and "Edited in the files later." in Lesson.objects.get().source


def test_an_unchanged_file_and_an_untouched_lesson_never_conflict(db, tree):
    run_import(tree)
    write_lesson(tree, "A file edit.")
    output = run_import(tree)
    assert "studio" not in output and "A file edit." in Lesson.objects.get().source
    assert "Course already up to date." in run_import(tree)


def test_studio_text_copied_into_the_files_is_no_conflict(db, tree):
    run_import(tree)
    studio_publish("## Intro\n\nWritten in the studio.\n")
    write_lesson(tree, "Written in the studio.")  # someone exported the studio text into the files
    output = run_import(tree)
    assert "studio" not in output and LessonRevision.objects.filter(from_files=True).count() == 2
    write_lesson(tree, "Then edited in the files.")
    assert "studio" not in run_import(tree) and "Then edited" in Lesson.objects.get().source


def test_a_studio_edit_through_the_editor_is_kept(db, tree):
    run_import(tree)
    lesson = Lesson.objects.get()
    instructor = Client()
    instructor.force_login(make_user("teacher", instructor=True))
    data = {
        "title": "L",
        "slug": "l",
        "summary": "",
        "source": "## Intro\n\nFrom the editor.\n",
        "version": lesson.version,
        "note": "",
        "action": "publish",
    }
    assert instructor.post(reverse("lessons:studio_lesson_edit", args=[lesson.pk]), data).status_code == 302
    write_lesson(tree, "From the files again.")
    assert "kept the studio version" in run_import(tree)
    assert "From the editor." in Lesson.objects.get().source
