"""Scoring rules for quizzes and classification exercises.

Pure functions over ids and slugs: no Django imports, no database, no I/O, so every rule
is tested directly. Scores are fractions from 0 to 1.

Rules
- Single choice and true/false: 1 if the one pick is the correct choice, else 0.
- Multiple select: (right picks − wrong picks) ÷ number of correct choices, floored at 0.
  Picking everything therefore scores 0 unless nearly everything is right.
- Exercise case, single label: 1 if the pick is the answer or another accepted answer.
- Exercise case, multi label: the multiple-select rule over categories.
- An exercise or quiz scores the mean of its items; it is passed when that mean reaches
  its pass mark (a percentage). A quiz counts only its active (not retired) questions,
  each at the learner's latest answer, and is passed only once every one is answered.
  An exercise is passed when its latest check reaches the mark.

`quiz_passed` and `exercise_passed` are the one statement of the pass rule: the lesson
page, the dashboard, lesson completion and the report summaries all call them.
- A sandbox challenge is passed once a run's optimal policy met the true objective: runs
  are experiments, so trying the naive reward again afterwards does not undo the pass.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable


class GradingError(ValueError):
    """The submission cannot be graded as it stands (e.g. two picks for a single choice)."""


def grade_choices(kind: str, picked: Collection[int], correct: Collection[int]) -> float:
    """Score one question. `kind` is "single", "true_false" or "multiple"."""
    picked, correct = set(picked), set(correct)
    if not picked:
        raise GradingError("Choose an answer before checking.")
    if not correct:
        raise GradingError("This question has no correct choice.")
    if kind in ("single", "true_false"):
        if len(picked) != 1:
            raise GradingError("Choose exactly one answer.")
        return 1.0 if picked <= correct else 0.0
    if kind == "multiple":
        return _set_score(picked, correct)
    raise GradingError(f"Unknown question kind {kind!r}.")


def grade_case(
    multi_label: bool, picked: Collection[str], answers: Collection[str], also_accept: Collection[str] = ()
) -> float:
    """Score one exercise case."""
    picked = set(picked)
    if not picked:
        raise GradingError("Choose a category for every case.")
    if multi_label:
        return _set_score(picked, set(answers))
    if len(picked) != 1:
        raise GradingError("Choose one category for each case.")
    return 1.0 if picked <= set(answers) | set(also_accept) else 0.0


def mean(scores: Iterable[float]) -> float:
    scores = list(scores)
    return sum(scores) / len(scores) if scores else 0.0


def outcome(score: float) -> str:
    """The word fragments carry in data-outcome."""
    if score >= 1.0:
        return "correct"
    if score <= 0.0:
        return "incorrect"
    return "partial"


def is_passed(score: float, pass_mark_percent: int) -> bool:
    # Compare in whole hundredths so 0.7 passes a 70% mark despite float error.
    return round(score * 100, 6) >= pass_mark_percent


def quiz_score(latest: Collection[float], questions: int) -> float:
    """The quiz's score: latest scores of its active questions over their number (unanswered count 0)."""
    return sum(latest) / questions if questions else 0.0


def quiz_passed(latest: Collection[float], questions: int, pass_mark_percent: int) -> bool:
    """Passed when all `questions` active questions are answered and the latest scores reach the mark.

    `latest` holds one score per answered active question (retired questions never count).
    """
    return 0 < len(latest) == questions and is_passed(quiz_score(latest, questions), pass_mark_percent)


def exercise_passed(latest: float | None, pass_mark_percent: int) -> bool:
    """Passed when the latest check (None: never checked) reaches the mark."""
    return latest is not None and is_passed(latest, pass_mark_percent)


def _set_score(picked: set, correct: set) -> float:
    right = len(picked & correct)
    wrong = len(picked - correct)
    return max(0.0, (right - wrong) / len(correct))


def sandbox_passed(objective_met: Iterable[bool]) -> bool:
    """Whether a sandbox challenge is passed, given whether each recorded run met its objective."""
    return any(objective_met)
