"""Read side of learner progress: statuses for the outline, a lesson and the dashboard.

The completion rule, shown to learners on the dashboard: a lesson is complete when the
learner has reached its end and marked it complete AND passed every quiz, exercise and reward lab it
embeds; a part is complete when all its published lessons are; course progress is
completed lessons over published lessons.

Everything here reads in a constant number of queries; writes live in lessons.actions.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count

from lessons import page_cache
from lessons.grading import exercise_passed, quiz_passed, quiz_score, sandbox_passed
from lessons.learners import Learner
from lessons.lesson_page import LessonState
from lessons.models import (
    Answer,
    Case,
    ContentVersion,
    Exercise,
    ExerciseAttempt,
    Lesson,
    LessonProgress,
    Part,
    Question,
    SandboxAttempt,
)

NOT_STARTED, IN_PROGRESS, COMPLETE = "not-started", "in-progress", "complete"
STATUS_LABELS = {NOT_STARTED: "Not started", IN_PROGRESS: "In progress", COMPLETE: "Complete"}


@dataclass
class Check:
    """One quiz, exercise or reward lab a lesson embeds, and where the learner stands on it."""

    kind: str
    slug: str
    title: str
    anchor: str
    status: str  # "not started" | "attempted" | "passed"
    latest: float | None = None
    best: float | None = None

    @property
    def passed(self) -> bool:
        return self.status == "passed"


def lesson_checks(page: LessonState) -> list[Check]:
    checks = []
    for block in page.blocks:
        state = block.get("state")
        if block["type"] == "quiz":
            status = "passed" if state.passed else "attempted" if state.answered else "not started"
            checks.append(
                Check(
                    "quiz",
                    state.quiz.slug,
                    state.quiz.title,
                    state.dom_id,
                    status,
                    state.latest_score if state.answered else None,
                    state.best_score if state.answered else None,
                )
            )
        elif block["type"] == "exercise":
            status = "passed" if state.passed else "attempted" if state.attempts else "not started"
            checks.append(
                Check(
                    "exercise",
                    state.exercise.slug,
                    state.exercise.title,
                    state.dom_id,
                    status,
                    state.latest,
                    state.best,
                )
            )
        elif block["type"] == "sandbox":
            status = "passed" if state.passed else "attempted" if state.attempts else "not started"
            score = (1.0 if state.passed else 0.0) if state.attempts else None
            checks.append(Check("lab", state.sandbox.slug, state.sandbox.title, state.dom_id, status, score, score))
    return checks


def lesson_status(progress: LessonProgress | None) -> str:
    if progress is None:
        return NOT_STARTED
    return COMPLETE if progress.completed_at else IN_PROGRESS


@dataclass
class PartProgress:
    part: Part
    lessons: list[tuple[Lesson, str]]

    @property
    def total(self) -> int:
        return len(self.lessons)

    @property
    def completed(self) -> int:
        return sum(1 for _, status in self.lessons if status == COMPLETE)

    @property
    def percent(self) -> int:
        return round(100 * self.completed / self.total) if self.total else 0

    @property
    def is_complete(self) -> bool:
        return self.total > 0 and self.completed == self.total


@dataclass
class CourseProgress:
    parts: list[PartProgress]
    rows: dict[int, LessonProgress] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(p.total for p in self.parts)

    @property
    def completed(self) -> int:
        return sum(p.completed for p in self.parts)

    @property
    def percent(self) -> int:
        return round(100 * self.completed / self.total) if self.total else 0

    @property
    def resume(self) -> Lesson | None:
        """The last lesson opened that is not complete."""
        lessons = {lesson.pk: lesson for p in self.parts for lesson, _ in p.lessons}
        open_rows = [r for r in self.rows.values() if not r.completed_at and r.lesson_id in lessons]
        if not open_rows:
            return None
        return lessons[max(open_rows, key=lambda r: r.last_opened_at).lesson_id]

    @property
    def next_step(self) -> tuple[str, Lesson] | None:
        """What home and the dashboard offer next, as (label, lesson); None once all is done.

        The last lesson opened and not finished; else, for someone who has finished nothing,
        the first lesson; else the first unfinished lesson after the furthest one finished
        (wrapping round to any earlier one skipped).
        """
        if self.resume is not None:
            return ("Continue where you left off", self.resume)
        ordered = [(lesson, status) for part in self.parts for lesson, status in part.lessons]
        done = [i for i, (_, status) in enumerate(ordered) if status == COMPLETE]
        if not done:
            return ("Start with", ordered[0][0]) if ordered else None
        after = done[-1] + 1
        for lesson, status in ordered[after:] + ordered[:after]:
            if status != COMPLETE:
                return ("Next lesson", lesson)
        return None


def published_parts(version: int | None = None) -> list[Part]:
    """Every part with its published lessons: the same for everyone, so cached.

    `version` is the content version if the caller already read it (with a lesson).
    """
    if version is None:
        version = ContentVersion.read()
    return page_cache.get_or_compute(f"parts:{version}", lambda: list(Part.objects.with_published_lessons()))


def course_progress(learner: Learner, version: int | None = None) -> CourseProgress:
    """Every part with its published lessons and the learner's status for each: 2 queries."""
    parts = published_parts(version)
    rows = {row.lesson_id: row for row in LessonProgress.objects.for_learner(learner)}
    return CourseProgress(
        parts=[
            PartProgress(part, [(lesson, lesson_status(rows.get(lesson.pk))) for lesson in part.published_lessons])
            for part in parts
        ],
        rows=rows,
    )


@dataclass
class HistoryItem:
    kind: str
    title: str
    url: str
    attempts: int
    latest: float
    best: float
    passed: bool


@dataclass
class ReviewItem:
    kind: str
    title: str
    context: str
    url: str


def _embedding_lessons(course: CourseProgress) -> dict[tuple[str, str], Lesson]:
    found = {}
    for part in course.parts:
        for lesson, _ in part.lessons:
            for check in lesson.checks:
                found.setdefault((check["type"], check["slug"]), lesson)
    return found


def dashboard(learner: Learner, course: CourseProgress) -> tuple[list[HistoryItem], list[ReviewItem]]:
    """Quiz, exercise and lab history, and the review list (wrong in the latest attempt)."""
    embedded = _embedding_lessons(course)
    history: list[HistoryItem] = []
    review: list[ReviewItem] = []

    answers: dict[int, list[float]] = {}
    for question_id, score in (
        Answer.objects.for_learner(learner).order_by("created_at", "id").values_list("question_id", "score")
    ):
        answers.setdefault(question_id, []).append(score)
    questions = {q.pk: q for q in Question.objects.filter(pk__in=answers).select_related("quiz")}
    by_quiz: dict[int, list[Question]] = {}
    for question in questions.values():
        by_quiz.setdefault(question.quiz_id, []).append(question)
    active_counts = dict(
        Question.objects.active()
        .filter(quiz_id__in=by_quiz)
        .values("quiz_id")
        .annotate(n=Count("id"))
        .values_list("quiz_id", "n")
    )
    for quiz_id, quiz_questions in by_quiz.items():
        quiz = quiz_questions[0].quiz
        lesson = embedded.get(("quiz", quiz.slug))
        if lesson is None:
            continue
        url = f"{lesson.get_absolute_url()}#quiz-{quiz.slug}"
        # Retired questions stay in the learner's history but, as on the lesson page, not in the score.
        active = [q for q in quiz_questions if not q.retired]
        total = active_counts.get(quiz_id, 0)
        latest = [answers[q.pk][-1] for q in active]
        history.append(
            HistoryItem(
                "Quiz",
                quiz.title,
                url,
                sum(len(answers[q.pk]) for q in active),
                quiz_score(latest, total),
                quiz_score([max(answers[q.pk]) for q in active], total),
                quiz_passed(latest, total, quiz.pass_mark),
            )
        )
        for question in sorted(quiz_questions, key=lambda q: q.order):
            if answers[question.pk][-1] < 1.0 and not question.retired:
                review.append(
                    ReviewItem(
                        "Question",
                        _plain(question.prompt),
                        quiz.title,
                        f"{lesson.get_absolute_url()}#question-{question.pk}",
                    )
                )

    attempts: dict[int, list[ExerciseAttempt]] = {}
    for attempt in (
        ExerciseAttempt.objects.for_learner(learner)
        .order_by("created_at", "id")
        .only("exercise_id", "score", "results")
    ):
        attempts.setdefault(attempt.exercise_id, []).append(attempt)
    exercises = {e.pk: e for e in Exercise.objects.filter(pk__in=attempts)}
    cases = {
        (c.exercise_id, c.slug): c
        for c in Case.objects.filter(exercise__in=attempts).only("exercise_id", "slug", "title")
    }
    for exercise_id, rows in attempts.items():
        exercise = exercises[exercise_id]
        lesson = embedded.get(("exercise", exercise.slug))
        if lesson is None:
            continue
        url = f"{lesson.get_absolute_url()}#exercise-{exercise.slug}"
        scores = [a.score for a in rows]
        history.append(
            HistoryItem(
                "Exercise",
                exercise.title,
                url,
                len(rows),
                scores[-1],
                max(scores),
                exercise_passed(scores[-1], exercise.pass_mark),
            )
        )
        for slug, score in rows[-1].results.items():
            case = cases.get((exercise_id, slug))
            if score < 1.0 and case is not None:
                review.append(ReviewItem("Case", case.title, exercise.title, url))
    runs: dict[int, list] = {}
    for run in (
        SandboxAttempt.objects.for_learner(learner)
        .select_related("sandbox")
        .order_by("created_at", "id")
        .only("sandbox__slug", "sandbox__title", "objective_met")
    ):
        runs.setdefault(run.sandbox_id, []).append(run)
    for rows in runs.values():
        sandbox = rows[0].sandbox
        lesson = embedded.get(("sandbox", sandbox.slug))
        if lesson is None:
            continue
        scores = [run.score for run in rows]
        url = f"{lesson.get_absolute_url()}#sandbox-{sandbox.slug}"
        passed = sandbox_passed(run.objective_met for run in rows)
        history.append(HistoryItem("Lab", sandbox.title, url, len(rows), scores[-1], max(scores), passed))
    history.sort(key=lambda item: item.title)
    return history, review


def _plain(markdown_text: str) -> str:
    text = " ".join(markdown_text.split())
    return text if len(text) <= 140 else text[:137] + "…"


@dataclass
class CertificateScope:
    """Something a certificate can be issued for: one part, or the whole course."""

    scope: str
    title: str
    items: list[str]
    complete: bool


def certificate_scopes(progress: CourseProgress, course_title: str) -> list[CertificateScope]:
    """Each part, then the course, with what a certificate for it would list. Pure."""
    scopes = [
        CertificateScope(
            scope=f"part-{pp.part.number}",
            title=f"Part {pp.part.number}: {pp.part.title}",
            items=[lesson.title for lesson, _ in pp.lessons],
            complete=pp.is_complete,
        )
        for pp in progress.parts
    ]
    scopes.append(
        CertificateScope(
            scope="course",
            title=course_title,
            items=[s.title for s in scopes],
            complete=progress.total > 0 and progress.completed == progress.total,
        )
    )
    return scopes
