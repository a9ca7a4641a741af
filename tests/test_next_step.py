"""The next step home and the dashboard offer (pure: plain objects, no database)."""

from datetime import UTC, datetime
from types import SimpleNamespace

from lessons.progress import COMPLETE, IN_PROGRESS, NOT_STARTED, CourseProgress, PartProgress


def course(*statuses, opened=()):
    lessons = [SimpleNamespace(pk=i, title=f"L{i}") for i in range(len(statuses))]
    rows = {
        i: SimpleNamespace(lesson_id=i, completed_at=None, last_opened_at=datetime(2026, 1, 1 + n, tzinfo=UTC))
        for n, i in enumerate(opened)
    }
    part = PartProgress(SimpleNamespace(number=1), list(zip(lessons, statuses, strict=True)))
    return CourseProgress(parts=[part], rows=rows), lessons


def test_a_new_learner_is_offered_the_first_lesson():
    progress, lessons = course(NOT_STARTED, NOT_STARTED)
    assert progress.next_step == ("Start with", lessons[0])


def test_the_last_opened_unfinished_lesson_comes_first():
    progress, lessons = course(COMPLETE, IN_PROGRESS, IN_PROGRESS, opened=(2, 1))
    assert progress.next_step == ("Continue where you left off", lessons[1])


def test_after_finishing_the_last_opened_lesson_the_next_one_is_offered():
    progress, lessons = course(COMPLETE, COMPLETE, NOT_STARTED)
    assert progress.next_step == ("Next lesson", lessons[2])


def test_a_lesson_skipped_earlier_is_offered_once_the_later_ones_are_done():
    progress, lessons = course(NOT_STARTED, COMPLETE, COMPLETE)
    assert progress.next_step == ("Next lesson", lessons[0])


def test_nothing_is_offered_once_everything_is_complete():
    progress, _ = course(COMPLETE, COMPLETE)
    assert progress.next_step is None
