"""Assembling a lesson page: its blocks with the quizzes and exercises they embed, and the
learner's state for each, in a constant number of queries.

Read-only; writes go through lessons.actions.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from django.db import connection

from lessons import page_cache
from lessons.forms import choice_token
from lessons.grading import exercise_passed, mean, outcome, quiz_passed, quiz_score, sandbox_passed
from lessons.learners import Learner
from lessons.models import Answer, Exercise, ExerciseAttempt, Lesson, Question, Quiz, Sandbox, SandboxAttempt
from lessons.sandbox import draw


@dataclass
class QuestionResult:
    """What a learner sees right after answering: graded on the server."""

    score: float
    picked: list  # Choice objects, in the order shown

    @property
    def outcome(self) -> str:
        return outcome(self.score)


@dataclass
class QuestionState:
    question: Question
    number: int
    choices: list[tuple[str, object]]  # (token, Choice) in this attempt's shuffled order
    attempts: int = 0
    latest: float | None = None
    best: float | None = None
    result: QuestionResult | None = None
    error: str = ""

    @property
    def dom_id(self) -> str:
        return f"question-{self.question.pk}"

    def record(self, answer, picked: list) -> None:
        """Fold in `answer` (just stored) and show its result, picks in the order shown."""
        self.attempts += 1
        self.latest = answer.score
        self.best = max(answer.score, self.best or 0.0)
        shown = [choice.pk for _, choice in self.choices]
        self.result = QuestionResult(answer.score, sorted(picked, key=lambda c: shown.index(c.pk)))

    @property
    def fragment_key(self) -> str:
        """Everything of the learner this question's form shows, or "" (not cacheable)."""
        if self.result or self.error:
            return ""
        order = ".".join(str(choice.pk) for _, choice in self.choices)
        return f"q{self.question.pk}:{order}:{self.attempts}:{self.latest}:{self.best}"


@dataclass
class QuizState:
    quiz: Quiz
    questions: list[QuestionState] = field(default_factory=list)

    @property
    def dom_id(self) -> str:
        return f"quiz-{self.quiz.slug}"

    @property
    def answered(self) -> int:
        return sum(1 for q in self.questions if q.attempts)

    @property
    def latest_scores(self) -> list[float]:
        """The latest score of each answered question."""
        return [q.latest for q in self.questions if q.attempts]

    @property
    def latest_score(self) -> float:
        return quiz_score(self.latest_scores, len(self.questions))

    @property
    def best_score(self) -> float:
        return mean(q.best or 0.0 for q in self.questions)

    @property
    def latest_points(self) -> float:
        return sum(q.latest or 0.0 for q in self.questions)

    @property
    def best_points(self) -> float:
        return sum(q.best or 0.0 for q in self.questions)

    @property
    def passed(self) -> bool:
        return quiz_passed(self.latest_scores, len(self.questions), self.quiz.pass_mark)


def shuffled_choices(question: Question, learner: Learner, attempts: int) -> list[tuple[str, object]]:
    """Choices in an order fixed for this learner and attempt, new for each retry."""
    choices = list(question.choices.all())
    random.Random(f"{learner.seed()}:{question.pk}:{attempts}").shuffle(choices)
    return [(choice_token(c.pk), c) for c in choices]


def _scores(model, column: str, ids: list[int], learner: Learner) -> dict[int, list[float]]:
    """The learner's scores by `column` (question or exercise id), oldest first: one query.

    Plain SQL because this runs on every lesson page and answer, and the ORM takes 20 times
    longer to build this query than the database takes to run it (0.6 ms against 0.03 ms).
    It is the same query as model.objects.for_learner(learner).filter(column__in=ids)
    .order_by("created_at", "id").values_list(column, "score").
    """
    history: dict[int, list[float]] = {}
    if not learner.is_known or not ids:
        return history
    table = connection.ops.quote_name(model._meta.db_table)
    if learner.user_id:
        owner, params = "user_id = %s", [learner.user_id]
    else:
        owner, params = "user_id IS NULL AND session_key = %s", [learner.session_key]
    marks = ", ".join(["%s"] * len(ids))
    sql = f"SELECT {column}, score FROM {table} WHERE {owner} AND {column} IN ({marks}) ORDER BY created_at, id"
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *ids])
        for key, score in cursor.fetchall():
            history.setdefault(key, []).append(score)
    return history


def answer_history(quizzes: list[Quiz], learner: Learner) -> dict[int, list[float]]:
    """The learner's scores on each active question of `quizzes`, oldest first: one query."""
    return _scores(Answer, "question_id", [q.pk for quiz in quizzes for q in quiz.active_questions], learner)


def quiz_states(quizzes: list[Quiz], learner: Learner, history: dict | None = None) -> dict[str, QuizState]:
    """State of each quiz (prefetched with for_display) for `learner`: one query for answers."""
    if history is None:
        history = answer_history(quizzes, learner)
    states = {}
    for quiz in quizzes:
        state = QuizState(quiz)
        for number, question in enumerate(quiz.active_questions, 1):
            scores = history.get(question.pk, [])
            state.questions.append(
                QuestionState(
                    question=question,
                    number=number,
                    choices=shuffled_choices(question, learner, len(scores)),
                    attempts=len(scores),
                    latest=scores[-1] if scores else None,
                    best=max(scores) if scores else None,
                )
            )
        states[quiz.slug] = state
    return states


@dataclass
class CaseResult:
    score: float
    picked: list  # Category objects picked
    wrong: list  # (Category, why-not HTML) for each wrong pick
    accepted_alternative: bool = False

    @property
    def outcome(self) -> str:
        return outcome(self.score)


@dataclass
class CaseCard:
    case: object
    picked: list[str] = field(default_factory=list)
    result: CaseResult | None = None
    still_open: bool = False  # refused because this case had no category yet


@dataclass
class ExerciseState:
    exercise: Exercise
    cards: list[CaseCard]
    attempts: int = 0
    latest: float | None = None
    best: float | None = None
    score: float | None = None  # of the attempt just checked
    error: str = ""

    @property
    def dom_id(self) -> str:
        return f"exercise-{self.exercise.slug}"

    @property
    def fragment_key(self) -> str:
        """Everything of the learner this exercise's form shows, or "" (not cacheable)."""
        if self.score is not None or self.error or any(card.picked for card in self.cards):
            return ""
        order = ".".join(str(card.case.pk) for card in self.cards)
        return f"e{self.exercise.pk}:{order}:{self.attempts}:{self.latest}:{self.best}"

    @property
    def first_open(self) -> str:
        """Slug of the first case a refused check left without a category ("" if none)."""
        return next((card.case.slug for card in self.cards if card.still_open), "")

    @property
    def categories(self) -> list:
        return list(self.exercise.taxonomy.categories.all())

    @property
    def outcome(self) -> str:
        return outcome(self.score or 0.0)

    @property
    def passed(self) -> bool:
        return exercise_passed(self.latest, self.exercise.pass_mark)

    @property
    def just_passed(self) -> bool:
        return exercise_passed(self.score, self.exercise.pass_mark)

    def record(self, attempt) -> None:
        """Fold in `attempt` (just stored) and attach its per-card results."""
        self.grade(attempt)
        self.attempts += 1
        self.latest = attempt.score
        self.best = max(attempt.score, self.best or 0.0)

    def grade(self, attempt) -> None:
        """Attach per-card results of `attempt` (already graded and stored) to the cards."""
        categories = {c.slug: c for c in self.categories}
        self.score = attempt.score
        for card in self.cards:
            picked = attempt.answers.get(card.case.slug, [])
            card.picked = picked
            right = set(card.case.answers)
            accepted = right | set(card.case.also_accept if not self.exercise.multi_label else [])
            card.result = CaseResult(
                score=attempt.results[card.case.slug],
                picked=[categories[s] for s in picked if s in categories],
                wrong=[(categories[s], card.case.why_not_html.get(s, "")) for s in picked if s not in accepted],
                accepted_alternative=bool(set(picked) & (accepted - right)),
            )


def shuffled_cases(exercise: Exercise, learner: Learner, attempts: int) -> list:
    cases = list(exercise.active_cases)
    random.Random(f"{learner.seed()}:exercise:{exercise.pk}:{attempts}").shuffle(cases)
    return cases


def attempt_history(exercises: list[Exercise], learner: Learner) -> dict[int, list[float]]:
    """The learner's scores on each of `exercises`, oldest first: one query."""
    return _scores(ExerciseAttempt, "exercise_id", [e.pk for e in exercises], learner)


def exercise_states(
    exercises: list[Exercise], learner: Learner, history: dict | None = None
) -> dict[str, ExerciseState]:
    """State of each exercise (prefetched with for_display) for `learner`: one query."""
    if history is None:
        history = attempt_history(exercises, learner)
    states = {}
    for exercise in exercises:
        scores = history.get(exercise.pk, [])
        states[exercise.slug] = ExerciseState(
            exercise=exercise,
            cards=[CaseCard(case) for case in shuffled_cases(exercise, learner, len(scores))],
            attempts=len(scores),
            latest=scores[-1] if scores else None,
            best=max(scores) if scores else None,
        )
    return states


@dataclass
class SandboxRun:
    """The run just made: what the optimiser did for the learner's weights."""

    outcome: object  # lessons.sandbox.Outcome
    drawing: object  # lessons.sandbox.Drawing
    contributions: list[dict]  # per term: label, count, weight, reward


@dataclass
class SandboxState:
    sandbox: Sandbox
    attempts: int = 0
    passed: bool = False
    weights: dict[str, float] = field(default_factory=dict)  # what the form shows
    run: SandboxRun | None = None
    error: str = ""

    @property
    def dom_id(self) -> str:
        return f"sandbox-{self.sandbox.slug}"

    @property
    def outcome(self) -> str:
        return "correct" if self.run and self.run.outcome.objective_met else "incorrect"

    @property
    def fields(self) -> list[dict]:
        """Each term with the value its number input shows."""
        return [{**term, "value": self.weights.get(term["key"], term["default"])} for term in self.sandbox.terms]

    def show(self, outcome) -> None:
        """Attach a solved outcome (already recorded) for the page to draw."""
        contributions = [
            {
                "label": term["label"],
                "count": outcome.features.get(term["key"], 0.0),
                "weight": self.weights.get(term["key"], 0.0),
                "reward": outcome.features.get(term["key"], 0.0) * self.weights.get(term["key"], 0.0),
            }
            for term in self.sandbox.terms
        ]
        self.run = SandboxRun(outcome, draw(self.sandbox.environment(), outcome), contributions)


def sandbox_states(sandboxes: list[Sandbox], learner: Learner) -> dict[str, SandboxState]:
    """State of each sandbox for `learner`: one query for their runs.

    The form starts from the learner's latest weights, or from the naive reward.
    """
    history: dict[int, list[tuple[bool, dict]]] = {}
    rows = (
        SandboxAttempt.objects.for_learner(learner)
        .filter(sandbox__in=sandboxes)
        .order_by("created_at", "id")
        .values_list("sandbox_id", "objective_met", "weights")
    )
    for sandbox_id, met, weights in rows:
        history.setdefault(sandbox_id, []).append((met, weights))
    states = {}
    for sandbox in sandboxes:
        runs = history.get(sandbox.pk, [])
        states[sandbox.slug] = SandboxState(
            sandbox=sandbox,
            attempts=len(runs),
            passed=sandbox_passed(met for met, _ in runs),
            weights=dict(runs[-1][1]) if runs else sandbox.naive_weights,
        )
    return states


@dataclass
class LessonState:
    blocks: list[dict]
    quizzes: dict[str, QuizState]
    exercises: dict[str, ExerciseState]
    sandboxes: dict[str, SandboxState] = field(default_factory=dict)

    def fragment_keys(self) -> list[str]:
        keys = [q.fragment_key for quiz in self.quizzes.values() for q in quiz.questions]
        return keys + [ex.fragment_key for ex in self.exercises.values()]


def lesson_assessments(lesson: Lesson) -> tuple[list[Quiz], list[Exercise]]:
    """The quizzes and exercises `lesson` embeds, prefetched for display.

    The same for every learner, so cached when the lesson was read with its content
    version (learner pages); previews of unsaved text always read the database.
    """

    def load():
        return (
            list(Quiz.objects.for_display().filter(slug__in=lesson.embedded("quiz"))),
            list(Exercise.objects.for_display().filter(slug__in=lesson.embedded("exercise"))),
        )

    version = getattr(lesson, "content_version", None)
    if version is None or lesson.pk is None:
        return load()
    return page_cache.get_or_compute(f"lesson-assessments:{version}:{lesson.pk}:{lesson.version}", load)


@dataclass(frozen=True)
class LessonHistory:
    """A learner's scores on a lesson's questions and exercises: all their state it shows."""

    answers: dict[int, list[float]]
    attempts: dict[int, list[float]]

    def digest_parts(self) -> tuple:
        return tuple(sorted(self.answers.items())), tuple(sorted(self.attempts.items()))


def lesson_history(lesson: Lesson, learner: Learner) -> LessonHistory:
    quizzes, exercises = lesson_assessments(lesson)
    return LessonHistory(answer_history(quizzes, learner), attempt_history(exercises, learner))


def lesson_blocks(lesson: Lesson, learner: Learner, history: LessonHistory | None = None) -> LessonState:
    """The lesson's blocks with each embedded quiz's and exercise's state attached."""
    quiz_list, exercise_list = lesson_assessments(lesson)
    quizzes = quiz_states(quiz_list, learner, history.answers if history else None)
    exercises = exercise_states(exercise_list, learner, history.attempts if history else None)
    embedded_sandboxes = lesson.embedded("sandbox")
    sandboxes = (
        sandbox_states(list(Sandbox.objects.filter(slug__in=embedded_sandboxes)), learner) if embedded_sandboxes else {}
    )
    blocks = []
    for block in lesson.blocks:
        if block["type"] == "quiz" and block["slug"] in quizzes:
            blocks.append({"type": "quiz", "state": quizzes[block["slug"]]})
        elif block["type"] == "exercise" and block["slug"] in exercises:
            blocks.append({"type": "exercise", "state": exercises[block["slug"]]})
        elif block["type"] == "sandbox" and block["slug"] in sandboxes:
            blocks.append({"type": "sandbox", "state": sandboxes[block["slug"]]})
        elif block["type"] == "html":
            blocks.append(block)
    return LessonState(blocks, quizzes, exercises, sandboxes)


def find_question(states: dict[str, QuizState], question_id: int) -> tuple[QuizState, QuestionState] | None:
    for state in states.values():
        for question_state in state.questions:
            if question_state.question.pk == question_id:
                return state, question_state
    return None
