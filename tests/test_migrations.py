"""Data migrations keep today's rows: run them on rows made with the models of their time."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("lessons", "0008_question_choice_keys")]
AFTER = [("lessons", "0010_lesson_revision_from_files")]


def migrate(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(target)
    return executor.loader.project_state(target).apps


@pytest.fixture
def old_apps(transactional_db):
    apps = migrate(BEFORE)
    yield apps
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes("lessons"))


def test_existing_answers_get_the_texts_they_were_graded_on(old_apps):
    user = old_apps.get_model("auth", "User").objects.create(username="old-learner")
    quiz = old_apps.get_model("lessons", "Quiz").objects.create(slug="q", title="Q", pass_mark=70)
    question = old_apps.get_model("lessons", "Question").objects.create(
        quiz=quiz, key="q1", order=1, kind="single", prompt="Old prompt?", explanation="E"
    )
    Choice = old_apps.get_model("lessons", "Choice")
    right = Choice.objects.create(question=question, key="a", order=1, text="Right", correct=True)
    wrong = Choice.objects.create(question=question, key="b", order=2, text="Wrong", correct=False)
    Answer = old_apps.get_model("lessons", "Answer")
    graded = [
        Answer.objects.create(user=user, question=question, choice_ids=[wrong.pk], score=0.0),
        Answer.objects.create(user=user, question=question, choice_ids=[right.pk], score=1.0),
        Answer.objects.create(user=user, question=question, choice_ids=[99999], score=0.0),  # choice long gone
    ]
    graded[0].picks.set([wrong])
    graded[1].picks.set([right])
    Revision = old_apps.get_model("lessons", "LessonRevision")
    Course = old_apps.get_model("lessons", "Course")
    part = old_apps.get_model("lessons", "Part").objects.create(
        course=Course.objects.create(slug="c", title="C"), number=1, slug="p", title="P"
    )
    lesson = old_apps.get_model("lessons", "Lesson").objects.create(part=part, order=1, slug="l", title="L", source="x")
    Revision.objects.create(lesson=lesson, number=1, title="L", source="x", note="Imported from the course files")
    Revision.objects.create(lesson=lesson, number=2, title="L", source="y", author=user, note="Saved")

    new_apps = migrate(AFTER)

    rows = new_apps.get_model("lessons", "Answer").objects.order_by("id")
    assert [a.prompt_seen for a in rows] == ["Old prompt?"] * 3
    assert [a.picked_seen for a in rows] == [
        [{"id": wrong.pk, "key": "b", "text": "Wrong", "correct": False}],
        [{"id": right.pk, "key": "a", "text": "Right", "correct": True}],
        [{"id": 99999, "key": "", "text": "", "correct": None}],
    ]
    assert [a.score for a in rows] == [0.0, 1.0, 0.0]
    assert new_apps.get_model("lessons", "Answer").picks.through.objects.count() == 2
    assert not new_apps.get_model("lessons", "Choice").objects.filter(retired=True).exists()
    revisions = new_apps.get_model("lessons", "LessonRevision").objects.order_by("number")
    assert [r.from_files for r in revisions] == [True, False]
