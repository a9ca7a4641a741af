"""Reading fixtures/course: the real course parses, and bad files are refused with their names."""

import shutil
from pathlib import Path

import pytest

from lessons.course_source import CourseSourceError, offending_lines, read_course, split_blocks

from .conftest import COURSE_DIR


@pytest.fixture
def tree(tmp_path):
    """A copy of the real course to break."""
    target = tmp_path / "course"
    shutil.copytree(COURSE_DIR, target)
    return target


def first_lesson(tree: Path) -> Path:
    return sorted((tree / "01-understanding-ai-alignment").glob("*.md"))[0]


def problems_for(tree):
    with pytest.raises(CourseSourceError) as info:
        read_course(tree)
    return info.value.problems


def test_the_real_course_reads_cleanly():
    course = read_course(COURSE_DIR)
    assert [p.number for p in course.parts] == [1, 2, 3, 4, 5]
    assert 6 <= len(course.parts[0].lessons) <= 8
    assert all(lesson.title for part in course.parts for lesson in part.lessons)


def test_bad_toml_names_the_file(tree):
    (tree / "course.toml").write_text("title = \n")
    assert any(p.startswith("course.toml: invalid TOML") for p in problems_for(tree))


def test_missing_title_names_the_lesson(tree):
    lesson = first_lesson(tree)
    text = lesson.read_text()
    lesson.write_text(text.replace("\ntitle = ", "\nold_title = ", 1))
    assert f"01-understanding-ai-alignment/{lesson.name}: 'title' is missing" in problems_for(tree)


def test_duplicate_lesson_slug_is_refused(tree):
    lesson = first_lesson(tree)
    shutil.copy(lesson, lesson.with_name("99-copy.md"))
    assert any("duplicate lesson slug" in p and "99-copy.md" in p for p in problems_for(tree))


def test_unknown_part_folder_is_refused(tree):
    (tree / "06-mystery").mkdir()
    (tree / "06-mystery" / "01-lesson.md").write_text("+++\ntitle = 'x'\n+++\ntext\n")
    assert "06-mystery: a part folder needs a part.toml" in problems_for(tree)


def test_unclosed_front_matter_is_refused(tree):
    lesson = first_lesson(tree)
    lesson.write_text("+++\ntitle = 'x'\n\nNo closing line.\n")
    assert any("not closed" in p for p in problems_for(tree))


def test_embedding_an_unknown_quiz_is_refused(tree):
    lesson = first_lesson(tree)
    lesson.write_text(lesson.read_text() + "\n[quiz: no-such-quiz]\n")
    assert any("embeds unknown quiz 'no-such-quiz'" in p for p in problems_for(tree))


def test_split_blocks_separates_directives_but_not_inside_code():
    source = "Intro\n\n[quiz: first]\n\nMiddle\n```\n[quiz: shown-as-code]\n```\n[exercise: sort-it]\n"
    assert split_blocks(source) == [
        ("markdown", "Intro\n\n"),
        ("quiz", "first"),
        ("markdown", "\nMiddle\n```\n[quiz: shown-as-code]\n```\n"),
        ("exercise", "sort-it"),
    ]


def test_every_lesson_ends_with_linked_references():
    import re

    course = read_course(COURSE_DIR)
    for part in course.parts:
        for lesson in part.lessons:
            headings = re.findall(r"^## (.+)$", lesson.source, flags=re.M)
            assert headings and headings[-1].strip() == "References", lesson.path.name
            references = lesson.source.rsplit("## References", 1)[1]
            assert len(re.findall(r"https://", references)) >= 2, lesson.path.name
            assert re.search(r"\b(19|20)\d\d\b", references), lesson.path.name


def test_course_states_its_reward_hacking_convention():
    course = read_course(COURSE_DIR)
    lessons = {lesson.slug: lesson.source for part in course.parts for lesson in part.lessons}
    for slug in ("what-is-alignment", "reward-hacking"):
        text = lessons[slug].lower()
        assert "reward tampering" in text and "specification gaming" in text, slug


def test_images_from_other_sites_are_listed_as_problems_and_site_files_are_not_broken_links():
    from lessons.course_source import lesson_problems

    source = (
        '## A\n\n![chart](https://example.org/c.png)\n\n<img alt="x" src="//cdn.example.org/x.png">\n\n'
        "![ok](/static/ok.png)\n"
    )
    problems = lesson_problems(source, [], quizzes=set(), exercises=set(), paths=set())
    assert len(problems) == 2, problems
    assert "https://example.org/c.png is on another site" in problems[0]
    assert "//cdn.example.org/x.png is on another site" in problems[1]


def test_unknown_embeds_names_each_directive_that_points_nowhere():
    from lessons.course_source import unknown_embeds

    source = "Text.\n\n[quiz: known]\n\n[quiz: missing]\n\n[exercise: gone]\n\n[exercise: here]\n"
    assert unknown_embeds(source, quizzes={"known"}, exercises={"here"}) == [("quiz", "missing"), ("exercise", "gone")]


def test_offending_lines_quotes_the_line_a_toml_error_names():
    text = 'title = "A quiz"\npass_mark = \n'
    problems = ["invalid TOML: Invalid value (at line 2, column 13)", "no questions"]
    assert offending_lines(problems, text) == [(2, "pass_mark = ")]


def test_offending_lines_ignores_line_numbers_outside_the_text():
    assert offending_lines(["invalid TOML: (at line 9, column 1)"], "a = 1\n") == []


def test_no_quiz_repeats_the_heading_it_sits_under():
    """A quiz titled like the section that holds it reads as the same heading twice."""
    course = read_course(COURSE_DIR)
    titles = {quiz.slug: quiz.title for quiz in course.quizzes}
    for part in course.parts:
        for lesson in part.lessons:
            heading = ""
            for line in lesson.source.splitlines():
                if line.startswith("## "):
                    heading = line[3:].strip()
                elif line.startswith("[quiz: ") and heading:
                    title = titles[line.strip()[7:-1]]
                    assert not title.lower().startswith(heading.lower()), (lesson.slug, heading, title)
