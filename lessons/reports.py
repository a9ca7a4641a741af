"""Read side of the admin reports: every figure is aggregated in the database, and each
page runs a fixed number of queries whatever the number of learners.

Reports cover accounts, not guests (a guest is not a person we can follow up with).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Count, F, Min, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from lessons.item_analysis import ItemStats, heat_level, most_confused, pearson_from_sums
from lessons.models import (
    Answer,
    CasePick,
    CheckStatus,
    ChoiceStats,
    Cohort,
    ConfusionCount,
    DailyScores,
    ExerciseAttempt,
    LearnerSummary,
    Lesson,
    LessonProgress,
    Part,
    PartSummary,
    QuestionStats,
    Quiz,
    Sandbox,
    SandboxAttempt,
    Taxonomy,
)

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
    """Headline figures. Without a date range they come from the maintained summaries."""
    now = timezone.now()
    people = learners(filters)
    summaries = LearnerSummary.objects.filter(user__in=people)
    active = summaries.aggregate(
        week=Count("pk", filter=Q(last_activity__gte=now - timedelta(days=7))),
        month=Count("pk", filter=Q(last_activity__gte=now - timedelta(days=30))),
    )
    parts = list(Part.objects.annotate(n=Count("lessons", filter=Q(lessons__status=Lesson.Status.PUBLISHED))))
    if filters.start or filters.end:
        started, completed = _funnel_from_rows(filters, parts)
    else:
        counts = PartSummary.objects.filter(user__in=people)
        started = dict(counts.values("part").annotate(n=Count("pk")).values_list("part", "n"))
        completed = {
            part.pk: counts.filter(part=part, lessons_completed__gte=part.n).count() for part in parts if part.n
        }
    scale = max([started.get(p.pk, 0) for p in parts] + [1])
    funnel = [FunnelRow(part, part.n, started.get(part.pk, 0), completed.get(part.pk, 0), scale) for part in parts]
    return {
        "total": people.count(),
        "active": active,
        "funnel": funnel,
        "scores": _scores(filters, summaries),
        "chart_height": 40 * len(funnel) + 10,
    }


def _scores(filters: Filters, summaries: QuerySet) -> dict:
    def average(n, total):
        return {"avg": (total / n) if n else None, "n": n or 0}

    if filters.cohort and (filters.start or filters.end):
        quiz = _rows_of(Answer, filters, "created_at").aggregate(n=Count("id"), total=Sum("score"))
        exercise = _rows_of(ExerciseAttempt, filters, "created_at").aggregate(n=Count("id"), total=Sum("score"))
        return {"quiz": average(quiz["n"], quiz["total"]), "exercise": average(exercise["n"], exercise["total"])}
    if filters.cohort:
        sums = summaries.aggregate(
            a=Sum("answers"), at=Sum("answer_score_sum"), e=Sum("attempts"), et=Sum("attempt_score_sum")
        )
    else:
        days = DailyScores.objects.all()
        if filters.start:
            days = days.filter(day__gte=filters.start)
        if filters.end:
            days = days.filter(day__lte=filters.end)
        sums = days.aggregate(
            a=Sum("answers"), at=Sum("answer_score_sum"), e=Sum("attempts"), et=Sum("attempt_score_sum")
        )
    return {"quiz": average(sums["a"], sums["at"]), "exercise": average(sums["e"], sums["et"])}


def _funnel_from_rows(filters: Filters, parts: list[Part]) -> tuple[dict, dict]:
    """The funnel restricted to a date range, from the progress rows themselves."""
    published = Q(lesson__status=Lesson.Status.PUBLISHED)
    progress = _rows_of(LessonProgress, filters, "last_opened_at").filter(published)
    started = dict(
        progress.values("lesson__part").annotate(n=Count("user", distinct=True)).values_list("lesson__part", "n")
    )
    done = _rows_of(LessonProgress, filters, "completed_at").filter(published, completed_at__isnull=False)
    totals = {p.pk: p.n for p in parts}
    completed: dict[int, int] = {}
    for part_id, n in done.values("user", "lesson__part").annotate(n=Count("id")).values_list("lesson__part", "n"):
        if n >= totals.get(part_id, 0) > 0:
            completed[part_id] = completed.get(part_id, 0) + 1
    return started, completed


SORTS = {
    "name": "username",
    "-name": "-username",
    "progress": "completed",
    "-progress": "-completed",
    "activity": "last_activity",
    "-activity": "-last_activity",
}


def learner_table(filters: Filters, sort: str) -> QuerySet:
    """Learners with their summary, sorted and paginated in the database."""
    rows = learners(filters).annotate(
        completed=Coalesce(F("summary__lessons_completed"), 0),
        last_activity=F("summary__last_activity"),
        checks_passed=Coalesce(F("summary__checks_passed"), 0),
    )
    order = SORTS.get(sort, "-last_activity")
    field = order.lstrip("-")
    ordering = F(field).desc(nulls_last=True) if order.startswith("-") else F(field).asc(nulls_first=True)
    return rows.order_by(ordering, "username")


def decorate_page(users: list, parts: list[Part]) -> None:
    """Per-part lessons completed for one page of learners: one query."""
    per_part = {
        (user_id, part_id): n
        for user_id, part_id, n in PartSummary.objects.filter(user_id__in=[u.pk for u in users]).values_list(
            "user_id", "part_id", "lessons_completed"
        )
    }
    for user in users:
        user.part_progress = [(part, per_part.get((user.pk, part.pk), 0)) for part in parts]


def item_analysis(quiz: Quiz, filters: Filters) -> list[dict]:
    """Facility, discrimination and pick counts per question, on learners' first attempts.

    Unfiltered, they come from the running sums kept as learners answer; with a cohort or a
    date range they are computed from the answers in one SQL query of sums.
    """
    questions = list(quiz.questions.filter(retired=False).prefetch_related("choices"))
    if not questions:
        return []
    if filters.cohort or filters.start or filters.end:
        sums, picks = _item_sums_from_rows(questions, filters)
    else:
        sums = {
            s.question_id: (s.n, s.sx, s.sxx, s.sy, s.syy, s.sxy)
            for s in QuestionStats.objects.filter(question__in=questions)
        }
        picks = dict(ChoiceStats.objects.filter(choice__question__in=questions).values_list("choice_id", "first_picks"))
    out = []
    for question in questions:
        n, sx, sxx, sy, syy, sxy = sums.get(question.pk, (0, 0, 0, 0, 0, 0))
        stats = ItemStats(question, n, (sx / n) if n else None, pearson_from_sums(n, sx, sy, sxx, syy, sxy))
        out.append(
            {
                "question": question,
                "stats": stats,
                "responses": n,
                "choices": [(c, picks.get(c.pk, 0)) for c in question.choices.all()],
            }
        )
    return out


def _item_sums_from_rows(questions, filters: Filters) -> tuple[dict, dict]:
    answers = Answer.objects.filter(question__in=questions).filter(filters.in_window("created_at"))
    if filters.cohort:
        answers = answers.filter(user__cohorts=filters.cohort)
    firsts = answers.values("user_id", "session_key", "question_id").annotate(first=Min("id")).values("first")
    first_sql, params = firsts.query.sql_with_params()
    table = Answer._meta.db_table
    # A learner is an account or a guest key; COALESCE makes one comparable key of the two.
    sql = f"""
        WITH firsts AS (
            SELECT COALESCE(CAST(user_id AS VARCHAR(20)), '') || ':' || session_key AS learner, question_id, score
            FROM {table} WHERE id IN ({first_sql})
        ),
        totals AS (SELECT learner, SUM(score) AS t FROM firsts GROUP BY learner)
        SELECT f.question_id, COUNT(*), SUM(f.score), SUM(f.score * f.score),
               SUM(t.t - f.score), SUM((t.t - f.score) * (t.t - f.score)), SUM(f.score * (t.t - f.score))
        FROM firsts f JOIN totals t ON t.learner = f.learner
        GROUP BY f.question_id
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        sums = {row[0]: row[1:] for row in cursor.fetchall()}
    picks = dict(
        Answer.picks.through.objects.filter(answer_id__in=firsts)
        .values("choice_id")
        .annotate(n=Count("answer_id"))
        .values_list("choice_id", "n")
    )
    return sums, picks


# Anonymous statistics shown to instructors need at least this many learners behind a
# figure: narrowed to one day, a smaller count could single one person out.
MIN_LEARNERS_FOR_FIGURES = 5


def taxonomy_learner_count(taxonomy: Taxonomy, filters: Filters) -> int:
    """How many learners (accounts and guests) checked an exercise of `taxonomy` in the window."""
    attempts = ExerciseAttempt.objects.filter(exercise__taxonomy=taxonomy).filter(filters.in_window("created_at"))
    if filters.cohort:
        attempts = attempts.filter(user__cohorts=filters.cohort)
    return attempts.values("user_id", "session_key").distinct().count()


def confusion_matrix(taxonomy: Taxonomy, filters: Filters) -> dict:
    categories = list(taxonomy.categories.all())
    if filters.cohort or filters.start or filters.end:
        picks = CasePick.objects.filter(case__exercise__taxonomy=taxonomy).filter(
            filters.in_window("attempt__created_at")
        )
        if filters.cohort:
            picks = picks.filter(attempt__user__cohorts=filters.cohort)
        counts = {
            (row["correct_category"], row["category"]): row["n"]
            for row in picks.values("correct_category", "category").annotate(n=Count("id"))
        }
    else:
        counts = {(c.correct, c.chosen): c.n for c in ConfusionCount.objects.filter(taxonomy=taxonomy)}
    matrix = Counter(counts)
    names = {c.slug: c.name for c in categories}
    rows = []
    for correct in categories:
        row_counts = [counts.get((correct.slug, chosen.slug), 0) for chosen in categories]
        total = sum(row_counts)
        # Shares of the row, so rows with more cases stay comparable with the rest.
        cells = [
            {
                "n": n,
                "percent": round(100 * n / total) if total else 0,
                "level": heat_level(n / total) if total else 0,
                "diagonal": correct == chosen,
            }
            for chosen, n in zip(categories, row_counts, strict=True)
        ]
        rows.append({"category": correct, "cells": cells, "total": total})
    confused = [{"correct": names.get(a, a), "chosen": names.get(b, b), "n": n} for a, b, n in most_confused(matrix)]
    return {"categories": categories, "rows": rows, "confused": confused, "total": sum(counts.values())}


def needs_attention(filters: Filters, *, limit: int = 200) -> list[dict]:
    """Learners stuck on a check (more than three wrong attempts, never passed) or inactive
    for 14 days with the course unfinished; each with the reason. Read from summaries."""
    people = learners(filters)
    out = []
    # The partial index checkstatus_stuck serves exactly this filter and order.
    stuck = CheckStatus.objects.filter(passed=False, wrong__gt=3, user__is_staff=False)
    if filters.cohort or filters.q:
        stuck = stuck.filter(user__in=people)
    stuck = stuck.select_related("user", "quiz", "exercise").order_by("-wrong")[:limit]
    for status in stuck:
        if status.quiz_id:
            what = f"{status.wrong} wrong answers in “{status.quiz.title}” without passing it"
        else:
            what = f"{status.wrong} checks of “{status.exercise.title}” below the pass mark without passing it"
        out.append({"user_id": status.user_id, "username": status.user.username, "reason": what})
    published = Lesson.objects.published().count()
    now = timezone.now()
    idle = (
        LearnerSummary.objects.filter(
            user__in=people, last_activity__lt=now - timedelta(days=14), lessons_completed__lt=published
        )
        .select_related("user")
        .order_by("last_activity")[:limit]
    )
    for summary in idle:
        days = (now - summary.last_activity).days
        out.append(
            {
                "user_id": summary.user_id,
                "username": summary.user.username,
                "reason": f"inactive for {days} days with {summary.lessons_completed} of {published} lessons complete",
            }
        )
    return out


@dataclass
class SandboxSummary:
    sandbox: object
    runs: int
    runs_met: int
    learners: int  # accounts and guests who ran it at least once
    learners_passed: int
    hidden: bool = False  # set for instructors when too few learners are behind the figures

    @property
    def pass_rate(self) -> float | None:
        return self.learners_passed / self.learners if self.learners else None


def sandbox_summary() -> list[SandboxSummary]:
    """Anonymous statistics per reward lab, guests included: two queries whatever the runs."""
    guest = Q(user__isnull=True)
    met = Q(objective_met=True)
    rows = {
        row["sandbox_id"]: row
        for row in SandboxAttempt.objects.values("sandbox_id").annotate(
            runs=Count("id"),
            runs_met=Count("id", filter=met),
            users=Count("user", distinct=True),
            guests=Count("session_key", distinct=True, filter=guest),
            users_met=Count("user", distinct=True, filter=met),
            guests_met=Count("session_key", distinct=True, filter=guest & met),
        )
    }
    summaries = []
    for sandbox in Sandbox.objects.only("slug", "title").order_by("slug"):
        row = rows.get(sandbox.pk, {})
        summaries.append(
            SandboxSummary(
                sandbox,
                row.get("runs", 0),
                row.get("runs_met", 0),
                row.get("users", 0) + row.get("guests", 0),
                row.get("users_met", 0) + row.get("guests_met", 0),
            )
        )
    return summaries
