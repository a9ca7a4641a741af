"""Writes that touch several tables, each in one transaction.

`import_course` turns CourseData (from course_source.read_course) into rows: it creates
or updates by slug, renders Markdown at save, and never deletes learner data. Content that
left the source but has learners' answers is retired or unpublished, not deleted.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import timedelta

from django.db import IntegrityError, models, transaction
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from lessons import review, summaries
from lessons.course_source import CourseData, CourseSourceError, QuizData
from lessons.markdown import MarkdownError
from lessons.models import (
    Answer,
    Case,
    CasePick,
    Category,
    Certificate,
    Choice,
    ContentVersion,
    Course,
    Exercise,
    ExerciseAttempt,
    Lesson,
    LessonProgress,
    LessonRevision,
    Part,
    Question,
    Quiz,
    Sandbox,
    SandboxAttempt,
    Taxonomy,
    snapshot_picks,
)

# Orders are unique per part (and question/choice per parent); rows being moved park here
# first so that swapping two positions never trips the constraint.
_PARKING_OFFSET = 10_000


@dataclass
class ImportReport:
    rerender: bool = False
    counts: Counter = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)
    # One line per lesson whose studio edits were kept instead of the file (or replaced, when told to).
    conflicts: list[str] = field(default_factory=list)
    kept_studio: list[str] = field(default_factory=list)  # slugs of the lessons kept
    # What changed in a way the report summaries depend on (ids), for refresh_summaries.
    lessons: set = field(default_factory=set)
    parts: set = field(default_factory=set)
    quizzes: set = field(default_factory=set)
    exercises: set = field(default_factory=set)
    taxonomies: set = field(default_factory=set)

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

    def changes(self) -> int:
        return sum(n for (_, status), n in self.counts.items() if status != "unchanged")


def refresh_summaries(report: ImportReport) -> None:
    """Bring the report summaries in line with the content changes `report` recorded."""
    if report.lessons:
        summaries.refresh_progress(report.lessons, report.parts)
    for quiz in Quiz.objects.filter(pk__in=report.quizzes):
        summaries.refresh_checks(quiz=quiz)
    for exercise in Exercise.objects.filter(pk__in=report.exercises):
        summaries.refresh_checks(exercise=exercise)
    if report.taxonomies:
        summaries.refresh_confusion(report.taxonomies)


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
def import_course(data: CourseData, *, rerender: bool = False, overwrite_studio_edits: bool = False) -> ImportReport:
    """Create or update the whole course from `data`; all or nothing.

    A lesson whose newest revision is studio work (not text the files held) keeps its
    studio text, title, summary and status, and the conflict is reported, unless
    `overwrite_studio_edits`. Raises CourseSourceError (after rolling back) if anything
    fails to render or refers to something that does not exist.
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
    newest = _newest_revisions()
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
            text = {"title": ld.title, "summary": ld.summary, "source": ld.source, "status": ld.status}
            values = {"part": part, "order": ld.order, **text}
            lesson = existing.get(ld.slug)
            studio = _studio_work(lesson, newest, text)
            replace = False
            if studio is not None:
                if not overwrite_studio_edits:
                    values = {"part": part, "order": ld.order}  # the file's place, the studio's text
                    report.conflicts.append(_conflict_note(lesson, studio, kept=True))
                    report.kept_studio.append(lesson.slug)
                else:
                    values.update(draft_source="", version=lesson.version + 1)
                    report.conflicts.append(_conflict_note(lesson, studio, kept=False))
                    replace = True
            elif lesson is not None and lesson.source != ld.source:
                values["version"] = lesson.version + 1
            result = guarded(ld.path, _upsert, Lesson, {"slug": ld.slug}, values, report, "lesson")
            if (
                result
                and result[1]
                and (replace or (studio is None and (lesson is None or lesson.source != ld.source)))
            ):
                _add_revision(result[0], None, "Imported from the course files", from_files=True)
            if result and lesson is not None and (lesson.status, lesson.part_id) != (result[0].status, part.pk):
                report.lessons.add(lesson.pk)
                report.parts.update({lesson.part_id, part.pk})
    for orphan in Lesson.objects.exclude(slug__in=source_slugs).filter(status=Lesson.Status.PUBLISHED):
        Lesson.objects.filter(pk=orphan.pk).update(status=Lesson.Status.DRAFT)
        report.lessons.add(orphan.pk)
        report.parts.add(orphan.part_id)
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
    for sandbox_data in data.sandboxes:
        guarded(sandbox_data.path, _import_sandbox, sandbox_data, report)

    problems += _check_sections(data)
    if problems:
        raise CourseSourceError(problems)
    refresh_summaries(report)
    ContentVersion.bump()  # some of the writes above were QuerySet.update(), which sends no signal
    return report


def _newest_revisions() -> dict[int, LessonRevision]:
    """Each lesson's newest revision, in one query."""
    newest = LessonRevision.objects.filter(lesson=models.OuterRef("lesson")).order_by("-number").values("pk")[:1]
    rows = LessonRevision.objects.filter(pk=models.Subquery(newest)).select_related("author")
    return {revision.lesson_id: revision for revision in rows}


def _studio_work(lesson: Lesson | None, newest: dict[int, LessonRevision], text: dict) -> LessonRevision | None:
    """The studio revision that applying `text` (the file) would overwrite, or None.

    Studio work is a newest revision the files never held. If the lesson already reads
    as the file says (someone copied the studio text into the files), nothing conflicts,
    and without pending studio edits that revision counts as held by the files from now on.
    """
    revision = newest.get(lesson.pk) if lesson is not None else None
    if revision is None or revision.from_files:
        return None
    if all(getattr(lesson, key) == value for key, value in text.items()):
        if not lesson.draft_source:
            LessonRevision.objects.filter(pk=revision.pk).update(from_files=True)
        return None
    return revision


def _conflict_note(lesson: Lesson, revision: LessonRevision, *, kept: bool) -> str:
    who = revision.author.get_username() if revision.author else "someone"
    when = timezone.localtime(revision.created_at).strftime("%Y-%m-%d %H:%M")
    edited = (
        f"lesson '{lesson.slug}' was edited in the studio after the last import "
        f"(revision {revision.number}, {who}, {when})"
    )
    if kept:
        return f"{edited}: kept the studio version, the file was not applied (--overwrite-studio-edits replaces it)"
    return f"{edited}: replaced by the file (--overwrite-studio-edits)"


def _where(path) -> str:
    """A short name for messages: the part folder and file, or the name given."""
    if isinstance(path, str):
        return path
    return f"{path.parent.name}/{path.name}"


def _import_quiz(data: QuizData, report: ImportReport) -> Quiz:
    """Questions are matched by key and choices by key within their question, never by position.

    So reordering, inserting, rewording and removing never change what a learner's answer
    refers to. A question or choice that left the source is deleted if nobody answered or
    picked it, otherwise retired (and un-retired if its key comes back).
    """
    changes = report.changes()
    quiz, _ = _upsert(Quiz, {"slug": data.slug}, {"title": data.title, "pass_mark": data.pass_mark}, report, "quiz")
    answered = set(Answer.objects.filter(question__quiz=quiz).values_list("question_id", flat=True).distinct())
    _place_by_key(
        quiz.questions.all(),
        [qd.key for qd in data.questions],
        in_use=lambda leaving: {q.pk for q in leaving if q.pk in answered},
        report=report,
        what="question",
    )
    for order, qd in enumerate(data.questions, 1):
        question, _ = _upsert(
            Question,
            {"quiz": quiz, "key": qd.key},
            {
                "order": order,
                "kind": qd.kind,
                "prompt": qd.prompt,
                "explanation": qd.explanation,
                "section": qd.section,
                "retired": False,
            },
            report,
            "question",
        )
        _place_by_key(
            question.choices.all(),
            [cd.key for cd in qd.choices],
            in_use=lambda leaving, question=question: _picked(question, leaving),
            report=report,
            what="choice",
        )
        for corder, cd in enumerate(qd.choices, 1):
            _upsert(
                Choice,
                {"question": question, "key": cd.key},
                {"order": corder, "text": cd.text, "correct": cd.correct, "feedback": cd.feedback, "retired": False},
                report,
                "choice",
            )
    if report.changes() != changes:
        report.quizzes.add(quiz.pk)
    return quiz


def _picked(question: Question, choices: list[Choice]) -> set[int]:
    """Ids among `choices` that some answer picked (as a pick row or in its submitted ids)."""
    ids = {c.pk for c in choices}
    found = set(Answer.picks.through.objects.filter(choice_id__in=ids).values_list("choice_id", flat=True))
    for choice_ids in Answer.objects.filter(question=question).values_list("choice_ids", flat=True):
        found |= ids.intersection(choice_ids or [])
    return found


def _place_by_key(queryset: models.QuerySet, keys: list[str], *, in_use, report: ImportReport, what: str) -> None:
    """Prepare the rows of one quiz (or question) for an upsert by key in the order of `keys`.

    Rows whose key left the source are deleted, or retired when `in_use(rows)` names them;
    retired rows move after the active ones. Every row whose position changes is parked
    first, so the unique order constraint never trips; the upsert then sets each kept
    row's order to its position in `keys`.
    """
    rows = list(queryset.order_by("order"))
    leaving = [row for row in rows if row.key not in keys]
    keep = in_use(leaving) if leaving else set()
    for row in leaving:
        if row.pk not in keep:
            row.delete()
            report.count(what, "deleted")
    position = {key: n for n, key in enumerate(keys, 1)}
    wanted = {row.pk: position[row.key] for row in rows if row.key in position}
    retiring = [row for row in leaving if row.pk in keep]
    for n, row in enumerate(retiring, len(keys) + 1):
        wanted[row.pk] = n
    _park_conflicts(queryset.filter(pk__in=wanted), "order", wanted)
    for row in retiring:
        queryset.filter(pk=row.pk).update(order=wanted[row.pk], retired=True)
        if not row.retired:
            report.count(what, "retired")


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
    before = Exercise.objects.filter(slug=data.slug).values_list("pass_mark", "taxonomy_id").first()
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
    if before and before != (exercise.pass_mark, exercise.taxonomy_id):
        report.exercises.add(exercise.pk)
        if before[1] != exercise.taxonomy_id:
            report.taxonomies.update({before[1], exercise.taxonomy_id})
    return exercise


def _import_sandbox(data, report: ImportReport) -> Sandbox:
    """One reward-design environment, validated (sizes included) by course_source already."""
    sandbox, _ = _upsert(
        Sandbox,
        {"slug": data.slug},
        {
            "title": data.title,
            "kind": data.kind,
            "horizon": data.horizon,
            "objective": data.objective,
            "objective_label": data.objective_label,
            "goal": data.goal,
            "instructions": data.instructions,
            "layout": data.layout,
            "terms": [asdict(term) for term in data.terms],
            "hints": data.hints,
            "loophole": data.loophole,
            "success": data.success,
        },
        report,
        "sandbox",
    )
    return sandbox


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
def record_answer(learner, question: Question, choices: list[Choice], *, confidence: str = "", now=None) -> Answer:
    """Grade `choices` for `question` on the server and store the answer as graded.

    The answer also rates the learner's review card for the question (`confidence` is
    "", "sure", "think" or "guess"; `now` is the clock the schedule is computed from)."""
    from lessons.grading import GradingError, grade_choices

    # Answers to one quiz are stored one at a time (the quiz row stays locked until commit),
    # so the summaries read every earlier answer when they decide what was a learner's first
    # attempt: PostgreSQL's READ COMMITTED would otherwise let two simultaneous first answers
    # both see none. SQLite's IMMEDIATE transactions are serialised already.
    questions = Question.objects.filter(quiz=OuterRef("pk"), retired=False).values("quiz").annotate(n=Count("pk"))
    quiz = (
        Quiz.objects.select_for_update()
        .annotate(active=Coalesce(Subquery(questions.values("n")), 0))
        .get(pk=question.quiz_id)
    )
    # Only active choices are options: a retired one is neither pickable nor counted as right.
    active = [c for c in question.choices.all() if not c.retired]
    if any(c.retired or c.question_id != question.pk for c in choices):
        raise GradingError("That answer doesn't match this question.")
    score = grade_choices(question.kind, [c.pk for c in choices], [c.pk for c in active if c.correct])
    answer = Answer.objects.create(
        **learner.owner(),
        question=question,
        choice_ids=[c.pk for c in choices],
        score=score,
        prompt_seen=question.prompt,
        picked_seen=snapshot_picks(choices),
    )
    # The same picks as rows, for the reports.
    Answer.picks.through.objects.bulk_create(Answer.picks.through(answer=answer, choice=c) for c in choices)
    summaries.on_answer(learner, answer, quiz, choices)
    review.rate_items(learner, [(question, score, confidence)], now or timezone.now(), answer=answer)
    return answer


@transaction.atomic
def check_exercise(
    learner,
    exercise: Exercise,
    cases: list[Case],
    picks: dict[str, list[str]],
    *,
    confidences: dict[str, str] | None = None,
    reviewed: list[Case] | None = None,
    now=None,
) -> ExerciseAttempt:
    """Grade every case on the server and store the attempt exactly as graded.

    Each case's grade rates the learner's review card for it (`confidences`: case slug →
    "sure", "think" or "guess"). A review passes `reviewed`, the cases actually answered
    now; the other cases carry the learner's previous picks and rate nothing."""
    from lessons.grading import grade_case, mean

    # One check of an exercise at a time, for the same reason as record_answer.
    exercise = Exercise.objects.select_for_update().get(pk=exercise.pk)
    results = {
        case.slug: grade_case(exercise.multi_label, picks[case.slug], case.answers, case.also_accept) for case in cases
    }
    attempt = ExerciseAttempt.objects.create(
        **learner.owner(),
        exercise=exercise,
        answers={slug: picks[slug] for slug in results},
        results=results,
        score=mean(results.values()),
    )
    rated = cases if reviewed is None else reviewed
    picks = CasePick.objects.bulk_create(case_picks(attempt, rated))
    summaries.on_check(learner, attempt, picks)
    confidences = confidences or {}
    scored = [(case, results[case.slug], confidences.get(case.slug, "")) for case in rated]
    review.rate_items(learner, scored, now or timezone.now(), attempt=attempt)
    return attempt


@transaction.atomic
def run_sandbox(learner, sandbox: Sandbox, weights: dict[str, float]):
    """Solve `sandbox` for the learner's (already validated) weights and record the run.

    Returns (attempt, outcome): the stored SandboxAttempt and the solver's Outcome to draw.
    """
    from lessons.sandbox import solve

    outcome = solve(sandbox.environment(), weights)
    attempt = SandboxAttempt.objects.create(
        **learner.owner(),
        sandbox=sandbox,
        weights=weights,
        actions=outcome.actions,
        proxy_reward=outcome.proxy,
        objective_met=outcome.objective_met,
    )
    return attempt, outcome


def case_picks(attempt: ExerciseAttempt, cases: list[Case]) -> list[CasePick]:
    """The attempt's picks as rows for the confusion matrix (not saved)."""
    rows = []
    for case in cases:
        accepted = set(case.answers) | set(case.also_accept)
        for category in attempt.answers.get(case.slug, []):
            correct = category if category in accepted else case.answers[0]
            rows.append(CasePick(attempt=attempt, case=case, category=category, correct_category=correct))
    return rows


def record_visit(learner, lesson: Lesson) -> LessonProgress:
    """Note that `learner` opened `lesson`: one row per learner and lesson, whatever the concurrency."""
    now = timezone.now()
    owner = learner.owner()
    summaries.on_visit(learner, lesson, now)
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


# A signed-in learner's visit is written again only when the recorded one is older than
# this: resume and "last opened" stay right to a few minutes without a write per page view.
VISIT_REFRESH = timedelta(minutes=5)


def note_visit(learner, lesson: Lesson, progress: LessonProgress | None) -> LessonProgress:
    """Record a visit unless `progress` (the learner's row for `lesson`, or None) is recent."""
    if progress is not None and progress.last_opened_at >= timezone.now() - VISIT_REFRESH:
        return progress
    return record_visit(learner, lesson)


def complete_lesson(learner, lesson: Lesson) -> tuple[bool, list]:
    """Mark `lesson` complete if the learner passed every quiz and exercise it embeds.

    Returns (completed, the checks not yet passed). The checks are read here from the
    learner's own answers, never taken from the caller. Completing twice is a no-op: the
    first completion time is kept.
    """
    from lessons.lesson_page import lesson_blocks
    from lessons.progress import lesson_checks

    with transaction.atomic():
        missing = [check for check in lesson_checks(lesson_blocks(lesson, learner)) if not check.passed]
        if missing:
            return False, missing
        progress = record_visit(learner, lesson)
        newly = LessonProgress.objects.filter(pk=progress.pk, completed_at__isnull=True).update(
            completed_at=timezone.now()
        )
        if newly:
            summaries.on_complete(learner, lesson)
    return True, []


@transaction.atomic
def delete_learner(user) -> None:
    """Delete an account with its answers, attempts and progress (they cascade), after
    taking them out of the report sums it shares with other learners."""
    summaries.forget_learner(user)
    user.delete()


@transaction.atomic
def merge_guest_progress(guest_key: str, user) -> None:
    """Move a guest's attempts and lesson progress to `user` after sign-up or log-in.

    Attempts are history, so they all move (best scores are kept because every score is);
    lesson progress merges per lesson, keeping the earliest first visit and completion.
    """
    if not guest_key:
        return
    touched = summaries.quizzes_touched_by(user.pk, guest_key)
    guest = {"user__isnull": True, "session_key": guest_key}
    Answer.objects.filter(**guest).update(user=user, session_key="")
    ExerciseAttempt.objects.filter(**guest).update(user=user, session_key="")
    SandboxAttempt.objects.filter(**guest).update(user=user, session_key="")
    review.merge_guest_cards(guest_key, user)
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
    summaries.rebuild_learners([user.pk])
    for quiz in touched:
        summaries.rebuild_quiz(quiz)


# -- studio ---------------------------------------------------------------------------


class EditConflict(Exception):
    """Someone saved the lesson after the editor was opened; `current` is what they saved."""

    def __init__(self, current: Lesson):
        super().__init__("The lesson changed since you opened it.")
        self.current = current


def _add_revision(lesson: Lesson, author, note: str, *, from_files: bool = False) -> LessonRevision:
    return LessonRevision.objects.create(
        lesson=lesson,
        number=lesson.version,
        title=lesson.title,
        source=lesson.working_source,
        author=author if getattr(author, "is_authenticated", False) else None,
        note=note[:200],
        from_files=from_files,
    )


@transaction.atomic
def save_lesson(
    lesson: Lesson,
    *,
    title: str,
    slug: str,
    summary: str,
    source: str,
    author,
    note: str = "",
    expected_version: int | None = None,
    publish: bool | None = None,
) -> Lesson:
    """Save an edit from the studio: a new version and revision, never a silent overwrite.

    A published lesson's edits wait in draft_source until `publish=True`; `publish=False`
    unpublishes. Raises EditConflict if the lesson's version moved since `expected_version`,
    and MarkdownError if the text cannot be rendered (nothing is saved then).
    """
    was_published = False
    if lesson.pk:
        current = Lesson.objects.select_for_update().get(pk=lesson.pk)
        if expected_version is not None and current.version != expected_version:
            raise EditConflict(current)
        lesson = current
        lesson.version += 1
        was_published = lesson.is_published
    lesson.title, lesson.slug, lesson.summary = title, slug, summary
    if publish is True:
        lesson.status = Lesson.Status.PUBLISHED
        lesson.source, lesson.draft_source = source, ""
    elif publish is False:
        lesson.status = Lesson.Status.DRAFT
        lesson.source, lesson.draft_source = source, ""
    elif lesson.is_published:
        lesson.draft_source = "" if source == lesson.source else source
    else:
        lesson.source, lesson.draft_source = source, ""
    # The edited text is rendered once: it raises MarkdownError before anything is written,
    # and becomes the stored HTML when it is the live text. Pending edits leave the live
    # text, and its stored HTML, as they were.
    edited = Lesson(source=source)
    edited.render()
    if lesson.source == source:
        lesson.blocks, lesson.headings, lesson.checks = edited.blocks, edited.headings, edited.checks
        lesson.reading_minutes = edited.reading_minutes
    lesson.save(render=False)
    if was_published != lesson.is_published:
        summaries.refresh_progress([lesson.pk], [lesson.part_id])
    _add_revision(lesson, author, note or ("Published" if publish else "Unpublished" if publish is False else "Saved"))
    return lesson


@transaction.atomic
def restore_revision(revision: LessonRevision, author) -> Lesson:
    """Bring back an old text as a new version (history is never rewritten)."""
    lesson = revision.lesson
    return save_lesson(
        lesson,
        title=revision.title,
        slug=lesson.slug,
        summary=lesson.summary,
        source=revision.source,
        author=author,
        note=f"Restored revision {revision.number}",
    )


@transaction.atomic
def move_lesson(lesson: Lesson, direction: int) -> bool:
    """Swap `lesson` with its neighbour in the part (direction -1 up, +1 down)."""
    siblings = list(Lesson.objects.select_for_update().filter(part=lesson.part).order_by("order"))
    index = next(i for i, s in enumerate(siblings) if s.pk == lesson.pk)
    other_index = index + direction
    if not 0 <= other_index < len(siblings):
        return False
    a, b = siblings[index], siblings[other_index]
    Lesson.objects.filter(pk=a.pk).update(order=a.order + _PARKING_OFFSET)
    Lesson.objects.filter(pk=b.pk).update(order=a.order)
    Lesson.objects.filter(pk=a.pk).update(order=b.order)
    ContentVersion.bump()
    return True


def course_data_from_database() -> CourseData:
    """The course as CourseData, for export_course: the inverse of import_course."""
    from lessons.course_source import (
        CaseData,
        CategoryData,
        ChoiceData,
        ExerciseData,
        LessonData,
        PartData,
        QuestionData,
        SandboxData,
        TaxonomyData,
        TermData,
    )

    course = Course.objects.first()
    parts = []
    for part in Part.objects.prefetch_related("lessons"):
        lessons = [
            LessonData(lesson.slug, lesson.order, lesson.title, lesson.summary, lesson.status, lesson.source, None)
            for lesson in sorted(part.lessons.all(), key=lambda item: item.order)
        ]
        parts.append(PartData(part.number, part.slug, part.title, part.summary, lessons, None))
    quizzes = [
        QuizData(
            quiz.slug,
            quiz.title,
            quiz.pass_mark,
            [
                QuestionData(
                    q.kind,
                    q.prompt,
                    q.explanation,
                    [ChoiceData(c.text, c.correct, c.feedback, c.key) for c in q.choices.all() if not c.retired],
                    q.section,
                    q.key,
                )
                for q in quiz.questions.all()
                if not q.retired
            ],
            None,
        )
        for quiz in Quiz.objects.prefetch_related("questions__choices")
    ]
    taxonomies = [
        TaxonomyData(
            t.slug,
            t.name,
            t.description,
            [CategoryData(c.slug, c.name, c.definition) for c in t.categories.all()],
            None,
        )
        for t in Taxonomy.objects.prefetch_related("categories").order_by("slug")
    ]
    exercises = [
        ExerciseData(
            e.slug,
            e.title,
            e.taxonomy.slug,
            e.instructions,
            e.multi_label,
            e.pass_mark,
            [
                CaseData(
                    c.slug,
                    c.title,
                    c.scenario,
                    c.source_title,
                    c.source_url,
                    list(c.answers),
                    list(c.also_accept),
                    c.explanation,
                    dict(c.why_not),
                )
                for c in e.cases.all()
                if not c.retired
            ],
            None,
        )
        for e in Exercise.objects.select_related("taxonomy").prefetch_related("cases")
    ]
    sandboxes = [
        SandboxData(
            b.slug,
            b.title,
            b.kind,
            b.horizon,
            b.objective,
            b.objective_label,
            b.goal,
            b.instructions,
            list(b.layout),
            [TermData(**term) for term in b.terms],
            list(b.hints),
            b.loophole,
            b.success,
            None,
        )
        for b in Sandbox.objects.all()
    ]
    return CourseData(
        course.slug if course else "responsible-ai-engineering",
        course.title if course else "",
        course.tagline if course else "",
        course.description if course else "",
        parts,
        quizzes,
        taxonomies,
        exercises,
        sandboxes,
    )


@transaction.atomic
def save_assessment(kind: str, slug: str, text: str) -> tuple[object | None, list[str]]:
    """Validate and save one quiz, exercise, taxonomy or sandbox edited as text in the studio.

    Uses the import's own parser and writer, so the studio and the files agree. Returns
    (saved object or None, problems); nothing is written when there are problems.
    """
    from lessons.course_source import parse_single

    data, problems = parse_single(kind, slug, text)
    if data is None or problems:
        return None, problems
    report = ImportReport()
    if kind == "quiz":
        lesson_slugs = set(Lesson.objects.values_list("slug", flat=True))
        for number, question in enumerate(data.questions, 1):
            if question.section and question.section.split("#", 1)[0] not in lesson_slugs:
                problems.append(f"question {number}: section names unknown lesson '{question.section}'")
        if not problems:
            obj = _import_quiz(data, report)
            problems = [p.split(": ", 1)[1] for p in _check_sections(CourseData("", "", "", "", [], [data], [], []))]
    elif kind == "exercise":
        taxonomy = Taxonomy.objects.prefetch_related("categories").filter(slug=data.taxonomy).first()
        if taxonomy is None:
            problems.append(f"unknown taxonomy '{data.taxonomy}'")
        else:
            known = {c.slug for c in taxonomy.categories.all()}
            for number, case in enumerate(data.cases, 1):
                for category in case.answers + case.also_accept + list(case.why_not):
                    if category not in known:
                        problems.append(f"case {number}: unknown category '{category}' in {taxonomy.slug}")
        if not problems:
            obj = _import_exercise(data, {taxonomy.slug: taxonomy}, report)
    elif kind == "sandbox":
        obj = _import_sandbox(data, report)
    else:
        obj = _import_taxonomy(data, report)
    if problems:
        transaction.set_rollback(True)
        return None, problems
    refresh_summaries(report)
    return obj, []


class NotEarned(Exception):
    """A certificate was asked for something the learner has not completed."""


@transaction.atomic
def issue_certificate(user, scope, name: str) -> Certificate:
    """Issue (or return the active) certificate for `scope`, a CertificateScope the caller
    computed from the learner's progress; refuses one that is not complete."""
    if not scope.complete:
        raise NotEarned(scope.title)
    existing = Certificate.objects.select_for_update().active().filter(user=user, scope=scope.scope).first()
    if existing is not None:
        return existing
    return Certificate.objects.create(
        user=user, scope=scope.scope, name=name, title=scope.title, items=scope.items, issued_at=timezone.now()
    )


def revoke_certificate(certificate: Certificate) -> None:
    """Revoke: the public page then says so; a new one can be issued later."""
    Certificate.objects.filter(pk=certificate.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
