"""Course → Part → Lesson: the content learners read."""

from __future__ import annotations

import itertools
import math
import re

from django.conf import settings
from django.db import connection, models
from django.db.models import F, Prefetch
from django.urls import reverse

from lessons.markdown import extract_headings, render_markdown, render_markdown_many, word_count

WORDS_PER_MINUTE = 220


class Course(models.Model):
    slug = models.SlugField(unique=True)
    title = models.CharField(max_length=200)
    tagline = models.CharField(max_length=300, blank=True)
    description = models.TextField(blank=True, help_text="Markdown shown on the home page.")
    description_html = models.TextField(blank=True, editable=False)

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        self.description_html = render_markdown(self.description)
        super().save(*args, **kwargs)


class PartQuerySet(models.QuerySet):
    def with_published_lessons(self) -> PartQuerySet:
        """Parts with their published lessons, light fields only, in two queries."""
        lessons = Lesson.objects.published().defer("source", "blocks", "headings").select_related("part")
        return self.prefetch_related(Prefetch("lessons", queryset=lessons, to_attr="published_lessons"))


class Part(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="parts")
    number = models.PositiveSmallIntegerField(unique=True)
    slug = models.SlugField(unique=True)
    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True, help_text="One or two sentences, Markdown.")
    summary_html = models.TextField(blank=True, editable=False)

    objects = PartQuerySet.as_manager()

    class Meta:
        ordering = ["number"]

    def __str__(self) -> str:
        return f"Part {self.number}: {self.title}"

    def save(self, *args, **kwargs):
        self.summary_html = render_markdown(self.summary)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("lessons:part_detail", args=[self.slug])


class LessonQuerySet(models.QuerySet):
    def published(self) -> LessonQuerySet:
        return self.filter(status=Lesson.Status.PUBLISHED)

    def in_order(self) -> LessonQuerySet:
        return self.order_by("part__number", "order")


class Lesson(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    part = models.ForeignKey(Part, on_delete=models.PROTECT, related_name="lessons")
    order = models.PositiveSmallIntegerField(help_text="Position within the part, from 1.")
    slug = models.SlugField(unique=True, help_text="Used in the lesson's URL; unique in the course.")
    title = models.CharField(max_length=200)
    summary = models.CharField(max_length=300, blank=True, help_text="One sentence for the outline.")
    source = models.TextField(help_text="Markdown. A line holding only [quiz: slug] or [exercise: slug] embeds one.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    # Edits saved in the studio to a published lesson wait here until published, so learners
    # keep reading `source` meanwhile. Empty means no pending changes.
    draft_source = models.TextField(blank=True, editable=False)
    # Computed from `source` at save: never edited by hand, never computed per request.
    blocks = models.JSONField(default=list, editable=False)
    headings = models.JSONField(default=list, editable=False)
    # [{"type": "quiz"|"exercise", "slug": ...}] in page order: the checks a learner must pass.
    checks = models.JSONField(default=list, editable=False)
    reading_minutes = models.PositiveSmallIntegerField(default=1, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = LessonQuerySet.as_manager()

    class Meta:
        ordering = ["part__number", "order"]
        constraints = [
            models.UniqueConstraint(fields=["part", "order"], name="lesson_unique_order_in_part"),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, render: bool = True, **kwargs):
        """Save, rendering `source` first unless the caller has just rendered it (render=False)."""
        if render:
            self.render()
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("lessons:lesson_detail", args=[self.part.slug, self.slug])

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED

    @property
    def working_source(self) -> str:
        """What the editor shows: pending edits if any, else the live text."""
        return self.draft_source or self.source

    @property
    def has_unpublished_changes(self) -> bool:
        return self.is_published and bool(self.draft_source) and self.draft_source != self.source

    def render(self) -> None:
        """Compute blocks, headings and reading time from `source` (raises MarkdownError).

        All the text's Markdown blocks render together, in one time budget."""
        from lessons.course_source import split_blocks

        parts = split_blocks(self.source)
        rendered = iter(render_markdown_many([value for kind, value in parts if kind == "markdown"]))
        blocks = []
        headings = []
        tables = itertools.count(1)
        for kind, value in parts:
            if kind == "markdown":
                # Table regions are numbered per block; number them across the whole lesson.
                html = re.sub(r'aria-label="Table \d+"', lambda _: f'aria-label="Table {next(tables)}"', next(rendered))
                blocks.append({"type": "html", "html": html})
                headings.extend({"level": h.level, "id": h.id, "text": h.text} for h in extract_headings(html))
            else:
                blocks.append({"type": kind, "slug": value})
        self.blocks = blocks
        self.headings = headings
        self.checks = [b for b in blocks if b["type"] != "html"]
        self.reading_minutes = max(1, math.ceil(word_count(self.source) / WORDS_PER_MINUTE))

    def embedded(self, kind: str) -> list[str]:
        """Slugs of the quizzes or exercises this lesson embeds, in order."""
        return [b["slug"] for b in self.blocks if b["type"] == kind]


class LessonRevision(models.Model):
    """Every saved version of a lesson's text, for history, diff and restore."""

    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    source = models.TextField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    note = models.CharField(max_length=200, blank=True)
    # The course files held this text (import_course wrote it, or found the files already
    # agreeing). A newer revision without it is studio work, which the import keeps.
    from_files = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["lesson", "-number"]
        constraints = [models.UniqueConstraint(fields=["lesson", "number"], name="revision_unique_number_per_lesson")]

    def __str__(self) -> str:
        return f"{self.lesson} r{self.number}"


class ContentVersion(models.Model):
    """One row whose number grows whenever anything learners can see is edited.

    Cached, shared parts of pages (lessons.page_cache) are keyed by it. Being a row in the
    database, a publish or an import is seen at once by every worker on every machine,
    whatever cache each of them uses.
    """

    number = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"content version {self.number}"

    @classmethod
    def bump(cls) -> None:
        if not cls.objects.filter(pk=1).update(number=F("number") + 1):
            cls.objects.update_or_create(pk=1, defaults={"number": 1})

    @classmethod
    def read(cls) -> int:
        # Plain SQL: this runs on every learner page, and the ORM's query compilation
        # costs more than the query itself.
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT number FROM {cls._meta.db_table} WHERE id = 1")
            row = cursor.fetchone()
        return row[0] if row else 0
