"""Read side of the admin reports: every figure is aggregated in the database, and each
page runs a fixed number of queries whatever the number of learners.

Reports cover accounts, not guests (a guest is not a person we can follow up with).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Avg, Count, Exists, F, Max, Min, OuterRef, Q, QuerySet
from django.utils import timezone

from lessons.grading import is_passed
from lessons.models import (
    Answer,
    CasePick,
    Choice,
    Cohort,
    ExerciseAttempt,
    Lesson,
    LessonProgress,
    Part,
    Quiz,
    Taxonomy,
)
from lessons.statistics import ItemStats, most_confused, pearson_from_sums

# An exercise attempt passes when its score reaches the exercise's own pass mark.
PASSED_EXERCISE = Q(score__gte=F("exercise__pass_mark") * 0.01)

User = get_user_model()


@dataclass(frozen=True)
class Filters:
    cohort: Cohort | None = None
    start: date | None = None
    end: date | None = None
    q: str = ""

    @property
    def window(self) -> tuple[datetime | None, datetime | None]:
        tz = timezone.get_current_timezone()
        start = datetime.combine(self.start, time.min, tz) if self.start else None
        end = datetime.combine(self.end + timedelta(days=1), time.min, tz) if self.end else None
        return start, end

    def in_window(self, field: str) -> Q:
        start, end = self.window
        condition = Q()
        if start:
            condition &= Q(**{f"{field}__gte": start})
        if end:
            condition &= Q(**{f"{field}__lt": end})
        return condition

    def as_query(self) -> dict:
        out = {}
        if self.cohort:
            out["cohort"] = self.cohort.pk
        if self.start:
            out["start"] = self.start.isoformat()
        if self.end:
            out["end"] = self.end.isoformat()
        if self.q:
            out["q"] = self.q
        return out


def learners(filters: Filters) -> QuerySet:
    """Accounts that are learners (not staff), narrowed by cohort and search."""
    users = User.objects.filter(is_staff=False)
    if filters.cohort:
        users = users.filter(cohorts=filters.cohort)
    if filters.q:
        users = users.filter(Q(username__icontains=filters.q) | Q(email__icontains=filters.q))
    return users


def _rows_of(model, filters: Filters, when: str) -> QuerySet:
    rows = model.objects.filter(user__isnull=False, user__is_staff=False).filter(filters.in_window(when))
    if filters.cohort:
        rows = rows.filter(user__cohorts=filters.cohort)
    return rows


@dataclass
class FunnelRow:
    part: Part
    lessons: int
    started: int
    completed: int
    scale: int = 1  # the largest "started" in the chart, for bar widths

    @property
    def started_width(self) -> int:
        return round(400 * self.started / self.scale) if self.scale else 0

    @property
    def completed_width(self) -> int:
        return round(400 * self.completed / self.scale) if self.scale else 0


def overview(filters: Filters) -> dict:
    now = timezone.now()
    people = learners(filters)
    total = people.count()
    active = people.annotate(last=Max("lessonprogress__last_opened_at")).aggregate(
        week=Count("pk", filter=Q(last__gte=now - timedelta(days=7))),
        month=Count("pk", filter=Q(last__gte=now - timedelta(days=30))),
    )
    funnel = []
    parts = list(Part.objects.annotate(n=Count("lessons", filter=Q(lessons__status=Lesson.Status.PUBLISHED))))
    progress = _rows_of(LessonProgress, filters, "last_opened_at").filter(lesson__status=Lesson.Status.PUBLISHED)
    started = dict(
        progress.values("lesson__part").annotate(n=Count("user", distinct=True)).values_list("lesson__part", "n")
    )
    completed_rows = _rows_of(LessonProgress, filters, "completed_at").filter(
        completed_at__isnull=False, lesson__status=Lesson.Status.PUBLISHED
    )
    per_user_part = completed_rows.values("user", "lesson__part").annotate(n=Count("id"))
    completed: dict[int, int] = {}
    totals = {p.pk: p.n for p in parts}
    # One grouped query; the per-part comparison happens on (learner, part) groups only.
    for row in per_user_part.values_list("lesson__part", "n"):
        if row[1] >= totals.get(row[0], 0) > 0:
            completed[row[0]] = completed.get(row[0], 0) + 1
    scale = max([started.get(p.pk, 0) for p in parts] + [1])
    for part in parts:
        funnel.append(FunnelRow(part, part.n, started.get(part.pk, 0), completed.get(part.pk, 0), scale))
    scores = {
        "quiz": _rows_of(Answer, filters, "created_at").aggregate(avg=Avg("score"), n=Count("id")),
        "exercise": _rows_of(ExerciseAttempt, filters, "created_at").aggregate(avg=Avg("score"), n=Count("id")),
    }
    return {"total": total, "active": active, "funnel": funnel, "scores": scores, "chart_height": 40 * len(funnel) + 10}


SORTS = {
    "name": "username",
    "-name": "-username",
    "progress": "completed",
    "-progress": "-completed",
    "activity": "last_activity",
    "-activity": "-last_activity",
}


def learner_table(filters: Filters, sort: str) -> QuerySet:
    """Learners annotated for the table; sort and paginate in the database."""
    published = Q(lessonprogress__lesson__status=Lesson.Status.PUBLISHED)
    rows = learners(filters).annotate(
        completed=Count("lessonprogress", filter=published & Q(lessonprogress__completed_at__isnull=False)),
        last_activity=Max("lessonprogress__last_opened_at"),
    )
    return rows.order_by(SORTS.get(sort, "-last_activity"), "username")


def decorate_page(users: list, parts: list[Part]) -> None:
    """Per-part progress and checks passed for one page of learners: four queries."""
    ids = [u.pk for u in users]
    per_part = {}
    for user_id, part_id, n in (
        LessonProgress.objects.filter(
            user_id__in=ids, completed_at__isnull=False, lesson__status=Lesson.Status.PUBLISHED
        )
        .values("user_id", "lesson__part_id")
        .annotate(n=Count("id"))
        .values_list("user_id", "lesson__part_id", "n")
    ):
        per_part[(user_id, part_id)] = n
    exercise_passes = dict(
        ExerciseAttempt.objects.filter(PASSED_EXERCISE, user_id__in=ids)
        .values("user_id")
        .annotate(n=Count("exercise", distinct=True))
        .values_list("user_id", "n")
    )
    latest = {}
    for user_id, question_id, quiz_id, score in (
        Answer.objects.filter(user_id__in=ids, question__retired=False)
        .order_by("id")
        .values_list("user_id", "question_id", "question__quiz_id", "score")
    ):
        latest[(user_id, quiz_id, question_id)] = score
    quiz_meta = {q.pk: q for q in Quiz.objects.annotate(n=Count("questions", filter=Q(questions__retired=False)))}
    quiz_passes: dict[int, int] = {}
    sums: dict[tuple[int, int], list[float]] = {}
    for (user_id, quiz_id, _), score in latest.items():
        sums.setdefault((user_id, quiz_id), []).append(score)
    for (user_id, quiz_id), scores in sums.items():
        quiz = quiz_meta.get(quiz_id)
        if quiz and len(scores) == quiz.n and is_passed(sum(scores) / quiz.n, quiz.pass_mark):
            quiz_passes[user_id] = quiz_passes.get(user_id, 0) + 1
    for user in users:
        user.part_progress = [(part, per_part.get((user.pk, part.pk), 0)) for part in parts]
        user.checks_passed = quiz_passes.get(user.pk, 0) + exercise_passes.get(user.pk, 0)


def item_analysis(quiz: Quiz, filters: Filters) -> list[dict]:
    """Facility, discrimination and pick counts per question, on learners' first attempts."""
    questions = list(quiz.questions.filter(retired=False).prefetch_related("choices"))
    if not questions:
        return []
    firsts = (
        _rows_of(Answer, filters, "created_at")
        .filter(question__in=questions)
        .values("user_id", "question_id")
        .annotate(first=Min("id"))
        .values("first")
    )
    answer_table = Answer._meta.db_table
    first_sql, params = firsts.query.sql_with_params()
    sql = f"""
        WITH firsts AS (SELECT user_id, question_id, score FROM {answer_table} WHERE id IN ({first_sql})),
             totals AS (SELECT user_id, SUM(score) AS t FROM firsts GROUP BY user_id)
        SELECT f.question_id, COUNT(*), SUM(f.score), SUM(f.score * f.score),
               SUM(t.t - f.score), SUM((t.t - f.score) * (t.t - f.score)), SUM(f.score * (t.t - f.score))
        FROM firsts f JOIN totals t ON t.user_id = f.user_id
        GROUP BY f.question_id
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        sums = {row[0]: row[1:] for row in cursor.fetchall()}
    picks = dict(
        Choice.objects.filter(question__in=questions)
        .annotate(n=Count("picked_in", filter=Q(picked_in__id__in=firsts)))
        .values_list("pk", "n")
    )
    out = []
    for question in questions:
        n, sx, sxx, sy, syy, sxy = sums.get(question.pk, (0, 0, 0, 0, 0, 0))
        stats = ItemStats(
            question, n, (sx / n) if n else None, pearson_from_sums(n, sx, sy, sxx, syy, sxy) if n else None
        )
        choices = [(c, picks.get(c.pk, 0)) for c in question.choices.all()]
        out.append({"question": question, "stats": stats, "choices": choices, "responses": n})
    return out


def confusion_matrix(taxonomy: Taxonomy, filters: Filters) -> dict:
    categories = list(taxonomy.categories.all())
    picks = CasePick.objects.filter(case__exercise__taxonomy=taxonomy, attempt__user__isnull=False)
    picks = picks.filter(filters.in_window("attempt__created_at"))
    if filters.cohort:
        picks = picks.filter(attempt__user__cohorts=filters.cohort)
    counts = {
        (row["correct_category"], row["category"]): row["n"]
        for row in picks.values("correct_category", "category").annotate(n=Count("id"))
    }
    from collections import Counter

    matrix = Counter(counts)
    names = {c.slug: c.name for c in categories}
    peak = max(counts.values(), default=0)
    rows = []
    for correct in categories:
        cells = []
        for chosen in categories:
            n = counts.get((correct.slug, chosen.slug), 0)
            cells.append({"n": n, "level": round(5 * n / peak) if peak else 0, "diagonal": correct == chosen})
        rows.append({"category": correct, "cells": cells, "total": sum(c["n"] for c in cells)})
    confused = [{"correct": names.get(a, a), "chosen": names.get(b, b), "n": n} for a, b, n in most_confused(matrix)]
    return {"categories": categories, "rows": rows, "confused": confused, "total": sum(counts.values())}


def needs_attention(filters: Filters, *, limit: int = 200) -> list[dict]:
    """Learners stuck on a check (more than three wrong attempts, never passed) or inactive
    for 14 days with the course unfinished; each with the reason."""
    people = learners(filters)
    out = []
    wrong = (
        Answer.objects.filter(user__in=people, score__lt=1.0)
        .values("user_id", "user__username", "question__quiz_id", "question__quiz__title")
        .annotate(n=Count("id"))
        .filter(n__gt=3)
    )
    quiz_meta = {q.pk: q for q in Quiz.objects.annotate(n=Count("questions", filter=Q(questions__retired=False)))}
    candidates = list(wrong[: limit * 2])
    if candidates:
        ids = {row["user_id"] for row in candidates}
        latest: dict[tuple[int, int], dict[int, float]] = {}
        for user_id, quiz_id, question_id, score in (
            Answer.objects.filter(user_id__in=ids, question__retired=False)
            .order_by("id")
            .values_list("user_id", "question__quiz_id", "question_id", "score")
        ):
            latest.setdefault((user_id, quiz_id), {})[question_id] = score
        for row in candidates:
            quiz = quiz_meta[row["question__quiz_id"]]
            scores = list(latest.get((row["user_id"], quiz.pk), {}).values())
            if not (len(scores) == quiz.n and is_passed(sum(scores) / quiz.n, quiz.pass_mark)):
                out.append(
                    {
                        "user_id": row["user_id"],
                        "username": row["user__username"],
                        "reason": f"{row['n']} wrong answers in “{row['question__quiz__title']}” without passing it",
                    }
                )
    passed_exercise = ExerciseAttempt.objects.filter(
        PASSED_EXERCISE, user=OuterRef("user_id"), exercise=OuterRef("exercise_id")
    )
    stuck = (
        ExerciseAttempt.objects.filter(user__in=people)
        .exclude(Exists(passed_exercise))
        .values("user_id", "user__username", "exercise_id", "exercise__title")
        .annotate(n=Count("id"))
        .filter(n__gt=3)[:limit]
    )
    for row in stuck:
        out.append(
            {
                "user_id": row["user_id"],
                "username": row["user__username"],
                "reason": f"{row['n']} checks of “{row['exercise__title']}” without passing it",
            }
        )
    published = Lesson.objects.published().count()
    cutoff = timezone.now() - timedelta(days=14)
    idle = (
        people.annotate(
            last=Max("lessonprogress__last_opened_at"),
            done=Count(
                "lessonprogress",
                filter=Q(
                    lessonprogress__completed_at__isnull=False, lessonprogress__lesson__status=Lesson.Status.PUBLISHED
                ),
            ),
        )
        .filter(last__lt=cutoff, done__lt=published)
        .order_by("last")[:limit]
    )
    for user in idle:
        days = (timezone.now() - user.last).days
        out.append(
            {
                "user_id": user.pk,
                "username": user.username,
                "reason": f"inactive for {days} days with {user.done} of {published} lessons complete",
            }
        )
    return out
