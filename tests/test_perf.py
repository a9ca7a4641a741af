"""Reads that never write, constant query counts, the shared cache, and no hot rows."""

import pytest
from django.db.models import Sum

from lessons.actions import record_answer
from lessons.learners import Learner
from lessons.models import DailyScores
from lessons.models.stats import DAILY_SHARDS, daily_shard

from .factories import make_lesson_with_quiz, make_user

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
