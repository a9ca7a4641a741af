"""Reward-design sandboxes (lessons.sandbox environments as content) and learners' runs.

A Sandbox row holds an environment exactly as authored in fixtures/course/*/sandboxes/;
a SandboxAttempt is one run of the optimiser for one learner's weights, stored as graded:
the weights, the trajectory, the proxy reward and whether the true objective was met.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from lessons.markdown import render_markdown

from .assessment import LearnerOwned


class Sandbox(models.Model):
    slug = models.SlugField(unique=True)
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, help_text="race, stacker or cleaner (lessons/sandbox.py).")
    horizon = models.PositiveSmallIntegerField(help_text="Number of moves in an episode.")
    objective = models.CharField(max_length=40, help_text="The true objective the challenge checks.")
    objective_label = models.CharField(max_length=300, help_text="The true objective in words.")
    goal = models.CharField(max_length=300, help_text="The challenge, one sentence.")
    instructions = models.TextField(blank=True, help_text="Markdown.")
    instructions_html = models.TextField(editable=False, default="")
    layout = models.JSONField(default=list, help_text="Rows of the grid, one string per row.")
    terms = models.JSONField(default=list, help_text="Reward terms: key, label, help, min, max, step, default.")
    hints = models.JSONField(default=list, blank=True, help_text="Markdown hints, shown one after another.")
    hints_html = models.JSONField(default=list, editable=False)
    loophole = models.TextField(help_text="Markdown: the loophole the naive reward leaves, tied to the lesson.")
    loophole_html = models.TextField(editable=False, default="")
    success = models.TextField(blank=True, help_text="Markdown shown once the objective is met.")
    success_html = models.TextField(editable=False, default="")

    class Meta:
        ordering = ["slug"]
        verbose_name_plural = "sandboxes"

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        self.instructions_html = render_markdown(self.instructions) if self.instructions else ""
        self.hints_html = [render_markdown(hint) for hint in self.hints]
        self.loophole_html = render_markdown(self.loophole)
        self.success_html = render_markdown(self.success) if self.success else ""
        super().save(*args, **kwargs)

    def environment(self):
        from lessons.sandbox import Environment

        return Environment(self.kind, tuple(self.layout), self.horizon, self.objective)

    @property
    def naive_weights(self) -> dict[str, float]:
        return {term["key"]: float(term["default"]) for term in self.terms}


class SandboxAttempt(LearnerOwned):
    """One run of the optimiser: the learner's weights and what the optimal policy did."""

    sandbox = models.ForeignKey(Sandbox, on_delete=models.PROTECT, related_name="attempts")
    weights = models.JSONField(help_text="Term key → weight, as submitted.")
    actions = models.JSONField(help_text="The optimal trajectory's actions, in order.")
    proxy_reward = models.FloatField(help_text="The learner's reward earned by that trajectory.")
    objective_met = models.BooleanField(help_text="Whether the trajectory met the true objective.")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "sandbox"], name="sandboxattempt_user_sandbox")]
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False) | ~Q(session_key=""), name="sandboxattempt_has_learner"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sandbox} → {'met' if self.objective_met else 'missed'}"

    @property
    def score(self) -> float:
        return 1.0 if self.objective_met else 0.0
