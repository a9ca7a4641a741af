"""Writes that touch several tables, each in one transaction.

`import_course` turns CourseData (from course_source.read_course) into rows: it creates
or updates by slug, renders Markdown at save, and never deletes learner data. Content that
left the source but has learners' answers is retired or unpublished, not deleted.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from django.db import IntegrityError, models, transaction
from django.utils import timezone

from lessons.course_source import CourseData, CourseSourceError, QuizData
from lessons.markdown import MarkdownError
from lessons.models import (
    Answer,
    Case,
    Category,
    Choice,
    Course,
    Exercise,
    ExerciseAttempt,
    Lesson,
    LessonProgress,
    Part,
    Question,
    Quiz,
    Taxonomy,
)

# Orders are unique per part (and question/choice per parent); rows being moved park here
# first so that swapping two positions never trips the constraint.
_PARKING_OFFSET = 10_000


@dataclass
class ImportReport:
    rerender: bool = False
    counts: Counter = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)

    def count(self, what: str, status: str) -> None:
        self.counts[(what, status)] += 1

    def summary(self) -> str:
        kinds = sorted({what for what, _ in self.counts})
        lines = []
        for what in kinds:
            parts = [
                f"{self.counts[(what, s)]} {s}"
                for s in ("created", "updated", "unchanged", "retired", "deleted")
                if self.counts[(what, s)]
            ]
            lines.append(f"{what}: {', '.join(parts)}")
        return "\n".join(lines + self.notes)

    @property
    def changed(self) -> bool:
        return any(status != "unchanged" for _, status in self.counts)


def _upsert(model: type[models.Model], lookup: dict, values: dict, report: ImportReport, what: str):
    """Create or update one row; save only when a value differs, so re-imports are no-ops.

    With report.rerender every row is saved, so HTML is computed again by the current
    Markdown pipeline (after the pipeline itself changed).
    """
    obj = model.objects.filter(**lookup).first()
    if obj is None:
        obj = model(**lookup, **values)
        obj.save()
        report.count(what, "created")
        return obj, True
    if report.rerender or any(getattr(obj, key) != value for key, value in values.items()):
        for key, value in values.items():
            setattr(obj, key, value)
        obj.save()
        report.count(what, "updated")
        return obj, True
    report.count(what, "unchanged")
    return obj, False


def _park_conflicts(queryset: models.QuerySet, field_name: str, wanted: dict[int, int]) -> None:
    """Move rows whose position changes out of the way before positions are reassigned.

    `wanted` maps row id -> new position; rows not in it keep theirs unless another row wants it.
    """
    taken = set(wanted.values())
    for obj in queryset:
        current = getattr(obj, field_name)
        if wanted.get(obj.pk, current) != current or (obj.pk not in wanted and current in taken):
            queryset.filter(pk=obj.pk).update(**{field_name: current + _PARKING_OFFSET})


@transaction.atomic
def import_course(data: CourseData, *, rerender: bool = False) -> ImportReport:
    """Create or update the whole course from `data`; all or nothing.

    Raises CourseSourceError (after rolling back) if anything fails to render or refers to
    something that does not exist.
    """
    report = ImportReport(rerender=rerender)
    problems: list[str] = []

    def guarded(path, fn, *args):
        try:
            return fn(*args)
        except MarkdownError as exc:
            problems.append(f"{_where(path)}: {exc}")
            return None

    course, _ = guarded(
        "course.toml",
        _upsert,
        Course,
        {"slug": data.slug},
        {"title": data.title, "tagline": data.tagline, "description": data.description},
        report,
        "course",
    ) or (None, False)
    if course is None:
        raise CourseSourceError(problems)

    # Parts: park numbers that move so two parts can swap.
    existing_parts = {p.slug: p for p in Part.objects.all()}
    _park_conflicts(
        Part.objects.all(),
        "number",
        {existing_parts[p.slug].pk: p.number for p in data.parts if p.slug in existing_parts},
    )
    parts = {}
    for part_data in data.parts:
        result = guarded(
            part_data.path,
            _upsert,
            Part,
            {"slug": part_data.slug},
            {"course": course, "number": part_data.number, "title": part_data.title, "summary": part_data.summary},
            report,
            "part",
        )
        if result:
            parts[part_data.slug] = result[0]

    # Lessons: park orders that move, then upsert; lessons gone from the source become drafts.
    source_slugs = {lesson.slug for part in data.parts for lesson in part.lessons}
    existing = {lesson.slug: lesson for lesson in Lesson.objects.all()}
    for part_data in data.parts:
        part = parts.get(part_data.slug)
        if part is None:
            continue
        wanted = {
            existing[ld.slug].pk: ld.order
            for ld in part_data.lessons
            if ld.slug in existing and existing[ld.slug].part_id == part.pk
        }
        incoming_orders = {ld.order for ld in part_data.lessons}
        for orphan in Lesson.objects.filter(part=part).exclude(slug__in=source_slugs):
            if orphan.order in incoming_orders:
                wanted[orphan.pk] = orphan.order + _PARKING_OFFSET
        _park_conflicts(Lesson.objects.filter(part=part), "order", wanted)
        for ld in part_data.lessons:
            if ld.slug in existing and existing[ld.slug].part_id != part.pk:
                # Moving to another part: park it so (part, order) stays unique.
                Lesson.objects.filter(pk=existing[ld.slug].pk).update(order=ld.order + 2 * _PARKING_OFFSET)
            values = {
                "part": part,
                "order": ld.order,
                "title": ld.title,
                "summary": ld.summary,
                "source": ld.source,
                "status": ld.status,
            }
            lesson = existing.get(ld.slug)
            if lesson is not None and lesson.source != ld.source:
                values["version"] = lesson.version + 1
            guarded(ld.path, _upsert, Lesson, {"slug": ld.slug}, values, report, "lesson")
    for orphan in Lesson.objects.exclude(slug__in=source_slugs).filter(status=Lesson.Status.PUBLISHED):
        Lesson.objects.filter(pk=orphan.pk).update(status=Lesson.Status.DRAFT)
        report.notes.append(f"lesson '{orphan.slug}' is no longer in the source: unpublished, kept as a draft")

    for quiz_data in data.quizzes:
        guarded(quiz_data.path, _import_quiz, quiz_data, report)

    taxonomies = {}
    for taxonomy_data in data.taxonomies:
        taxonomy = guarded(taxonomy_data.path, _import_taxonomy, taxonomy_data, report)
        if taxonomy:
            taxonomies[taxonomy.slug] = taxonomy
    for exercise_data in data.exercises:
        guarded(exercise_data.path, _import_exercise, exercise_data, taxonomies, report)

    problems += _check_sections(data)
    if problems:
        raise CourseSourceError(problems)
    return report


def _where(path) -> str:
    """A short name for messages: the part folder and file, or the name given."""
    if isinstance(path, str):
        return path
    return f"{path.parent.name}/{path.name}"


def _import_quiz(data: QuizData, report: ImportReport) -> Quiz:
    quiz, _ = _upsert(Quiz, {"slug": data.slug}, {"title": data.title, "pass_mark": data.pass_mark}, report, "quiz")
    existing = {q.order: q for q in quiz.questions.all()}
    for order, qd in enumerate(data.questions, 1):
        question, _ = _upsert(
            Question,
            {"quiz": quiz, "order": order},
            {
                "kind": qd.kind,
                "prompt": qd.prompt,
                "explanation": qd.explanation,
                "section": qd.section,
                "retired": False,
            },
            report,
            "question",
        )
        choices = {c.order: c for c in question.choices.all()}
        for corder, cd in enumerate(qd.choices, 1):
            _upsert(
                Choice,
                {"question": question, "order": corder},
                {"text": cd.text, "correct": cd.correct, "feedback": cd.feedback},
                report,
                "choice",
            )
        for corder, choice in choices.items():
            if corder > len(qd.choices):
                choice.delete()
                report.count("choice", "deleted")
    for order, question in existing.items():
        if order > len(data.questions):
            if Answer.objects.filter(question=question).exists():
                if not question.retired:
                    Question.objects.filter(pk=question.pk).update(retired=True)
                    report.count("question", "retired")
            else:
                question.delete()
                report.count("question", "deleted")
    return quiz


def _import_taxonomy(data, report: ImportReport) -> Taxonomy:
    taxonomy, _ = _upsert(
        Taxonomy, {"slug": data.slug}, {"name": data.name, "description": data.description}, report, "taxonomy"
    )
    wanted = {c.slug for c in data.categories}
    existing = {c.slug: c for c in taxonomy.categories.all()}
    _park_conflicts(
        taxonomy.categories.all(),
        "order",
        {existing[c.slug].pk: n for n, c in enumerate(data.categories, 1) if c.slug in existing},
    )
    for slug, category in existing.items():
        if slug not in wanted:
            category.delete()
            report.count("category", "deleted")
    for order, cd in enumerate(data.categories, 1):
        _upsert(
            Category,
            {"taxonomy": taxonomy, "slug": cd.slug},
            {"order": order, "name": cd.name, "definition": cd.definition},
            report,
            "category",
        )
    return taxonomy


def _import_exercise(data, taxonomies: dict[str, Taxonomy], report: ImportReport) -> Exercise:
    exercise, _ = _upsert(
        Exercise,
        {"slug": data.slug},
        {
            "title": data.title,
            "taxonomy": taxonomies[data.taxonomy],
            "instructions": data.instructions,
            "multi_label": data.multi_label,
            "pass_mark": data.pass_mark,
        },
        report,
        "exercise",
    )
    existing = {c.slug: c for c in exercise.cases.all()}
    wanted = {c.slug for c in data.cases}
    for order, cd in enumerate(data.cases, 1):
        _upsert(
            Case,
            {"exercise": exercise, "slug": cd.slug},
            {
                "order": order,
                "title": cd.title,
                "scenario": cd.scenario,
                "source_title": cd.source_title,
                "source_url": cd.source_url,
                "answers": cd.answers,
                "also_accept": cd.also_accept,
                "explanation": cd.explanation,
                "why_not": cd.why_not,
                "retired": False,
            },
            report,
            "case",
        )
    has_attempts = ExerciseAttempt.objects.filter(exercise=exercise).exists()
    for slug, case in existing.items():
        if slug in wanted:
            continue
        if has_attempts:
            if not case.retired:
                Case.objects.filter(pk=case.pk).update(retired=True)
                report.count("case", "retired")
        else:
            case.delete()
            report.count("case", "deleted")
    return exercise


def _check_sections(data: CourseData) -> list[str]:
    """Every question's `section` must name a heading that exists in the rendered lesson."""
    anchors = {
        lesson.slug: {h["id"] for h in lesson.headings} | _block_ids(lesson)
        for lesson in Lesson.objects.only("slug", "headings", "blocks")
    }
    problems = []
    for quiz in data.quizzes:
        for number, question in enumerate(quiz.questions, 1):
            if not question.section:
                continue
            lesson_slug, _, anchor = question.section.partition("#")
            if anchor and anchor not in anchors.get(lesson_slug, set()):
                problems.append(
                    f"{_where(quiz.path)}: question {number}: lesson '{lesson_slug}' has no heading with id '{anchor}'"
                )
    return problems


def _block_ids(lesson: Lesson) -> set[str]:
    """Quizzes and exercises are anchors too (#quiz-slug, #exercise-slug)."""
    return {f"{b['type']}-{b['slug']}" for b in lesson.blocks if b["type"] != "html"}


@transaction.atomic
def record_answer(learner, question: Question, choices: list[Choice]) -> Answer:
    """Grade `choices` for `question` on the server and store the answer as graded."""
    from lessons.grading import grade_choices

    correct = [c.pk for c in question.choices.all() if c.correct]
    score = grade_choices(question.kind, [c.pk for c in choices], correct)
    return Answer.objects.create(**learner.owner(), question=question, choice_ids=[c.pk for c in choices], score=score)


@transaction.atomic
def check_exercise(learner, exercise: Exercise, cases: list[Case], picks: dict[str, list[str]]) -> ExerciseAttempt:
    """Grade every case on the server and store the attempt exactly as graded."""
    from lessons.grading import grade_case, mean

    results = {
        case.slug: grade_case(exercise.multi_label, picks[case.slug], case.answers, case.also_accept) for case in cases
    }
    return ExerciseAttempt.objects.create(
        **learner.owner(),
        exercise=exercise,
        answers={slug: picks[slug] for slug in results},
        results=results,
        score=mean(results.values()),
    )


def record_visit(learner, lesson: Lesson) -> LessonProgress:
    """Note that `learner` opened `lesson`: one row per learner and lesson, whatever the concurrency."""
    now = timezone.now()
    owner = learner.owner()
    for _ in range(3):
        updated = LessonProgress.objects.for_learner(learner).filter(lesson=lesson).update(last_opened_at=now)
        if updated:
            return LessonProgress.objects.for_learner(learner).get(lesson=lesson)
        try:
            with transaction.atomic():
                return LessonProgress.objects.create(**owner, lesson=lesson, first_opened_at=now, last_opened_at=now)
        except IntegrityError:
            continue  # another request created it first; update that row instead
    raise RuntimeError("could not record the visit")  # pragma: no cover - three lost races


def complete_lesson(learner, lesson: Lesson, checks) -> tuple[bool, list]:
    """Mark `lesson` complete if every check passed. Returns (completed, missing checks).

    Completing twice is a no-op: the first completion time is kept.
    """
    missing = [check for check in checks if not check.passed]
    if missing:
        return False, missing
    progress = record_visit(learner, lesson)
    LessonProgress.objects.filter(pk=progress.pk, completed_at__isnull=True).update(completed_at=timezone.now())
    return True, []


@transaction.atomic
def merge_guest_progress(guest_key: str, user) -> None:
    """Move a guest's attempts and lesson progress to `user` after sign-up or log-in.

    Attempts are history, so they all move (best scores are kept because every score is);
    lesson progress merges per lesson, keeping the earliest first visit and completion.
    """
    if not guest_key:
        return
    guest = {"user__isnull": True, "session_key": guest_key}
    Answer.objects.filter(**guest).update(user=user, session_key="")
    ExerciseAttempt.objects.filter(**guest).update(user=user, session_key="")
    mine = {row.lesson_id: row for row in LessonProgress.objects.select_for_update().filter(user=user)}
    for row in LessonProgress.objects.select_for_update().filter(**guest):
        existing = mine.get(row.lesson_id)
        if existing is None:
            LessonProgress.objects.filter(pk=row.pk).update(user=user, session_key="")
            continue
        existing.first_opened_at = min(existing.first_opened_at, row.first_opened_at)
        existing.last_opened_at = max(existing.last_opened_at, row.last_opened_at)
        completions = [c for c in (existing.completed_at, row.completed_at) if c]
        existing.completed_at = min(completions) if completions else None
        existing.save(update_fields=["first_opened_at", "last_opened_at", "completed_at"])
        row.delete()
