"""Spaced review: when a question or a case comes back, decided by FSRS.

Pure functions over plain values: no Django, no database and no clock of their own (every
function that needs the time takes `now`), so tests pass a fixed clock. The intervals come
from the maintained `fsrs` package (pinned in requirements.txt), never from a formula of
our own; this module only chooses its settings and maps an attempt to a rating.

Settings, and why
- One learning step of one minute (FSRS's default is 1 and 10 minutes): a miss comes back
  in the same sitting, while a first right answer goes straight to a review in days.
- Relearning likewise one minute: a lapse in review is practised again before leaving.
- No fuzzing, so the schedule is the same on every run and in every test.
- Items due within LEARN_AHEAD count as due now (Anki's "learn ahead limit"), so a miss is
  offered for review at once rather than a minute later.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from fsrs import Card, Rating, Scheduler, State

# Confidence a learner may mark before checking: value → label. "" means not marked.
CONFIDENCE_LEVELS = {"sure": "Sure", "think": "Think so", "guess": "Guessing"}
MASTERY_DAYS = 21  # an item counts as mastered once its stability reaches this
LEARN_AHEAD = dt.timedelta(minutes=20)
RETENTION_GAP_DAYS = 1  # retention counts reviews at least this long after the previous one

SCHEDULER = Scheduler(
    learning_steps=(dt.timedelta(minutes=1),),
    relearning_steps=(dt.timedelta(minutes=1),),
    enable_fuzzing=False,
)


@dataclass(frozen=True)
class CardState:
    """What a review card stores: the FSRS card without its id."""

    state: int
    step: int | None
    stability: float | None
    difficulty: float | None
    due: dt.datetime
    last_review: dt.datetime | None


def rating_for(score: float, confidence: str = "") -> Rating:
    """The FSRS rating of one graded attempt: wrong → Again, partly right → Hard, right →
    Good, right and marked "sure" → Easy. Confidence never lowers a rating."""
    if confidence and confidence not in CONFIDENCE_LEVELS:
        raise ValueError(f"Unknown confidence {confidence!r}.")
    if score <= 0.0:
        return Rating.Again
    if score < 1.0:
        return Rating.Hard
    return Rating.Easy if confidence == "sure" else Rating.Good


def _utc(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None:
        raise ValueError("Scheduling needs timezone-aware times.")
    return moment.astimezone(dt.UTC)


def next_state(card: CardState | None, rating: Rating, now: dt.datetime) -> CardState:
    """The card after an attempt rated `rating` at `now` (`card` None for a first attempt)."""
    if card is None:
        fsrs_card = Card(card_id=1, due=_utc(now))  # a card_id avoids Card()'s 1 ms sleep
    else:
        fsrs_card = Card(
            card_id=1,
            state=State(card.state),
            step=card.step,
            stability=card.stability,
            difficulty=card.difficulty,
            due=_utc(card.due),
            last_review=_utc(card.last_review) if card.last_review else None,
        )
    reviewed, _ = SCHEDULER.review_card(fsrs_card, rating, review_datetime=_utc(now))
    return CardState(
        state=int(reviewed.state),
        step=reviewed.step,
        stability=reviewed.stability,
        difficulty=reviewed.difficulty,
        due=reviewed.due,
        last_review=reviewed.last_review,
    )


def days_since(previous: dt.datetime | None, now: dt.datetime) -> float | None:
    """Days between the previous review and this one (None for a first attempt)."""
    if previous is None:
        return None
    return (now - previous).total_seconds() / 86400


def due_horizon(now: dt.datetime) -> dt.datetime:
    """Cards due at or before this moment are offered now."""
    return now + LEARN_AHEAD


@dataclass(frozen=True)
class ConfidenceLevel:
    value: str
    label: str
    attempts: int
    right: int

    @property
    def accuracy(self) -> float | None:
        return self.right / self.attempts if self.attempts else None

    @property
    def percent(self) -> int | None:
        return None if self.accuracy is None else round(self.accuracy * 100)


def calibration(rows: Iterable[tuple[str, int, int]]) -> list[ConfidenceLevel]:
    """Accuracy per confidence level from (confidence, attempts, right) rows; unmarked
    attempts and unknown values are left out. Always the three levels, in order."""
    totals = {value: [0, 0] for value in CONFIDENCE_LEVELS}
    for value, attempts, right in rows:
        if value in totals:
            totals[value][0] += attempts
            totals[value][1] += right
    return [ConfidenceLevel(value, CONFIDENCE_LEVELS[value], *totals[value]) for value in CONFIDENCE_LEVELS]


def calibration_sentence(levels: list[ConfidenceLevel]) -> str:
    """One sentence that says what the figures mean, for the chart's caption."""
    marked = [level for level in levels if level.attempts]
    if not marked:
        return "Mark how sure you are before checking an answer, and this shows how often each feeling is right."
    parts = [f"when you are {_phrase(level.value)}, you are right {level.percent}% of the time" for level in marked]
    sentence = "; ".join(parts)
    sentence = sentence[0].upper() + sentence[1:] + "."
    by = {level.value: level for level in marked}
    if "sure" in by and "guess" in by and by["sure"].accuracy <= by["guess"].accuracy:
        sentence += " Your sure answers do no better than your guesses: slow down on the ones you feel sure of."
    elif "sure" in by and by["sure"].accuracy < 0.8 and by["sure"].attempts >= 5:
        sentence += " You are often sure and wrong: treat that feeling as a cue to check."
    return sentence


def _phrase(value: str) -> str:
    return {"sure": "sure", "think": "fairly sure", "guess": "guessing"}[value]


def mastery_share(mastered: int, total: int) -> int:
    """Whole percent of items mastered (0 when there are none)."""
    return round(100 * mastered / total) if total else 0
