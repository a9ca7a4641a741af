from django.urls import path

from lessons.views import accounts, learner

app_name = "lessons"

urlpatterns = [
    path("", learner.outline, name="outline"),
    path("about/", learner.about, name="about"),
    path("me/", accounts.dashboard_view, name="dashboard"),
    path("me/export.json", accounts.export_json, name="export_json"),
    path("me/export.csv", accounts.export_csv, name="export_csv"),
    path("go/<slug:lesson_slug>/", learner.lesson_by_slug, name="lesson_by_slug"),
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
        "<slug:part_slug>/<slug:lesson_slug>/quizzes/<slug:quiz_slug>/summary/",
        learner.quiz_summary,
        name="quiz_summary",
    ),
]
