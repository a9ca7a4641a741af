"""Where each learner stands in each lesson: opened, and completed once the checks pass.

Quiz and exercise status are not stored here: they are derived from Answer and
ExerciseAttempt rows, so there is one source of truth. Lessons are never deleted by the
import (a removed lesson becomes a draft), and LessonProgress protects its lesson, so a
learner's history cannot vanish with the content.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from .assessment import LearnerQuerySet
from .course import Lesson


class LessonProgress(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE)
    session_key = models.CharField(max_length=40, blank=True, db_index=True)
    lesson = models.ForeignKey(Lesson, on_delete=models.PROTECT, related_name="progress")
    first_opened_at = models.DateTimeField()
    last_opened_at = models.DateTimeField(db_index=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    objects = LearnerQuerySet.as_manager()

    class Meta:
        ordering = ["-last_opened_at"]
        verbose_name_plural = "lesson progress"
        constraints = [
            models.UniqueConstraint(
                fields=["user", "lesson"], condition=Q(user__isnull=False), name="progress_one_row_per_user_lesson"
            ),
            models.UniqueConstraint(
                fields=["session_key", "lesson"],
                condition=Q(user__isnull=True),
                name="progress_one_row_per_guest_lesson",
            ),
            models.CheckConstraint(condition=Q(user__isnull=False) | ~Q(session_key=""), name="progress_has_learner"),
        ]

    def __str__(self) -> str:
        who = self.user or f"guest {self.session_key[:6]}"
        return f"{who} · {self.lesson}"


class Cohort(models.Model):
    """A group of learners reviewed together (a class, a team, an intake)."""

    name = models.CharField(max_length=100, unique=True)
    start_date = models.DateField(null=True, blank=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="cohorts", blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
