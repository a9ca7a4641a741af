from django.urls import path

from lessons.views import accounts, learner, reports, studio

app_name = "lessons"

urlpatterns = [
    path("", learner.outline, name="outline"),
    path("about/", learner.about, name="about"),
    path("me/", accounts.dashboard_view, name="dashboard"),
    path("me/export.json", accounts.export_json, name="export_json"),
    path("me/export.csv", accounts.export_csv, name="export_csv"),
    path("go/<slug:lesson_slug>/", learner.lesson_by_slug, name="lesson_by_slug"),
    path("studio/", studio.studio_outline, name="studio_outline"),
    path("studio/export.zip", studio.studio_export, name="studio_export"),
    path("studio/parts/new/", studio.studio_part_edit, name="studio_part_create"),
    path("studio/parts/<int:part_id>/", studio.studio_part_edit, name="studio_part_edit"),
    path("studio/parts/<int:part_id>/delete/", studio.studio_part_delete, name="studio_part_delete"),
    path("studio/parts/<int:part_id>/lessons/new/", studio.studio_lesson_edit, name="studio_lesson_create"),
    path("studio/lessons/preview/", studio.studio_lesson_preview, name="studio_lesson_preview"),
    path("studio/lessons/<int:lesson_id>/", studio.studio_lesson_edit, name="studio_lesson_edit"),
    path("studio/lessons/<int:lesson_id>/view/", studio.studio_lesson_view, name="studio_lesson_view"),
    path("studio/lessons/<int:lesson_id>/delete/", studio.studio_lesson_delete, name="studio_lesson_delete"),
    path("studio/lessons/<int:lesson_id>/move/<str:direction>/", studio.studio_lesson_move, name="studio_lesson_move"),
    path("studio/lessons/<int:lesson_id>/history/", studio.studio_lesson_history, name="studio_lesson_history"),
    path(
        "studio/lessons/<int:lesson_id>/history/<int:number>/restore/",
        studio.studio_revision_restore,
        name="studio_revision_restore",
    ),
    path("studio/<str:kind>/new/", studio.studio_assessment_edit, name="studio_assessment_create"),
    path("studio/<str:kind>/<slug:slug>/", studio.studio_assessment_edit, name="studio_assessment_edit"),
    path("reports/", reports.report_overview, name="report_overview"),
    path("reports/learners/", reports.report_learners, name="report_learners"),
    path("reports/learners.csv", reports.report_learners_csv, name="report_learners_csv"),
    path("reports/attempts.csv", reports.report_attempts_csv, name="report_attempts_csv"),
    path("reports/learners/<int:user_id>/", reports.report_learner, name="report_learner"),
    path("reports/attention/", reports.report_attention, name="report_attention"),
    path("reports/content/", reports.report_quiz_list, name="report_quiz_list"),
    path("reports/quizzes/<slug:quiz_slug>/", reports.report_quiz, name="report_quiz"),
    path("reports/taxonomies/<slug:taxonomy_slug>/", reports.report_taxonomy, name="report_taxonomy"),
    path("reports/cohorts/", reports.report_cohorts, name="report_cohorts"),
    path("reports/cohorts/<int:cohort_id>/", reports.report_cohort, name="report_cohort"),
    path(
        "reports/cohorts/<int:cohort_id>/remove/<int:user_id>/",
        reports.report_cohort_remove,
        name="report_cohort_remove",
    ),
    path("taxonomies/", learner.taxonomy_list, name="taxonomy_list"),
    path("taxonomies/<slug:taxonomy_slug>/", learner.taxonomy_detail, name="taxonomy_detail"),
    path("<slug:part_slug>/", learner.part_detail, name="part_detail"),
    path("<slug:part_slug>/<slug:lesson_slug>/", learner.lesson_detail, name="lesson_detail"),
    path(
        "<slug:part_slug>/<slug:lesson_slug>/questions/<int:question_id>/",
        learner.question_answer,
        name="question_answer",
    ),
    path("<slug:part_slug>/<slug:lesson_slug>/progress/", learner.lesson_progress, name="lesson_progress"),
    path(
        "<slug:part_slug>/<slug:lesson_slug>/exercises/<slug:exercise_slug>/",
        learner.exercise_check,
        name="exercise_check",
    ),
    path(
        "<slug:part_slug>/<slug:lesson_slug>/sandboxes/<str:sandbox_slug>/",
        learner.sandbox_run,
        name="sandbox_run",
    ),
    path(
        "<slug:part_slug>/<slug:lesson_slug>/quizzes/<slug:quiz_slug>/summary/",
        learner.quiz_summary,
        name="quiz_summary",
    ),
]
