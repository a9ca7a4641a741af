"""Pure tests of the scoring rules in lessons.grading."""

import pytest

from lessons.grading import (
    GradingError,
    exercise_passed,
    grade_case,
    grade_choices,
    is_passed,
    mean,
    outcome,
    quiz_passed,
    quiz_score,
)


def test_right_single_choice_scores_one():
    assert grade_choices("single", {3}, {3}) == 1.0


def test_wrong_choice_scores_zero():
    assert grade_choices("single", {2}, {3}) == 0.0


def test_true_false_behaves_like_single():
    assert grade_choices("true_false", {1}, {1}) == 1.0
    assert grade_choices("true_false", {2}, {1}) == 0.0


def test_single_choice_refuses_two_picks():
    with pytest.raises(GradingError, match="exactly one"):
        grade_choices("single", {1, 2}, {1})


def test_empty_submission_is_refused():
    with pytest.raises(GradingError, match="Choose an answer"):
        grade_choices("multiple", set(), {1})


@pytest.mark.parametrize(
    ("picked", "expected"),
    [
        ({1, 2, 3}, 1.0),  # all three right
        ({1, 2}, 2 / 3),  # two of three right, none wrong
        ({1}, 1 / 3),
        ({1, 2, 4}, 1 / 3),  # two right minus one wrong
        ({1, 4}, 0.0),  # one right minus one wrong
        ({4, 5}, 0.0),  # floored at zero, never negative
        ({1, 2, 3, 4, 5}, 1 / 3),  # picking everything is not rewarded
    ],
)
def test_multiple_select_partial_credit(picked, expected):
    assert grade_choices("multiple", picked, {1, 2, 3}) == pytest.approx(expected)


def test_unknown_kind_is_refused():
    with pytest.raises(GradingError):
        grade_choices("essay", {1}, {1})


def test_single_label_case_accepts_the_answer_or_an_alternative():
    assert grade_case(False, {"gaming"}, {"gaming"}) == 1.0
    assert grade_case(False, {"tampering"}, {"gaming"}, {"tampering"}) == 1.0
    assert grade_case(False, {"bug"}, {"gaming"}, {"tampering"}) == 0.0


def test_single_label_case_refuses_two_categories():
    with pytest.raises(GradingError):
        grade_case(False, {"a", "b"}, {"a"})


def test_multi_label_case_gives_partial_credit():
    assert grade_case(True, {"inner", "gmg"}, {"inner", "gmg"}) == 1.0
    assert grade_case(True, {"inner"}, {"inner", "gmg"}) == 0.5
    assert grade_case(True, {"inner", "outer"}, {"inner", "gmg"}) == 0.0
    assert grade_case(True, {"outer"}, {"inner"}) == 0.0


def test_empty_case_is_refused():
    with pytest.raises(GradingError, match="every case"):
        grade_case(True, set(), {"inner"})


def test_mean_and_pass_mark():
    assert mean([1.0, 0.5, 0.0]) == 0.5
    assert mean([]) == 0.0
    assert is_passed(0.7, 70) and not is_passed(0.69, 70)
    assert is_passed(mean([1, 1, 1, 1, 1, 1, 1, 0, 0, 0]), 70)


def test_outcome_words():
    assert (outcome(1.0), outcome(0.0), outcome(0.4)) == ("correct", "incorrect", "partial")


def test_quiz_is_passed_only_when_every_active_question_is_answered():
    assert not quiz_passed([1.0, 1.0], 3, 60)  # two of three answered, even if both right
    assert quiz_passed([1.0, 1.0, 0.0], 3, 60)
    assert not quiz_passed([1.0, 0.0, 0.0], 3, 60)


def test_quiz_score_counts_unanswered_questions_as_zero():
    assert quiz_score([1.0, 0.5], 4) == pytest.approx(0.375)
    assert quiz_score([], 0) == 0.0


def test_quiz_without_active_questions_is_not_passed():
    assert not quiz_passed([], 0, 0)


def test_exercise_is_passed_on_its_latest_check():
    assert exercise_passed(0.7, 70)
    assert not exercise_passed(0.69, 70)
    assert not exercise_passed(None, 0)
