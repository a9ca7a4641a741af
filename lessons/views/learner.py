"""Pages learners read and the endpoints they answer through."""

from django.contrib.auth.decorators import login_not_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import trigger_client_event

from lessons.actions import check_exercise, complete_lesson, record_answer, record_visit
from lessons.forms import BadSubmission, IncompleteExercise, picked_categories, picked_choices
from lessons.learners import Learner
from lessons.lesson_page import QuestionResult, find_question, lesson_blocks
from lessons.models import Course, ExerciseAttempt, Lesson, LessonProgress, Taxonomy
from lessons.progress import STATUS_LABELS, course_progress, lesson_checks, lesson_status
from lessons.throttle import RATE_LIMIT_MESSAGE, over_answer_limit


@require_GET
@login_not_required
def outline(request):
    progress = course_progress(Learner.from_request(request))
    context = {"course": Course.objects.first(), "progress": progress, "labels": STATUS_LABELS}
    return render(request, "lessons/outline.html", context)


@require_GET
@login_not_required
def part_detail(request, part_slug):
    progress = course_progress(Learner.from_request(request))
    part_progress = next((p for p in progress.parts if p.part.slug == part_slug), None)
    if part_progress is None:
        return render(request, "404.html", status=404)
    context = {"part": part_progress.part, "part_progress": part_progress, "labels": STATUS_LABELS}
    return render(request, "lessons/part_detail.html", context)


def _published_lesson(part_slug: str, lesson_slug: str) -> Lesson:
    return get_object_or_404(Lesson.objects.published().select_related("part"), part__slug=part_slug, slug=lesson_slug)


def _progress_context(request, lesson, page, learner, *, progress=None, missing=None, just_completed=False):
    """Context of the progress panel at the end of a lesson."""
    if progress is None:
        progress = LessonProgress.objects.for_learner(learner).filter(lesson=lesson).first()
    return {
        "lesson": lesson,
        "checks": lesson_checks(page),
        "status": lesson_status(progress),
        "labels": STATUS_LABELS,
        "missing": missing or [],
        "just_completed": just_completed,
        "is_guest": not request.user.is_authenticated,
    }


def _render_lesson(request, lesson, page, learner, *, status=200, progress=None, missing=None):
    siblings = list(
        Lesson.objects.published()
        .in_order()
        .select_related("part")
        .only("slug", "title", "order", "part__slug", "part__number")
    )
    index = next(i for i, s in enumerate(siblings) if s.pk == lesson.pk)
    context = {
        **_progress_context(request, lesson, page, learner, progress=progress, missing=missing),
        "part": lesson.part,
        "blocks": page.blocks,
        "previous": siblings[index - 1] if index > 0 else None,
        "next": siblings[index + 1] if index + 1 < len(siblings) else None,
        "position": index + 1,
        "total": len(siblings),
    }
    return render(request, "lessons/lesson_detail.html", context, status=status)


@require_GET
@login_not_required
def lesson_detail(request, part_slug, lesson_slug):
    lesson = _published_lesson(part_slug, lesson_slug)
    learner = Learner.from_request(request, create=True)
    progress = record_visit(learner, lesson)
    return _render_lesson(request, lesson, lesson_blocks(lesson, learner), learner, progress=progress)


@require_GET
@login_not_required
def lesson_by_slug(request, lesson_slug):
    """Stable short link used by quiz feedback ("reread this section")."""
    lesson = get_object_or_404(Lesson.objects.published().select_related("part"), slug=lesson_slug)
    return redirect(lesson.get_absolute_url())


@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
@login_not_required
def question_answer(request, part_slug, lesson_slug, question_id):
    """POST grades an answer; GET (htmx) gives a fresh, reshuffled form to try again.

    htmx gets the question's fragment; without JavaScript the whole lesson comes back with
    the result in place. A malformed submission gets 400 and records nothing.
    """
    lesson = _published_lesson(part_slug, lesson_slug)
    learner = Learner.from_request(request, create=request.method == "POST")
    page = lesson_blocks(lesson, learner)
    found = find_question(page.quizzes, question_id)
    if found is None:
        return render(request, "404.html", status=404)
    quiz_state, state = found
    if request.method == "GET":
        if not request.htmx:
            return redirect(f"{lesson.get_absolute_url()}#{state.dom_id}")
        return render(request, "lessons/includes/quiz.html#question", {"q": state, "lesson": lesson})

    status = 200
    try:
        if over_answer_limit(request):
            status = 429
            raise BadSubmission(RATE_LIMIT_MESSAGE)
        choices = picked_choices(state.question, request.POST)
    except BadSubmission as exc:
        state.error = str(exc)
        status = max(status, 400)
    else:
        answer = record_answer(learner, state.question, choices)
        state.attempts += 1
        state.latest = answer.score
        state.best = max(answer.score, state.best or 0.0)
        shown = [choice.pk for _, choice in state.choices]
        state.result = QuestionResult(answer.score, sorted(choices, key=lambda c: shown.index(c.pk)))

    if request.htmx:
        response = render(request, "lessons/includes/quiz.html#question", {"q": state, "lesson": lesson}, status=status)
        if status == 200:
            trigger_client_event(response, "quiz-changed", {"quiz": quiz_state.quiz.slug})
        return response
    return _render_lesson(request, lesson, page, learner, status=status)


@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
@login_not_required
def exercise_check(request, part_slug, lesson_slug, exercise_slug):
    """POST grades every case of an exercise; GET (htmx) gives a fresh, reshuffled form.

    An incomplete or tampered submission gets 400, records nothing, and keeps the picks.
    """
    lesson = _published_lesson(part_slug, lesson_slug)
    learner = Learner.from_request(request, create=request.method == "POST")
    page = lesson_blocks(lesson, learner)
    state = page.exercises.get(exercise_slug)
    if state is None:
        return render(request, "404.html", status=404)
    context = {"ex": state, "lesson": lesson}
    if request.method == "GET":
        if not request.htmx:
            return redirect(f"{lesson.get_absolute_url()}#{state.dom_id}")
        return render(request, "lessons/includes/exercise.html#exercise", context)

    status = 200
    cases = [card.case for card in state.cards]
    try:
        if over_answer_limit(request):
            status = 429
            raise BadSubmission(RATE_LIMIT_MESSAGE)
        picks = picked_categories(state.exercise, cases, request.POST)
    except BadSubmission as exc:
        state.error = str(exc)
        if isinstance(exc, IncompleteExercise):
            for card in state.cards:
                card.picked = exc.picks.get(card.case.slug, [])
                card.still_open = not card.picked
        status = max(status, 400)
    else:
        attempt = check_exercise(learner, state.exercise, cases, picks)
        state.grade(attempt)
        state.attempts += 1
        state.latest = attempt.score
        state.best = max(attempt.score, state.best or 0.0)

    if request.htmx:
        response = render(request, "lessons/includes/exercise.html#exercise", context, status=status)
        if status == 200:
            trigger_client_event(response, "exercise-changed", {"exercise": exercise_slug})
        return response
    return _render_lesson(request, lesson, page, learner, status=status)


@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
@login_not_required
def lesson_progress(request, part_slug, lesson_slug):
    """GET (htmx): the progress panel, refreshed after each answer. POST: mark complete.

    Completing only succeeds when every quiz and exercise of the lesson is passed; otherwise
    the panel lists what is still missing and nothing changes.
    """
    lesson = _published_lesson(part_slug, lesson_slug)
    learner = Learner.from_request(request, create=request.method == "POST")
    page = lesson_blocks(lesson, learner)
    if request.method == "GET":
        if not request.htmx:
            return redirect(f"{lesson.get_absolute_url()}#lesson-progress")
        return render(
            request, "lessons/includes/progress.html#lesson-progress", _progress_context(request, lesson, page, learner)
        )
    completed, missing = complete_lesson(learner, lesson, lesson_checks(page))
    context = _progress_context(request, lesson, page, learner, missing=missing, just_completed=completed)
    if request.htmx:
        response = render(request, "lessons/includes/progress.html#lesson-progress", context)
        if completed:
            trigger_client_event(response, "progress-changed", {"lesson": lesson.slug})
        return response
    if completed:
        return redirect(f"{lesson.get_absolute_url()}#lesson-progress")
    return _render_lesson(request, lesson, page, learner, missing=missing)


@require_GET
@login_not_required
def taxonomy_list(request):
    taxonomies = Taxonomy.objects.prefetch_related("categories")
    return render(request, "lessons/taxonomy_list.html", {"taxonomies": taxonomies})


@require_GET
@login_not_required
def taxonomy_detail(request, taxonomy_slug):
    """Each category's definition, with the cases of every exercise this learner has checked.

    Cases of an exercise the learner has not checked stay hidden: they would give it away.
    """
    taxonomy = get_object_or_404(
        Taxonomy.objects.prefetch_related("categories", "exercises__cases"), slug=taxonomy_slug
    )
    learner = Learner.from_request(request)
    checked = set(
        ExerciseAttempt.objects.for_learner(learner)
        .filter(exercise__taxonomy=taxonomy)
        .values_list("exercise_id", flat=True)
    )
    categories = list(taxonomy.categories.all())
    cases_by_category = {c.slug: [] for c in categories}
    locked = []
    for exercise in taxonomy.exercises.all():
        cases = [case for case in exercise.cases.all() if not case.retired]
        if exercise.pk not in checked:
            locked.append((exercise, len(cases)))
            continue
        for case in cases:
            for slug in case.answers:
                cases_by_category.setdefault(slug, []).append(case)
    sections = [(category, cases_by_category[category.slug]) for category in categories]
    # Where each locked exercise is practised, so the page can send the learner there.
    homes = {}
    for lesson in Lesson.objects.published().select_related("part").only("slug", "checks", "part__slug"):
        for check in lesson.checks:
            if check["type"] == "exercise":
                homes.setdefault(check["slug"], f"{lesson.get_absolute_url()}#exercise-{check['slug']}")
    locked = [(exercise, count, homes.get(exercise.slug)) for exercise, count in locked]
    context = {"taxonomy": taxonomy, "sections": sections, "locked": locked}
    return render(request, "lessons/taxonomy_detail.html", context)


@require_GET
@vary_on_headers("HX-Request")
@login_not_required
def quiz_summary(request, part_slug, lesson_slug, quiz_slug):
    """The score line of one quiz, refreshed by htmx after each answer."""
    lesson = _published_lesson(part_slug, lesson_slug)
    states = lesson_blocks(lesson, Learner.from_request(request)).quizzes
    if quiz_slug not in states:
        return render(request, "404.html", status=404)
    if not request.htmx:
        return redirect(f"{lesson.get_absolute_url()}#quiz-{quiz_slug}")
    return render(
        request, "lessons/includes/quiz.html#quiz-summary", {"quiz_state": states[quiz_slug], "lesson": lesson}
    )


@require_GET
@login_not_required
def about(request):
    return render(request, "lessons/about.html")
