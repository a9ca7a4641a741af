"""Django admin for every model: list displays, search and filters.

Computed fields (rendered HTML, summaries) are read-only here; content is best edited in
the studio or the course files, which validate and render it.
"""

from django.contrib import admin

from lessons.forms import LengthCheckedAdminAuthenticationForm
from lessons.models import (
    Answer,
    Case,
    CasePick,
    Category,
    Certificate,
    CheckStatus,
    Choice,
    ChoiceStats,
    Cohort,
    ConfusionCount,
    Course,
    DailyScores,
    Exercise,
    ExerciseAttempt,
    LearnerSummary,
    Lesson,
    LessonProgress,
    LessonRevision,
    Part,
    PartSummary,
    Question,
    QuestionStats,
    Quiz,
    Taxonomy,
)

# Overlong usernames are a form error, not a 500 in django-axes (see lessons.forms).
admin.site.login_form = LengthCheckedAdminAuthenticationForm


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    list_display = ["title", "slug", "tagline"]
    search_fields = ["title", "slug"]


@admin.register(Part)
class PartAdmin(admin.ModelAdmin):
    list_display = ["number", "title", "slug", "course"]
    list_filter = ["course"]
    search_fields = ["title", "slug", "summary"]
    readonly_fields = ["summary_html"]


@admin.register(Lesson)
class LessonAdmin(admin.ModelAdmin):
    list_display = ["title", "part", "order", "status", "reading_minutes", "version", "updated_at"]
    list_filter = ["status", "part"]
    search_fields = ["title", "slug", "summary", "source"]
    readonly_fields = ["blocks", "headings", "checks", "reading_minutes", "version", "draft_source"]
    list_select_related = ["part"]


@admin.register(LessonRevision)
class LessonRevisionAdmin(admin.ModelAdmin):
    list_display = ["lesson", "number", "author", "from_files", "note", "created_at"]
    list_filter = ["lesson__part", "created_at"]
    search_fields = ["lesson__title", "note", "source"]
    list_select_related = ["lesson", "author"]


class ChoiceInline(admin.TabularInline):
    model = Choice
    extra = 0
    fields = ["order", "key", "text", "correct", "feedback", "retired"]


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ["__str__", "quiz", "key", "order", "kind", "retired"]
    list_filter = ["kind", "retired", "quiz"]
    search_fields = ["prompt", "explanation", "quiz__slug"]
    inlines = [ChoiceInline]
    list_select_related = ["quiz"]


@admin.register(Quiz)
class QuizAdmin(admin.ModelAdmin):
    list_display = ["slug", "title", "pass_mark"]
    search_fields = ["slug", "title"]


@admin.register(Choice)
class ChoiceAdmin(admin.ModelAdmin):
    list_display = ["__str__", "question", "key", "order", "correct", "retired"]
    list_filter = ["correct", "retired", "question__quiz"]
    search_fields = ["text", "feedback"]


class CategoryInline(admin.TabularInline):
    model = Category
    extra = 0
    fields = ["order", "slug", "name", "definition"]


@admin.register(Taxonomy)
class TaxonomyAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name", "slug", "description"]
    inlines = [CategoryInline]


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "taxonomy", "order"]
    list_filter = ["taxonomy"]
    search_fields = ["name", "slug", "definition"]


@admin.register(Exercise)
class ExerciseAdmin(admin.ModelAdmin):
    list_display = ["slug", "title", "taxonomy", "multi_label", "pass_mark"]
    list_filter = ["taxonomy", "multi_label"]
    search_fields = ["slug", "title", "instructions"]


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    list_display = ["title", "exercise", "order", "retired"]
    list_filter = ["exercise", "retired"]
    search_fields = ["title", "slug", "scenario", "source_title"]


@admin.register(Answer)
class AnswerAdmin(admin.ModelAdmin):
    list_display = ["question", "user", "session_key", "score", "created_at"]
    list_filter = ["question__quiz", "created_at"]
    search_fields = ["user__username", "session_key"]
    list_select_related = ["question__quiz", "user"]
    raw_id_fields = ["user", "question"]
    readonly_fields = ["choice_ids", "picks", "score", "prompt_seen", "picked_seen"]


@admin.register(ExerciseAttempt)
class ExerciseAttemptAdmin(admin.ModelAdmin):
    list_display = ["exercise", "user", "session_key", "score", "created_at"]
    list_filter = ["exercise", "created_at"]
    search_fields = ["user__username", "session_key"]
    list_select_related = ["exercise", "user"]
    raw_id_fields = ["user"]
    readonly_fields = ["answers", "results", "score"]


@admin.register(CasePick)
class CasePickAdmin(admin.ModelAdmin):
    list_display = ["case", "category", "correct_category"]
    list_filter = ["case__exercise__taxonomy"]
    search_fields = ["case__title", "category"]
    raw_id_fields = ["attempt", "case"]


@admin.register(LessonProgress)
class LessonProgressAdmin(admin.ModelAdmin):
    list_display = ["lesson", "user", "session_key", "first_opened_at", "last_opened_at", "completed_at"]
    list_filter = ["lesson__part", "completed_at"]
    search_fields = ["user__username", "lesson__title", "session_key"]
    list_select_related = ["lesson", "user"]
    raw_id_fields = ["user", "lesson"]


@admin.register(Certificate)
class CertificateAdmin(admin.ModelAdmin):
    list_display = ["name", "title", "user", "issued_at", "revoked_at"]
    list_filter = ["scope", "revoked_at"]
    search_fields = ["name", "title", "user__username", "public_id"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]
    readonly_fields = ["public_id"]


@admin.register(Cohort)
class CohortAdmin(admin.ModelAdmin):
    list_display = ["name", "start_date"]
    search_fields = ["name", "members__username"]
    list_filter = ["start_date"]
    filter_horizontal = ["members"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Summaries are derived data: look, but change them only through rebuild_report_stats."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(LearnerSummary)
class LearnerSummaryAdmin(ReadOnlyAdmin):
    list_display = ["user", "last_activity", "lessons_completed", "answers", "attempts", "checks_passed"]
    search_fields = ["user__username"]
    list_filter = ["last_activity"]


@admin.register(PartSummary)
class PartSummaryAdmin(ReadOnlyAdmin):
    list_display = ["user", "part", "lessons_completed"]
    list_filter = ["part"]
    search_fields = ["user__username"]


@admin.register(CheckStatus)
class CheckStatusAdmin(ReadOnlyAdmin):
    list_display = ["user", "quiz", "exercise", "attempts", "wrong", "passed"]
    list_filter = ["passed", "quiz", "exercise"]
    search_fields = ["user__username"]


@admin.register(QuestionStats)
class QuestionStatsAdmin(ReadOnlyAdmin):
    list_display = ["question", "n", "sx"]
    list_filter = ["question__quiz"]
    search_fields = ["question__prompt"]


@admin.register(ChoiceStats)
class ChoiceStatsAdmin(ReadOnlyAdmin):
    list_display = ["choice", "first_picks"]
    list_filter = ["choice__question__quiz"]
    search_fields = ["choice__text"]


@admin.register(ConfusionCount)
class ConfusionCountAdmin(ReadOnlyAdmin):
    list_display = ["taxonomy", "correct", "chosen", "n"]
    list_filter = ["taxonomy"]
    search_fields = ["correct", "chosen"]


@admin.register(DailyScores)
class DailyScoresAdmin(ReadOnlyAdmin):
    list_display = ["day", "answers", "attempts"]
    list_filter = ["day"]
    search_fields = ["day"]
