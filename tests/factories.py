"""Plain helpers that make rows for tests."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from lessons.models import Course, Lesson, Part

PASSWORD = "a-long-test-password-1"


def make_user(username="learner", *, instructor=False, staff=False):
    # Admins are staff with every permission (as seed_demo makes them).
    user = get_user_model().objects.create_user(
        username=username, password=PASSWORD, is_staff=staff, is_superuser=staff
    )
    if instructor:
        # get_or_create: transactional tests flush the group the data migration made.
        user.groups.add(Group.objects.get_or_create(name="Instructors")[0])
    return user


def make_course():
    return Course.objects.get_or_create(slug="course", defaults={"title": "Test course"})[0]


def make_part(number=1, slug=None, title=None):
    return Part.objects.create(
        course=make_course(), number=number, slug=slug or f"part-{number}", title=title or f"Part {number}"
    )


def make_lesson(part=None, order=1, slug=None, source="## Intro\n\nText.\n", status=Lesson.Status.PUBLISHED, **kw):
    part = part or Part.objects.first() or make_part()
    return Lesson.objects.create(
        part=part,
        order=order,
        slug=slug or f"{part.slug}-lesson-{order}",
        title=kw.pop("title", f"Lesson {order}"),
        source=source,
        status=status,
        **kw,
    )


def make_quiz(slug="check", questions=2, kind="single", pass_mark=70):
    """A quiz whose questions each have one right choice (the first) and two wrong ones."""
    from lessons.models import Choice, Question, Quiz

    quiz = Quiz.objects.create(slug=slug, title=f"Quiz {slug}", pass_mark=pass_mark)
    for order in range(1, questions + 1):
        question = Question.objects.create(
            quiz=quiz,
            key=f"q{order}",
            order=order,
            kind=kind,
            prompt=f"Prompt {order}?",
            explanation=f"Because {order}.",
        )
        for corder, correct in enumerate([True, kind == "multiple", False], 1):
            Choice.objects.create(
                question=question,
                key="abc"[corder - 1],
                order=corder,
                text=f"Choice {order}.{corder}",
                correct=correct,
                feedback=f"Feedback {order}.{corder}",
            )
    return quiz


def make_lesson_with_quiz(quiz_slug="check", questions=2, kind="single", **kw):
    quiz = make_quiz(quiz_slug, questions, kind)
    lesson = make_lesson(source=f"## Intro\n\nRead this.\n\n[quiz: {quiz_slug}]\n\n## After\n\nMore.\n", **kw)
    return lesson, quiz


def make_exercise(slug="sort", cases=3, multi_label=False, taxonomy_slug="kinds"):
    """An exercise over categories a, b, c; case i's answer is 'a' (and 'b' if multi-label)."""
    from lessons.models import Case, Category, Exercise, Taxonomy

    taxonomy, _ = Taxonomy.objects.get_or_create(slug=taxonomy_slug, defaults={"name": "Kinds"})
    for order, name in enumerate("abc", 1):
        Category.objects.get_or_create(
            taxonomy=taxonomy, slug=name, defaults={"order": order, "name": f"Kind {name.upper()}", "definition": name}
        )
    exercise = Exercise.objects.create(slug=slug, title=f"Exercise {slug}", taxonomy=taxonomy, multi_label=multi_label)
    for order in range(1, cases + 1):
        Case.objects.create(
            exercise=exercise,
            order=order,
            slug=f"case-{order}",
            title=f"Case {order}",
            scenario=f"Scenario {order}.",
            source_title="Source",
            source_url="https://example.org/source",
            answers=["a", "b"] if multi_label else ["a"],
            also_accept=[] if multi_label else ["c"] if order == 1 else [],
            explanation=f"Explanation {order}.",
            why_not={"b": f"Why not b {order}."} if not multi_label else {"c": f"Why not c {order}."},
        )
    return exercise


def make_sandbox(slug="boat-race"):
    """A reward lab as authored in fixtures/course (boat-race, block-stacker or cleaning-robot)."""
    from dataclasses import asdict
    from pathlib import Path

    from lessons.course_source import parse_single
    from lessons.models import Sandbox

    path = Path(__file__).resolve().parent.parent / "fixtures/course/01-understanding-ai-alignment/sandboxes"
    data, problems = parse_single("sandbox", slug, (path / f"{slug}.toml").read_text())
    assert not problems, problems
    fields = asdict(data)
    fields.pop("path")
    return Sandbox.objects.create(**fields)
