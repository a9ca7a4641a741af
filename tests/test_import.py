"""import_course: idempotent, updates by slug, all or nothing, never deletes learner data."""

import shutil
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from lessons.models import Lesson, Part

from .conftest import COURSE_DIR


def run_import(path):
    out = StringIO()
    call_command("import_course", str(path), stdout=out)
    return out.getvalue()


@pytest.fixture
def tree(tmp_path):
    target = tmp_path / "course"
    shutil.copytree(COURSE_DIR, target)
    return target


def test_import_creates_the_course(db):
    run_import(COURSE_DIR)
    assert Part.objects.count() == 5
    part1 = Part.objects.get(number=1)
    assert 6 <= part1.lessons.published().count() <= 8
    lesson = part1.lessons.first()
    assert lesson.blocks and lesson.blocks[0]["type"] == "html"
    assert any(h["level"] == 2 for h in lesson.headings)
    assert lesson.reading_minutes >= 2


def test_running_twice_changes_nothing(db):
    run_import(COURSE_DIR)
    before = {lesson.slug: (lesson.updated_at, lesson.version) for lesson in Lesson.objects.all()}
    output = run_import(COURSE_DIR)
    assert "Course already up to date." in output
    after = {lesson.slug: (lesson.updated_at, lesson.version) for lesson in Lesson.objects.all()}
    assert after == before


def test_an_edited_file_updates_its_lesson(db, tree):
    run_import(tree)
    lesson_file = sorted((tree / "01-understanding-ai-alignment").glob("*.md"))[0]
    lesson_file.write_text(lesson_file.read_text() + "\n## Added section\n\nNew words.\n")
    run_import(tree)
    lesson = Lesson.objects.get(order=1, part__number=1)
    assert "added-section" in {h["id"] for h in lesson.headings}
    assert lesson.version == 2


def test_invalid_source_writes_nothing(db, tree):
    (tree / "01-understanding-ai-alignment" / "part.toml").write_text("number = 'one'\n")
    with pytest.raises(CommandError) as info:
        run_import(tree)
    assert "part.toml" in str(info.value) and "nothing was changed" in str(info.value)
    assert Part.objects.count() == 0 and Lesson.objects.count() == 0


def test_a_render_failure_rolls_back_everything(db, tree, settings):
    run_import(COURSE_DIR)
    titles = set(Lesson.objects.values_list("title", flat=True))
    lesson_file = sorted((tree / "01-understanding-ai-alignment").glob("*.md"))[1]
    lesson_file.write_text(lesson_file.read_text().replace("title = ", "title = 'Renamed' #", 1))
    last = sorted((tree / "01-understanding-ai-alignment").glob("*.md"))[-1]
    last.write_text(last.read_text() + "x" * 210_000)
    with pytest.raises(CommandError, match="limit is 200,000 bytes"):
        run_import(tree)
    assert set(Lesson.objects.values_list("title", flat=True)) == titles


def test_swapping_two_lessons_order_works(db, tree):
    run_import(tree)
    folder = tree / "01-understanding-ai-alignment"
    first, second = sorted(folder.glob("*.md"))[:2]
    slug1, slug2 = Lesson.objects.get(order=1, part__number=1).slug, Lesson.objects.get(order=2, part__number=1).slug
    first.rename(folder / ("02-" + first.name[3:]))
    second.rename(folder / ("01-" + second.name[3:]))
    run_import(tree)
    assert Lesson.objects.get(slug=slug1).order == 2 and Lesson.objects.get(slug=slug2).order == 1


def test_a_lesson_removed_from_the_source_is_kept_as_a_draft(db, tree):
    extra = tree / "02-rlhf-and-constitutional-ai" / "09-extra.md"
    extra.write_text("+++\ntitle = 'Extra'\n+++\n\n## Body\n\nText.\n")
    run_import(tree)
    slug = "extra"
    assert Lesson.objects.get(slug=slug).status == Lesson.Status.PUBLISHED
    extra.unlink()
    output = run_import(tree)
    assert Lesson.objects.get(slug=slug).status == Lesson.Status.DRAFT
    assert f"lesson '{slug}' is no longer in the source" in output
