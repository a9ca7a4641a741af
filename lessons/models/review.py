"""Spaced review: one card per learner and item (a question or a case), and a log line per
attempt that rated it.

A card holds the FSRS state (lessons.scheduling decides it); it is written in the same
transaction as the Answer or ExerciseAttempt that rates it, by lessons.review. The log keeps
what calibration and retention need (score, confidence, days since the previous attempt);
scores there are copies of the graded attempt, never recomputed.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from .assessment import Answer, Case, ExerciseAttempt, LearnerQuerySet, Question


class ReviewCardQuerySet(LearnerQuerySet):
    def live(self) -> ReviewCardQuerySet:
        """Cards whose question or case is still in the course (not retired)."""
        return self.filter(Q(question__retired=False) | Q(case__retired=False))

    def due_by(self, moment) -> ReviewCardQuerySet:
        return self.live().filter(due__lte=moment)


class ReviewCard(models.Model):
    class State(models.IntegerChoices):  # fsrs.State's values
        LEARNING = 1, "Learning"
        REVIEW = 2, "Review"
        RELEARNING = 3, "Relearning"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE)
    session_key = models.CharField(max_length=40, blank=True)
    question = models.ForeignKey(Question, null=True, blank=True, on_delete=models.CASCADE, related_name="cards")
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.CASCADE, related_name="cards")
    state = models.PositiveSmallIntegerField(choices=State.choices, default=State.LEARNING)
    step = models.PositiveSmallIntegerField(null=True, blank=True)
    stability = models.FloatField(null=True, blank=True, help_text="Days until recall falls to 90%.")
    difficulty = models.FloatField(null=True, blank=True)
    due = models.DateTimeField()
    last_review = models.DateTimeField(null=True, blank=True)
    reviews = models.PositiveIntegerField(default=0)

    objects = ReviewCardQuerySet.as_manager()

    class Meta:
        ordering = ["due", "id"]
        indexes = [
            # The due count and the next item: a range scan on (learner, due).
            models.Index(fields=["user", "due"], name="card_user_due"),
            models.Index(fields=["session_key", "due"], condition=Q(user__isnull=True), name="card_guest_due"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(question__isnull=False, case__isnull=True) | Q(question__isnull=True, case__isnull=False),
                name="card_one_item",
            ),
            models.CheckConstraint(condition=Q(user__isnull=False) | ~Q(session_key=""), name="card_has_learner"),
            models.UniqueConstraint(
                fields=["user", "question"],
                condition=Q(user__isnull=False, question__isnull=False),
                name="card_one_per_user_question",
            ),
            models.UniqueConstraint(
                fields=["user", "case"],
                condition=Q(user__isnull=False, case__isnull=False),
                name="card_one_per_user_case",
            ),
            models.UniqueConstraint(
                fields=["session_key", "question"],
                condition=Q(user__isnull=True, question__isnull=False),
                name="card_one_per_guest_question",
            ),
            models.UniqueConstraint(
                fields=["session_key", "case"],
                condition=Q(user__isnull=True, case__isnull=False),
                name="card_one_per_guest_case",
            ),
        ]

    def __str__(self) -> str:
        who = self.user or f"guest {self.session_key[:6]}"
        return f"{who} · {self.question or self.case} · due {self.due:%Y-%m-%d %H:%M}"

    @property
    def item(self):
        return self.question or self.case

    @property
    def mastered(self) -> bool:
        from lessons.scheduling import MASTERY_DAYS

        return (self.stability or 0) >= MASTERY_DAYS


class ReviewLog(models.Model):
    """One attempt at one card's item, in a lesson or in review."""

    card = models.ForeignKey(ReviewCard, on_delete=models.CASCADE, related_name="log")
    answer = models.ForeignKey(Answer, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    attempt = models.ForeignKey(ExerciseAttempt, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    reviewed_at = models.DateTimeField()
    score = models.FloatField(help_text="The attempt's score for this item, as graded.")
    rating = models.PositiveSmallIntegerField(help_text="FSRS rating: 1 again, 2 hard, 3 good, 4 easy.")
    confidence = models.CharField(max_length=5, blank=True, help_text="sure, think, guess, or blank.")
    days_since_previous = models.FloatField(null=True, blank=True, help_text="Blank for a first attempt.")

    class Meta:
        ordering = ["reviewed_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(score__gte=0, score__lte=1), name="reviewlog_score_0_1"),
            models.CheckConstraint(
                condition=Q(confidence__in=["", "sure", "think", "guess"]), name="reviewlog_known_confidence"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.card_id} rated {self.rating} at {self.reviewed_at:%Y-%m-%d %H:%M}"
