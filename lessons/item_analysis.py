"""Classical test statistics for quiz items and taxonomy confusion, computed from plain
numbers. Pure: no Django imports, so each formula is tested against hand-worked values.

Item analysis follows the usual definitions (as in Moodle's quiz statistics):
- facility index: mean score on the item over its maximum (here 1), from 0 to 1;
- discrimination index: Pearson correlation between the item score and the rest-of-quiz
  score (the learner's total on the other items), from -1 to 1;
A question is flagged for review when discrimination < 0.15 or facility is outside 0.2-0.95.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

LOW_DISCRIMINATION = 0.15
# Below this many first attempts the indices are noise: a question is not flagged on two answers.
MIN_RESPONSES = 10
FACILITY_RANGE = (0.2, 0.95)


def pearson(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Correlation of two equal-length samples; None when undefined (n < 2 or no variance)."""
    n = len(xs)
    if n != len(ys) or n < 2:
        return None
    mean_x, mean_y = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mean_x) ** 2 for x in xs)
    syy = sum((y - mean_y) ** 2 for y in ys)
    if sxx == 0 or syy == 0:
        return None
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True))
    return sxy / math.sqrt(sxx * syy)


@dataclass(frozen=True)
class ItemStats:
    item: object
    responses: int
    facility: float | None
    discrimination: float | None

    @property
    def needs_review(self) -> bool:
        if self.responses < MIN_RESPONSES:
            return False
        low, high = FACILITY_RANGE
        if self.facility is not None and not low <= self.facility <= high:
            return True
        return self.discrimination is not None and self.discrimination < LOW_DISCRIMINATION

    @property
    def reasons(self) -> list[str]:
        out = []
        if self.responses < MIN_RESPONSES:
            return out
        low, high = FACILITY_RANGE
        if self.facility is not None and self.facility < low:
            out.append("very hard (facility below 0.20)")
        if self.facility is not None and self.facility > high:
            out.append("very easy (facility above 0.95)")
        if self.discrimination is not None and self.discrimination < LOW_DISCRIMINATION:
            out.append("does not separate strong from weak learners (discrimination below 0.15)")
        return out


def item_analysis(items: Sequence[object], scores: Mapping[object, Mapping[object, float]]) -> list[ItemStats]:
    """Statistics per item from `scores[learner][item]` (first-attempt scores, 0 to 1).

    The rest-of-quiz score sums a learner's scores on the other items they answered.
    """
    results = []
    for item in items:
        own, rest = [], []
        for per_item in scores.values():
            if item not in per_item:
                continue
            own.append(per_item[item])
            rest.append(sum(score for other, score in per_item.items() if other != item))
        facility = sum(own) / len(own) if own else None
        results.append(ItemStats(item, len(own), facility, pearson(own, rest)))
    return results


def confusion(pairs: Iterable[tuple[str, str]]) -> Counter:
    """Counts of (correct category, chosen category) pairs."""
    return Counter(pairs)


def most_confused(matrix: Counter, limit: int = 3) -> list[tuple[str, str, int]]:
    """The most frequent wrong pairs, most common first: (correct, chosen, count)."""
    wrong = [(correct, chosen, n) for (correct, chosen), n in matrix.items() if correct != chosen]
    wrong.sort(key=lambda t: (-t[2], t[0], t[1]))
    return wrong[:limit]


def pearson_from_sums(n: int, sx: float, sy: float, sxx: float, syy: float, sxy: float) -> float | None:
    """Pearson's r from running sums, so the database can do the summing."""
    if n < 2:
        return None
    vx = n * sxx - sx * sx
    vy = n * syy - sy * sy
    if vx <= 1e-12 or vy <= 1e-12:
        return None
    return (n * sxy - sx * sy) / math.sqrt(vx * vy)


HEAT_LEVELS = 5


def heat_level(share: float) -> int:
    """Colour step for a cell holding `share` (0-1) of its row: 0 only for nothing, then
    1-5 for each fifth, so the scale only ever gets stronger as the share grows."""
    if share <= 0:
        return 0
    return min(HEAT_LEVELS, math.ceil(HEAT_LEVELS * share - 1e-9))
