"""Keeping the report summaries (lessons.models.summaries) in step with learners' work and
with the content they summarise.

Called from lessons.actions inside the same transaction as the write it follows, so a
summary is never ahead of or behind the rows it summarises:
- learners' writes: `on_answer`, `on_check`, `on_visit`, `on_complete`;
- content writes that change what the rows mean (a lesson published, unpublished or moved;
  a quiz's questions or pass mark; an exercise's pass mark or taxonomy): `refresh_progress`,
  `refresh_checks`, `refresh_confusion`, which recompute just the affected rows;
- an account deleted: `forget_learner` subtracts what its rows added to the shared sums.

Counters move with F() expressions, which are atomic under concurrent requests; what a
learner's first attempt or latest answers are is read under a lock on the quiz or exercise
(see actions.record_answer), so two simultaneous answers never both count as first.
`rebuild_all` recomputes every summary from the raw rows; the tests check that maintained
and rebuilt values agree after learners' work and after each kind of content edit.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from django.db import IntegrityError, transaction
from django.db.models import (
    Case,
    Count,
    DateTimeField,
    F,
    FloatField,
    Max,
    Min,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from lessons.grading import exercise_passed, quiz_passed
from lessons.models import (
    Answer,
    CasePick,
    CheckStatus,
    ChoiceStats,
    ConfusionCount,
    DailyScores,
    Exercise,
    ExerciseAttempt,
    LearnerSummary,
    Lesson,
    LessonProgress,
    PartSummary,
    QuestionStats,
    Quiz,
    Taxonomy,
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


def _add(model, lookup: dict, **increments) -> None:
    """Add to counters on one row, creating it if needed. Only for rows written under the
    quiz or exercise lock (see actions.record_answer), where no one else can create them."""
    if not model.objects.filter(**lookup).update(**{k: F(k) + v for k, v in increments.items()}):
        model.objects.create(**lookup, **increments)


def _touch(user_id: int, when) -> None:
    """Move last_activity forward to `when` (never back)."""
    if not LearnerSummary.objects.filter(user_id=user_id).exists():
        _bump(LearnerSummary, {"user_id": user_id})
    LearnerSummary.objects.filter(Q(last_activity__isnull=True) | Q(last_activity__lt=when), user_id=user_id).update(
        last_activity=when
    )


def _add_to_learner(user_id: int, when, **increments) -> None:
    """Add to a learner's counters and move last_activity forward to `when`, in one UPDATE."""
    later = Case(
        When(Q(last_activity__isnull=True) | Q(last_activity__lt=when), then=Value(when)),
        default=F("last_activity"),
        output_field=DateTimeField(),
    )
    values = {key: F(key) + n for key, n in increments.items() if n}
    if LearnerSummary.objects.filter(user_id=user_id).update(**values, last_activity=later):
        return
    try:
        with transaction.atomic():
            LearnerSummary.objects.create(user_id=user_id, last_activity=when, **increments)
    except IntegrityError:  # created by a concurrent visit in between
        LearnerSummary.objects.filter(user_id=user_id).update(**values, last_activity=later)


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


def on_answer(learner, answer: Answer, quiz: Quiz, picks) -> None:
    """Fold one stored answer into the summaries. The caller holds the lock on `quiz`."""
    _bump(DailyScores, _day_shard(answer), answers=1, answer_score_sum=answer.score)
    # All of this learner's answers to the quiz, oldest first: the first attempts, the latest
    # answers and the counts all follow from these few rows.
    rows = list(
        Answer.objects.for_learner(learner)
        .filter(question__quiz=quiz)
        .order_by("id")
        .values_list("id", "question_id", "score", "question__retired")
    )
    firsts: dict[int, tuple[int, float]] = {}
    for answer_id, question_id, score, _ in rows:
        firsts.setdefault(question_id, (answer_id, score))
    if firsts[answer.question_id][0] == answer.pk:
        others = {qid: score for qid, (_, score) in firsts.items() if qid != answer.question_id}
        _add_first_attempt(answer, others, picks)
    if learner.user_id:
        # The status as it stood before this answer follows from the same rows (content
        # edits keep CheckStatus equal to it), so it need not be read back.
        active_rows = [(q, score) for _, q, score, retired in rows if not retired]
        earlier = [(q, score) for answer_id, q, score, retired in rows if not retired and answer_id != answer.pk]
        before = _quiz_status(earlier, quiz.active, quiz.pass_mark)
        attempts, wrong, passed = _quiz_status(active_rows, quiz.active, quiz.pass_mark)
        lookup = {"user_id": learner.user_id, "quiz": quiz}
        if not CheckStatus.objects.filter(**lookup).update(attempts=attempts, wrong=wrong, passed=passed):
            CheckStatus.objects.create(**lookup, attempts=attempts, wrong=wrong, passed=passed)
        _add_to_learner(
            learner.user_id,
            answer.created_at,
            answers=1,
            answer_score_sum=answer.score,
            checks_passed=int(passed) - int(before[2]),
        )


def on_check(learner, attempt: ExerciseAttempt, picks: list[CasePick]) -> None:
    """Fold one stored exercise check into the summaries. The caller holds the lock on the exercise."""
    exercise = attempt.exercise
    _bump(DailyScores, _day_shard(attempt), attempts=1, attempt_score_sum=attempt.score)
    # One update per cell, always in the same order, so two checks of exercises sharing a
    # taxonomy cannot deadlock on each other's rows.
    cells = Counter((pick.correct_category, pick.category) for pick in picks)
    for (correct, chosen), n in sorted(cells.items()):
        _bump(ConfusionCount, {"taxonomy_id": exercise.taxonomy_id, "correct": correct, "chosen": chosen}, n=n)
    if not learner.user_id:
        return
    passed = exercise_passed(attempt.score, exercise.pass_mark)
    lookup = {"user_id": learner.user_id, "exercise_id": exercise.pk}
    before = CheckStatus.objects.filter(**lookup).values_list("passed", flat=True).first()
    if before is None:
        CheckStatus.objects.create(**lookup, attempts=1, wrong=0 if passed else 1, passed=passed)
    else:
        CheckStatus.objects.filter(**lookup).update(
            attempts=F("attempts") + 1, wrong=F("wrong") + (0 if passed else 1), passed=passed
        )
    _add_to_learner(
        learner.user_id,
        attempt.created_at,
        attempts=1,
        attempt_score_sum=attempt.score,
        checks_passed=int(passed) - int(bool(before)),
    )


def _quiz_status(rows: list[tuple[int, float]], active: int, pass_mark: int) -> tuple[int, int, bool]:
    """(attempts, wrong, passed) from one learner's (question, score) answers to active questions, oldest first."""
    latest = dict(rows)
    return len(rows), sum(1 for _, score in rows if score < 1.0), quiz_passed(list(latest.values()), active, pass_mark)


def _exercise_status(scores: list[float], pass_mark: int) -> tuple[int, int, bool]:
    """(attempts, wrong, passed) from one learner's check scores, oldest first."""
    wrong = sum(1 for score in scores if not exercise_passed(score, pass_mark))
    return len(scores), wrong, exercise_passed(scores[-1] if scores else None, pass_mark)


def _add_first_attempt(answer: Answer, others: dict[int, float], picks) -> None:
    """Fold a learner's first attempt at a question into the quiz's running sums."""
    _fold_first(answer.question_id, answer.score, others, 1)
    for choice in picks:
        _add(ChoiceStats, {"choice_id": choice.pk}, first_picks=1)


def _fold_first(question_id: int, x: float, others: dict[int, float], sign: int) -> None:
    """Add (sign=1) or take out (sign=-1) one first attempt in the first-attempt sums.

    x is its score; `others` are the same learner's first-attempt scores on the quiz's
    other questions: their total is this question's rest score, and each of their rest
    scores moves by x.
    """
    total = sum(others.values())
    _add(
        QuestionStats,
        {"question_id": question_id},
        n=sign,
        sx=sign * x,
        sxx=sign * x * x,
        sy=sign * total,
        syy=sign * total * total,
        sxy=sign * x * total,
    )
    if not others:
        return

    def per_question(amounts: dict[int, float]) -> Case:
        whens = [When(question_id=q, then=Value(amount)) for q, amount in amounts.items()]
        return Case(*whens, default=Value(0.0), output_field=FloatField())

    # Each other question's rest score grows by x: one UPDATE for all of them (their rows
    # exist: this learner's first attempts on them made them).
    QuestionStats.objects.filter(question_id__in=others).update(
        sy=F("sy") + sign * x,
        syy=F("syy") + per_question({q: sign * (2 * x * (total - xo) + x * x) for q, xo in others.items()}),
        sxy=F("sxy") + per_question({q: sign * xo * x for q, xo in others.items()}),
    )


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
    statuses = _statuses(scoped(Answer.objects), scoped(ExerciseAttempt.objects))
    for status in statuses:
        if status.passed:
            summary(status.user_id).checks_passed += 1
    LearnerSummary.objects.bulk_create(summaries.values(), batch_size=2000)
    PartSummary.objects.bulk_create(parts, batch_size=2000)
    CheckStatus.objects.bulk_create(statuses, batch_size=2000)


def _statuses(answers, attempts) -> list[CheckStatus]:
    """CheckStatus rows (unsaved) computed from the given answers and exercise attempts."""
    statuses = []
    quizzes = {q.pk: q for q in Quiz.objects.annotate(active=Count("questions", filter=Q(questions__retired=False)))}
    per_quiz: dict[tuple[int, int], list[tuple[int, float]]] = defaultdict(list)
    for user_id, quiz_id, question_id, score in (
        answers.filter(question__retired=False, user__isnull=False)
        .order_by("id")
        .values_list("user_id", "question__quiz_id", "question_id", "score")
        .iterator(chunk_size=5000)
    ):
        per_quiz[(user_id, quiz_id)].append((question_id, score))
    for (user_id, quiz_id), rows in per_quiz.items():
        quiz = quizzes[quiz_id]
        attempts_, wrong, passed = _quiz_status(rows, quiz.active, quiz.pass_mark)
        statuses.append(CheckStatus(user_id=user_id, quiz_id=quiz_id, attempts=attempts_, wrong=wrong, passed=passed))
    per_exercise: dict[tuple[int, int], list[float]] = defaultdict(list)
    marks = {}
    for user_id, exercise_id, score, mark in (
        attempts.filter(user__isnull=False)
        .order_by("id")
        .values_list("user_id", "exercise_id", "score", "exercise__pass_mark")
        .iterator(chunk_size=5000)
    ):
        per_exercise[(user_id, exercise_id)].append(score)
        marks[exercise_id] = mark
    for (user_id, exercise_id), scores in per_exercise.items():
        attempts_, wrong, passed = _exercise_status(scores, marks[exercise_id])
        statuses.append(
            CheckStatus(user_id=user_id, exercise_id=exercise_id, attempts=attempts_, wrong=wrong, passed=passed)
        )
    return statuses


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
    refresh_confusion(Taxonomy.objects.values("pk"))
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


# -- content edits ---------------------------------------------------------------------
# Which lessons are published, which questions are active and the pass marks are part of
# what the summaries mean. Each content write calls these for what it changed, in its own
# transaction; they touch only the learners and rows that change.


def refresh_progress(lesson_ids, part_ids) -> None:
    """After lessons were published, unpublished or moved between parts: lessons completed
    per learner and the part rows (started, completed) of everyone with progress in them."""
    users = LessonProgress.objects.filter(lesson_id__in=lesson_ids, user__isnull=False).values("user_id")
    done = Q(lesson__status=Lesson.Status.PUBLISHED, completed_at__isnull=False)
    completed = (
        LessonProgress.objects.filter(done, user_id=OuterRef("user_id"))
        .values("user_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    LearnerSummary.objects.filter(user_id__in=users).update(lessons_completed=Coalesce(Subquery(completed), 0))
    PartSummary.objects.filter(part_id__in=part_ids, user_id__in=users).delete()
    PartSummary.objects.bulk_create(
        (
            PartSummary(user_id=row["user_id"], part_id=row["lesson__part_id"], lessons_completed=row["done"])
            for row in LessonProgress.objects.filter(
                user_id__in=users, lesson__part_id__in=part_ids, lesson__status=Lesson.Status.PUBLISHED
            )
            .values("user_id", "lesson__part_id")
            .annotate(done=Count("id", filter=Q(completed_at__isnull=False)))
        ),
        batch_size=2000,
    )


def refresh_checks(*, quiz: Quiz | None = None, exercise: Exercise | None = None) -> None:
    """After a quiz's questions or pass mark, or an exercise's pass mark, changed: every
    learner's status on it and their count of checks passed."""
    if quiz is not None:
        target, answers = {"quiz": quiz}, Answer.objects.filter(question__quiz=quiz)
        attempts = ExerciseAttempt.objects.none()
    else:
        target, answers = {"exercise": exercise}, Answer.objects.none()
        attempts = ExerciseAttempt.objects.filter(exercise=exercise)
    users = (answers if quiz is not None else attempts).filter(user__isnull=False).values("user_id")
    CheckStatus.objects.filter(**target).delete()
    CheckStatus.objects.bulk_create(_statuses(answers, attempts), batch_size=2000)
    passed = (
        CheckStatus.objects.filter(user_id=OuterRef("user_id"), passed=True)
        .values("user_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    LearnerSummary.objects.filter(user_id__in=users).update(checks_passed=Coalesce(Subquery(passed), 0))


def refresh_confusion(taxonomy_ids) -> None:
    """Confusion counts of some taxonomies from the picks (after an exercise changed taxonomy)."""
    ConfusionCount.objects.filter(taxonomy_id__in=taxonomy_ids).delete()
    ConfusionCount.objects.bulk_create(
        ConfusionCount(
            taxonomy_id=row["case__exercise__taxonomy_id"],
            correct=row["correct_category"],
            chosen=row["category"],
            n=row["n"],
        )
        for row in CasePick.objects.filter(case__exercise__taxonomy_id__in=taxonomy_ids)
        .values("case__exercise__taxonomy_id", "correct_category", "category")
        .annotate(n=Count("id"))
    )


def forget_learner(user) -> None:
    """Before an account is deleted: take its rows out of the sums shared with other
    learners (daily scores, first-attempt statistics, confusion counts). Its own summaries
    go with the account."""
    days: dict = defaultdict(lambda: [0, 0.0, 0, 0.0])
    for created, row_id, score in Answer.objects.filter(user=user).values_list("created_at", "id", "score"):
        day = days[(timezone.localdate(created), daily_shard(row_id))]
        day[0] += 1
        day[1] += score
    for created, row_id, score in ExerciseAttempt.objects.filter(user=user).values_list("created_at", "id", "score"):
        day = days[(timezone.localdate(created), daily_shard(row_id))]
        day[2] += 1
        day[3] += score
    for (day, shard), (answers, answer_sum, attempts, attempt_sum) in days.items():
        DailyScores.objects.filter(day=day, shard=shard).update(
            answers=F("answers") - answers,
            answer_score_sum=F("answer_score_sum") - answer_sum,
            attempts=F("attempts") - attempts,
            attempt_score_sum=F("attempt_score_sum") - attempt_sum,
        )
    # First attempts: take each question out in the reverse of the order it went in, so
    # every step is the exact inverse of the step that added it.
    firsts = Answer.objects.filter(user=user).values("question_id").annotate(first=Min("id")).values("first")
    per_quiz: dict[int, list[tuple[int, float]]] = defaultdict(list)
    for quiz_id, question_id, score in (
        Answer.objects.filter(id__in=firsts).order_by("id").values_list("question__quiz_id", "question_id", "score")
    ):
        per_quiz[quiz_id].append((question_id, score))
    for vector in per_quiz.values():
        while vector:
            question_id, x = vector.pop()
            _fold_first(question_id, x, dict(vector), -1)
    for row in (
        Answer.picks.through.objects.filter(answer_id__in=firsts).values("choice_id").annotate(n=Count("answer_id"))
    ):
        ChoiceStats.objects.filter(choice_id=row["choice_id"]).update(first_picks=F("first_picks") - row["n"])
    for row in (
        CasePick.objects.filter(attempt__user=user)
        .values("case__exercise__taxonomy_id", "correct_category", "category")
        .annotate(n=Count("id"))
    ):
        ConfusionCount.objects.filter(
            taxonomy_id=row["case__exercise__taxonomy_id"], correct=row["correct_category"], chosen=row["category"]
        ).update(n=F("n") - row["n"])
    # Rows nobody contributes to any more are not rows a rebuild would make.
    QuestionStats.objects.filter(n=0).delete()
    ChoiceStats.objects.filter(first_picks=0).delete()
    ConfusionCount.objects.filter(n=0).delete()
    DailyScores.objects.filter(answers=0, attempts=0).delete()


def quizzes_touched_by(user_id: int, guest_key: str) -> list[Quiz]:
    """Quizzes both identities answered: merging them changes who counts as a first attempt."""
    user_quizzes = set(Answer.objects.filter(user_id=user_id).values_list("question__quiz_id", flat=True))
    guest_quizzes = set(
        Answer.objects.filter(user__isnull=True, session_key=guest_key).values_list("question__quiz_id", flat=True)
    )
    return list(Quiz.objects.filter(pk__in=user_quizzes & guest_quizzes))
