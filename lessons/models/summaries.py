"""Summaries kept up to date as learners work, so report pages read a handful of small,
indexed rows instead of scanning every answer.

They are derived data: lessons.summaries rebuilds any of them exactly from Answer,
ExerciseAttempt and LessonProgress (`python manage.py rebuild_report_stats`), and the
report tests compare the maintained values with a rebuild.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class LearnerSummary(models.Model):
    """One row per account: what the learner table and overview need."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="summary"
    )
    last_activity = models.DateTimeField(null=True, db_index=True)
    lessons_completed = models.PositiveIntegerField(default=0, db_index=True)
    answers = models.PositiveIntegerField(default=0)
    answer_score_sum = models.FloatField(default=0)
    attempts = models.PositiveIntegerField(default=0)
    attempt_score_sum = models.FloatField(default=0)
    checks_passed = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name_plural = "learner summaries"

    def __str__(self) -> str:
        return f"summary of {self.user_id}"


class PartSummary(models.Model):
    """Per account and part: started (the row exists) and lessons completed."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="part_summaries")
    part = models.ForeignKey("lessons.Part", on_delete=models.CASCADE, related_name="summaries")
    lessons_completed = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "part"], name="partsummary_one_per_user_part")]
        indexes = [models.Index(fields=["part", "lessons_completed"], name="partsummary_funnel")]

    def __str__(self) -> str:
        return f"{self.user_id} · part {self.part_id}"


class CheckStatus(models.Model):
    """Per account and quiz or exercise: attempts, wrong attempts, passed."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="check_statuses")
    quiz = models.ForeignKey("lessons.Quiz", null=True, blank=True, on_delete=models.CASCADE)
    exercise = models.ForeignKey("lessons.Exercise", null=True, blank=True, on_delete=models.CASCADE)
    attempts = models.PositiveIntegerField(default=0)
    wrong = models.PositiveIntegerField(default=0)
    passed = models.BooleanField(default=False)

    class Meta:
        verbose_name_plural = "check statuses"
        constraints = [
            models.UniqueConstraint(fields=["user", "quiz"], condition=Q(quiz__isnull=False), name="checkstatus_quiz"),
            models.UniqueConstraint(
                fields=["user", "exercise"], condition=Q(exercise__isnull=False), name="checkstatus_exercise"
            ),
            models.CheckConstraint(
                condition=Q(quiz__isnull=True, exercise__isnull=False) | Q(quiz__isnull=False, exercise__isnull=True),
                name="checkstatus_one_target",
            ),
        ]
        # Only the rows the needs-attention list reads, kept in the order it reads them.
        indexes = [
            models.Index(fields=["-wrong"], condition=Q(passed=False, wrong__gt=3), name="checkstatus_stuck"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} · {self.quiz_id or self.exercise_id}"


class QuestionStats(models.Model):
    """Running sums over learners' first attempts, for facility and discrimination.

    x is the first-attempt score on this question; y the same learner's first-attempt total
    on the quiz's other questions. Pearson's r follows from n and these sums.
    """

    question = models.OneToOneField(
        "lessons.Question", on_delete=models.CASCADE, primary_key=True, related_name="stats"
    )
    n = models.PositiveIntegerField(default=0)
    sx = models.FloatField(default=0)
    sxx = models.FloatField(default=0)
    sy = models.FloatField(default=0)
    syy = models.FloatField(default=0)
    sxy = models.FloatField(default=0)

    class Meta:
        verbose_name_plural = "question stats"

    def __str__(self) -> str:
        return f"stats of question {self.question_id}"


class ChoiceStats(models.Model):
    """How often a choice was picked on a learner's first attempt."""

    choice = models.OneToOneField("lessons.Choice", on_delete=models.CASCADE, primary_key=True, related_name="stats")
    first_picks = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name_plural = "choice stats"

    def __str__(self) -> str:
        return f"stats of choice {self.choice_id}"


class ConfusionCount(models.Model):
    """How often learners chose `chosen` for a case whose answer is `correct`."""

    taxonomy = models.ForeignKey("lessons.Taxonomy", on_delete=models.CASCADE, related_name="confusion")
    correct = models.SlugField()
    chosen = models.SlugField()
    n = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["taxonomy", "correct", "chosen"], name="confusion_one_per_pair")]

    def __str__(self) -> str:
        return f"{self.correct} → {self.chosen}: {self.n}"


DAILY_SHARDS = 32


def daily_shard(row_id: int) -> int:
    """Which of a day's DailyScores rows an answer or check (by its id) is added to.

    Consecutive answers land on different rows, and a rebuild finds the same row again.
    """
    return row_id % DAILY_SHARDS


class DailyScores(models.Model):
    """Per day and shard: answers and exercise checks, with score sums, for averages.

    A day's figures are the sum of its shards. Answers and checks are spread over the shards by id, so
    concurrent answers rarely wait on the same row (one row per day was a lock every
    answer in the site queued on).
    """

    day = models.DateField()
    shard = models.PositiveSmallIntegerField(default=0)
    answers = models.PositiveIntegerField(default=0)
    answer_score_sum = models.FloatField(default=0)
    attempts = models.PositiveIntegerField(default=0)
    attempt_score_sum = models.FloatField(default=0)

    class Meta:
        verbose_name_plural = "daily scores"
        constraints = [models.UniqueConstraint(fields=["day", "shard"], name="dailyscores_one_per_day_shard")]

    def __str__(self) -> str:
        return f"{self.day} · shard {self.shard}"
