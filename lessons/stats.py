"""Keeping the report summaries (lessons.models.stats) in step with learners' work.

Called from lessons.actions inside the same transaction as the write it follows, so a
summary is never ahead of or behind the rows it summarises. Counters move with F()
expressions, which are atomic under concurrent requests. `rebuild_all` recomputes every
summary from the raw rows; the tests check that maintained and rebuilt values agree.
"""

from __future__ import annotations

from collections import defaultdict

from django.db import IntegrityError, transaction
from django.db.models import Count, F, Max, Min, Q, Sum
from django.utils import timezone

from lessons.grading import is_passed
from lessons.models import (
    Answer,
    CasePick,
    CheckStatus,
    ChoiceStats,
    ConfusionCount,
    DailyScores,
    ExerciseAttempt,
    LearnerSummary,
    Lesson,
    LessonProgress,
    PartSummary,
    QuestionStats,
    Quiz,
    daily_shard,
)


def _bump(model, lookup: dict, **increments) -> None:
    """Add to counters on one row, creating it first if needed (race-safe)."""
    updated = model.objects.filter(**lookup).update(**{k: F(k) + v for k, v in increments.items()})
    if not updated:
        try:
            with transaction.atomic():
                model.objects.create(**lookup, **increments)
        except IntegrityError:  # created by a concurrent request in between: add to that row
            model.objects.filter(**lookup).update(**{k: F(k) + v for k, v in increments.items()})


def _touch(user_id: int, when) -> None:
    """Move last_activity forward to `when` (never back)."""
    if not LearnerSummary.objects.filter(user_id=user_id).exists():
        _bump(LearnerSummary, {"user_id": user_id})
    LearnerSummary.objects.filter(Q(last_activity__isnull=True) | Q(last_activity__lt=when), user_id=user_id).update(
        last_activity=when
    )


def _day_shard(row) -> dict:
    return {"day": timezone.localdate(row.created_at), "shard": daily_shard(row.pk)}


# -- hooks called by actions ------------------------------------------------------------


def on_visit(learner, lesson: Lesson, when) -> None:
    if not learner.user_id:
        return
    _touch(learner.user_id, when)
    lookup = {"user_id": learner.user_id, "part_id": lesson.part_id}
    if lesson.is_published and not PartSummary.objects.filter(**lookup).exists():
        # ON CONFLICT DO NOTHING: a concurrent first visit to the part may have made it.
        PartSummary.objects.bulk_create([PartSummary(**lookup)], ignore_conflicts=True)


def on_complete(learner, lesson: Lesson) -> None:
    """Called once, when a lesson becomes complete."""
    if not learner.user_id or not lesson.is_published:
        return
    _bump(LearnerSummary, {"user_id": learner.user_id}, lessons_completed=1)
    _bump(PartSummary, {"user_id": learner.user_id, "part_id": lesson.part_id}, lessons_completed=1)


def on_answer(learner, answer: Answer) -> None:
    question = answer.question
    _bump(DailyScores, _day_shard(answer), answers=1, answer_score_sum=answer.score)
    if learner.user_id:
        _bump(LearnerSummary, {"user_id": learner.user_id}, answers=1, answer_score_sum=answer.score)
        _touch(learner.user_id, answer.created_at)
        _refresh_quiz_status(learner.user_id, question.quiz)
    first = Answer.objects.for_learner(learner).filter(question=question).order_by("id").first()
    if first is not None and first.pk == answer.pk:
        _add_first_attempt(learner, answer)


def on_check(learner, attempt: ExerciseAttempt, picks: list[CasePick]) -> None:
    exercise = attempt.exercise
    _bump(DailyScores, _day_shard(attempt), attempts=1, attempt_score_sum=attempt.score)
    for pick in picks:
        _bump(
            ConfusionCount,
            {"taxonomy_id": exercise.taxonomy_id, "correct": pick.correct_category, "chosen": pick.category},
            n=1,
        )
    if not learner.user_id:
        return
    _bump(LearnerSummary, {"user_id": learner.user_id}, attempts=1, attempt_score_sum=attempt.score)
    _touch(learner.user_id, attempt.created_at)
    passed = is_passed(attempt.score, exercise.pass_mark)
    lookup = {"user_id": learner.user_id, "exercise_id": exercise.pk}
    before = CheckStatus.objects.filter(**lookup).values_list("passed", flat=True).first()
    _bump(CheckStatus, lookup, attempts=1, wrong=0 if passed else 1)
    CheckStatus.objects.filter(**lookup).update(passed=passed)
    _adjust_passed(learner.user_id, bool(before), passed)


def _adjust_passed(user_id: int, before: bool, after: bool) -> None:
    if before != after:
        _bump(LearnerSummary, {"user_id": user_id}, checks_passed=1 if after else -1)


def _refresh_quiz_status(user_id: int, quiz: Quiz) -> None:
    """Recompute one learner's status on one quiz from their answers (a few rows)."""
    rows = list(
        Answer.objects.filter(user_id=user_id, question__quiz=quiz, question__retired=False)
        .order_by("id")
        .values_list("question_id", "score")
    )
    latest = dict(rows)
    active = quiz.questions.filter(retired=False).count()
    passed = len(latest) == active > 0 and is_passed(sum(latest.values()) / active, quiz.pass_mark)
    lookup = {"user_id": user_id, "quiz_id": quiz.pk}
    before = CheckStatus.objects.filter(**lookup).values_list("passed", flat=True).first()
    wrong = sum(1 for _, score in rows if score < 1.0)
    if not CheckStatus.objects.filter(**lookup).update(attempts=len(rows), wrong=wrong, passed=passed):
        CheckStatus.objects.create(**lookup, attempts=len(rows), wrong=wrong, passed=passed)
    _adjust_passed(user_id, bool(before), passed)


def _add_first_attempt(learner, answer: Answer) -> None:
    """Fold a learner's first attempt at a question into the quiz's running sums.

    x is this score; the learner's other first attempts on the quiz give the rest score
    T for this question, and each of those questions' rest score grows by x.
    """
    question = answer.question
    others = _first_scores(learner, question.quiz_id, exclude=question.pk)
    x = answer.score
    total = sum(others.values())
    _bump(QuestionStats, {"question_id": question.pk}, n=1, sx=x, sxx=x * x, sy=total, syy=total * total, sxy=x * total)
    for other_id, x_other in others.items():
        y_old = total - x_other
        _bump(QuestionStats, {"question_id": other_id}, sy=x, syy=2 * x * y_old + x * x, sxy=x_other * x)
    for choice in answer.picks.all():
        _bump(ChoiceStats, {"choice_id": choice.pk}, first_picks=1)


def _first_scores(learner, quiz_id: int, *, exclude: int) -> dict[int, float]:
    firsts = (
        Answer.objects.for_learner(learner)
        .filter(question__quiz_id=quiz_id)
        .exclude(question_id=exclude)
        .values("question_id")
        .annotate(first=Min("id"))
        .values("first")
    )
    return dict(Answer.objects.filter(id__in=firsts).values_list("question_id", "score"))


# -- rebuilding from the raw rows ---------------------------------------------------------


@transaction.atomic
def rebuild_learners(user_ids=None) -> None:
    """Recompute LearnerSummary, PartSummary and CheckStatus (for some users, or all)."""

    def scoped(qs, field="user_id"):
        return (
            qs.filter(**{f"{field}__in": user_ids})
            if user_ids is not None
            else qs.filter(**{f"{field}__isnull": False})
        )

    scoped(LearnerSummary.objects, "user_id").delete()
    scoped(PartSummary.objects).delete()
    scoped(CheckStatus.objects).delete()
    summaries: dict[int, LearnerSummary] = {}

    def summary(user_id):
        return summaries.setdefault(user_id, LearnerSummary(user_id=user_id))

    published = Q(lesson__status=Lesson.Status.PUBLISHED)
    for row in (
        scoped(LessonProgress.objects)
        .values("user_id")
        .annotate(last=Max("last_opened_at"), done=Count("id", filter=published & Q(completed_at__isnull=False)))
    ):
        s = summary(row["user_id"])
        s.last_activity, s.lessons_completed = row["last"], row["done"]
    for row in (
        scoped(Answer.objects).values("user_id").annotate(n=Count("id"), total=Sum("score"), last=Max("created_at"))
    ):
        s = summary(row["user_id"])
        s.answers, s.answer_score_sum = row["n"], row["total"] or 0
        s.last_activity = max(filter(None, [s.last_activity, row["last"]]))
    for row in (
        scoped(ExerciseAttempt.objects)
        .values("user_id")
        .annotate(n=Count("id"), total=Sum("score"), last=Max("created_at"))
    ):
        s = summary(row["user_id"])
        s.attempts, s.attempt_score_sum = row["n"], row["total"] or 0
        s.last_activity = max(filter(None, [s.last_activity, row["last"]]))
    parts = [
        PartSummary(user_id=row["user_id"], part_id=row["lesson__part_id"], lessons_completed=row["done"])
        for row in scoped(LessonProgress.objects)
        .filter(published)
        .values("user_id", "lesson__part_id")
        .annotate(done=Count("id", filter=Q(completed_at__isnull=False)))
    ]
    statuses = []
    quizzes = {q.pk: q for q in Quiz.objects.annotate(active=Count("questions", filter=Q(questions__retired=False)))}
    per_quiz: dict[tuple[int, int], list[tuple[int, float]]] = defaultdict(list)
    for user_id, quiz_id, question_id, score in (
        scoped(Answer.objects)
        .filter(question__retired=False)
        .order_by("id")
        .values_list("user_id", "question__quiz_id", "question_id", "score")
        .iterator(chunk_size=5000)
    ):
        per_quiz[(user_id, quiz_id)].append((question_id, score))
    for (user_id, quiz_id), rows in per_quiz.items():
        quiz, latest = quizzes[quiz_id], dict(rows)
        passed = len(latest) == quiz.active > 0 and is_passed(sum(latest.values()) / quiz.active, quiz.pass_mark)
        statuses.append(
            CheckStatus(
                user_id=user_id,
                quiz_id=quiz_id,
                attempts=len(rows),
                wrong=sum(1 for _, s in rows if s < 1.0),
                passed=passed,
            )
        )
    per_exercise: dict[tuple[int, int], list[float]] = defaultdict(list)
    marks = {}
    for user_id, exercise_id, score, mark in (
        scoped(ExerciseAttempt.objects)
        .order_by("id")
        .values_list("user_id", "exercise_id", "score", "exercise__pass_mark")
        .iterator(chunk_size=5000)
    ):
        per_exercise[(user_id, exercise_id)].append(score)
        marks[exercise_id] = mark
    for (user_id, exercise_id), scores in per_exercise.items():
        statuses.append(
            CheckStatus(
                user_id=user_id,
                exercise_id=exercise_id,
                attempts=len(scores),
                wrong=sum(1 for s in scores if not is_passed(s, marks[exercise_id])),
                passed=is_passed(scores[-1], marks[exercise_id]),
            )
        )
    for status in statuses:
        if status.passed:
            summary(status.user_id).checks_passed += 1
    LearnerSummary.objects.bulk_create(summaries.values(), batch_size=2000)
    PartSummary.objects.bulk_create(parts, batch_size=2000)
    CheckStatus.objects.bulk_create(statuses, batch_size=2000)


@transaction.atomic
def rebuild_quiz(quiz: Quiz) -> None:
    """Recompute QuestionStats and ChoiceStats of one quiz from first attempts."""
    questions = list(quiz.questions.all())
    QuestionStats.objects.filter(question__in=questions).delete()
    ChoiceStats.objects.filter(choice__question__in=questions).delete()
    firsts = (
        Answer.objects.filter(question__in=questions)
        .values("user_id", "session_key", "question_id")
        .annotate(first=Min("id"))
        .values("first")
    )
    vectors: dict[tuple, dict[int, float]] = defaultdict(dict)
    first_ids = []
    for answer_id, user_id, key, question_id, score in (
        Answer.objects.filter(id__in=firsts)
        .values_list("id", "user_id", "session_key", "question_id", "score")
        .iterator(chunk_size=5000)
    ):
        vectors[(user_id, key if not user_id else "")][question_id] = score
        first_ids.append(answer_id)
    sums = {q.pk: [0, 0.0, 0.0, 0.0, 0.0, 0.0] for q in questions}
    for scores in vectors.values():
        total = sum(scores.values())
        for question_id, x in scores.items():
            y = total - x
            s = sums[question_id]
            s[0] += 1
            s[1] += x
            s[2] += x * x
            s[3] += y
            s[4] += y * y
            s[5] += x * y
    QuestionStats.objects.bulk_create(
        [
            QuestionStats(question_id=qid, n=s[0], sx=s[1], sxx=s[2], sy=s[3], syy=s[4], sxy=s[5])
            for qid, s in sums.items()
            if s[0]  # like the maintained sums, only questions someone answered
        ]
    )
    picks = Answer.picks.through.objects.filter(answer_id__in=firsts).values("choice_id").annotate(n=Count("answer_id"))
    ChoiceStats.objects.bulk_create([ChoiceStats(choice_id=row["choice_id"], first_picks=row["n"]) for row in picks])


@transaction.atomic
def rebuild_all() -> None:
    rebuild_learners()
    for quiz in Quiz.objects.all():
        rebuild_quiz(quiz)
    ConfusionCount.objects.all().delete()
    ConfusionCount.objects.bulk_create(
        ConfusionCount(
            taxonomy_id=row["case__exercise__taxonomy_id"],
            correct=row["correct_category"],
            chosen=row["category"],
            n=row["n"],
        )
        for row in CasePick.objects.values("case__exercise__taxonomy_id", "correct_category", "category").annotate(
            n=Count("id")
        )
    )
    DailyScores.objects.all().delete()
    days: dict = defaultdict(lambda: [0, 0.0, 0, 0.0])
    for created, row_id, score in Answer.objects.values_list("created_at", "id", "score").iterator(chunk_size=10000):
        day = days[(timezone.localdate(created), daily_shard(row_id))]
        day[0] += 1
        day[1] += score
    for created, row_id, score in ExerciseAttempt.objects.values_list("created_at", "id", "score").iterator(
        chunk_size=10000
    ):
        day = days[(timezone.localdate(created), daily_shard(row_id))]
        day[2] += 1
        day[3] += score
    DailyScores.objects.bulk_create(
        DailyScores(day=d, shard=shard, answers=v[0], answer_score_sum=v[1], attempts=v[2], attempt_score_sum=v[3])
        for (d, shard), v in days.items()
    )


def quizzes_touched_by(user_id: int, guest_key: str) -> list[Quiz]:
    """Quizzes both identities answered: merging them changes who counts as a first attempt."""
    user_quizzes = set(Answer.objects.filter(user_id=user_id).values_list("question__quiz_id", flat=True))
    guest_quizzes = set(
        Answer.objects.filter(user__isnull=True, session_key=guest_key).values_list("question__quiz_id", flat=True)
    )
    return list(Quiz.objects.filter(pk__in=user_quizzes & guest_quizzes))
