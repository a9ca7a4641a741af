"""Pages learners read and the endpoints they answer through."""

import hashlib

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_safe
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import trigger_client_event

from lessons import page_cache
from lessons.actions import check_exercise, complete_lesson, note_visit, record_answer, record_visit, run_sandbox
from lessons.context_processors import review_due as request_review_due
from lessons.forms import (
    BadSubmission,
    IncompleteExercise,
    picked_categories,
    picked_choices,
    picked_confidence,
    picked_confidences,
    sandbox_weights,
    typed_weights,
)
from lessons.learners import Learner
from lessons.lesson_page import find_question, lesson_blocks, lesson_history
from lessons.models import ContentVersion, Course, ExerciseAttempt, Lesson, LessonProgress, Taxonomy
from lessons.permissions import is_instructor
from lessons.progress import STATUS_LABELS, course_progress, lesson_checks, lesson_status, published_parts
from lessons.throttle import RATE_LIMIT_MESSAGE, over_answer_limit


def _shared_page(request, key: str, render_page, timeout=None):
    """The page under `key` from the cache, with this request's CSRF token; rendered (and
    cached) on a miss."""
    shared = page_cache.get(key)
    if shared is not None:
        return HttpResponse(page_cache.personal_html(shared, get_token(request)))
    response = render_page()
    if response.status_code == 200:
        shared = page_cache.shared_html(response.content.decode())
        if shared is not None:
            page_cache.put(key, shared, timeout)
    return response


@require_safe
@login_not_required
def outline(request):
    learner = Learner.from_request(request)
    version = ContentVersion.read()

    def render_page():
        progress = course_progress(learner, version)
        course = page_cache.get_or_compute(f"course:{version}", Course.objects.first)
        context = {"course": course, "progress": progress, "labels": STATUS_LABELS}
        return render(request, "lessons/outline.html", context)

    if page_cache.serves_shared_page(request, learner):
        return _shared_page(request, f"outline-page:{version}", render_page)
    return render_page()


@require_safe
@login_not_required
def part_detail(request, part_slug):
    progress = course_progress(Learner.from_request(request))
    part_progress = next((p for p in progress.parts if p.part.slug == part_slug), None)
    if part_progress is None:
        return render(request, "404.html", status=404)
    context = {"part": part_progress.part, "part_progress": part_progress, "labels": STATUS_LABELS}
    return render(request, "lessons/part_detail.html", context)


def _published_lesson(part_slug: str, lesson_slug: str) -> Lesson:
    """The lesson with its part, and the content version that keys the shared cache.

    One small query (the version) when the lesson is cached, two when it is not.
    """
    version = ContentVersion.read()

    def load():
        lesson = Lesson.objects.published().select_related("part").filter(part__slug=part_slug, slug=lesson_slug)
        return lesson.first()

    lesson = page_cache.get_or_compute(f"lesson:{version}:{part_slug}:{lesson_slug}", load)
    if lesson is None:
        raise Http404("No such lesson.")
    lesson.content_version = version
    return lesson


_UNREAD = object()  # progress not read yet (None means read: no row)


def _progress_context(request, lesson, page, learner, *, progress=_UNREAD, missing=None, just_completed=False):
    """Context of the progress panel at the end of a lesson."""
    if progress is _UNREAD:
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


def _render_lesson(request, lesson, page, learner, *, status=200, progress=_UNREAD, missing=None):
    siblings = [s for part in published_parts(lesson.content_version) for s in part.published_lessons]
    index = next(i for i, s in enumerate(siblings) if s.pk == lesson.pk)
    context = {
        **_progress_context(request, lesson, page, learner, progress=progress, missing=missing),
        "part": lesson.part,
        "blocks": page.blocks,
        "fragments": page_cache.FragmentStore(f"{lesson.content_version}:{lesson.pk}", page.fragment_keys()),
        "previous": siblings[index - 1] if index > 0 else None,
        "next": siblings[index + 1] if index + 1 < len(siblings) else None,
        "position": index + 1,
        "total": len(siblings),
    }
    return render(request, "lessons/lesson_detail.html", context, status=status)


@require_safe
@login_not_required
def lesson_detail(request, part_slug, lesson_slug):
    """Reading writes nothing for a guest (their key and session come with their first POST)
    and, for a signed-in learner, only when the recorded visit is a few minutes old."""
    lesson = _published_lesson(part_slug, lesson_slug)
    learner = Learner.from_request(request)

    def render_page(progress=_UNREAD):
        return _render_lesson(request, lesson, lesson_blocks(lesson, learner), learner, progress=progress)

    if page_cache.serves_shared_page(request, learner):
        return _shared_page(request, f"lesson-page:{lesson.content_version}:{lesson.pk}:{lesson.version}", render_page)
    progress = LessonProgress.objects.for_learner(learner).filter(lesson=lesson).first()
    if learner.user_id:
        progress = note_visit(learner, lesson, progress)
    history = lesson_history(lesson, learner)
    key = _learner_page_key(request, lesson, learner, progress, history)
    if key is None:
        return render_page(progress)
    page = lambda: _render_lesson(request, lesson, lesson_blocks(lesson, learner, history), learner, progress=progress)  # noqa: E731
    return _shared_page(request, key, page, timeout=page_cache.LEARNER_PAGE_TIMEOUT)


def _learner_page_key(request, lesson, learner, progress, history) -> str | None:
    """A key naming everything of this learner the lesson page shows, or None (pending messages).

    Who they are (the header), the lesson's status, and every score on its questions and
    exercises (which also fix the shuffled order): the same key renders the same page.
    """
    if len(messages.get_messages(request)):  # len() does not mark the messages as shown
        return None
    if lesson.embedded("sandbox"):  # a lab's runs are learner state the history does not name
        return None
    user = request.user
    who = (learner.seed(), user.get_username(), user.is_staff, is_instructor(user)) if user.is_authenticated else ()
    # The header's "Review N due" is the learner's too (lessons.context_processors).
    due = request_review_due(request) if user.is_authenticated or learner.is_known else 0
    state = (learner.seed(), who, due, lesson_status(progress), history.digest_parts())
    digest = hashlib.sha256(repr(state).encode()).hexdigest()
    return f"learner-page:{lesson.content_version}:{lesson.pk}:{lesson.version}:{digest}"


@require_safe
@login_not_required
def lesson_by_slug(request, lesson_slug):
    """Stable short link used by quiz feedback ("reread this section")."""
    lesson = get_object_or_404(Lesson.objects.published().select_related("part"), slug=lesson_slug)
    return redirect(lesson.get_absolute_url())


@require_http_methods(["GET", "HEAD", "POST"])
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
    if request.method != "POST":
        if not request.htmx:
            return redirect(f"{lesson.get_absolute_url()}#{state.dom_id}")
        return render(request, "lessons/includes/quiz.html#question", {"q": state, "lesson": lesson})

    status = 200
    try:
        if over_answer_limit(request):
            status = 429
            raise BadSubmission(RATE_LIMIT_MESSAGE)
        choices = picked_choices(state.question, request.POST)
        confidence = picked_confidence(request.POST)
    except BadSubmission as exc:
        state.error = str(exc)
        status = max(status, 400)
    else:
        state.record(record_answer(learner, state.question, choices, confidence=confidence), choices)
        _record_guest_visit(learner, lesson)

    if request.htmx:
        response = render(request, "lessons/includes/quiz.html#question", {"q": state, "lesson": lesson}, status=status)
        if status == 200:
            trigger_client_event(response, "quiz-changed", {"quiz": quiz_state.quiz.slug})
        return response
    return _render_lesson(request, lesson, page, learner, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
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
    if request.method != "POST":
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
        confidences = picked_confidences(cases, request.POST)
    except BadSubmission as exc:
        state.error = str(exc)
        if isinstance(exc, IncompleteExercise):
            for card in state.cards:
                card.picked = exc.picks.get(card.case.slug, [])
                card.still_open = not card.picked
        status = max(status, 400)
    else:
        state.record(check_exercise(learner, state.exercise, cases, picks, confidences=confidences))
        _record_guest_visit(learner, lesson)

    if request.htmx:
        response = render(request, "lessons/includes/exercise.html#exercise", context, status=status)
        if status == 200:
            trigger_client_event(response, "exercise-changed", {"exercise": exercise_slug})
        return response
    return _render_lesson(request, lesson, page, learner, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
@vary_on_headers("HX-Request")
@login_not_required
def sandbox_run(request, part_slug, lesson_slug, sandbox_slug):
    """POST solves the lab for the submitted weights and records the run; GET (htmx) gives the form.

    Weights out of range, not numbers, missing or naming unknown terms get 400 with a
    readable message and record nothing; so does a lab this lesson does not embed.
    """
    lesson = _published_lesson(part_slug, lesson_slug)
    learner = Learner.from_request(request, create=request.method == "POST")
    page = lesson_blocks(lesson, learner)
    state = page.sandboxes.get(sandbox_slug)
    if state is None:
        message = f"This lesson has no lab called “{sandbox_slug}”. Go back to the lesson and try again."
        return render(request, "400.html", {"message": message}, status=400)
    context = {"box": state, "lesson": lesson}
    if request.method == "GET":
        if not request.htmx:
            return redirect(f"{lesson.get_absolute_url()}#{state.dom_id}")
        return render(request, "lessons/includes/sandbox.html#sandbox", context)

    status = 200
    try:
        weights = sandbox_weights(state.sandbox, request.POST)
    except BadSubmission as exc:
        state.error = str(exc)
        # Keep what the learner typed where it was a number, so they can correct it.
        state.weights = {**state.weights, **typed_weights(state.sandbox, request.POST)}
        status = 400
    else:
        attempt, outcome = run_sandbox(learner, state.sandbox, weights)
        _record_guest_visit(learner, lesson)
        state.weights = weights
        state.attempts += 1
        state.passed = state.passed or attempt.objective_met
        state.show(outcome)

    if request.htmx:
        response = render(request, "lessons/includes/sandbox.html#sandbox", context, status=status)
        if status == 200:
            trigger_client_event(response, "sandbox-changed", {"sandbox": sandbox_slug})
        return response
    return _render_lesson(request, lesson, page, learner, status=status)


def _record_guest_visit(learner, lesson) -> None:
    """A guest's reading is not recorded (lesson_detail writes nothing for them): their first
    answer, check or lab run is what records the visit. A signed-in learner's visit was noted
    when the page was read."""
    if not learner.user_id:
        record_visit(learner, lesson)


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
    if request.method != "POST":
        if not request.htmx:
            return redirect(f"{lesson.get_absolute_url()}#lesson-progress")
        return render(
            request, "lessons/includes/progress.html#lesson-progress", _progress_context(request, lesson, page, learner)
        )
    completed, missing = complete_lesson(learner, lesson)
    context = _progress_context(request, lesson, page, learner, missing=missing, just_completed=completed)
    if request.htmx:
        response = render(request, "lessons/includes/progress.html#lesson-progress", context)
        if completed:
            trigger_client_event(response, "progress-changed", {"lesson": lesson.slug})
        return response
    if completed:
        return redirect(f"{lesson.get_absolute_url()}#lesson-progress")
    return _render_lesson(request, lesson, page, learner, missing=missing)


@require_safe
@login_not_required
def taxonomy_list(request):
    taxonomies = Taxonomy.objects.prefetch_related("categories")
    return render(request, "lessons/taxonomy_list.html", {"taxonomies": taxonomies})


@require_safe
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


@require_safe
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


@require_safe
@login_not_required
def about(request):
    return render(request, "lessons/about.html")
