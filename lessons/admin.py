"""Django admin for every model: list displays, search and filters.

Computed fields (rendered HTML, summaries) are read-only here; content is best edited in
the studio or the course files, which validate and render it.
"""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from lessons import summaries
from lessons.actions import delete_learner
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
    ContentVersion,
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
    ReviewCard,
    ReviewLog,
    Sandbox,
    SandboxAttempt,
    Taxonomy,
)

# Overlong usernames are a form error, not a 500 in django-axes (see lessons.forms).
admin.site.login_form = LengthCheckedAdminAuthenticationForm


class SummariesFollowEdits(admin.ModelAdmin):
    """Content the report summaries depend on (what is published, the active questions, the
    pass marks, an exercise's taxonomy): a save or delete here recomputes the affected
    summaries in the admin's own transaction, as the studio and the import do."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        self.refresh(obj)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        self.refresh(obj)

    def delete_queryset(self, request, queryset):
        objs = list(queryset)
        super().delete_queryset(request, queryset)
        for obj in objs:
            self.refresh(obj)

    def refresh(self, obj) -> None:
        if isinstance(obj, Lesson):
            summaries.refresh_progress([obj.pk], Part.objects.values("pk"))
        elif isinstance(obj, Quiz | Question):
            quiz = Quiz.objects.filter(pk=obj.pk if isinstance(obj, Quiz) else obj.quiz_id).first()
            if quiz is not None:
                summaries.refresh_checks(quiz=quiz)
        elif isinstance(obj, Exercise):
            if Exercise.objects.filter(pk=obj.pk).exists():
                summaries.refresh_checks(exercise=obj)
            summaries.refresh_confusion(Taxonomy.objects.values("pk"))


class HistoryAdmin(admin.ModelAdmin):
    """Learners' attempts and progress are history, kept as graded: look, never change.
    (Deleting the account is how a learner's rows go, and the summaries follow.)"""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


admin.site.unregister(get_user_model())


@admin.register(get_user_model())
class LearnerAwareUserAdmin(UserAdmin):
    """Deleting accounts here takes their rows out of the shared report sums first."""

    def get_deleted_objects(self, objs, request):
        # A learner's history cannot be deleted on its own, but it goes with the account.
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        history = {m._meta.verbose_name for m in (Answer, ExerciseAttempt, CasePick, LessonProgress)}
        return deleted, counts, perms_needed - history, protected

    def delete_model(self, request, obj):
        delete_learner(obj)

    def delete_queryset(self, request, queryset):
        for user in queryset:
            delete_learner(user)


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
class LessonAdmin(SummariesFollowEdits):
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
class QuestionAdmin(SummariesFollowEdits):
    list_display = ["__str__", "quiz", "key", "order", "kind", "retired"]
    list_filter = ["kind", "retired", "quiz"]
    search_fields = ["prompt", "explanation", "quiz__slug"]
    inlines = [ChoiceInline]
    list_select_related = ["quiz"]


@admin.register(Quiz)
class QuizAdmin(SummariesFollowEdits):
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
class ExerciseAdmin(SummariesFollowEdits):
    list_display = ["slug", "title", "taxonomy", "multi_label", "pass_mark"]
    list_filter = ["taxonomy", "multi_label"]
    search_fields = ["slug", "title", "instructions"]


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    list_display = ["title", "exercise", "order", "retired"]
    list_filter = ["exercise", "retired"]
    search_fields = ["title", "slug", "scenario", "source_title"]


@admin.register(Answer)
class AnswerAdmin(HistoryAdmin):
    list_display = ["question", "user", "session_key", "score", "created_at"]
    list_filter = ["question__quiz", "created_at"]
    search_fields = ["user__username", "session_key"]
    list_select_related = ["question__quiz", "user"]
    raw_id_fields = ["user", "question"]
    readonly_fields = ["choice_ids", "picks", "score", "prompt_seen", "picked_seen"]


@admin.register(ExerciseAttempt)
class ExerciseAttemptAdmin(HistoryAdmin):
    list_display = ["exercise", "user", "session_key", "score", "created_at"]
    list_filter = ["exercise", "created_at"]
    search_fields = ["user__username", "session_key"]
    list_select_related = ["exercise", "user"]
    raw_id_fields = ["user"]
    readonly_fields = ["answers", "results", "score"]


@admin.register(Sandbox)
class SandboxAdmin(admin.ModelAdmin):
    list_display = ["slug", "title", "kind", "horizon", "objective"]
    list_filter = ["kind"]
    search_fields = ["slug", "title", "goal"]
    # Layout and terms are checked (and bounded) by the course-file parser: edit them in the studio.
    readonly_fields = ["kind", "layout", "horizon", "objective", "terms"]


@admin.register(SandboxAttempt)
class SandboxAttemptAdmin(admin.ModelAdmin):
    list_display = ["sandbox", "user", "session_key", "objective_met", "proxy_reward", "created_at"]
    list_filter = ["sandbox", "objective_met", "created_at"]
    search_fields = ["user__username", "session_key"]
    list_select_related = ["sandbox", "user"]
    raw_id_fields = ["user"]
    readonly_fields = ["weights", "actions", "proxy_reward", "objective_met"]


@admin.register(CasePick)
class CasePickAdmin(HistoryAdmin):
    list_display = ["case", "category", "correct_category"]
    list_filter = ["case__exercise__taxonomy"]
    search_fields = ["case__title", "category"]
    raw_id_fields = ["attempt", "case"]


@admin.register(LessonProgress)
class LessonProgressAdmin(HistoryAdmin):
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
    list_display = ["day", "shard", "answers", "attempts"]
    list_filter = ["day"]
    search_fields = ["day"]


@admin.register(ContentVersion)
class ContentVersionAdmin(ReadOnlyAdmin):
    """The number that keys the page cache; it moves by itself whenever content is saved."""

    list_display = ["number"]
    search_fields = ["number"]

    def has_delete_permission(self, request, obj=None):
        return False


# Review cards are written only alongside the attempts that rate them (lessons.review).
@admin.register(ReviewCard)
class ReviewCardAdmin(ReadOnlyAdmin):
    list_display = ["user", "session_key", "question", "case", "state", "stability", "due", "reviews"]
    list_select_related = ["user", "question__quiz", "case"]
    list_filter = ["state"]
    search_fields = ["user__username"]


@admin.register(ReviewLog)
class ReviewLogAdmin(ReadOnlyAdmin):
    list_display = ["card", "reviewed_at", "score", "rating", "confidence", "days_since_previous"]
    list_select_related = ["card__user", "card__question__quiz", "card__case"]
    list_filter = ["rating", "confidence"]
    search_fields = ["card__user__username"]
