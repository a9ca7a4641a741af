"""The pure scheduling rules: ratings from outcomes, FSRS state changes, calibration."""

import datetime as dt

import pytest
from fsrs import Rating

from lessons.scheduling import (
    MASTERY_DAYS,
    CardState,
    calibration,
    calibration_sentence,
    due_horizon,
    mastery_share,
    next_state,
    rating_for,
)

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)  # a Monday


@pytest.mark.parametrize(
    ("score", "confidence", "rating"),
    [
        (0.0, "", Rating.Again),
        (0.0, "sure", Rating.Again),
        (0.5, "", Rating.Hard),
        (0.5, "sure", Rating.Hard),
        (1.0, "", Rating.Good),
        (1.0, "think", Rating.Good),
        (1.0, "guess", Rating.Good),
        (1.0, "sure", Rating.Easy),
    ],
)
def test_rating_follows_outcome_and_confidence(score, confidence, rating):
    assert rating_for(score, confidence) == rating


def test_unknown_confidence_is_refused():
    with pytest.raises(ValueError):
        rating_for(1.0, "certain")


def test_a_miss_comes_back_in_the_same_sitting():
    card = next_state(None, Rating.Again, T0)
    assert card.due == T0 + dt.timedelta(minutes=1)
    assert card.due <= due_horizon(T0)  # counted as due at once


def test_a_first_right_answer_waits_days():
    card = next_state(None, Rating.Good, T0)
    assert card.due - T0 >= dt.timedelta(days=1)
    assert card.due > due_horizon(T0)


def test_sure_and_right_waits_longer_than_right():
    assert next_state(None, Rating.Easy, T0).due > next_state(None, Rating.Good, T0).due


def test_right_in_review_moves_due_forward_and_wrong_brings_it_back():
    missed = next_state(None, Rating.Again, T0)
    later = T0 + dt.timedelta(minutes=5)
    recalled = next_state(missed, Rating.Good, later)
    assert recalled.due - later >= dt.timedelta(days=1)
    review_day = recalled.due
    good_again = next_state(recalled, Rating.Good, review_day)
    assert good_again.due - review_day > recalled.due - later  # intervals grow
    assert good_again.stability > recalled.stability
    lapsed = next_state(recalled, Rating.Again, review_day)
    assert lapsed.due == review_day + dt.timedelta(minutes=1)
    assert lapsed.stability < recalled.stability


def test_schedule_is_deterministic():
    assert next_state(None, Rating.Good, T0) == next_state(None, Rating.Good, T0)


def test_naive_time_is_refused():
    with pytest.raises(ValueError):
        next_state(None, Rating.Good, dt.datetime(2026, 3, 2, 9, 0))


def test_repeated_success_reaches_mastery():
    card: CardState | None = None
    now = T0
    for _ in range(6):
        card = next_state(card, Rating.Good, now)
        now = card.due
    assert card.stability >= MASTERY_DAYS


def test_calibration_from_known_answers():
    rows = [("sure", 20, 16), ("sure", 5, 0), ("think", 4, 3), ("guess", 10, 3), ("", 50, 50), ("bogus", 1, 1)]
    sure, think, guess = calibration(rows)
    assert (sure.attempts, sure.right, sure.percent) == (25, 16, 64)
    assert (think.attempts, think.right, think.percent) == (4, 3, 75)
    assert (guess.attempts, guess.right, guess.percent) == (10, 3, 30)
    sentence = calibration_sentence([sure, think, guess])
    assert sentence.startswith("When you are sure, you are right 64% of the time")
    assert "guessing, you are right 30%" in sentence
    assert "sure and wrong" in sentence


def test_calibration_with_nothing_marked_explains_itself():
    levels = calibration([])
    assert [level.attempts for level in levels] == [0, 0, 0]
    assert all(level.percent is None for level in levels)
    assert "Mark how sure you are" in calibration_sentence(levels)


def test_mastery_share():
    assert mastery_share(0, 0) == 0
    assert mastery_share(1, 3) == 33
    assert mastery_share(3, 3) == 100
