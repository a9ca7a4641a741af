"""Assembling a lesson page: its blocks with the quizzes and exercises they embed, and the
learner's state for each, in a constant number of queries.

Read-only; writes go through lessons.actions.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from lessons.forms import choice_token
from lessons.grading import is_passed, mean, outcome
from lessons.learners import Learner
from lessons.models import Answer, Exercise, ExerciseAttempt, Lesson, Question, Quiz


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
    def latest_score(self) -> float:
        return mean(q.latest or 0.0 for q in self.questions)

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
        return self.answered == len(self.questions) and is_passed(self.latest_score, self.quiz.pass_mark)


def shuffled_choices(question: Question, learner: Learner, attempts: int) -> list[tuple[str, object]]:
    """Choices in an order fixed for this learner and attempt, new for each retry."""
    choices = list(question.choices.all())
    random.Random(f"{learner.seed()}:{question.pk}:{attempts}").shuffle(choices)
    return [(choice_token(c.pk), c) for c in choices]


def quiz_states(quizzes: list[Quiz], learner: Learner) -> dict[str, QuizState]:
    """State of each quiz (prefetched with for_display) for `learner`: one query for answers."""
    question_ids = [q.pk for quiz in quizzes for q in quiz.active_questions]
    history: dict[int, list[float]] = {}
    rows = (
        Answer.objects.for_learner(learner)
        .filter(question_id__in=question_ids)
        .order_by("created_at", "id")
        .values_list("question_id", "score")
    )
    for question_id, score in rows:
        history.setdefault(question_id, []).append(score)
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
        return self.latest is not None and is_passed(self.latest, self.exercise.pass_mark)

    @property
    def just_passed(self) -> bool:
        return self.score is not None and is_passed(self.score, self.exercise.pass_mark)

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


def exercise_states(exercises: list[Exercise], learner: Learner) -> dict[str, ExerciseState]:
    """State of each exercise (prefetched with for_display) for `learner`: one query."""
    history: dict[int, list[float]] = {}
    rows = (
        ExerciseAttempt.objects.for_learner(learner)
        .filter(exercise__in=exercises)
        .order_by("created_at", "id")
        .values_list("exercise_id", "score")
    )
    for exercise_id, score in rows:
        history.setdefault(exercise_id, []).append(score)
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
class LessonState:
    blocks: list[dict]
    quizzes: dict[str, QuizState]
    exercises: dict[str, ExerciseState]


def lesson_blocks(lesson: Lesson, learner: Learner) -> LessonState:
    """The lesson's blocks with each embedded quiz's and exercise's state attached."""
    quizzes = quiz_states(list(Quiz.objects.for_display().filter(slug__in=lesson.embedded("quiz"))), learner)
    exercises = exercise_states(
        list(Exercise.objects.for_display().filter(slug__in=lesson.embedded("exercise"))), learner
    )
    blocks = []
    for block in lesson.blocks:
        if block["type"] == "quiz" and block["slug"] in quizzes:
            blocks.append({"type": "quiz", "state": quizzes[block["slug"]]})
        elif block["type"] == "exercise" and block["slug"] in exercises:
            blocks.append({"type": "exercise", "state": exercises[block["slug"]]})
        elif block["type"] == "html":
            blocks.append(block)
    return LessonState(blocks, quizzes, exercises)


def find_question(states: dict[str, QuizState], question_id: int) -> tuple[QuizState, QuestionState] | None:
    for state in states.values():
        for question_state in state.questions:
            if question_state.question.pk == question_id:
                return state, question_state
    return None
