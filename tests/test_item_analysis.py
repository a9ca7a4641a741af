"""Item analysis and confusion statistics against hand-computed values."""

import pytest

from lessons.item_analysis import confusion, heat_level, item_analysis, most_confused, pearson


def test_pearson_hand_computed():
    # x = 1,2,3 ; y = 2,4,7: means 2 and 13/3; sxy = 5, sxx = 2, syy = 38/3 -> 5 / sqrt(76/3)
    assert pearson([1, 2, 3], [2, 4, 7]) == pytest.approx(5 / (76 / 3) ** 0.5)
    assert pearson([1, 1, 1], [1, 2, 3]) is None
    assert pearson([1], [2]) is None


def test_item_analysis_on_a_small_fixture():
    # Four learners, three questions (first attempts).
    scores = {
        "ann": {"q1": 1, "q2": 1, "q3": 1},
        "bob": {"q1": 1, "q2": 0, "q3": 1},
        "cat": {"q1": 0, "q2": 0, "q3": 1},
        "dan": {"q1": 0, "q2": 1, "q3": 1},
    }
    q1, q2, q3 = item_analysis(["q1", "q2", "q3"], scores)
    assert q1.facility == 0.5 and q1.responses == 4
    assert not q1.needs_review and not q3.needs_review and q3.reasons == []  # four answers are too few
    # The same pattern three times over: the same indices, now enough to flag.
    tripled = {f"{name}{n}": row for name, row in scores.items() for n in range(3)}
    q1, q2, q3 = item_analysis(["q1", "q2", "q3"], tripled)
    # q1 vs rest (q2+q3): own 1,1,0,0 ; rest 2,1,1,2 -> covariance 0 -> r = 0
    assert q1.discrimination == pytest.approx(0.0)
    # q2: own 1,0,0,1 ; rest (q1+q3) 2,2,1,1 -> r = 0
    assert q2.discrimination == pytest.approx(0.0)
    # q3: everyone right: facility 1.0 (too easy), discrimination undefined
    assert q3.facility == 1.0 and q3.discrimination is None
    assert q3.needs_review and "very easy" in q3.reasons[0]
    assert q1.needs_review  # discrimination 0 < 0.15


def test_a_discriminating_item_is_not_flagged():
    scores = {
        "a": {"q1": 1, "q2": 1, "q3": 1},
        "b": {"q1": 1, "q2": 1, "q3": 0},
        "c": {"q1": 0, "q2": 0, "q3": 1},
        "d": {"q1": 0, "q2": 0, "q3": 0},
    }
    q1 = item_analysis(["q1"], scores)[0]
    # own 1,1,0,0 ; rest 2,1,1,0 -> r = 1/sqrt(2) ~ 0.707
    assert q1.discrimination == pytest.approx(2**-0.5)
    assert q1.facility == 0.5 and not q1.needs_review


def test_items_nobody_answered_have_no_statistics():
    [stats] = item_analysis(["q9"], {"a": {"q1": 1}})
    assert stats.responses == 0 and stats.facility is None and not stats.needs_review


def test_confusion_and_most_confused_pairs():
    matrix = confusion([("gmg", "inner"), ("gmg", "inner"), ("gmg", "gmg"), ("outer", "inner"), ("inner", "inner")])
    assert matrix[("gmg", "inner")] == 2 and matrix[("inner", "inner")] == 1
    assert most_confused(matrix) == [("gmg", "inner", 2), ("outer", "inner", 1)]


def test_heat_level_is_zero_only_for_nothing_and_never_falls_as_the_share_grows():
    assert heat_level(0) == 0
    assert heat_level(0.01) == 1 and heat_level(0.2) == 1 and heat_level(0.21) == 2
    assert heat_level(1.0) == 5
    levels = [heat_level(i / 100) for i in range(101)]
    assert levels == sorted(levels)
