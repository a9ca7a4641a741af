"""Admin reports. Individuals' data is for staff only; instructors may open the anonymous
content statistics (item analysis, confusion matrix). Every figure comes from
lessons.reports, aggregated in the database."""

import json

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django.views.decorators.vary import vary_on_headers

from lessons import reports
from lessons import review as spaced_review
from lessons.csv_export import streamed_csv
from lessons.forms import CohortForm, FilterForm
from lessons.models import (
    Answer,
    Case,
    Cohort,
    ExerciseAttempt,
    LessonProgress,
    Part,
    Quiz,
    SandboxAttempt,
    Taxonomy,
    answer_as_seen,
)
from lessons.permissions import instructor_required, private_no_store, staff_required
from lessons.review import RetentionFigure

User = get_user_model()
PAGE_SIZE = 50


def _filters(request) -> tuple[FilterForm, reports.Filters, bool]:
    """The page's filters. Cohorts and search name individuals, so only staff may use them:
    for anyone else (instructors on the content statistics) they are ignored."""
    form = FilterForm(request.GET or None)
    if not form.is_bound:
        return form, reports.Filters(), True
    if not form.is_valid():
        return form, reports.Filters(), False
    data = form.cleaned_data
    if not request.user.is_staff:
        return form, reports.Filters(start=data["start"], end=data["end"]), True
    return form, reports.Filters(data["cohort"], data["start"], data["end"], data["q"].strip()), True


def _render(request, template, context, fragment):
    """One URL, two representations: the page, or its results region for htmx."""
    filters, valid = context["filters"], context["valid"]
    # The filters in force, for links that keep them ({% querystring query ... %}).
    context["query"] = QueryDict(mutable=True)
    context["query"].update(filters.as_query())
    status = 200 if valid else 400
    if request.htmx:
        return render(request, f"{template}#{fragment}", context, status=status)
    return render(request, template, context, status=status)


@private_no_store
@require_safe
@vary_on_headers("HX-Request")
@staff_required
def report_overview(request):
    form, filters, valid = _filters(request)
    context = {"form": form, "filters": filters, "valid": valid}
    if valid:
        context.update(reports.overview(filters), attention=reports.needs_attention(filters, limit=10)[:10])
    return _render(request, "lessons/reports/overview.html", context, "results")


@private_no_store
@require_safe
@vary_on_headers("HX-Request")
@staff_required
def report_learners(request):
    form, filters, valid = _filters(request)
    sort = request.GET.get("sort", "-activity")
    context = {"form": form, "filters": filters, "valid": valid, "sort": sort}
    if valid:
        paginator = Paginator(reports.learner_table(filters, sort), PAGE_SIZE)
        page = paginator.get_page(request.GET.get("page"))
        parts = list(Part.objects.all())
        reports.decorate_page(list(page.object_list), parts)
        context.update(page=page, parts=parts, sorts=reports.SORTS)
    return _render(request, "lessons/reports/learners.html", context, "results")


@private_no_store
@require_safe
@staff_required
def report_learner(request, user_id):
    learner = get_object_or_404(User, pk=user_id)
    progress = LessonProgress.objects.filter(user=learner).select_related("lesson__part").order_by("first_opened_at")
    answers = Answer.objects.filter(user=learner).select_related("question__quiz").order_by("created_at")
    attempts = ExerciseAttempt.objects.filter(user=learner).select_related("exercise").order_by("created_at")
    runs = SandboxAttempt.objects.filter(user=learner).select_related("sandbox").order_by("created_at")
    context = {
        "learner": learner,
        "progress": progress,
        "answers": answers,
        "attempts": attempts,
        "runs": runs,
        "cohorts": learner.cohorts.all(),
    }
    return render(request, "lessons/reports/learner.html", context)


@private_no_store
@require_safe
@instructor_required
def report_quiz_list(request):
    sandboxes = reports.sandbox_summary()
    if not request.user.is_staff:
        for summary in sandboxes:
            summary.hidden = summary.learners < reports.MIN_LEARNERS_FOR_FIGURES
    return render(
        request,
        "lessons/reports/quiz_list.html",
        {
            "quizzes": Quiz.objects.order_by("slug"),
            "taxonomies": Taxonomy.objects.order_by("name"),
            "sandboxes": sandboxes,
            "min_learners": reports.MIN_LEARNERS_FOR_FIGURES,
        },
    )


@private_no_store
@require_safe
@vary_on_headers("HX-Request")
@instructor_required
def report_quiz(request, quiz_slug):
    quiz = get_object_or_404(Quiz, slug=quiz_slug)
    form, filters, valid = _filters(request)
    context = {"form": form, "filters": filters, "valid": valid, "quiz": quiz}
    if valid:
        context["items"] = reports.item_analysis(quiz, filters)
        if not request.user.is_staff:
            for item in context["items"]:
                item["hidden"] = item["responses"] < reports.MIN_LEARNERS_FOR_FIGURES
        context["min_learners"] = reports.MIN_LEARNERS_FOR_FIGURES
        retention = spaced_review.retention_by_question(quiz)
        for item in context["items"]:
            item["retention"] = _retention_figure(request, retention.get(item["question"].pk, (0, 0)))
    return _render(request, "lessons/reports/quiz.html", context, "results")


@private_no_store
@require_safe
@vary_on_headers("HX-Request")
@instructor_required
def report_taxonomy(request, taxonomy_slug):
    taxonomy = get_object_or_404(Taxonomy, slug=taxonomy_slug)
    form, filters, valid = _filters(request)
    context = {"form": form, "filters": filters, "valid": valid, "taxonomy": taxonomy}
    if valid:
        context["matrix"] = reports.confusion_matrix(taxonomy, filters)
        if not request.user.is_staff:
            learners = reports.taxonomy_learner_count(taxonomy, filters)
            context["matrix"]["hidden"] = learners < reports.MIN_LEARNERS_FOR_FIGURES
        context["min_learners"] = reports.MIN_LEARNERS_FOR_FIGURES
        cases = list(Case.objects.active().filter(exercise__taxonomy=taxonomy).select_related("exercise"))
        retention = spaced_review.retention_by_case(cases)
        context["case_retention"] = [
            (case, _retention_figure(request, retention.get(case.pk, (0, 0)))) for case in cases
        ]
    return _render(request, "lessons/reports/taxonomy.html", context, "results")


def _retention_figure(request, counts: tuple[int, int]) -> RetentionFigure:
    """Instructors see retention only from enough reviews that it points to nobody."""
    reviews, recalled = counts
    hidden = not request.user.is_staff and 0 < reviews < reports.MIN_LEARNERS_FOR_FIGURES
    return RetentionFigure(reviews, recalled, hidden)


@private_no_store
@require_safe
@vary_on_headers("HX-Request")
@staff_required
def report_attention(request):
    form, filters, valid = _filters(request)
    context = {
        "form": form,
        "filters": filters,
        "valid": valid,
        "attention": reports.needs_attention(filters) if valid else [],
    }
    return _render(request, "lessons/reports/attention.html", context, "results")


# -- CSV, streamed -----------------------------------------------------------------------


@private_no_store
@require_safe
@staff_required
def report_learners_csv(request):
    form, filters, valid = _filters(request)
    if not valid:
        return render(request, "400.html", {"message": "The filters are not valid."}, status=400)
    parts = list(Part.objects.all())

    def rows():
        yield [
            "username",
            "email",
            "lessons completed",
            "last activity",
            *[f"part {p.number} completed" for p in parts],
        ]
        # Chunks of a page at a time keep memory flat however many learners there are.
        queryset = reports.learner_table(filters, request.GET.get("sort", "name"))
        for start in range(0, queryset.count(), 500):
            chunk = list(queryset[start : start + 500])
            reports.decorate_page(chunk, parts)
            for user in chunk:
                yield [
                    user.username,
                    user.email,
                    user.completed,
                    user.last_activity.isoformat() if user.last_activity else "",
                    *[n for _, n in user.part_progress],
                ]

    return streamed_csv(rows(), "learners.csv")


@private_no_store
@require_safe
@staff_required
def report_attempts_csv(request):
    form, filters, valid = _filters(request)
    if not valid:
        return render(request, "400.html", {"message": "The filters are not valid."}, status=400)
    people = reports.learners(filters)

    def rows():
        yield ["kind", "username", "item", "answer", "score", "when"]
        answers = (
            Answer.objects.filter(user__in=people)
            .filter(filters.in_window("created_at"))
            .values_list(
                "user__username",
                "question__quiz__slug",
                "question__key",
                "prompt_seen",
                "picked_seen",
                "score",
                "created_at",
            )
            .order_by("id")
        )
        for username, quiz, key, prompt, picked, score, when in answers.iterator(chunk_size=2000):
            seen = json.dumps(answer_as_seen(prompt, picked), ensure_ascii=False)
            yield ["answer", username, f"{quiz} {key}", seen, f"{score:.3f}", when.isoformat()]
        attempts = (
            ExerciseAttempt.objects.filter(user__in=people)
            .filter(filters.in_window("created_at"))
            .values_list("user__username", "exercise__slug", "answers", "score", "created_at")
            .order_by("id")
        )
        for username, exercise, picks, score, when in attempts.iterator(chunk_size=2000):
            yield ["exercise", username, exercise, json.dumps(picks), f"{score:.3f}", when.isoformat()]

    return streamed_csv(rows(), "attempts.csv")


# -- cohorts -------------------------------------------------------------------------------


@private_no_store
@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
def report_cohorts(request):
    form = CohortForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        cohort = form.save()
        messages.success(request, f"Created cohort “{cohort}”.")
        return redirect("lessons:report_cohort", cohort_id=cohort.pk)
    cohorts = Cohort.objects.annotate(n=Count("members"))
    return render(
        request,
        "lessons/reports/cohorts.html",
        {"form": form, "cohorts": cohorts},
        status=400 if request.method == "POST" else 200,
    )


@private_no_store
@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
def report_cohort(request, cohort_id):
    cohort = get_object_or_404(Cohort, pk=cohort_id)
    error = ""
    if request.method == "POST":
        names = [n.strip() for n in request.POST.get("usernames", "").replace(",", "\n").splitlines() if n.strip()]
        found = list(User.objects.filter(username__in=names))
        missing = sorted(set(names) - {u.username for u in found})
        if missing:
            error = f"No account named: {', '.join(missing)}. Nobody was added."
        elif found:
            cohort.members.add(*found)
            messages.success(request, f"Added {len(found)} learner{'s' if len(found) != 1 else ''}.")
            return redirect("lessons:report_cohort", cohort_id=cohort.pk)
        else:
            error = "Give at least one username."
    members = cohort.members.order_by("username")
    return render(
        request,
        "lessons/reports/cohort.html",
        {"cohort": cohort, "members": members, "error": error},
        status=400 if error else 200,
    )


@private_no_store
@require_POST
@staff_required
def report_cohort_remove(request, cohort_id, user_id):
    cohort = get_object_or_404(Cohort, pk=cohort_id)
    cohort.members.remove(get_object_or_404(User, pk=user_id))
    return redirect("lessons:report_cohort", cohort_id=cohort.pk)
