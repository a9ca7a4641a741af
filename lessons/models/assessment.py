"""Quizzes and classification exercises, and the attempts learners make at them.

Attempts store what was submitted and the score exactly as graded; editing a question or
case later never rewrites them. A learner is a user or, for a guest, a session key.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Prefetch, Q
from django.urls import reverse

from lessons.markdown import render_inline_markdown, render_markdown


class QuizQuerySet(models.QuerySet):
    def for_display(self) -> QuizQuerySet:
        """Quizzes with active questions and choices: three queries whatever their number."""
        choices = Prefetch("choices", queryset=Choice.objects.active())
        questions = Question.objects.active().prefetch_related(choices)
        return self.prefetch_related(Prefetch("questions", queryset=questions, to_attr="active_questions"))


class Quiz(models.Model):
    slug = models.SlugField(unique=True)
    title = models.CharField(max_length=200)
    pass_mark = models.PositiveSmallIntegerField(default=70, help_text="Percent of the maximum score needed to pass.")

    objects = QuizQuerySet.as_manager()

    class Meta:
        ordering = ["slug"]
        verbose_name_plural = "quizzes"
        constraints = [
            models.CheckConstraint(condition=Q(pass_mark__gte=1, pass_mark__lte=100), name="quiz_pass_mark_percent")
        ]

    def __str__(self) -> str:
        return self.title


class QuestionQuerySet(models.QuerySet):
    def active(self) -> QuestionQuerySet:
        return self.filter(retired=False)


class Question(models.Model):
    class Kind(models.TextChoices):
        SINGLE = "single", "Single choice"
        MULTIPLE = "multiple", "Multiple select"
        TRUE_FALSE = "true_false", "True or false"

    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="questions")
    key = models.SlugField(max_length=40, help_text="Stable identity in the quiz's file; never reused.")
    order = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.SINGLE)
    prompt = models.TextField(help_text="Markdown.")
    prompt_html = models.TextField(editable=False, default="")
    explanation = models.TextField(help_text="Markdown, shown after every attempt.")
    explanation_html = models.TextField(editable=False, default="")
    section = models.CharField(
        max_length=200, blank=True, help_text="lesson-slug#heading-id of the section that teaches this."
    )
    # A question removed from the source but already answered is retired, not deleted,
    # so learners' history keeps its meaning.
    retired = models.BooleanField(default=False)

    objects = QuestionQuerySet.as_manager()

    class Meta:
        ordering = ["quiz", "order"]
        constraints = [
            models.UniqueConstraint(fields=["quiz", "order"], name="question_unique_order_in_quiz"),
            models.UniqueConstraint(fields=["quiz", "key"], name="question_unique_key_in_quiz"),
        ]

    def __str__(self) -> str:
        return f"{self.quiz.slug} Q{self.order}"

    def save(self, *args, **kwargs):
        self.prompt_html = render_markdown(self.prompt)
        self.explanation_html = render_markdown(self.explanation)
        super().save(*args, **kwargs)

    @property
    def section_url(self) -> str:
        """Link to the section that teaches this question ('' if none)."""
        if not self.section:
            return ""
        lesson_slug, _, anchor = self.section.partition("#")
        return reverse("lessons:lesson_by_slug", args=[lesson_slug]) + (f"#{anchor}" if anchor else "")

    @property
    def is_multiple(self) -> bool:
        return self.kind == self.Kind.MULTIPLE


class ChoiceQuerySet(models.QuerySet):
    def active(self) -> ChoiceQuerySet:
        return self.filter(retired=False)


class Choice(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    key = models.SlugField(max_length=40, help_text="Stable identity in the question's file entry; never reused.")
    order = models.PositiveSmallIntegerField()
    text = models.TextField(help_text="Markdown, usually one line.")
    text_html = models.TextField(editable=False, default="")
    correct = models.BooleanField(default=False)
    feedback = models.TextField(blank=True, help_text="Shown when a learner picks this choice.")
    feedback_html = models.TextField(editable=False, default="")
    # A choice removed from the source but already picked is retired, not deleted: it is
    # never shown or graded again, and the answers that picked it still resolve.
    retired = models.BooleanField(default=False)

    objects = ChoiceQuerySet.as_manager()

    class Meta:
        ordering = ["question", "order"]
        constraints = [
            models.UniqueConstraint(fields=["question", "order"], name="choice_unique_order_in_question"),
            models.UniqueConstraint(fields=["question", "key"], name="choice_unique_key_in_question"),
        ]

    def __str__(self) -> str:
        return self.text[:60]

    def save(self, *args, **kwargs):
        self.text_html = render_inline_markdown(self.text)
        self.feedback_html = render_markdown(self.feedback) if self.feedback else ""
        super().save(*args, **kwargs)


class Taxonomy(models.Model):
    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, help_text="Markdown.")
    description_html = models.TextField(editable=False, default="")

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "taxonomies"

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.description_html = render_markdown(self.description)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("lessons:taxonomy_detail", args=[self.slug])


class Category(models.Model):
    taxonomy = models.ForeignKey(Taxonomy, on_delete=models.CASCADE, related_name="categories")
    order = models.PositiveSmallIntegerField()
    slug = models.SlugField()
    name = models.CharField(max_length=200)
    definition = models.TextField(help_text="Markdown.")
    definition_html = models.TextField(editable=False, default="")

    class Meta:
        ordering = ["taxonomy", "order"]
        verbose_name_plural = "categories"
        constraints = [models.UniqueConstraint(fields=["taxonomy", "slug"], name="category_unique_slug_in_taxonomy")]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.definition_html = render_markdown(self.definition)
        super().save(*args, **kwargs)


class ExerciseQuerySet(models.QuerySet):
    def for_display(self) -> ExerciseQuerySet:
        return self.select_related("taxonomy").prefetch_related(
            "taxonomy__categories",
            Prefetch("cases", queryset=Case.objects.active(), to_attr="active_cases"),
        )


class Exercise(models.Model):
    slug = models.SlugField(unique=True)
    title = models.CharField(max_length=200)
    taxonomy = models.ForeignKey(Taxonomy, on_delete=models.PROTECT, related_name="exercises")
    instructions = models.TextField(blank=True, help_text="Markdown.")
    instructions_html = models.TextField(editable=False, default="")
    multi_label = models.BooleanField(default=False, help_text="Whether a case may belong to several categories.")
    pass_mark = models.PositiveSmallIntegerField(default=70, help_text="Percent needed to pass.")

    objects = ExerciseQuerySet.as_manager()

    class Meta:
        ordering = ["slug"]
        constraints = [
            models.CheckConstraint(condition=Q(pass_mark__gte=1, pass_mark__lte=100), name="exercise_pass_mark_percent")
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        self.instructions_html = render_markdown(self.instructions)
        super().save(*args, **kwargs)


class CaseQuerySet(models.QuerySet):
    def active(self) -> CaseQuerySet:
        return self.filter(retired=False)


class Case(models.Model):
    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="cases")
    order = models.PositiveSmallIntegerField()
    slug = models.SlugField()
    title = models.CharField(max_length=200)
    scenario = models.TextField(help_text="Markdown: the documented case in our words.")
    scenario_html = models.TextField(editable=False, default="")
    source_title = models.CharField(max_length=300)
    source_url = models.URLField(max_length=500)
    answers = models.JSONField(default=list, help_text="Correct category slugs.")
    also_accept = models.JSONField(default=list, blank=True, help_text="Other defensible slugs.")
    explanation = models.TextField(help_text="Markdown: why the answer is right.")
    explanation_html = models.TextField(editable=False, default="")
    why_not = models.JSONField(default=dict, blank=True, help_text="Category slug → why it does not fit.")
    why_not_html = models.JSONField(default=dict, editable=False)
    retired = models.BooleanField(default=False)

    objects = CaseQuerySet.as_manager()

    class Meta:
        ordering = ["exercise", "order"]
        constraints = [models.UniqueConstraint(fields=["exercise", "slug"], name="case_unique_slug_in_exercise")]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        self.scenario_html = render_markdown(self.scenario)
        self.explanation_html = render_markdown(self.explanation)
        self.why_not_html = {slug: render_markdown(text) for slug, text in self.why_not.items()}
        super().save(*args, **kwargs)


class LearnerQuerySet(models.QuerySet):
    def for_learner(self, learner) -> models.QuerySet:
        """Rows of one learner: `learner` is a lessons.learners.Learner."""
        if not learner.is_known:
            return self.none()
        if learner.user_id:
            return self.filter(user_id=learner.user_id)
        return self.filter(user__isnull=True, session_key=learner.session_key)


class LearnerOwned(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE)
    session_key = models.CharField(max_length=40, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = LearnerQuerySet.as_manager()

    class Meta:
        abstract = True


class Answer(LearnerOwned):
    """One submission to one question: the choices picked and the score as graded.

    `prompt_seen` and `picked_seen` keep the texts the learner saw when grading happened,
    so history reads the same after the question is reworded, reordered or retired.
    """

    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    choice_ids = models.JSONField(help_text="Ids of the choices picked, as submitted.")
    # The same picks as rows, so reports can count them in the database.
    picks = models.ManyToManyField(Choice, related_name="picked_in", blank=True)
    score = models.FloatField(help_text="0 to 1, as graded at the time.")
    prompt_seen = models.TextField(blank=True, help_text="The question's prompt (Markdown) when it was answered.")
    picked_seen = models.JSONField(
        default=list, blank=True, help_text="[{id, key, text, correct}] of each choice picked, as graded."
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "question"], name="answer_user_question")]
        constraints = [
            models.CheckConstraint(condition=Q(score__gte=0, score__lte=1), name="answer_score_0_1"),
            models.CheckConstraint(condition=Q(user__isnull=False) | ~Q(session_key=""), name="answer_has_learner"),
        ]

    def __str__(self) -> str:
        return f"{self.question} → {self.score:.2f}"

    @property
    def picked_texts(self) -> list[str]:
        """The texts of the choices picked, as the learner saw them."""
        return [pick["text"] for pick in self.picked_seen]

    @property
    def as_seen(self) -> dict:
        return answer_as_seen(self.prompt_seen, self.picked_seen)


def answer_as_seen(prompt: str, picked: list[dict]) -> dict:
    """An answer for exports: the prompt and each pick (key, text, correct) as graded."""
    return {
        "prompt": prompt,
        "picked": [{"key": p.get("key", ""), "text": p.get("text", ""), "correct": p.get("correct")} for p in picked],
    }


def snapshot_picks(choices) -> list[dict]:
    """What `Answer.picked_seen` stores for `choices` (Choice rows or equivalents)."""
    return [{"id": c.pk, "key": c.key, "text": c.text, "correct": bool(c.correct)} for c in choices]


class ExerciseAttempt(LearnerOwned):
    """One check of an exercise: per-case picks and scores, and the total as graded."""

    exercise = models.ForeignKey(Exercise, on_delete=models.PROTECT, related_name="attempts")
    answers = models.JSONField(help_text="Case slug → category slugs picked.")
    results = models.JSONField(help_text="Case slug → score 0 to 1.")
    score = models.FloatField(help_text="Mean of the case scores, 0 to 1.")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "exercise"], name="attempt_user_exercise")]
        constraints = [
            models.CheckConstraint(condition=Q(score__gte=0, score__lte=1), name="attempt_score_0_1"),
            models.CheckConstraint(condition=Q(user__isnull=False) | ~Q(session_key=""), name="attempt_has_learner"),
        ]

    def __str__(self) -> str:
        return f"{self.exercise} → {self.score:.2f}"


class CasePick(models.Model):
    """One category a learner picked for one case in one check, for the confusion matrix.

    `correct_category` is the case's answer the pick is counted against: the pick itself
    when it was right, otherwise the case's first answer.
    """

    attempt = models.ForeignKey(ExerciseAttempt, on_delete=models.CASCADE, related_name="picks")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="picks")
    category = models.SlugField()
    correct_category = models.SlugField()

    class Meta:
        indexes = [models.Index(fields=["case", "correct_category", "category"], name="casepick_confusion")]

    def __str__(self) -> str:
        return f"{self.case}: {self.category}"
