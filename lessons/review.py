"""Review cards in the database: rating items as learners attempt them, moving a guest's
cards into an account, and the reads of the review page, the header and the dashboard.

The writes run inside the caller's transaction (lessons.actions.record_answer and
check_exercise), so a card never disagrees with the attempt that rated it. Every read is a
fixed number of queries whatever the number of cards. Scheduling itself is
lessons.scheduling (pure); this module must not compute intervals of its own.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils.functional import SimpleLazyObject

from lessons import scheduling
from lessons.models import Case, Category, Lesson, Question, ReviewCard, ReviewLog


def rate_items(learner, scored: list[tuple[object, float, str]], now: dt.datetime, *, answer=None, attempt=None):
    """Rate each (Question or Case, score, confidence) for `learner` at `now`: one card per
    item, created on first sight, rescheduled by FSRS, and one log line per item.

    Two requests rating the same new item at once still leave one card: the loser of the
    insert race reads the winner's card and updates it.
    """
    if not scored:
        return []
    field = "question" if isinstance(scored[0][0], Question) else "case"
    ids = [item.pk for item, _, _ in scored]
    cards = {}
    for _ in range(3):
        mine = ReviewCard.objects.for_learner(learner).select_for_update().filter(**{f"{field}_id__in": ids})
        cards = {getattr(card, f"{field}_id"): card for card in mine}
        missing = [
            ReviewCard(**learner.owner(), **{field: item}, due=now) for item, _, _ in scored if item.pk not in cards
        ]
        if not missing:
            break
        try:
            with transaction.atomic():
                ReviewCard.objects.bulk_create(missing)
        except IntegrityError:
            continue  # another tab created one of them first; read again and update it
        cards.update({getattr(card, f"{field}_id"): card for card in missing})
        break
    else:  # pragma: no cover - three lost races in a row
        raise RuntimeError("could not create the review cards")

    logs = []
    for item, score, confidence in scored:
        card = cards[item.pk]
        rating = scheduling.rating_for(score, confidence)
        previous = _state(card) if card.reviews else None
        after = scheduling.next_state(previous, rating, now)
        logs.append(
            ReviewLog(
                card=card,
                answer=answer,
                attempt=attempt,
                reviewed_at=now,
                score=score,
                rating=int(rating),
                confidence=confidence,
                days_since_previous=scheduling.days_since(card.last_review if card.reviews else None, now),
            )
        )
        for name in ("state", "step", "stability", "difficulty", "due", "last_review"):
            setattr(card, name, getattr(after, name))
        card.reviews += 1
    ReviewCard.objects.bulk_update(
        cards.values(), ["state", "step", "stability", "difficulty", "due", "last_review", "reviews"]
    )
    ReviewLog.objects.bulk_create(logs)
    return list(cards.values())


def _state(card: ReviewCard) -> scheduling.CardState:
    return scheduling.CardState(card.state, card.step, card.stability, card.difficulty, card.due, card.last_review)


def merge_guest_cards(guest_key: str, user) -> None:
    """Move a guest's cards to `user` (inside merge_guest_progress's transaction).

    Where both have a card for one item, the one reviewed last is kept, since it holds the
    newer memory state, and the other's log lines move to it.
    """
    guest = list(ReviewCard.objects.select_for_update().filter(user__isnull=True, session_key=guest_key))
    if not guest:
        return
    question_ids = [c.question_id for c in guest if c.question_id]
    case_ids = [c.case_id for c in guest if c.case_id]
    theirs = ReviewCard.objects.select_for_update().filter(user=user)
    existing = {
        (c.question_id, c.case_id): c for c in theirs.filter(Q(question_id__in=question_ids) | Q(case_id__in=case_ids))
    }
    move = []
    for card in guest:
        own = existing.get((card.question_id, card.case_id))
        if own is None:
            move.append(card.pk)
            continue
        newer, older = (card, own) if (card.last_review or card.due) > (own.last_review or own.due) else (own, card)
        ReviewLog.objects.filter(card=older).update(card=newer)
        newer.reviews = ReviewLog.objects.filter(card=newer).count()
        older.delete()
        if newer is card:
            card.user, card.session_key = user, ""
            card.save()
        else:
            own.save(update_fields=["reviews"])
    ReviewCard.objects.filter(pk__in=move).update(user=user, session_key="")


# -- reading ---------------------------------------------------------------------------


def due_count(learner, now: dt.datetime) -> int:
    """How many items are due: one indexed count (none for a guest with no key yet)."""
    if not learner.is_known:
        return 0
    return ReviewCard.objects.for_learner(learner).due_by(scheduling.due_horizon(now)).count()


def next_due(learner, now: dt.datetime) -> ReviewCard | None:
    """The item due longest, with what its question or case needs to be shown."""
    if not learner.is_known:
        return None
    return (
        ReviewCard.objects.for_learner(learner)
        .due_by(scheduling.due_horizon(now))
        .select_related("question__quiz", "case__exercise__taxonomy")
        .order_by("due", "id")
        .first()
    )


def next_later(learner, now: dt.datetime) -> dt.datetime | None:
    """When the next item falls due, if none is due now."""
    if not learner.is_known:
        return None
    return (
        ReviewCard.objects.for_learner(learner)
        .live()
        .filter(due__gt=scheduling.due_horizon(now))
        .order_by("due")
        .values_list("due", flat=True)
        .first()
    )


def teaching_links() -> tuple[dict[str, Lesson], dict[str, Lesson]]:
    """The published lesson that embeds each quiz and each exercise (by slug): one query."""
    quizzes, exercises = {}, {}
    for lesson in (
        Lesson.objects.published()
        .in_order()
        .select_related("part")
        .only("slug", "checks", "order", "part__slug", "part__number")
    ):
        for check in lesson.checks:
            target = quizzes if check["type"] == "quiz" else exercises
            target.setdefault(check["slug"], lesson)
    return quizzes, exercises


def calibration_for(learner) -> list[scheduling.ConfidenceLevel]:
    """Accuracy per confidence level over every attempt the learner marked: one query."""
    if not learner.is_known:
        return scheduling.calibration([])
    rows = (
        ReviewLog.objects.filter(card__in=ReviewCard.objects.for_learner(learner))
        .exclude(confidence="")
        .values("confidence")
        .annotate(n=Count("id"), right=Count("id", filter=Q(score__gte=1)))
        .values_list("confidence", "n", "right")
    )
    return scheduling.calibration(rows)


@dataclass(frozen=True)
class MasteryRow:
    label: str
    url: str
    mastered: int
    total: int

    @property
    def percent(self) -> int:
        return scheduling.mastery_share(self.mastered, self.total)


def mastery_for(learner, parts) -> tuple[list[MasteryRow], list[MasteryRow]]:
    """Share of items mastered (stability ≥ MASTERY_DAYS) per part and per taxonomy
    category. Items are the active questions and cases of the published lessons; a case
    counts for each category it belongs to. Five queries whatever the course's size."""
    quiz_home, exercise_home = teaching_links()
    question_counts = dict(
        Question.objects.active().values("quiz__slug").annotate(n=Count("id")).values_list("quiz__slug", "n")
    )
    cases = list(Case.objects.active().values_list("id", "exercise__slug", "answers", "exercise__taxonomy_id"))
    mastered_questions, mastered_cases = {}, set()
    if learner.is_known:
        rows = (
            ReviewCard.objects.for_learner(learner)
            .live()
            .filter(stability__gte=scheduling.MASTERY_DAYS)
            .values_list("question__quiz__slug", "case_id")
        )
        for quiz_slug, case_id in rows:
            if case_id:
                mastered_cases.add(case_id)
            else:
                mastered_questions[quiz_slug] = mastered_questions.get(quiz_slug, 0) + 1
    by_part: dict[int, list[int]] = {}
    for slug, lesson in quiz_home.items():
        totals = by_part.setdefault(lesson.part_id, [0, 0])
        totals[0] += mastered_questions.get(slug, 0)
        totals[1] += question_counts.get(slug, 0)
    for case_id, exercise_slug, _, _ in cases:
        lesson = exercise_home.get(exercise_slug)
        if lesson is not None:
            totals = by_part.setdefault(lesson.part_id, [0, 0])
            totals[0] += case_id in mastered_cases
            totals[1] += 1
    part_rows = [
        MasteryRow(f"Part {p.number}: {p.title}", p.get_absolute_url(), *by_part[p.pk])
        for p in parts
        if by_part.get(p.pk, [0, 0])[1]
    ]
    by_category: dict[tuple[int, str], list[int]] = {}
    for case_id, exercise_slug, answers, taxonomy_id in cases:
        if exercise_slug not in exercise_home:
            continue
        for slug in answers:
            totals = by_category.setdefault((taxonomy_id, slug), [0, 0])
            totals[0] += case_id in mastered_cases
            totals[1] += 1
    category_rows = [
        MasteryRow(f"{c.taxonomy.name}: {c.name}", f"{c.taxonomy.get_absolute_url()}#cat-{c.slug}", *by_category[key])
        for c in Category.objects.select_related("taxonomy").order_by("taxonomy__name", "order")
        if (key := (c.taxonomy_id, c.slug)) in by_category
    ]
    return part_rows, category_rows


@dataclass(frozen=True)
class RetentionFigure:
    """Reviews a day or more after the previous attempt, and how many were recalled."""

    reviews: int
    recalled: int
    hidden: bool = False  # too few reviews to show an instructor without pointing to someone

    @property
    def percent(self) -> int | None:
        return round(100 * self.recalled / self.reviews) if self.reviews else None


def retention_by_question(quiz) -> dict[int, tuple[int, int]]:
    """Question id → (reviews at least a day after the previous attempt, how many were
    recalled, i.e. not rated Again). Guests included: the figures are anonymous."""
    return _retention(ReviewLog.objects.filter(card__question__quiz=quiz), "card__question_id")


def retention_by_case(cases) -> dict[int, tuple[int, int]]:
    return _retention(ReviewLog.objects.filter(card__case__in=cases), "card__case_id")


def _retention(logs, key: str) -> dict[int, tuple[int, int]]:
    rows = (
        logs.filter(days_since_previous__gte=scheduling.RETENTION_GAP_DAYS)
        .values(key)
        .annotate(n=Count("id"), recalled=Count("id", filter=Q(rating__gt=1)))
        .values_list(key, "n", "recalled")
    )
    return {item_id: (n, recalled) for item_id, n, recalled in rows}


def dashboard_context(learner, parts, now: dt.datetime) -> dict:
    """What the dashboard shows of review: due count, mastery and calibration (a fixed
    number of queries)."""
    levels = calibration_for(learner)
    part_rows, category_rows = mastery_for(learner, parts)
    return {
        # The header's lazy due count (lessons.context_processors) is reused for "due now";
        # when the next item falls due is asked only when nothing is due.
        "review_next": SimpleLazyObject(lambda: next_later(learner, now)),
        "mastery_parts": part_rows,
        "mastery_categories": category_rows,
        "calibration": levels,
        "calibration_bars": [(level, 0 if level.percent is None else level.percent * 4) for level in levels],
        "calibration_sentence": scheduling.calibration_sentence(levels),
        "calibration_marked": any(level.attempts for level in levels),
        "mastery_days": scheduling.MASTERY_DAYS,
    }


def export_cards(learner) -> list[dict]:
    """The learner's cards and their log, for the data download (two queries)."""
    cards = (
        ReviewCard.objects.for_learner(learner)
        .select_related("question__quiz", "case__exercise")
        .prefetch_related("log")
        .order_by("id")
    )
    return [
        {
            "item": f"{c.question.quiz.slug} {c.question.key}"
            if c.question_id
            else f"{c.case.exercise.slug} {c.case.slug}",
            "state": c.get_state_display().lower(),
            "stability_days": c.stability,
            "difficulty": c.difficulty,
            "due": c.due.isoformat(),
            "last_review": c.last_review.isoformat() if c.last_review else None,
            "reviews": [
                {
                    "at": log.reviewed_at.isoformat(),
                    "score": log.score,
                    "rating": log.rating,
                    "confidence": log.confidence,
                }
                for log in c.log.all()
            ],
        }
        for c in cards
    ]
