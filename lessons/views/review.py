"""The review session: the learner's due questions and cases, one at a time, across parts.

Items are shown with the lessons' own question and case markup and feedback. Answers are
recorded through the same actions as in lessons (an Answer, or an ExerciseAttempt that
keeps the learner's other picks), so they count like any other and reschedule the card.
Without JavaScript each form posts and the whole page comes back with the result.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.decorators import login_not_required
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe
from django.views.decorators.vary import vary_on_headers

from lessons import review
from lessons.actions import check_exercise, record_answer
from lessons.forms import BadSubmission, picked_categories, picked_choices, picked_confidence, picked_confidences
from lessons.grading import GradingError, grade_case
from lessons.learners import Learner
from lessons.lesson_page import CaseCard, ExerciseState, QuestionResult, QuestionState, shuffled_choices
from lessons.models import Case, ExerciseAttempt, Question, ReviewCard


@dataclass
class ReviewContext:
    """What the shared question and case markup needs to post into the review."""

    answer_url: str
    next_url: str


@dataclass
class ReviewItem:
    card: ReviewCard
    kind: str  # "question" or "case"
    teaching_url: str
    teaching_title: str
    q: QuestionState | None = None
    ex: ExerciseState | None = None

    @property
    def dom_id(self) -> str:
        return "review-item"

    @property
    def card_state(self):
        return self.ex.cards[0] if self.ex else None


def _item(card: ReviewCard, learner: Learner) -> ReviewItem:
    """The card's question or case, ready for the shared partials (a few queries)."""
    quiz_home, exercise_home = review.teaching_links()
    if card.question_id:
        question = Question.objects.select_related("quiz").prefetch_related("choices").get(pk=card.question_id)
        lesson = quiz_home.get(question.quiz.slug)
        url = question.section_url or (f"{lesson.get_absolute_url()}#quiz-{question.quiz.slug}" if lesson else "")
        state = QuestionState(question, 1, shuffled_choices(question, learner, card.reviews))
        return ReviewItem(card, "question", url, lesson.title if lesson else "", q=state)
    case = Case.objects.select_related("exercise__taxonomy").prefetch_related("exercise__taxonomy__categories")
    case = case.get(pk=card.case_id)
    lesson = exercise_home.get(case.exercise.slug)
    url = f"{lesson.get_absolute_url()}#exercise-{case.exercise.slug}" if lesson else ""
    state = ExerciseState(case.exercise, [CaseCard(case)])
    return ReviewItem(card, "case", url, lesson.title if lesson else "", ex=state)


def _until(moment) -> str:
    """'until 14:05', 'until Thursday' or 'until 12 March', in the site's time zone."""
    now, moment = timezone.localtime(), timezone.localtime(moment)
    if moment.date() == now.date():
        return f"until {moment:%H:%M}"
    if (moment.date() - now.date()).days < 7:
        return "until tomorrow" if (moment.date() - now.date()).days == 1 else f"until {moment:%A}"
    return f"until {moment.day} {moment:%B}"


def _page(request, learner, item: ReviewItem | None, *, status=200, error=""):
    now = timezone.now()
    later = None if item else review.next_later(learner, now)
    context = {
        "item": item,
        "error": error,
        "due": review.due_count(learner, now),
        "until": _until(later) if later else "",
        "review": _review_context(item) if item else None,
        "lesson": None,
    }
    if item and item.q:
        context["q"] = item.q
    if item and item.ex:
        context["ex"], context["card"] = item.ex, item.ex.cards[0]
    if request.htmx and item and item.kind == "question":
        return render(request, "lessons/includes/quiz.html#question", context, status=status)
    template = "lessons/review_session.html#review-item" if request.htmx else "lessons/review_session.html"
    return render(request, template, context, status=status)


def _review_context(item: ReviewItem) -> ReviewContext:
    if item.kind == "question":
        answer_url = reverse("lessons:review_question", args=[item.card.question_id])
    else:
        answer_url = reverse("lessons:review_case", args=[item.card.case_id])
    return ReviewContext(answer_url, reverse("lessons:review_session"))


@require_safe
@vary_on_headers("HX-Request")
@login_not_required
def review_session(request):
    """The next due item, or the end of the session and when the next one falls due."""
    learner = Learner.from_request(request)
    card = review.next_due(learner, timezone.now())
    return _page(request, learner, _item(card, learner) if card else None)


def _card_or_none(learner, **item) -> ReviewCard | None:
    return ReviewCard.objects.for_learner(learner).live().filter(**item).first()


def _unknown(request, learner):
    return _page(
        request, learner, None, status=400, error="That item isn't in your review. Reload the page and try again."
    )


@require_POST
@vary_on_headers("HX-Request")
@login_not_required
def review_question(request, question_id):
    """Grade a question answered in review; 400 and nothing written for a bad submission."""
    learner = Learner.from_request(request)
    card = _card_or_none(learner, question_id=question_id)
    if card is None:
        return _unknown(request, learner)
    item = _item(card, learner)
    state = item.q
    try:
        choices = picked_choices(state.question, request.POST)
        confidence = picked_confidence(request.POST)
    except BadSubmission as exc:
        state.error = str(exc)
        return _page(request, learner, item, status=400)
    answer = record_answer(learner, state.question, choices, confidence=confidence)
    shown = [choice.pk for _, choice in state.choices]
    state.result = QuestionResult(answer.score, sorted(choices, key=lambda c: shown.index(c.pk)))
    return _page(request, learner, item)


@require_POST
@vary_on_headers("HX-Request")
@login_not_required
def review_case(request, case_id):
    """Grade one case answered in review.

    The attempt keeps the learner's latest picks for the exercise's other cases, so the
    exercise's score and status read as if that one card had been changed and checked
    again; only the reviewed case is rated and counted in the confusion matrix.
    """
    learner = Learner.from_request(request)
    card = _card_or_none(learner, case_id=case_id)
    if card is None:
        return _unknown(request, learner)
    item = _item(card, learner)
    case = item.ex.cards[0].case
    exercise = item.ex.exercise
    try:
        picks = picked_categories(exercise, [case], request.POST)
        confidences = picked_confidences([case], request.POST)
    except BadSubmission as exc:
        item.ex.error = str(exc)
        return _page(request, learner, item, status=400)
    cases, all_picks = _carried_picks(learner, exercise, case)
    all_picks[case.slug] = picks[case.slug]
    attempt = check_exercise(learner, exercise, [case, *cases], all_picks, confidences=confidences, reviewed=[case])
    item.ex.grade(attempt)
    return _page(request, learner, item)


def _carried_picks(learner, exercise, reviewed: Case) -> tuple[list[Case], dict[str, list[str]]]:
    """The exercise's other active cases with the learner's latest picks that still grade."""
    latest = ExerciseAttempt.objects.for_learner(learner).filter(exercise=exercise).order_by("-created_at", "-id")
    latest = latest.values_list("answers", flat=True).first() or {}
    cases, picks = [], {}
    for case in exercise.cases.filter(retired=False).exclude(pk=reviewed.pk):
        if case.slug not in latest:
            continue
        try:
            grade_case(exercise.multi_label, latest[case.slug], case.answers, case.also_accept)
        except GradingError:
            continue  # the case changed since; leave it out rather than guess
        cases.append(case)
        picks[case.slug] = latest[case.slug]
    return cases, picks
